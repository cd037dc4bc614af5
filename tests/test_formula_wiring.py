"""The reward formulas as training and evaluation see them: the formula an item asks for, the
reward under every formula recomputed with scoring.reward, the mean mutation score, the tables.

A stand-in scorer answers with made-up results here; tests/test_reward_formulas_exp.py scores real
tests with the real one."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

import train as train_script
from common.errors import UserError
from evaluation import formulas, metrics, records, tables
from evaluation.arguments import EvalArguments
from scoring import reward as scoring_reward
from scoring.client import _item
from training.rewards import SampleLog, batch_figures, scorer_reward


def result(
    passed=2, failed=0, coverage=0.5, mutation=None, status="ok", reward=0.9, assertions=1
) -> dict:
    return {
        "reward": reward,
        "status": status,
        "tests": {"passed": passed, "failed": failed, "skipped": 0},
        "coverage": coverage,
        "assertions": assertions,
        "mutation": mutation,
        "duration_s": 0.1,
        "detail": "",
    }


def killed(k: int, n: int) -> dict:
    return {"killed": k, "total": n, "score": k / n}


class StandInScorer:
    """Answers each item from a list of results, and keeps the items it was asked."""

    def __init__(self, answers: list[dict]) -> None:
        self.answers = answers
        self.items: list[dict] = []
        self.closed = False

    def score(self, items):
        self.items += list(items)
        return [dict(a) for a in self.answers[: len(self.items)]]

    async def ascore(self, items):
        return self.score(items)

    def close(self):
        self.closed = True


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


def test_the_client_sends_the_items_formula():
    item = {"repo": "r", "package": ".", "completion": "c", "reward": "mutation"}
    assert _item(item)["reward"] == "mutation"
    assert "reward" not in _item({**item, "reward": None})


def test_training_asks_for_its_formula_and_logs_the_mutation_score(tmp_path):
    answers = [
        result(mutation=killed(3, 4), reward=0.875),
        result(mutation=killed(1, 4), reward=0.625),
        result(mutation=None, passed=0, failed=1, reward=0.3),  # no test passed: not measured
        result(status="error", reward=None),
    ]
    stand_in = StandInScorer(answers)
    client = SimpleNamespace(score=stand_in.ascore)
    sample_log = SampleLog(tmp_path / "completions.jsonl", every=1)
    reward = scorer_reward(client, sample_log, reward_formula="mutation")
    logged: dict[str, float] = {}
    rewards = asyncio.run(
        reward(
            completions=["a", "b", "c", "d"],
            repo=["r"] * 4,
            package=["."] * 4,
            log_metric=logged.__setitem__,
            trainer_state=SimpleNamespace(global_step=0),
        )
    )
    assert [item["reward"] for item in stand_in.items] == ["mutation"] * 4
    assert rewards == [0.875, 0.625, 0.3, None]
    assert logged["scorer/mutation_score"] == pytest.approx(0.5)  # (0.75 + 0.25) / 2
    lines = [json.loads(line) for line in (tmp_path / "completions.jsonl").read_text().splitlines()]
    assert [line["mutation"] for line in lines[:2]] == [killed(3, 4), killed(1, 4)]


def test_no_mutation_score_is_logged_when_none_was_measured():
    assert "mutation_score" not in batch_figures([result(), result(status="build_failed")])


def test_the_server_default_is_left_to_the_server():
    stand_in = StandInScorer([result()])
    reward = scorer_reward(SimpleNamespace(score=stand_in.ascore))
    asyncio.run(reward(completions=["a"], repo=["r"], package=["."]))
    assert stand_in.items[0]["reward"] is None  # the client leaves a None field out


def test_the_recipe_key_is_checked_when_parsed(tmp_path):
    args = train_script.GoTestScriptArguments(dataset_name="rows", reward_formula="mutation")
    assert args.reward_formula == "mutation"
    with pytest.raises(ValueError, match="unknown reward formula"):
        train_script.GoTestScriptArguments(dataset_name="rows", reward_formula="bugs")
    with pytest.raises(UserError, match="unknown reward formula 'bugs'"):
        train_script.parse_args(
            [
                "--config",
                "recipes/demo.yaml",
                "--reward_formula",
                "bugs",
                "--output_dir",
                str(tmp_path),
            ]
        )
    with pytest.raises(ValueError, match="unknown reward formula"):
        EvalArguments(models=["m"], dataset_name="d", reward_formula="bugs")


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
