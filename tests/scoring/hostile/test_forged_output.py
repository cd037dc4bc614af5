"""Generated tests that forge the output a run is judged by, scored by the real server.

A TestMain that runs nothing or forges the run it skipped, test2json lines for tests that never
ran or that failed, a pass printed before a crash, and a cover profile written by the test. Each
must earn nothing it did not: no invented test counts, a hidden failure is a failure, forged
coverage is none. Afterwards the same server still scores a good test exactly.
"""

from __future__ import annotations

import pytest

from tests.scoring.hostile.attack import assert_still_scores, score

# A TestMain and forged test2json framing ---------------------------------------------------------


def test_testmain_that_runs_nothing_earns_nothing(client):
    code = """package mathx

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(0) }

func TestNeverRuns(t *testing.T) { t.Fatal("never") }"""
    result = score(client, code)
    assert result["status"] == "no_tests", result["detail"]
    assert result["reward"] == 0.0
    assert result["tests"] == {"passed": 0, "failed": 0, "skipped": 0}
    assert_still_scores(client)


# Forged test2json framing: \x16 is the marker that -test.v=test2json puts before real framing.

FORGE_PASS = 'fmt.Print("\\x16--- PASS: {name} (0.00s)\\n")'


def forged(name: str) -> str:
    return FORGE_PASS.format(name=name)


def test_invented_tests_do_not_count(client):
    invented = "\n".join(
        f'\tfmt.Print("\\x16=== RUN   TestInvented{i}\\n")\n\t{forged(f"TestInvented{i}")}'
        for i in range(5)
    )
    code = f"""package mathx

import (
	"fmt"
	"testing"
)

func TestReal(t *testing.T) {{
{invented}
	if GCD(1, 0) != 1 {{
		t.Fatal("GCD")
	}}
}}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}
    assert_still_scores(client)


@pytest.mark.parametrize(
    "body",
    [
        # A forged pass before the real failure that follows it.
        't.Error("real failure")\n\t' + forged("TestHidden"),
        # A forged pass, then an exit that keeps the testing package from printing the failure.
        't.Error("real failure")\n\t' + forged("TestHidden") + "\n\tsyscall.Exit(0)",
        # The same, with the package's PASS and a cover profile forged as well.
        't.Error("real failure")\n\t'
        + forged("TestHidden")
        + '\n\tfmt.Print("\\x16PASS\\n")'
        + '\n\tos.WriteFile(flag.Lookup("test.coverprofile").Value.String(), []byte('
        + '"mode: set\\ngithub.com/gotest-sample/mathx/mathx.go:9.28,11.2 1 1\\n"), 0)'
        + "\n\tsyscall.Exit(0)",
    ],
    ids=["before-the-real-fail", "exit-0", "exit-0-with-profile"],
)
def test_forged_pass_cannot_hide_a_failure(client, body, honest_fail):
    code = f"""package mathx

import (
	"flag"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestHidden(t *testing.T) {{
	{body}
}}"""
    result = score(client, code)
    # Nothing counts from the framing: the hidden failure is a failure, and earns what it earns.
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert result["reward"] == honest_fail, result
    assert_still_scores(client)


def test_forged_pass_before_a_crash_is_still_a_failure(client, honest_fail):
    code = f"""package mathx

import (
	"fmt"
	"os"
	"testing"
)

func TestCrash(t *testing.T) {{
	t.Error("real failure")
	{forged("TestCrash")}
	os.Exit(1)
}}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert result["reward"] == honest_fail  # what the honest failure earns, and no more
    assert_still_scores(client)


def test_testmain_cannot_forge_the_run_it_skipped(client):
    code = f"""package mathx

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {{
	fmt.Print("\\x16=== RUN   TestSkipped\\n")
	{forged("TestSkipped")}
	fmt.Print("\\x16PASS\\n")
	os.Exit(0)
}}

func TestSkipped(t *testing.T) {{ t.Fatal("never runs") }}"""
    result = score(client, code)
    assert result["status"] == "no_tests", result["detail"]
    assert result["reward"] == 0.0
    assert_still_scores(client)


def test_testmain_cannot_forge_after_the_real_run(client, honest_fail):
    code = f"""package mathx

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {{
	m.Run()
	{forged("TestFails")}
	os.Exit(0)
}}

func TestFails(t *testing.T) {{ t.Fatal("real failure") }}"""
    result = score(client, code)
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert result["reward"] == honest_fail  # what the honest failure earns, and no more
    assert_still_scores(client)


def test_forged_cover_profile_earns_no_coverage(client, honest_fail):
    code = """package mathx

import (
	"flag"
	"os"
	"testing"
)

func TestCover(t *testing.T) {
	// The testing package writes the real profile after this one, to the same place.
	fake := "mode: set\\ngithub.com/gotest-sample/mathx/mathx.go:1.1,200.1 1000 1\\n"
	path := flag.Lookup("test.coverprofile").Value.String()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(fake)
	f.Close()
}"""
    result = score(client, code, target_function="GCD")
    # The binary writes no profile (no -test.coverprofile): the test fails to open one.
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 0, "failed": 1, "skipped": 0}
    assert result["coverage"] == 0.0
    assert result["reward"] == honest_fail, result
    assert_still_scores(client)
