"""scoring.figures: each figure of a batch of results, on hand-made results with known answers.

Training logs these figures and the evaluation reports them; both take them from here.
"""

from __future__ import annotations

import pytest

from scoring import figures
from scoring.models import Status


def result(status, *, passed=0, failed=0, coverage=None, assertions=None):
    return {
        "status": status,
        "reward": None if status == "error" else 0.0,
        "tests": {"passed": passed, "failed": failed, "skipped": 0},
        "coverage": coverage,
        "assertions": assertions,
    }


def batch():
    """Every status once, plus a second `ok` that checks nothing and a second scorer error."""
    return [
        result("ok", passed=3, failed=1, coverage=0.8, assertions=4),
        result("ok", passed=2, coverage=0.4, assertions=0),
        # A timeout may have run tests before it was killed: built, but not a run.
        result("timeout", passed=1, failed=1, coverage=None, assertions=2),
        result("no_tests", assertions=0),
        result("limit_exceeded", passed=1),
        result("build_failed", assertions=1),
        result("deps_failed"),
        result("goimports_failed"),
        result("no_code"),
        result("bad_request"),
        result("error", passed=5, coverage=1.0, assertions=0),
        result("error"),
    ]


def test_rates_have_the_known_values():
    rates = figures.rates(batch())
    # Ten results judged, the two scorer errors left out of every rate.
    assert rates["build_rate"] == pytest.approx(4 / 10)  # ok, ok, timeout, no_tests
    assert rates["run_rate"] == pytest.approx(2 / 10)  # status ok, not "some test ran"
    assert rates["pass_share"] == pytest.approx((3 / 4 + 1.0) / 2)  # over the runnable ones
    assert rates["all_passed_rate"] == pytest.approx(1 / 10)
    assert rates["coverage"] == pytest.approx((0.8 + 0.4) / 10)  # no coverage counts as 0
    assert rates["coverage_runnable"] == pytest.approx((0.8 + 0.4) / 2)
    assert rates["no_assertion_share"] == pytest.approx(1 / 2)  # of the runnable ones


def test_a_file_without_tests_built():
    assert figures.rates([result("no_tests"), result("build_failed")])["build_rate"] == 0.5


def test_status_shares_and_counts_include_the_scorer_errors():
    results = batch()
    counts = figures.status_counts(results)
    assert counts == {**{s.value: 1 for s in Status}, "ok": 2, "error": 2}
    assert list(counts) == sorted(counts)
    shares = figures.status_shares(results)
    assert shares["error"] == pytest.approx(2 / 12)
    assert shares["ok"] == pytest.approx(2 / 12)
    assert sum(shares.values()) == pytest.approx(1.0)


def test_no_judged_result_gives_no_rate():
    assert set(figures.rates([result("error")]).values()) == {None}
    assert figures.rates([]) == dict.fromkeys(figures.rates([]), None)
    assert figures.status_shares([]) == {}
    assert figures.status_counts([result("error")]) == {"error": 1}


def test_a_record_with_a_plain_or_enum_status_is_judged_alike():
    plain = figures.rates([result("ok", passed=1), result("no_code")])
    enum = figures.rates([result(Status.ok, passed=1), result(Status.no_code)])
    assert plain == enum and plain["run_rate"] == 0.5


def test_the_mutation_score_is_read_tolerantly_and_averaged_over_scored_results():
    measured = {**result("ok", passed=1), "mutation": {"killed": 3, "total": 4, "score": 0.75}}
    nothing_to_mutate = {
        **result("ok", passed=1),
        "mutation": {"killed": 0, "total": 0, "score": None},
    }
    older_scorer = result("ok", passed=1)  # a scorer that predates the mutation score
    assert figures.mutation_score(measured) == 0.75
    assert figures.mutation_score(nothing_to_mutate) is None
    assert figures.mutation_score(older_scorer) is None
    low = {**measured, "mutation": {"killed": 1, "total": 4, "score": 0.25}}
    # A scorer error is no result of the model's: its score, even if sent, does not count.
    error = {**result("error"), "mutation": {"killed": 4, "total": 4, "score": 1.0}}
    batch_ = [measured, low, nothing_to_mutate, older_scorer, error]
    assert figures.mean_mutation_score(batch_) == pytest.approx(0.5)
    assert figures.mean_mutation_score([older_scorer, nothing_to_mutate]) is None
