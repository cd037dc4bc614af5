"""evaluation.formulas and what evaluation reports of the reward formulas: the reward under every
formula recomputed with scoring.reward, the formula an item asks for, the mean mutation score,
the summary and the printed table. Against a stand-in scorer (tests/stand_in_scorer.py)."""

from __future__ import annotations

import pytest

from evaluation import formulas, metrics, records, tables
from scoring import reward as scoring_reward
from tests.stand_in_scorer import StandInScorer, killed, result


def test_the_formulas_are_the_scorers():
    assert set(formulas.FORMULAS) == {"coverage", "coverage_mutation", "mutation"}
    assert not formulas.uses_mutation("coverage")
    assert formulas.uses_mutation("coverage_mutation") and formulas.uses_mutation("mutation")
    assert formulas.measuring("coverage") == "mutation"
    assert formulas.measuring("coverage_mutation") == "coverage_mutation"
    with pytest.raises(ValueError, match="unknown reward formula 'bugs'; known: coverage"):
        formulas.check_formula("bugs")


def test_rewards_under_every_formula_come_from_scoring_reward():
    measured = result(passed=3, failed=1, coverage=0.8, mutation=killed(7, 10))
    rewards = formulas.rewards(measured, asked="mutation")
    for name in formulas.FORMULAS:
        assert rewards[name] == scoring_reward.reward(3, 1, 0.8, 0.7, formula=name)
    # The contract's numbers, for the record: mutation = 0.3 + 0.2 p + 0.5 m.
    assert rewards["mutation"] == pytest.approx(0.3 + 0.2 * 0.75 + 0.5 * 0.7)
    assert rewards["coverage"] == pytest.approx(0.5 + 0.25 * 0.75 + 0.2 * 0.8)


def test_a_formula_that_needs_an_unmeasured_score_is_unknown_not_zero():
    plain = result(passed=1, coverage=1.0, mutation=None)
    rewards = formulas.rewards(plain, asked="coverage")
    assert rewards["coverage"] == pytest.approx(1.0)
    assert rewards["coverage_mutation"] is None and rewards["mutation"] is None
    assert formulas.rewards(plain, asked=None)["mutation"] is None


def test_a_sample_that_did_not_run_keeps_the_scorers_reward():
    assert set(
        formulas.rewards(result(status="build_failed", reward=0.0), "mutation").values()
    ) == {0.0}
    assert set(formulas.rewards(result(status="error", reward=None), "mutation").values()) == {None}


def test_formula_scoring_asks_for_a_measuring_formula_and_reports_its_own():
    answers = [
        result(passed=2, coverage=1.0, mutation=killed(1, 4)),
        result(status="error", reward=None),
    ]
    stand_in = StandInScorer(answers)
    scoring = formulas.FormulaScoring(stand_in, "coverage", measure_mutation=True)
    first, failed = scoring.score(
        [{"repo": "r", "completion": "a"}, {"repo": "r", "completion": "b"}]
    )
    assert [item["reward"] for item in stand_in.items] == ["mutation", "mutation"]
    assert first["reward"] == scoring_reward.reward(2, 0, 1.0, 0.25, formula="coverage")
    assert first["rewards"]["mutation"] == scoring_reward.reward(
        2, 0, 1.0, 0.25, formula="mutation"
    )
    assert failed["reward"] is None and failed["rewards"]["coverage"] is None
    scoring.close()
    assert stand_in.closed


def test_formula_scoring_without_the_mutation_score_asks_for_the_reported_formula():
    stand_in = StandInScorer([result(passed=1, coverage=0.0)])
    (only,) = formulas.FormulaScoring(stand_in, "coverage", measure_mutation=False).score([{}])
    assert stand_in.items[0]["reward"] == "coverage"
    assert only["rewards"]["mutation"] is None


def scored_record(model: str, target: str, res: dict, asked: str) -> dict:
    record = {"model": model, "id": target, "sample": 0, "turn": 1, "completion": ""}
    scoring = formulas.FormulaScoring(StandInScorer([res]), "coverage")
    scoring.asked = asked
    return records.scored(record, scoring.with_rewards(res))


def test_the_summary_and_table_show_the_mutation_score_and_every_formula():
    logged = [
        scored_record(
            "base", "t1", result(passed=1, coverage=1.0, mutation=killed(1, 2)), "mutation"
        ),
        scored_record(
            "base", "t2", result(passed=1, coverage=0.0, mutation=killed(0, 2)), "mutation"
        ),
        scored_record("base", "t3", result(status="build_failed", reward=0.0), "mutation"),
    ]
    m = metrics.model_metrics(logged)
    assert m["mutation_score"] == pytest.approx(0.25)
    for name in formulas.FORMULAS:
        expected = (
            formulas.formula_reward(name, 1, 0, 1.0, 0.5)
            + formulas.formula_reward(name, 1, 0, 0.0, 0.0)
            + 0.0
        ) / 3
        assert m[f"reward_{name}"] == pytest.approx(expected)
    assert m["reward"] == pytest.approx(m["reward_coverage"])
    text = tables.format_summary(metrics.summarize(logged, ["base"], resamples=10))
    header = text.splitlines()[1].split()
    row = text.splitlines()[2].split()
    assert "mutation" in header and row[-2] == "25.0%"  # the column before ok@k
    assert f"reward_coverage {m['reward_coverage']:.3f}" not in text  # printed by formula name
    assert f"base reward by formula: coverage {m['reward_coverage']:.3f}" in text


def test_records_from_a_scorer_without_the_mutation_score_still_summarise():
    old = {"model": "base", "id": "t", "sample": 0, "turn": 1, **result(reward=0.9)}
    del old["mutation"]
    m = metrics.model_metrics([old])
    assert m["mutation_score"] is None and m["reward_coverage"] is None  # no `rewards` logged
    assert "base reward by formula: coverage -" in tables.format_summary(
        metrics.summarize([old], ["base"], resamples=10)
    )
