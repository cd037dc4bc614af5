"""The scoring server's reward on the sample repos: the formula, coverage as `go tool cover`
measures it, passes, skips, panics and crashes, and honest runs of every shape."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import gotools
from scoring.reward import reward
from tests.sample import SAMPLE_REPOS
from tests.scoring.in_process import GCD_TEST, MATHX, score

pytestmark = pytest.mark.usefixtures("sample_unchanged_by_each_test")


def go_cover_func(repo: str, test_source: str, function: str, tmp_path: Path) -> float:
    """The oracle: `go tool cover -func` on a scratch copy, the way a person would measure it."""
    scratch = tmp_path / "scratch"
    shutil.copytree(SAMPLE_REPOS / repo, scratch)
    for old in scratch.glob("*_test.go"):
        old.unlink()
    (scratch / "oracle_test.go").write_text(test_source)
    env = gotools.go_env()
    run = {"cwd": scratch, "env": env, "capture_output": True, "text": True}
    # The test may fail on purpose; the profile is written all the same.
    subprocess.run([str(gotools.go_binary()), "test", "-coverprofile=c.out", "."], **run)
    cover = [str(gotools.go_binary()), "tool", "cover", "-func=c.out"]
    out = subprocess.run(cover, check=True, **run).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == function:
            return float(fields[2].rstrip("%")) / 100
    raise AssertionError(f"{function} not in cover output:\n{out}")


def test_ok_reward_matches_formula_and_go_cover(client, tmp_path):
    result = score(client, **MATHX, completion=GCD_TEST, target_function="GCD")
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 1, "skipped": 0}
    source = GCD_TEST.removeprefix("```go\n").removesuffix("```")
    expected = go_cover_func("gotest-sample/mathx", source, "GCD", tmp_path)
    assert result["coverage"] == pytest.approx(expected, abs=0.0005)  # go prints 0.1%
    assert 0 < expected < 1
    assert result["reward"] == pytest.approx(reward(1, 1, result["coverage"]))
    assert result["assertions"] == 3
    assert "this expectation is wrong on purpose" in result["detail"]


def test_coverage_of_file_and_package(client):
    file_result = score(client, **MATHX, completion=GCD_TEST, target_file="mathx.go")
    package_result = score(client, **MATHX, completion=GCD_TEST)
    function_result = score(client, **MATHX, completion=GCD_TEST, target_function="Clamp")
    assert function_result["coverage"] == 0.0
    assert 0 < package_result["coverage"] == file_result["coverage"] < 1
    assert function_result["reward"] == pytest.approx(0.5 + 0.25 * 0.5)


def test_all_passed_bonus_and_skips(client):
    completion = """```go
package mathx_test

import (
	"testing"

	"github.com/gotest-sample/mathx"
)

func TestClamp(t *testing.T) {
	if mathx.Clamp(5, 0, 3) != 3 {
		t.Fatal("clamp")
	}
}

func TestLater(t *testing.T) { t.Skip("not yet") }
```"""
    result = score(client, **MATHX, completion=completion, target_function="Clamp")
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 1}
    assert result["reward"] == pytest.approx(0.5 + 0.25 + 0.05 + 0.2 * result["coverage"])


def test_goimports_adds_missing_imports(client):
    completion = """```go
package mathx

func TestGCDTable(t *testing.T) {
	for _, c := range []struct{ a, b, want int }{{4, 6, 2}, {-4, 6, 2}, {4, -6, 2}, {0, 0, 0}} {
		if got := GCD(c.a, c.b); got != c.want {
			t.Error(fmt.Sprint(c, got))
		}
	}
}
```"""
    result = score(client, **MATHX, completion=completion, target_function="GCD")
    assert result["status"] == "ok", result["detail"]
    assert result["coverage"] == 1.0
    assert result["reward"] == pytest.approx(1.0)


def test_panic_is_a_failed_test_and_stops_the_run(client):
    completion = """```go
package mathx

import "testing"

func TestA(t *testing.T) { Clamp(1, 3, 2) }
func TestB(t *testing.T) {}
```"""
    result = score(client, **MATHX, completion=completion)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"]["failed"] == 1
    assert result["tests"]["passed"] == 0
    assert result["reward"] == pytest.approx(0.5 + 0.2 * result["coverage"])


def test_honest_runs_of_every_shape_are_trusted(client):
    """Parallel tests, subtests, skips, examples, fuzz seeds, TestMain: each counts as it ran."""
    completion = """```go
package mathx

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(m.Run()) }

func TestTable(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			if n == 2 {
				t.Error("two")
			}
		})
	}
}

func TestParallel(t *testing.T) {
	t.Parallel()
	t.Run("skipped", func(t *testing.T) { t.Skip() })
}

func TestSkipped(t *testing.T) { t.Skip("later") }

func ExampleGCD() {
	fmt.Println(GCD(4, 6))
	// Output: 2
}

func FuzzGCD(f *testing.F) {
	f.Add(1, 2)
	f.Fuzz(func(t *testing.T, a, b int) { GCD(a, b) })
}
```"""
    result = score(client, **MATHX, completion=completion)
    assert result["status"] == "ok", result["detail"]
    # The example with output and the fuzz target's seeds are top-level tests, as in go test.
    assert result["tests"] == {"passed": 3, "failed": 1, "skipped": 1}
    assert result["coverage"] > 0


def test_tests_before_a_crash_count(client):
    completion = """```go
package mathx

import (
	"os"
	"testing"
)

func TestFirst(t *testing.T) {
	if GCD(2, 4) != 2 {
		t.Fatal("GCD")
	}
}

func TestExits(t *testing.T) { os.Exit(3) }

func TestNeverRuns(t *testing.T) {}
```"""
    result = score(client, **MATHX, completion=completion)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 1, "skipped": 0}
    assert result["coverage"] is not None
    assert result["reward"] == pytest.approx(0.625)
