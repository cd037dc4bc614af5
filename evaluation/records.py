"""The records of samples.jsonl: what one generated sample and its verdict are written as.

A record holds the model, the dataset row's `id` and target columns, the sample's index among
the k of its target and its turn, the completion, and the scorer's verdict (`reward`, `status`,
`tests`, `coverage`, `assertions`, `mutation`, `duration_s`, `detail`), with `rewards`, the
reward under each formula (evaluation.formulas).
"""

from __future__ import annotations

TARGET_COLUMNS = ("repo", "package", "target_file", "target_function", "granularity")
# What the scorer needs of a record; `granularity` is for the tables only.
SCORED_COLUMNS = ("repo", "package", "target_file", "target_function")


def new_record(model: str, row: dict, sample: int, turn: int, generation) -> dict:
    """A generated sample, not yet scored."""
    return {
        "model": model,
        "id": row["id"],
        **{c: row.get(c) for c in TARGET_COLUMNS},
        "sample": sample,
        "turn": turn,
        "completion": generation.text,
        "completion_tokens": generation.tokens,
        "truncated": generation.truncated,
    }


def score_item(record: dict) -> dict:
    """The scoring request's item for a record."""
    return {**{c: record[c] for c in SCORED_COLUMNS}, "completion": record["completion"]}


def scored(record: dict, result: dict) -> dict:
    """The record with the scorer's verdict; a scorer `error` has no reward, never a 0."""
    return {
        **record,
        "reward": result["reward"] if result["status"] != "error" else None,
        "status": result["status"],
        "tests": result["tests"],
        "coverage": result["coverage"],
        "assertions": result["assertions"],
        # Read tolerantly: a scorer that predates the mutation score sends neither.
        "mutation": result.get("mutation"),
        "rewards": result.get("rewards"),
        "duration_s": result["duration_s"],
        "detail": result["detail"],
    }


def not_scored(record: dict, reason: str) -> dict:
    """The record of a sample the scorer could not be asked about: status `error`, scored again
    when the run resumes."""
    return {
        **record,
        "reward": None,
        "status": "error",
        "tests": {"passed": 0, "failed": 0, "skipped": 0},
        "coverage": None,
        "assertions": None,
        "mutation": None,
        "rewards": None,
        "duration_s": 0.0,
        "detail": f"not scored: {reason}",
    }
