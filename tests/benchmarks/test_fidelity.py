"""benchmarks/fidelity.py: the scorer and plain `go test` agree on the sample's own test files, and
each kind of difference is told apart on a repo of ours made for it."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from benchmarks import fidelity, fidelity_sides, fidelity_verdicts
from tests.sample import tree_digest

# A repo of ours with one file of each kind the benchmark must tell apart.
CASES = {
    "go.mod": "module example.com/cases\n\ngo 1.22\n",
    "cases.go": """package cases

// Sign is -1, 0 or 1.
func Sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// Clamp keeps x within [lo, hi].
func Clamp(x, lo, hi int) int {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}
""",
    # Standalone: a test, and an example that go test runs as a top-level test.
    "sign_test.go": """package cases

import (
	"fmt"
	"testing"
)

func TestSignNegative(t *testing.T) {
	if Sign(-4) != -1 {
		t.Fatal("Sign(-4) != -1")
	}
}

func TestSignZeroFails(t *testing.T) {
	if Sign(0) != 1 {
		t.Error("a failing test counts as failed on both sides")
	}
}

func ExampleSign() {
	fmt.Println(Sign(7))
	// Output: 1
}
""",
    # Declares a helper that another test file uses.
    "helpers_test.go": """package cases_test

import (
	"testing"

	"example.com/cases"
)

func wantClamp(t *testing.T, x, want int) {
	t.Helper()
	if got := cases.Clamp(x, 0, 10); got != want {
		t.Errorf("Clamp(%d) = %d, want %d", x, got, want)
	}
}

func TestClampHigh(t *testing.T) { wantClamp(t, 11, 10) }
""",
    # Not standalone: uses the helper of helpers_test.go, so neither side builds it alone.
    "clamp_test.go": """package cases_test

import "testing"

func TestClampLow(t *testing.T) { wantClamp(t, -1, 0) }
""",
    # Writes into its package folder: passes in a writable checkout, fails on the read-only repo.
    "golden_test.go": """package cases

import (
	"os"
	"testing"
)

func TestWritesGolden(t *testing.T) {
	if err := os.WriteFile("sign.golden", []byte{byte(Sign(3))}, 0o644); err != nil {
		t.Fatal(err)
	}
}
""",
}


def run(args: list[str], tmp_path: Path) -> dict:
    report = tmp_path / "fidelity.json"
    assert fidelity.main([*args, "--workers", "2", "--json", str(report)]) == 0
    saved = json.loads(report.read_text())
    # Judged again from the saved runs alone: the same verdicts.
    again = tmp_path / "again.json"
    assert fidelity.main(["--rejudge", str(report), "--json", str(again)]) == 0
    assert json.loads(again.read_text())["files"] == saved["files"]
    return saved


def by_file(report: dict) -> dict[str, dict]:
    return {f["case"]["file"]: f for f in report["files"]}


@pytest.mark.slow
def test_the_sample_packages_own_tests_agree_with_go_test(sample_dataset, tmp_path, capsys):
    dataset, repos = sample_dataset
    before = tree_digest(repos)
    report = run(["--dataset", str(dataset), "--timed", "2"], tmp_path)
    summary = report["summary"]
    # Every file that either side could run agrees: counts exact, coverage within half a point.
    assert summary["compared"] >= 6, summary
    assert summary["verdicts"].get("differ", 0) == 0, [
        (f["case"], f["cause"]) for f in report["files"] if f["verdict"] == "differ"
    ]
    assert summary["agreement"] == 1.0
    agreed = [f for f in report["files"] if f["verdict"] == "agree"]
    assert all(f["scorer"]["passed"] > 0 and f["scorer"]["coverage"] > 0 for f in agreed)
    assert summary["timed_files"] == 2 and summary["scorer_p50_s"] > 0
    assert "agree (100.0%)" in capsys.readouterr().out
    assert tree_digest(repos) == before, "the benchmark wrote into the repos it compares"


@pytest.mark.slow
def test_each_kind_of_difference_is_told_apart(tmp_path, capsys):
    base = Path(tempfile.mkdtemp(prefix="gotestrl-fidelity-test-"))
    base.chmod(0o755)  # the sandbox reads the repos as another user
    try:
        repo = base / "repos" / "fidelity" / "cases"
        repo.mkdir(parents=True)
        for name, text in CASES.items():
            (repo / name).write_text(text)
        before = tree_digest(base / "repos")
        report = run(["--repos-dir", str(base / "repos"), "--timed", "0"], tmp_path)
        assert tree_digest(base / "repos") == before, "the benchmark wrote into the repos"
    finally:
        shutil.rmtree(base, ignore_errors=True)
    files = by_file(report)
    sign = files["sign_test.go"]
    assert sign["verdict"] == "agree"
    # The example is a top-level test on both sides; the failing test fails on both.
    assert (sign["scorer"]["passed"], sign["scorer"]["failed"]) == (2, 1)
    assert (sign["go_test"]["passed"], sign["go_test"]["failed"]) == (2, 1)
    assert files["helpers_test.go"]["verdict"] == "agree"
    assert files["helpers_test.go"]["external"] is True
    clamp = files["clamp_test.go"]
    assert clamp["verdict"] == "both_fail_to_build"
    assert clamp["cause"] == "needs other test files of its package (wantClamp)"
    golden = files["golden_test.go"]
    assert golden["verdict"] == "differ"
    assert golden["go_test"]["passed"] == 1 and golden["scorer"]["failed"] == 1
    assert golden["cause"] == "read-only repo and host folders (by design)"
    summary = report["summary"]
    assert summary["compared"] == 3 and summary["by_design"] == 1 and summary["unexplained"] == 0
    out = capsys.readouterr().out
    assert "DIFFER fidelity/cases/golden_test.go" in out
    assert "needs other test files of its package" in out


def test_a_go_test_stream_is_counted_as_go_test_counts(tmp_path):
    """Top-level tests only; one that started and never ended (a panic) failed; the coverage."""
    events = [
        {"Action": "start", "Package": "p"},
        {"Action": "run", "Package": "p", "Test": "TestA"},
        {"Action": "run", "Package": "p", "Test": "TestA/sub"},
        {"Action": "fail", "Package": "p", "Test": "TestA/sub"},
        {"Action": "pass", "Package": "p", "Test": "TestA"},
        {"Action": "run", "Package": "p", "Test": "TestB"},
        {"Action": "skip", "Package": "p", "Test": "TestB"},
        {"Action": "run", "Package": "p", "Test": "TestC"},
        {"Action": "output", "Package": "p", "Output": "coverage: 41.7% of statements\n"},
        {"Action": "fail", "Package": "p"},
    ]
    stdout = "\n".join(json.dumps(e) for e in events)
    run = fidelity_sides.parse_go_test(stdout, "", 1.0)
    assert run.built
    assert (run.passed, run.failed, run.skipped, run.coverage) == (1, 1, 1, 41.7)

    timed_out = [
        {"Action": "run", "Package": "p", "Test": "TestSlow"},
        {
            "Action": "output",
            "Package": "p",
            "Test": "TestSlow",
            "Output": "panic: test timed out after 1s\n",
        },
        {"Action": "fail", "Package": "p", "Test": "TestSlow"},
        {"Action": "fail", "Package": "p"},
    ]
    slow = fidelity_sides.parse_go_test("\n".join(json.dumps(e) for e in timed_out), "", 1.0)
    assert (slow.status, slow.failed) == ("timeout", 1)

    build = [
        {
            "Action": "build-output",
            "ImportPath": "p [p.test]",
            "Output": "x_test.go:3: undefined: h\n",
        },
        {"Action": "build-fail", "ImportPath": "p [p.test]"},
        {"Action": "fail", "Package": "p", "FailedBuild": "p [p.test]"},
    ]
    failed = fidelity_sides.parse_go_test("\n".join(json.dumps(e) for e in build), "", 1.0)
    assert not failed.built and "undefined: h" in failed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "/nonexistent/dataset"], "not found"),
        (["--repos-dir", "/nonexistent/repos"], "is not a folder"),
        (["--workers", "0", "--repos-dir", "."], "--workers >= 1"),
        (["--max-files", "many"], "invalid int value"),
        (["--rejudge", "/nonexistent/fidelity.json"], "not a fidelity --json file"),
    ],
)
def test_a_mistake_is_one_line(args, message, capsys):
    assert fidelity.main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("fidelity: error:")


def test_a_folder_that_is_no_dataset_is_one_line(tmp_path, capsys):
    assert fidelity.main(["--dataset", str(tmp_path)]) == 2
    assert "is not a dataset built by python -m dataset.build" in capsys.readouterr().err


def test_verdicts(tmp_path):
    """Counts exact and coverage within half a point agree; a cause is read from the outputs."""
    case = fidelity_sides.Case("o/r", ".", "x_test.go")
    go_test = fidelity_sides.Run(True, "ran", passed=3, failed=1, coverage=40.0)

    def scorer(**fields):
        return fidelity_sides.Run(
            **{"built": True, "status": "ok", "passed": 3, "failed": 1, **fields}
        )

    assert fidelity_verdicts.judge(case, tmp_path, scorer(coverage=40.46), go_test)[0] == "agree"
    assert fidelity_verdicts.judge(case, tmp_path, scorer(coverage=40.6), go_test) == (
        "differ",
        "unexplained",
    )
    offline = scorer(failed=2, coverage=40.0, output="dial tcp 10.0.0.1:80: connect: refused")
    assert fidelity_verdicts.judge(case, tmp_path, offline, go_test) == (
        "differ",
        "no network (by design)",
    )
    # A second run of go test that gives the scorer's counts: the test, not either side.
    flaky = scorer(passed=4, failed=0, coverage=40.0)
    second = {"scorer": [4, 0], "go_test": [4, 0]}
    assert fidelity_verdicts.judge(case, tmp_path, flaky, go_test, second) == (
        "differ",
        "nondeterministic test: a second run of go test gave other counts",
    )
    steady = {"scorer": [4, 0], "go_test": [3, 1]}
    assert fidelity_verdicts.judge(case, tmp_path, flaky, go_test, steady) == (
        "differ",
        "unexplained",
    )


PANICKING_EXAMPLE = {
    "go.mod": "module example.com/panics\n\ngo 1.22\n",
    "sign.go": CASES["cases.go"].replace("package cases", "package panics"),
    # The example fails by a panic: go test still reports the coverage of what ran (the panic
    # unwinds through M.Run in the main goroutine, and its deferred after() writes the profile).
    "sign_test.go": """package panics

import "fmt"

func ExampleSign() {
	fmt.Println(Sign(2), Clamp(5, 0, 3))
	panic("the example fails")
	// Output: 1 3
}
""",
}


@pytest.mark.slow
def test_a_panicking_example_keeps_its_coverage_as_in_go_test(tmp_path):
    base = Path(tempfile.mkdtemp(prefix="gotestrl-fidelity-test-"))
    base.chmod(0o755)
    try:
        repo = base / "repos" / "fidelity" / "panics"
        repo.mkdir(parents=True)
        for name, text in PANICKING_EXAMPLE.items():
            (repo / name).write_text(text)
        report = run(["--repos-dir", str(base / "repos"), "--timed", "0"], tmp_path)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    example = by_file(report)["sign_test.go"]
    assert example["go_test"]["failed"] == 1 and example["go_test"]["coverage"] > 0
    assert example["scorer"]["failed"] == 1
    assert example["verdict"] == "agree", example["cause"]
