"""The reward formula as training sees it: the recipe key, the item's `reward` that the client
sends, and `scorer/mutation_score` in the trainer's metrics. Against a stand-in scorer
(tests/stand_in_scorer.py)."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

import train as train_script
from common.errors import UserError
from evaluation.arguments import EvalArguments
from scoring.client import _item
from tests.stand_in_scorer import StandInScorer, killed, result
from training.rewards import SampleLog, batch_figures, scorer_reward


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
