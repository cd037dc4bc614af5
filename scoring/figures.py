"""What the scorer's results say of a batch of samples: every figure, defined once.

Training logs these figures of each batch (under `scorer/`), and the evaluation reports them per
model, so that a figure of one name means the same in both. A result is the scorer's answer to
one item (a dict with `status`, `tests`, `coverage`, `assertions`, and `mutation` where it was
measured), or an evaluation record that holds one.

A result with status `error` is a failure of the scorer, not of the model: it counts in the
status shares and is left out of every other figure. A rate is None when no result counts
towards it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from scoring.models import Status

# The test file compiled: a timeout or a file without tests still built before it ran.
BUILT = frozenset({Status.ok.value, Status.no_tests.value, Status.timeout.value})


def is_error(result: dict) -> bool:
    """The scorer failed on this sample: no figure of the model counts it."""
    return result["status"] == Status.error


def scored(results: Iterable[dict]) -> list[dict]:
    """The results the scorer could judge."""
    return [r for r in results if not is_error(r)]


def is_built(result: dict) -> bool:
    return result["status"] in BUILT


def is_runnable(result: dict) -> bool:
    """Built and ran at least one test: the scorer's `ok`."""
    return result["status"] == Status.ok


def all_passed(result: dict) -> bool:
    return is_runnable(result) and result["tests"]["failed"] == 0


def pass_share(result: dict) -> float:
    """Passed tests over the tests that ran (0 when none ran)."""
    tests = result["tests"]
    ran = tests["passed"] + tests["failed"]
    return tests["passed"] / ran if ran else 0.0


def mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def share(flags: Sequence[bool]) -> float | None:
    return mean([float(flag) for flag in flags])


def rates(results: Sequence[dict]) -> dict[str, float | None]:
    """The figures of a batch, over its scored results (scorer errors left out).

    build_rate: share that built; run_rate: share that ran a test (status ok); pass_share: mean
    share of passed tests over the runnable ones; all_passed_rate: share runnable with no test
    failed; coverage: mean coverage of the target (none counts as 0), and coverage_runnable the
    same over the runnable ones; no_assertion_share: share of the runnable ones that check
    nothing (the sign of a test written to be paid rather than to test).
    """
    judged = scored(results)
    runnable = [r for r in judged if is_runnable(r)]
    return {
        "build_rate": share([is_built(r) for r in judged]),
        "run_rate": share([is_runnable(r) for r in judged]),
        "pass_share": mean([pass_share(r) for r in runnable]),
        "all_passed_rate": share([all_passed(r) for r in judged]),
        "coverage": mean([r["coverage"] or 0.0 for r in judged]),
        "coverage_runnable": mean([r["coverage"] or 0.0 for r in runnable]),
        "no_assertion_share": share([r.get("assertions") == 0 for r in runnable]),
    }


def mutation_score(result: dict) -> float | None:
    """The result's mutation score (`mutation.score`, read tolerantly: a scorer that predates it
    sends none): null when it was not measured or could not be (no test passed, nothing to
    mutate)."""
    mutation = result.get("mutation")
    return None if not mutation else mutation.get("score")


def mean_mutation_score(results: Iterable[dict]) -> float | None:
    """Mean mutation score over the scored results that have one."""
    scores = [mutation_score(r) for r in scored(results)]
    return mean([float(s) for s in scores if s is not None])


def status_counts(results: Iterable[dict]) -> dict[str, int]:
    """How many results ended in each status, scorer errors included, sorted by status."""
    return dict(sorted(Counter(str(r["status"]) for r in results).items()))


def status_shares(results: Sequence[dict]) -> dict[str, float]:
    """The share of all results that ended in each status, scorer errors included."""
    return {status: count / len(results) for status, count in status_counts(results).items()}
