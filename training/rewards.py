"""Reward functions that train.py can name in a recipe's `reward_funcs`.

A reward is `(completions, **kwargs) -> list[float | None]`; None leaves a sample out of the
update (TRL gives it no advantage), which is what a failure of the scorer must do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scoring.client import AsyncScoringClient, completion_text, scorer_reward


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
                }
                log.write(json.dumps(record) + "\n")


def go_test(
    scorer_urls: list[str], scorer_token: str | None, sample_log: SampleLog | None = None
) -> Callable[..., Any]:
    """Pays what the scoring server pays for a generated Go test (build, run, pass, coverage)."""
    client = AsyncScoringClient(scorer_urls, token=scorer_token)
    results: list[dict] = []
    score = scorer_reward(client, on_results=results.extend)

    async def go_test_reward(completions: list[Any], **kwargs: Any) -> list[float | None]:
        results.clear()
        rewards = await score(completions, **kwargs)
        state = kwargs.get("trainer_state")
        if sample_log is not None and state is not None:
            sample_log.write(state.global_step, completions, kwargs, results)
        return rewards

    return go_test_reward


REWARDS = {"go_test": go_test}


def get_reward_funcs(names: list[str], **options: Any) -> list[Callable[..., Any]]:
    unknown = [name for name in names if name not in REWARDS]
    if unknown:
        raise ValueError(f"unknown reward function {unknown}; known: {sorted(REWARDS)}")
    return [REWARDS[name](**options) for name in names]
