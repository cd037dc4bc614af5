"""A scored sample's reward under every formula, from the scorer's result.

The formulas are the scorer's own (scoring.reward); this module only feeds them what a result
says: the pass share p (from `tests`), the coverage c and the mutation score m (as
scoring.figures reads it). A sample that did not run (any status but `ok`) keeps the scorer's
reward under every formula: 0, or null for the scorer's `error`.

The mutation score is measured only when the item asked for a formula that uses it, so a reward
that needs m is null (unknown) for a sample scored under `coverage`. To report every formula,
evaluation asks for one that measures m and recomputes the others (FormulaScoring).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from scoring import figures
from scoring import reward as formulas
from scoring.models import Status

FORMULAS: tuple[str, ...] = tuple(f.value for f in formulas.Formula)
DEFAULT_FORMULA = formulas.Formula.coverage.value


def formula_reward(
    formula: str, passed: int, failed: int, coverage: float | None, mutation: float | None
) -> float:
    """The reward of a run under a formula, by scoring.reward (the scorer's own)."""
    return formulas.reward(passed, failed, coverage, mutation, formula=formulas.Formula(formula))


def check_formula(name: str | None) -> str | None:
    """The name, if it is a formula of the scorer's; ValueError naming them otherwise."""
    if name is not None and name not in FORMULAS:
        raise ValueError(f"unknown reward formula {name!r}; known: {', '.join(FORMULAS)}")
    return name


def uses_mutation(formula: str) -> bool:
    """Whether the formula needs the mutation score (so the scorer measures it)."""
    return formulas.uses_mutation(formulas.Formula(formula))


def measuring(formula: str) -> str:
    """The formula to ask the scorer for so that a report under `formula` also has m."""
    # Any formula that measures m would do: the report recomputes every reward from p, c and m.
    return formula if uses_mutation(formula) else formulas.Formula.mutation.value


def rewards(result: dict, asked: str | None) -> dict[str, float | None]:
    """The result's reward under each formula, given the formula its item asked for (None: the
    server's default, taken to be `coverage`, which measures no mutation score)."""
    if result["status"] != Status.ok:
        return dict.fromkeys(FORMULAS, result["reward"])
    tests = result["tests"]
    measured = asked is not None and uses_mutation(asked)
    return {
        formula: formula_reward(
            formula,
            tests["passed"],
            tests["failed"],
            result["coverage"],
            figures.mutation_score(result),
        )
        if measured or not uses_mutation(formula)
        else None
        for formula in FORMULAS
    }


def mean_rewards(results: Sequence[dict]) -> dict[str, float | None]:
    """Mean reward under each formula over the scored results that have one (`rewards`)."""
    known = [r.get("rewards") or {} for r in figures.scored(results)]
    return {
        formula: figures.mean([float(r[formula]) for r in known if r.get(formula) is not None])
        for formula in FORMULAS
    }


class FormulaScoring:
    """A scoring client's wrapper for reports under every formula: each item asks for a formula
    that measures the mutation score (when `measure_mutation`), and each result comes back with
    `rewards` (every formula) and `reward` under `reward_formula`, as the scorer would have paid
    it had the item asked for that formula."""

    def __init__(self, client: Any, reward_formula: str, measure_mutation: bool = True) -> None:
        self.client = client
        self.reward_formula = check_formula(reward_formula)
        self.asked = measuring(reward_formula) if measure_mutation else reward_formula

    def score(self, items: Iterable[dict]) -> list[dict]:
        results = self.client.score([{**item, "reward": self.asked} for item in items])
        return [self.with_rewards(result) for result in results]

    def with_rewards(self, result: dict) -> dict:
        every = rewards(result, self.asked)
        return {**result, "rewards": every, "reward": every[self.reward_formula]}

    def close(self) -> None:
        self.client.close()
