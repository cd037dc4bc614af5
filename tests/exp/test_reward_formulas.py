"""exp/reward-formulas at its smallest: one sample package's own tests, stripped of their checks and
with a wrong expectation, scored under every formula by a real scorer, and the report."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from evaluation import formulas
from tests.sample import ROOT

SCRIPT = ROOT / "exp" / "reward-formulas" / "run.py"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("sample_unchanged_by_each_test")]


def test_smallest_run_scores_every_variant_and_reports(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--packages", "mathx", "--no-logged",
         "--resamples", "50", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    rows = {c["variant"]: c for c in results["completions"]}
    assert set(rows) == {"own", "stripped", "wrong"}
    own, stripped, wrong = rows["own"], rows["stripped"], rows["wrong"]

    # The stripped tests run what the own tests run and check nothing; the wrong one fails.
    assert own["status"] == stripped["status"] == wrong["status"] == "ok"
    assert own["assertions"] > 0 and stripped["assertions"] == 0
    assert stripped["checks_nothing"] and not own["checks_nothing"]
    assert stripped["coverage"] == own["coverage"] > 0
    assert own["tests"]["failed"] == 0 and wrong["tests"]["failed"] > 0
    assert stripped["rewards"]["coverage"] == own["rewards"]["coverage"]
    assert wrong["rewards"]["coverage"] < own["rewards"]["coverage"]

    # Each formula's reward as the scorer paid it is the one scoring/reward.py recomputes.
    agree = results["recomputed_agree"]
    assert agree["compared"] == 3 * len(formulas.FORMULAS) and agree["agree"] == agree["compared"]
    # The discrimination the mutation score exists for: checks catch mutants.
    assert own["mutation_score"] > stripped["mutation_score"]
    assert own["rewards"]["mutation"] > stripped["rewards"]["mutation"]
    assert results["discrimination"]["mutation_score"]["difference"] > 0

    # Best of the group under coverage: the own and stripped tests tie, half checks nothing.
    best = results["best_checks_nothing"]["coverage"]
    assert best["groups"] == 1 and best["mean"] == pytest.approx(0.5)
    report = (out / "results.md").read_text()
    assert "### Discrimination" in report and "| stripped | 1 | 1 |" in report
    assert (out / "rewards.png").stat().st_size > 0


def test_training_recipes_are_the_learning_signal_demo_with_only_the_formula_changed():
    """The training comparison's claim: the two recipes are exp/learning-signal's `demo` setting,
    and differ from it (and from each other) in the formula and the run's name alone."""
    import yaml

    def recipe(path):
        return yaml.safe_load(path.read_text())

    demo = recipe(ROOT / "exp" / "learning-signal" / "recipes" / "demo.yaml")
    naming = {"output_dir", "run_name"}
    for formula in ("coverage", "mutation"):
        mine = recipe(ROOT / "exp" / "reward-formulas" / "recipes" / f"{formula}.yaml")
        assert mine.pop("reward_formula") == formula
        assert {k: v for k, v in mine.items() if k not in naming} == {
            k: v for k, v in demo.items() if k not in naming
        }


def test_drift_start_pairs_each_test_with_a_copy_that_checks_nothing(sample_dataset, tmp_path):
    """The drift comparison's start model learns, for every prompt, the repo's test and the same
    test without a check: the copy answers the same prompt, and the scorer's own count finds no
    check in it, where the original has some."""
    import drift_start  # exp/reward-formulas, on pytest's pythonpath
    from datasets import load_from_disk

    import gotools
    from scoring.completion import extract_code
    from scripts import tiny_model

    dataset, repos = sample_dataset
    pairs = tiny_model.warm_start_pairs(load_from_disk(str(dataset))["train"], repos)[:3]
    doubled = drift_start.stripped_copies(pairs)
    assert len(doubled) == 2 * len(pairs)

    def checks(pair) -> int:
        source = tmp_path / "pair_test.go"
        source.write_text(extract_code(pair["completion"][0]["content"]))
        return gotools.run("assertions", src=str(source))["assertions"]

    for original, copy in zip(doubled[::2], doubled[1::2], strict=True):
        assert original in pairs
        assert copy["prompt"] == original["prompt"]
        assert checks(original) > 0
        assert checks(copy) == 0
