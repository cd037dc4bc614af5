"""Reward functions that train.py can name in a recipe's `reward_funcs`.

A reward is `(completions, **kwargs) -> list[float | None]`; None leaves a sample out of the
update (TRL gives it no advantage), which is what a failure of the scorer must do.

    from scoring.client import AsyncScoringClient
    from training.rewards import scorer_reward

    client = AsyncScoringClient(["http://scorer-1:8000", "http://scorer-2:8000"], token="...")
    go_test_reward = scorer_reward(client)  # reward_funcs=[go_test_reward] in TRL's GRPOTrainer
    mutation_reward = scorer_reward(client, reward_formula="mutation")  # pays for caught bugs
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluation.formulas import check_formula
from scoring import figures
from scoring.client import AsyncScoringClient


def completion_text(completion: Any) -> str:
    """A TRL completion, plain (a string) or conversational (a list of messages)."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content") or "" for m in completion if m.get("role") == "assistant")


def batch_figures(results: list[dict]) -> dict[str, float]:
    """What the scorer said of a batch beyond the rewards (scoring.figures): where gaming and
    failures show, and the mean mutation score of the samples it was measured on. Figures that no
    result counts towards are left out."""
    rates = {
        **figures.rates(results),
        "mutation_score": figures.mean_mutation_score(results),
    }
    rates = {name: value for name, value in rates.items() if value is not None}
    shares = {f"status/{status}": value for status, value in figures.status_shares(results).items()}
    return {**rates, **shares}


class SampleLog:
    """Appends scored completions to a JSON-lines file, every `every` steps, for reading later."""

    def __init__(self, path: Path, every: int) -> None:
        self.path = path
        self.every = every
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, step: int, completions: list[Any], columns: dict, results: list[dict]) -> None:
        if self.every <= 0 or step % self.every:
            return
        with self.path.open("a") as log:
            for i, result in enumerate(results):
                record = {
                    "step": step,
                    **{k: columns[k][i] for k in ("id", "repo", "package") if k in columns},
                    "target_function": (columns.get("target_function") or [None] * (i + 1))[i],
                    "completion": completion_text(completions[i]),
                    **{k: result.get(k) for k in ("reward", "status", "tests", "coverage")},
                    "assertions": result.get("assertions"),
                    "mutation": result.get("mutation"),
                }
                log.write(json.dumps(record) + "\n")


def scorer_reward(
    client: AsyncScoringClient,
    sample_log: SampleLog | None = None,
    reward_formula: str | None = None,
) -> Callable[..., Any]:
    """The TRL reward function that pays what the scoring server pays; None where it failed.

    Each item asks for `reward_formula` (scoring/reward.py: coverage, coverage_mutation or
    mutation); None leaves it to the server's default (SCORING_REWARD).

    Each batch's breakdown (batch_figures) goes to the trainer's metrics under `scorer/` when the
    trainer passes `log_metric` (TRL's GRPOTrainer does), and its scored completions to
    sample_log when the trainer passes `trainer_state`.
    """

    async def go_test_reward(
        completions: list[Any],
        repo: list[str],
        package: list[str],
        target_file: list[str | None] | None = None,
        target_function: list[str | None] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        # Score
        n = len(completions)
        items = [
            {
                "repo": repo[i],
                "package": package[i],
                "completion": completion_text(completions[i]),
                "target_file": (target_file or [None] * n)[i],
                "target_function": (target_function or [None] * n)[i],
                "reward": reward_formula,
            }
            for i in range(n)
        ]
        results = await client.score(items)

        # Log the batch's breakdown
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            for name, value in batch_figures(results).items():
                log_metric(f"scorer/{name}", value)

        # Log the samples
        state = kwargs.get("trainer_state")
        if sample_log is not None and state is not None:
            columns = {**kwargs, "repo": repo, "package": package}
            columns["target_function"] = target_function
            sample_log.write(state.global_step, completions, columns, results)

        # `error` is the scorer failing, not the model: its reward is None so the sample is left
        # out, never learnt from as a 0.
        return [None if figures.is_error(r) else r["reward"] for r in results]

    return go_test_reward


def go_test(
    scorer_urls: list[str],
    scorer_token: str | None,
    sample_log: SampleLog | None = None,
    reward_formula: str | None = None,
) -> Callable[..., Any]:
    """Pays what the scoring server pays for a generated Go test (build, run, pass, coverage,
    and under the mutation formulas the mutants its tests catch)."""
    client = AsyncScoringClient(scorer_urls, token=scorer_token)
    return scorer_reward(client, sample_log, check_formula(reward_formula))


REWARDS = {"go_test": go_test}


def get_reward_funcs(names: list[str], **options: Any) -> list[Callable[..., Any]]:
    unknown = [name for name in names if name not in REWARDS]
    if unknown:
        raise ValueError(f"unknown reward function {unknown}; known: {sorted(REWARDS)}")
    return [REWARDS[name](**options) for name in names]
