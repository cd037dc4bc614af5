"""The evaluation's metrics, intervals, logs and tables on hand-made records with known answers."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from evaluation import logs, metrics, tables
from evaluation.fix_turn import fix_conversation, needs_fix


def record(model, target, sample, status, reward=0.0, *, passed=0, failed=0, coverage=None,
           assertions=None, turn=1, repo="owner/a", granularity="function"):  # fmt: skip
    return {
        "model": model,
        "id": target,
        "sample": sample,
        "turn": turn,
        "repo": repo,
        "granularity": granularity,
        "completion": f"{model} {target} {sample} {turn}",
        "reward": None if status == "error" else reward,
        "status": status,
        "tests": {"passed": passed, "failed": failed, "skipped": 0},
        "coverage": coverage,
        "assertions": assertions,
        "duration_s": 0.5,
        "detail": f"detail of {target}",
    }


def base_records():
    """Four targets, k = 2: two ok samples, three scorer errors, one target lost to errors."""
    return [
        record("base", "t1", 0, "ok", 0.9, passed=2, coverage=0.5, assertions=3),
        record("base", "t1", 1, "build_failed"),
        record("base", "t2", 0, "ok", 0.6, passed=1, failed=1, coverage=0.25, assertions=0),
        record("base", "t2", 1, "no_tests"),
        record("base", "t3", 0, "goimports_failed"),
        record("base", "t3", 1, "error"),
        record("base", "t4", 0, "error"),
        record("base", "t4", 1, "error"),
    ]


def test_model_metrics_have_the_known_values():
    m = metrics.model_metrics(base_records())
    assert (m["n"], m["errors"], m["scored"], m["targets"], m["k"]) == (8, 3, 5, 3, 2)
    # Errors are left out, never counted as 0: (0.9 + 0 + 0.6 + 0 + 0) / 5 scored samples.
    assert m["reward"] == pytest.approx(0.3)
    assert m["build_rate"] == pytest.approx(3 / 5)  # ok, ok, no_tests
    assert m["run_rate"] == pytest.approx(2 / 5)
    assert m["pass_share"] == pytest.approx((1.0 + 0.5) / 2)  # over the runnable samples
    assert m["all_passed_rate"] == pytest.approx(1 / 5)
    assert m["coverage"] == pytest.approx((0.5 + 0.25) / 5)  # no coverage counts as 0
    assert m["coverage_runnable"] == pytest.approx((0.5 + 0.25) / 2)
    assert m["no_assertion_share"] == pytest.approx(1 / 2)
    assert m["targets_with_ok"] == pytest.approx(2 / 3)  # t4 had only errors: not a target
    assert m["status_counts"] == {
        "build_failed": 1, "error": 3, "goimports_failed": 1, "no_tests": 1, "ok": 2,
    }  # fmt: skip
    low, high = m["reward_ci"]
    assert 0 <= low < 0.3 < high <= 0.75


def test_a_scorer_error_is_not_a_zero():
    records = [record("m", "t1", 0, "ok", 1.0, passed=1), record("m", "t1", 1, "error")]
    m = metrics.model_metrics(records)
    assert m["reward"] == 1.0 and m["errors"] == 1 and m["run_rate"] == 1.0


def test_a_model_without_samples_has_no_figures():
    m = metrics.model_metrics([])
    assert m["n"] == 0 and m["reward"] is None and m["reward_ci"] is None
    assert m["build_rate"] is None and m["targets_with_ok"] is None


# The bootstrap -----------------------------------------------------------------------------------


def test_a_constant_statistic_has_a_zero_width_interval():
    assert metrics.bootstrap_ratio_ci([0.25] * 5, [1] * 5) == (0.25, 0.25)
    # Clusters of different sizes with the same mean: every resample has that mean.
    assert metrics.bootstrap_ratio_ci([0.5, 1.5, 0.25], [1, 3, 0.5]) == (0.5, 0.5)


def test_the_interval_is_seeded():
    sums = np.random.default_rng(0).uniform(size=30).tolist()
    first = metrics.bootstrap_ratio_ci(sums, [1] * 30, resamples=100, seed=3)
    assert metrics.bootstrap_ratio_ci(sums, [1] * 30, resamples=100, seed=3) == first
    assert metrics.bootstrap_ratio_ci(sums, [1] * 30, resamples=100, seed=4) != first


def exact_bootstrap(sums, counts):
    """Every one of the n^n equally likely resamples of n clusters: the exact distribution."""
    n = len(sums)
    values = [
        sum(sums[i] for i in draw) / sum(counts[i] for i in draw)
        for draw in itertools.product(range(n), repeat=n)
    ]
    return np.sort(values)


def test_the_interval_matches_the_exact_bootstrap_distribution():
    # Four targets with 2, 1, 2 and 1 scored samples (their reward sums): 256 resamples.
    sums, counts = [1.0, 0.0, 1.8, 0.3], [2, 1, 2, 1]
    exact = exact_bootstrap(sums, counts)
    low = exact[math.ceil(0.025 * len(exact)) - 1]
    high = exact[math.ceil(0.975 * len(exact)) - 1]
    # Both quantiles are atoms that the exact CDF crosses with room to spare, so a large seeded
    # bootstrap lands on them, not between two atoms.
    for level, atom in ((0.025, low), (0.975, high)):
        assert np.mean(exact < atom - 1e-9) < level - 0.005
        assert np.mean(exact <= atom + 1e-9) > level + 0.005
    got = metrics.bootstrap_ratio_ci(sums, counts, resamples=20000, seed=0)
    assert got == pytest.approx((low, high))


def test_two_targets_give_the_two_atoms_of_their_bootstrap():
    # Resample means of two values a < b: a (1/4), (a + b) / 2 (1/2), b (1/4).
    assert metrics.bootstrap_ratio_ci([0.2, 0.6], [1, 1]) == pytest.approx((0.2, 0.6))


# Paired differences ------------------------------------------------------------------------------


def test_a_constant_paired_difference_has_a_zero_width_interval():
    base = [record("base", f"t{i}", 0, "ok", r, passed=1) for i, r in enumerate([0.5, 0.25, 0.75])]
    trained = [{**r, "model": "trained", "reward": r["reward"] + 0.125} for r in base]
    pair = metrics.paired_difference(base, trained)
    assert pair["targets"] == 3
    assert pair["difference"] == 0.125
    assert pair["difference_ci"] == [0.125, 0.125]


def test_the_paired_difference_uses_shared_scored_targets_only():
    base = [
        record("base", "t1", 0, "ok", 0.5), record("base", "t1", 1, "ok", 0.7),
        record("base", "t2", 0, "build_failed"),
        record("base", "t3", 0, "error"),  # base has no score for t3: it is left out
    ]  # fmt: skip
    trained = [
        record("trained", "t1", 0, "ok", 0.9),
        record("trained", "t2", 0, "ok", 0.5), record("trained", "t2", 1, "ok", 0.3),
        record("trained", "t3", 0, "ok", 1.0),
        record("trained", "t4", 0, "ok", 1.0),  # only trained has t4
    ]  # fmt: skip
    pair = metrics.paired_difference(base, trained)
    # t1: 0.9 - 0.6 = 0.3; t2: 0.4 - 0 = 0.4.
    assert pair["targets"] == 2
    assert pair["difference"] == pytest.approx(0.35)
    assert pair["difference_ci"] == pytest.approx([0.3, 0.4])
    assert pair["baseline_reward"] == pytest.approx(0.3)
    assert pair["candidate_reward"] == pytest.approx(0.65)


# Fix turn and summary ----------------------------------------------------------------------------


def fix_turn_records():
    return [
        record("base", "t1", 0, "build_failed"),
        record("base", "t1", 0, "ok", 0.8, passed=1, coverage=0.0, assertions=1, turn=2),
        record("base", "t2", 0, "ok", 0.7, passed=1, failed=1, coverage=0.0, assertions=1),
        record("base", "t2", 0, "ok", 0.55, passed=1, failed=1, coverage=0.0, turn=2),
        record("base", "t3", 0, "ok", 1.0, passed=1, coverage=1.0, assertions=1),
    ]


def test_after_the_fix_turn_each_sample_counts_by_its_last_answer():
    records = fix_turn_records()
    assert [r["reward"] for r in metrics.first_turn(records)] == [0.0, 0.7, 1.0]
    assert sorted(r["reward"] for r in metrics.after_fix(records)) == [0.55, 0.8, 1.0]
    fix = metrics.fix_turn_metrics(records)
    assert fix == {
        "attempted": 2, "scored": 2, "now_ok": 2, "now_all_passed": 1,
        "reward_before": pytest.approx(0.35), "reward_after": pytest.approx(0.675),
    }  # fmt: skip


def test_summarize_has_both_turns_and_every_pair_in_order():
    records = fix_turn_records() + [{**r, "model": "trained"} for r in fix_turn_records()]
    summary = metrics.summarize(records, ["base", "trained", "absent"], resamples=200)
    assert set(summary["metrics"]) == {"turn1", "after_fix"}
    assert summary["metrics"]["turn1"]["base"]["reward"] == pytest.approx(1.7 / 3)
    assert summary["metrics"]["after_fix"]["base"]["reward"] == pytest.approx(2.35 / 3)
    assert summary["metrics"]["turn1"]["absent"]["n"] == 0
    pairs = [(p["baseline"], p["candidate"]) for p in summary["paired"]["turn1"]]
    assert pairs == [("base", "trained"), ("base", "absent"), ("trained", "absent")]
    assert summary["paired"]["turn1"][0]["difference"] == 0.0
    assert summary["fix_turn"]["trained"]["attempted"] == 2
    json.dumps(summary)  # summary.json must hold it
    text = tables.format_summary(summary)
    assert "after the fix turn" in text and "trained - base: reward +0.000" in text
    assert "fix turn, base: 2 sent back, 2 now ok" in text


def test_needs_fix_and_the_second_prompt():
    assert needs_fix(record("m", "t", 0, "build_failed"))
    assert needs_fix(record("m", "t", 0, "ok", 0.7, passed=1, failed=1))
    assert not needs_fix(record("m", "t", 0, "ok", 1.0, passed=2))
    assert not needs_fix(record("m", "t", 0, "error"))
    assert not needs_fix(record("m", "t", 0, "bad_request"))
    prompt = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    conversation = fix_conversation(prompt, record("m", "t9", 0, "build_failed"))
    assert [m["role"] for m in conversation] == ["system", "user", "assistant", "user"]
    assert conversation[2]["content"] == "m t9 0 1"
    assert "does not build" in conversation[3]["content"]
    assert "detail of t9" in conversation[3]["content"]


# Logs --------------------------------------------------------------------------------------------


def test_the_log_keeps_the_last_line_of_a_sample_and_survives_a_cut_line(tmp_path):
    path = tmp_path / "samples.jsonl"
    first = record("m", "t1", 0, "error")
    again = record("m", "t1", 0, "ok", 0.9, passed=1)
    other = record("m", "t2", 0, "no_code")
    with logs.SampleWriter(path) as writer:
        writer.write([first, other])
        writer.write([again])
    with path.open("a") as file:
        file.write(json.dumps(record("m", "t3", 0, "ok"))[:40])  # a kill mid-line
    assert {r["id"]: r["status"] for r in logs.read_samples(path)} == {"t1": "ok", "t2": "no_code"}
    with logs.SampleWriter(path) as writer:  # the next run cuts the partial line off
        writer.write([record("m", "t3", 0, "build_failed")])
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(line) for line in lines)


def test_a_write_interrupted_midway_does_not_break_the_next_line(tmp_path, monkeypatch):
    path = tmp_path / "samples.jsonl"
    writer = logs.SampleWriter(path)
    writer.write([record("m", "t1", 0, "ok")])
    real_fsync = logs.os.fsync

    def interrupted_fsync(fd):
        # As if Ctrl-C came after half of the batch reached the file.
        with path.open("a") as file:
            file.write('{"model": "m", "id": "t2", "sam')
        raise KeyboardInterrupt

    monkeypatch.setattr(logs.os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        writer.write([record("m", "t2", 0, "ok")])
    monkeypatch.setattr(logs.os, "fsync", real_fsync)
    writer.write([record("m", "t3", 0, "no_code")])  # the batch scored meanwhile
    writer.close()
    assert [r["id"] for r in logs.read_samples(path)] == ["t1", "t2", "t3"]
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_a_broken_line_inside_the_log_is_an_error(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_text('{"broken\n' + json.dumps(record("m", "t1", 0, "ok")) + "\n")
    with pytest.raises(ValueError, match=r"samples.jsonl:1 is not a JSON line"):
        logs.read_samples(path)


# Tables ------------------------------------------------------------------------------------------


def test_the_results_table_has_the_reference_shape_and_values():
    base = [
        record("base", "f1", 0, "ok", 0.5, passed=1, failed=1, coverage=0.5),
        record("base", "f2", 0, "build_failed"),
        record("base", "x1", 0, "ok", 1.0, passed=1, coverage=1.0, granularity="file"),
    ]
    trained = [
        record("trained", "f1", 0, "ok", 1.0, passed=1, coverage=1.0),
        record("trained", "f2", 0, "ok", 0.5, passed=1, failed=1, coverage=0.0),
        record("trained", "x1", 0, "error", granularity="file"),
    ]
    table = tables.results_table(base + trained, "base", "trained")
    assert list(table.index) == ["all", "granularity=function"]  # x1 is not shared
    row = table.loc["all"]
    assert row["count"] == 2
    assert row["reward base"] == pytest.approx(0.25)
    assert row["reward trained"] == pytest.approx(0.75)
    assert row["ratio"] == pytest.approx(3.0)
    assert row["uplift"] == pytest.approx(0.5)
    assert row["coverage trained"] == pytest.approx(0.5)
    assert row["all passed base"] == 0.0 and row["all passed trained"] == 0.5
    differences = tables.per_group_differences(base + trained, "base", "trained", by="repo")
    assert differences["difference"].tolist() == [pytest.approx(0.5)]


def test_failure_reasons_drop_positions_and_counts():
    detail = "imports: /r/x/gen_test.go:6:1: missing import path (and 4 more errors)\nmore"
    assert tables.failure_reason(detail) == "imports: missing import path"
    assert tables.failure_reason("\n\nvet: a.go:3: unreachable code\n") == "vet: unreachable code"
    assert tables.failure_reason(None) == ""
    records = [
        {
            **record("m", f"t{i}", 0, "goimports_failed"),
            "detail": f"p.go:{i}:1: bad (and {i} more errors)",
        }
        for i in range(3)
    ] + [record("m", "t9", 0, "ok", 1.0, passed=1), record("m", "t8", 0, "error")]
    table = tables.failure_reasons(records)
    assert table.to_dict("records") == [
        {"model": "m", "status": "goimports_failed", "reason": "bad", "samples": 3}
    ]
