"""The mutation score (`reward: mutation`), on the sample repos, through the real server app.

What it pays for (a strong test kills nearly every mutant, a test that checks nothing next to
none), what it costs (a mutant that hangs costs about a second), and that a test cannot raise
its score by telling a mutant's run from the real code's: reading its arguments, environment or
/proc, leaving marks between runs, or reading the names the rewrite adds to the binary.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

import gotools
from scoring.mutation import Mutant, covered, go_run_pattern
from scoring.reward import Formula, reward
from tests.sample import SAMPLE_REPOS
from tests.scoring.in_process import scoring_client

MATHX = {"repo": "gotest-sample/mathx", "package": "."}
TIMEOUT_S = 30  # a mutant that hangs must cost about a second, far from this

pytestmark = pytest.mark.usefixtures("sample_unchanged_by_each_test")


@pytest.fixture(scope="module")
def client():
    with scoring_client(timeout_s=TIMEOUT_S, concurrency=2) as client:
        yield client


def score(client, code: str, formula: str = "mutation", **target) -> dict:
    item = {**MATHX, **target, "completion": f"```go\n{code}\n```", "reward": formula}
    response = client.post("/score", json={"items": [item]})
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert result["status"] == "ok", result["detail"]
    return result


PRIME_STRONG = """package mathx

import "testing"

func TestIsPrime(t *testing.T) {
	for n := -3; n <= 200; n++ {
		want := n >= 2
		for d := 2; d < n; d++ {
			if n%d == 0 {
				want = false
			}
		}
		if got := IsPrime(n); got != want {
			t.Errorf("IsPrime(%d) = %v, want %v", n, got, want)
		}
	}
}"""

PRIME_NO_ASSERTION = """package mathx

import "testing"

func TestIsPrime(t *testing.T) {
	for n := -3; n <= 200; n++ {
		IsPrime(n)
	}
}"""

CLAMP_STRONG = """package mathx

import "testing"

func TestClamp(t *testing.T) {
	DETECT
	cases := []struct{ v, lo, hi, want int }{
		{5, 1, 9, 5}, {0, 1, 9, 1}, {12, 1, 9, 9}, {3, 3, 3, 3}}
	for _, c := range cases {
		if got := Clamp(c.v, c.lo, c.hi); got != c.want {
			t.Errorf("Clamp(%d, %d, %d) = %d, want %d", c.v, c.lo, c.hi, got, c.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Clamp(1, 2, 1) did not panic")
		}
	}()
	Clamp(1, 2, 1)
}"""


def clamp_test(detect: str = "", imports: tuple[str, ...] = ()) -> str:
    code = CLAMP_STRONG.replace("DETECT", detect + f"\n\t// {uuid.uuid4().hex}")
    block = "".join(f'\t"{name}"\n' for name in ("testing", *imports))
    return code.replace('import "testing"', f"import (\n{block})")


def test_a_strong_test_kills_nearly_all_and_one_that_checks_nothing_next_to_none(client):
    strong = score(client, PRIME_STRONG, target_function="IsPrime")
    weak = score(client, PRIME_NO_ASSERTION, target_function="IsPrime")
    assert strong["coverage"] == weak["coverage"] == 1.0
    assert strong["mutation"]["total"] == weak["mutation"]["total"] == 24  # the default cap
    assert strong["mutation"]["score"] >= 0.9, strong["mutation"]
    assert weak["mutation"]["score"] <= 0.1, weak["mutation"]
    assert strong["reward"] >= 0.95
    assert weak["reward"] == pytest.approx(0.5, abs=0.05)
    for result in (strong, weak):
        m = result["mutation"]
        assert m["score"] == m["killed"] / m["total"]
        assert result["reward"] == pytest.approx(reward(1, 0, 1.0, m["score"], Formula.mutation))
    # The default formula is unchanged and pays both alike; it measures no mutants.
    plain = score(client, PRIME_NO_ASSERTION, formula="coverage", target_function="IsPrime")
    assert plain["reward"] == 1.0 and plain["mutation"] is None


def test_coverage_mutation_weights(client):
    result = score(client, PRIME_STRONG, formula="coverage_mutation", target_function="IsPrime")
    m = result["mutation"]["score"]
    assert result["reward"] == pytest.approx(0.45 + 0.25 + 0.2 + 0.1 * m)


def test_a_hanging_mutant_costs_about_a_second(client):
    # GCD(3, 5) under the mutant a%b -> a*b multiplies odd numbers forever: b never reaches 0.
    code = """package mathx

import "testing"

func TestGCDOdd(t *testing.T) {
	if got := GCD(3, 5); got != 1 {
		t.Fatalf("GCD(3, 5) = %d", got)
	}
}"""
    result = score(client, code, target_function="GCD")
    assert result["mutation"]["killed"] >= 1
    # Every run of the scoring together, hang included, stays far below one SCORING_TIMEOUT_S.
    assert result["duration_s"] < TIMEOUT_S / 3, result


def test_one_test_fails_and_another_kills(client):
    passing = """
func TestGCD(t *testing.T) {
	if got := GCD(12, 18); got != 6 {
		t.Fatalf("GCD(12, 18) = %d", got)
	}
}"""
    failing = """
func TestGCDWrong(t *testing.T) {
	if got := GCD(12, 18); got != 7 {
		t.Fatalf("GCD(12, 18) = %d, and 7 is wrong on purpose", got)
	}
}"""
    header = 'package mathx\n\nimport "testing"\n'
    both = score(client, header + passing + failing, target_function="GCD")
    assert both["tests"] == {"passed": 1, "failed": 1, "skipped": 0}
    # The failing test would "kill" every mutant; only the passing one may, and does.
    assert 0 < both["mutation"]["killed"] < both["mutation"]["total"]
    alone = score(client, header + passing, target_function="GCD")
    assert alone["mutation"] == both["mutation"]
    nothing_passed = score(client, header + failing, target_function="GCD")
    assert nothing_passed["mutation"] is None
    assert nothing_passed["reward"] == pytest.approx(0.3)


def test_reading_arguments_environment_and_proc_cannot_raise_the_score(client):
    # Fails on anything a real first run would not show: a flag it did not get, another
    # environment, another parent. The control run is made as a mutant's run is: it fails too.
    detect = """for _, arg := range os.Args[1:] {
		if !strings.HasPrefix(arg, "-test.v=") && !strings.HasPrefix(arg, "-test.paniconexit0") &&
			!strings.HasPrefix(arg, "-test.count=") && !strings.HasPrefix(arg, "-test.timeout=") {
			t.Fatalf("unusual argument %q: a mutant's run", arg)
		}
	}
	if len(os.Environ()) != 4 { // HOME, TMPDIR, PATH, PWD
		t.Fatalf("unusual environment %q", os.Environ())
	}
	cmdline, _ := os.ReadFile("/proc/self/cmdline")
	if strings.Count(string(cmdline), "\\x00") != len(os.Args) {
		t.Fatal("unusual /proc/self/cmdline")
	}"""
    detecting = score(client, clamp_test(detect, ("os", "strings")), target_function="Clamp")
    honest = score(client, clamp_test(), target_function="Clamp")
    assert detecting["tests"]["passed"] == 1, detecting["detail"]  # the real run passed
    assert honest["mutation"]["score"] == 1.0
    assert detecting["mutation"] == {"killed": 0, "total": honest["mutation"]["total"], "score": 0}
    assert detecting["reward"] < honest["reward"]


def test_a_mark_left_by_an_earlier_run_is_never_found(client):
    # Each run has a fresh sandbox: nothing written in one (its /tmp, HOME, /dev/shm) is there
    # in the next, so the test cannot count its runs.
    detect = """dirs := []string{os.TempDir(), os.Getenv("HOME"), "/dev/shm", "/tmp"}
	for _, dir := range dirs {
		if _, err := os.Stat(dir + "/gotestrl-mark"); err == nil {
			t.Fatalf("%s/gotestrl-mark exists: not the first run", dir)
		}
	}
	for _, dir := range dirs {
		if err := os.WriteFile(dir+"/gotestrl-mark", []byte("ran"), 0o666); err != nil {
			t.Fatal(err)
		}
	}"""
    marking = score(client, clamp_test(detect, ("os",)), target_function="Clamp")
    assert marking["mutation"]["total"] >= 3
    assert marking["mutation"]["score"] == 1.0  # the control run passed, every mutant died


def test_the_names_the_rewrite_adds_are_fresh_and_not_the_memorys(client):
    # The function names of the binary can be read at run time (runtime.FuncForPC over the
    # text around a known function): the mutants' helpers must not be named after anything
    # that lives longer than the build, as the shared memory's variable does.
    detect = """base := reflect.ValueOf(GCD).Pointer()
	seen := map[string]bool{}
	for pc := base - 1<<20; pc < base+1<<20; pc += 4 {
		if f := runtime.FuncForPC(pc); f != nil && strings.HasPrefix(f.Name(), "SELF.gotestrl_") {
			seen[f.Name()] = true
		}
	}
	for name := range seen {
		t.Log("NAME", name)
	}"""
    detect = detect.replace("SELF", "github.com/gotest-sample/mathx")
    code = clamp_test(detect, ("reflect", "runtime", "strings"))
    runs = [score(client, code + f"\n// {i}", target_function="Clamp") for i in range(2)]
    memory_prefix = next(iter(client.app.state.scorer.instrumentations.values())).result().prefix
    helper = re.compile(r"NAME \S+\.(gotestrl_[0-9a-f]{16}_)m[0-9a-f]{8}_\w+")
    prefixes = []
    for result in runs:
        assert result["mutation"]["score"] == 1.0  # reading the names told it nothing
        found = {m.group(1) for m in helper.finditer(result["detail"])}
        assert len(found) == 1, result["detail"]  # the helpers are there, one prefix a build
        prefixes += found
    assert memory_prefix not in prefixes
    assert prefixes[0] != prefixes[1]


def test_guessed_names_do_not_build(client):
    code = """package mathx

import "testing"

func TestGuess(t *testing.T) {
	if gotestrl_0000000000000000_mem[1] != 0 {
		t.Fatal("a mutant's run")
	}
}"""
    item = {**MATHX, "completion": f"```go\n{code}\n```", "reward": "mutation"}
    result = client.post("/score", json={"items": [item]}).json()["results"][0]
    assert result["status"] == "build_failed"
    assert result["reward"] == 0.0 and result["mutation"] is None


def test_an_unknown_formula_is_the_items_bad_request(client):
    good = {**MATHX, "completion": "```go\n```", "reward": "coverage"}
    items = [{**good, "reward": "mutations"}, good]
    results = client.post("/score", json={"items": items}).json()["results"]
    assert results[0]["status"] == "bad_request"
    assert "reward" in results[0]["detail"]
    assert results[1]["status"] == "no_code"


# The parts, without a server.


def test_run_pattern_is_anchored_and_exact():
    pattern = go_run_pattern(["TestA", "Test_B", "ExampleC"])
    assert pattern == "^(TestA|Test_B|ExampleC)$"
    assert re.fullmatch(pattern, "TestA") and not re.search(pattern, "TestAB")
    assert go_run_pattern(["a.b"]) == r"^(a\.b)$"


def test_a_mutant_is_covered_by_its_innermost_block():
    files = ("a.go", "b.go")
    # An outer block (lines 1-10) that ran, holding an inner one (lines 4-6) that did not.
    blocks = [(0, 1, 1, 10, 2, 3), (0, 4, 5, 6, 3, 1), (1, 1, 1, 3, 1, 1)]
    counters = [1, 0, 1]
    assert not covered(Mutant(1, "a.go", 5, 3), files, blocks, counters)
    assert covered(Mutant(2, "a.go", 8, 2), files, blocks, counters)
    assert covered(Mutant(3, "b.go", 2, 1), files, blocks, counters)
    assert covered(Mutant(4, "a.go", 20, 1), files, blocks, counters)  # in no block: run it


def test_processes_left_behind_by_mutant_runs_do_not_survive(client):
    marker = f"gotestrl-mutant-daemon-{uuid.uuid4().hex}"
    detect = f"""loop := "while :; do sleep 1; done"
	daemon := "setsid sh -c '" + loop + "' {marker} </dev/null >/dev/null 2>&1 &"
	if err := exec.Command("/bin/sh", "-c", daemon).Run(); err != nil {{
		t.Fatal(err)
	}}"""
    result = score(client, clamp_test(detect, ("os/exec",)), target_function="Clamp")
    assert result["mutation"]["score"] == 1.0
    alive = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker.encode() in cmdline.read_bytes():
                alive.append(cmdline)
        except OSError:
            continue
    assert alive == []


def test_writes_from_mutant_runs_reach_neither_the_repo_nor_the_caches(client):
    target = f"gotestrl-mutant-written-{uuid.uuid4().hex}"
    env = gotools.go_env()
    mathx = SAMPLE_REPOS / "gotest-sample" / "mathx"
    places = ["", f"{mathx}/", f"{SAMPLE_REPOS}/", f"{env['GOCACHE']}/", f"{env['GOMODCACHE']}/"]
    detect = f"""for _, dir := range []string{{{", ".join(f'"{p}"' for p in places)}}} {{
		if err := os.WriteFile(dir+"{target}", []byte("x"), 0o666); err == nil {{
			t.Errorf("ESCAPED: wrote %s{target}", dir)
		}}
	}}"""
    result = score(client, clamp_test(detect, ("os",)), target_function="Clamp")
    assert "ESCAPED" not in result["detail"]
    assert result["mutation"]["score"] == 1.0  # the control run, too, wrote nothing
    for place in places:
        assert not Path((place or f"{mathx}/") + target).exists()
