"""The reward formulas of the scoring contract, in one place (docs/scoring-api.md, "Reward")."""

from __future__ import annotations

from enum import StrEnum


class Formula(StrEnum):
    coverage = "coverage"  # the original formula, the default: rewards stay comparable
    coverage_mutation = "coverage_mutation"  # the reference project's later weights
    mutation = "mutation"  # pays for tests that catch faults, not for running code


def uses_mutation(formula: Formula) -> bool:
    """Whether the formula needs the mutation score (which costs a run per covered mutant)."""
    return formula != Formula.coverage


def reward(
    passed: int,
    failed: int,
    coverage: float | None,
    mutation: float | None = None,
    formula: Formula = Formula.coverage,
) -> float:
    """0 unless a test ran; else, with p the pass share, c coverage and m the mutation score:

    coverage: 0.5 + 0.25·p + 0.05·[all passed] + 0.2·c
    coverage_mutation: 0.45 + 0.25·p + 0.2·c + 0.1·m
    mutation: 0.3 + 0.2·p + 0.5·m

    A score that was not measured (no test passed, or the target has no mutable code) counts 0.
    """
    ran = passed + failed
    if ran == 0:
        return 0.0
    p = passed / ran
    c = coverage or 0.0
    m = mutation or 0.0
    if formula == Formula.coverage:
        return 0.5 + 0.25 * p + 0.05 * (1.0 if failed == 0 else 0.0) + 0.2 * c
    if formula == Formula.coverage_mutation:
        return 0.45 + 0.25 * p + 0.2 * c + 0.1 * m
    return 0.3 + 0.2 * p + 0.5 * m
