"""The scorer measures what plain `go test -json -cover` measures, for tests that do not attack it.

Each package's own test files, one at a time, are scored by the real server and run beside it by
plain `go test -json -cover` in a scratch copy of the module holding only that file: the same
top-level tests passed, failed and skipped (Fuzz targets on their seed corpus and Examples with
output included), the same coverage, and `gotools instrument`'s blocks the very blocks of go
test's profile. The packages are the sample's and a few of the standard library's, copied into
modules of their own (their external tests importing the copy).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import gotools
from benchmarks import go_test_json
from scoring.client import ScoringClient
from scoring.local_server import LocalScoringServer
from tests.sample import SAMPLE_REPOS

pytestmark = pytest.mark.slow

# Standard-library packages whose test files build outside the standard library, one at a time,
# between them: tests, parallel tests, examples (ordered and not), fuzz targets with seeds.
STD = {
    "container/list": ["list_test.go", "example_test.go"],
    "container/ring": ["ring_test.go", "example_test.go"],
    "encoding/hex": ["hex_test.go", "example_test.go"],
    "encoding/csv": ["reader_test.go", "writer_test.go", "example_test.go", "fuzz_test.go"],
    "text/tabwriter": ["tabwriter_test.go", "example_test.go"],
    "html": ["escape_test.go", "example_test.go", "fuzz_test.go"],
}


@dataclass(frozen=True)
class Case:
    repo: str  # owner/name under the repos root
    package: str  # package folder in the repo, "." for its root
    module: str  # the module's folder, relative to the repo
    test_file: str

    @property
    def id(self) -> str:
        return f"{self.repo}/{self.package}/{self.test_file}".replace("/./", "/")


def sample_cases() -> list[Case]:
    cases = []
    for test_file in sorted(SAMPLE_REPOS.glob("*/*/**/*_test.go")):
        pkg_dir = test_file.parent
        repo_dir = SAMPLE_REPOS / "/".join(pkg_dir.relative_to(SAMPLE_REPOS).parts[:2])
        module = next((d for d in [pkg_dir, *pkg_dir.parents] if (d / "go.mod").exists()), None)
        if module is None or not module.is_relative_to(repo_dir):
            continue  # not scorable: no module inside the repo
        cases.append(
            Case(
                repo=repo_dir.relative_to(SAMPLE_REPOS).as_posix(),
                package=pkg_dir.relative_to(repo_dir).as_posix(),
                module=module.relative_to(repo_dir).as_posix(),
                test_file=test_file.name,
            )
        )
    return cases


def std_cases() -> list[Case]:
    return [
        Case(repo=f"std/{Path(pkg).name}", package=".", module=".", test_file=name)
        for pkg, names in STD.items()
        for name in names
    ]


CASES = sample_cases() + std_cases()


@pytest.fixture(scope="module")
def repos():
    """The sample's repos and the standard-library copies, readable by the sandbox's user."""
    top = Path(tempfile.mkdtemp(prefix="gotestrl-measurement-"))
    top.chmod(0o755)
    shutil.copytree(SAMPLE_REPOS, top / "repos")
    source = gotools.goroot() / "src"
    for pkg, _ in STD.items():
        name = Path(pkg).name
        copy = top / "repos" / "std" / name
        shutil.copytree(source / pkg, copy, ignore=shutil.ignore_patterns("testdata"))
        (copy / "go.mod").write_text(f"module std.example/{name}\n\ngo 1.27\n")
        for test in copy.glob("*_test.go"):
            test.write_text(test.read_text().replace(f'"{pkg}"', f'"std.example/{name}"'))
    yield top / "repos"
    shutil.rmtree(top)


@pytest.fixture(scope="module")
def client(repos):
    with (
        LocalScoringServer(repos, warmup="false", timeout_s="30") as server,
        ScoringClient(server.url, retries=0) as scoring,
    ):
        yield scoring


def plain_go_test(
    repos: Path, case: Case, scratch: Path, source: str | None = None
) -> tuple[dict, float | None, list[str]]:
    """Counts, package coverage and profile blocks of `go test -json -cover` of the file alone.

    source replaces the case's test file when given.
    """
    module = scratch / "module"
    shutil.copytree(repos / case.repo / case.module, module)
    pkg_dir = (repos / case.repo / case.package).relative_to(repos / case.repo / case.module)
    pkg_dir = module / pkg_dir
    for old in pkg_dir.glob("*_test.go"):
        old.unlink()
    if source is None:
        source = (repos / case.repo / case.package / case.test_file).read_text()
    (pkg_dir / case.test_file).write_text(source)
    go_test = ["test", "-json", "-count=1", "-covermode=set", "-coverprofile=c.out", "."]
    run = subprocess.run(
        [str(gotools.go_binary()), *go_test],
        cwd=pkg_dir,
        env=gotools.go_env({"GOPROXY": "off", "GOFLAGS": "-mod=mod"}),
        capture_output=True,
        text=True,
        check=False,
    )
    counts = go_test_json.top_level_counts(go_test_json.events(run.stdout))
    profile = pkg_dir / "c.out"
    coverage = gotools.run("cover", profile=str(profile), dir=str(pkg_dir))["coverage"]
    blocks = [line.rsplit(" ", 1)[0] for line in profile.read_text().splitlines()[1:]]
    return counts, coverage, sorted(blocks)


def instrumented_blocks(pkg_dir: Path, out: Path) -> list[str]:
    """The blocks `gotools instrument` gives the package's files, as a profile names them."""
    listed = subprocess.run(
        [str(gotools.go_binary()), "list", "-json=ImportPath,GoFiles", "."],
        cwd=pkg_dir,
        env=gotools.go_env({"GOPROXY": "off"}),
        capture_output=True,
        text=True,
        check=True,
    )
    package = json.loads(listed.stdout)
    inst = gotools.run(
        "instrument", dir=str(pkg_dir), files=",".join(package["GoFiles"]), out=str(out)
    )
    return sorted(
        f"{package['ImportPath']}/{inst['files'][f]['name']}:{l0}.{c0},{l1}.{c1} {n}"
        for f, l0, c0, l1, c1, n in inst["blocks"]
    )


def mathx_beside_go_test(
    client: ScoringClient, repos: Path, scratch: Path, source: str
) -> tuple[dict, dict, float | None]:
    """The scorer's result for a test file of the sample's mathx, and go test's counts, coverage."""
    case = Case(repo="gotest-sample/mathx", package=".", module=".", test_file="mathx_test.go")
    item = {"repo": case.repo, "package": ".", "completion": f"```go\n{source}\n```"}
    result = client.score([item])[0]
    counts, coverage, _ = plain_go_test(repos, case, scratch, source)
    return result, counts, coverage


def assert_scored_as_go_test(result: dict, counts: dict, coverage: float | None) -> None:
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == counts, result["detail"]
    assert result["coverage"] == coverage


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_counts_coverage_and_blocks_are_go_tests(client, repos, case, tmp_path):
    source = (repos / case.repo / case.package / case.test_file).read_text()
    item = {"repo": case.repo, "package": case.package, "completion": f"```go\n{source}\n```"}
    result = client.score([item])[0]
    counts, coverage, blocks = plain_go_test(repos, case, tmp_path / "plain")
    assert_scored_as_go_test(result, counts, coverage)
    assert instrumented_blocks(repos / case.repo / case.package, tmp_path / "ours") == blocks


def test_fuzz_targets_and_examples_count_as_go_test_counts_them(client, repos, tmp_path):
    """An example that passes, one whose output is wrong, seeds that pass, one that fails."""
    source = """package mathx

import (
	"fmt"
	"testing"
)

func TestGCD(t *testing.T) {
	if GCD(4, 6) != 2 {
		t.Fatal("GCD")
	}
}

func ExampleGCD() {
	fmt.Println(GCD(12, 8))
	// Output: 4
}

func ExampleIsPrime() {
	fmt.Println(IsPrime(9))
	// Output: true
}

func FuzzGCD(f *testing.F) {
	f.Add(12, 8)
	f.Add(-4, 6)
	f.Fuzz(func(t *testing.T, a, b int) {
		if g := GCD(a, b); g < 0 {
			t.Fatalf("GCD(%d, %d) = %d", a, b, g)
		}
	})
}

func FuzzIsPrime(f *testing.F) {
	f.Add(7)
	f.Add(8)
	f.Fuzz(func(t *testing.T, n int) {
		if !IsPrime(n) {
			t.Fatalf("%d is not prime", n)
		}
	})
}
"""
    result, counts, coverage = mathx_beside_go_test(client, repos, tmp_path, source)
    assert counts == {"passed": 3, "failed": 2, "skipped": 0}  # what go test -json says
    assert_scored_as_go_test(result, counts, coverage)


def test_a_panicking_example_keeps_its_coverage_as_go_test_does(client, repos, tmp_path):
    """The example's panic unwinds through testing.M.Run, whose after() writes go test's profile."""
    source = """package mathx

import (
	"fmt"
	"testing"
)

func TestGCD(t *testing.T) {
	if GCD(4, 6) != 2 {
		t.Fatal("GCD")
	}
}

func ExampleIsPrime() {
	fmt.Println(IsPrime(7))
	panic("the example fails")
	// Output: true
}

func ExampleGCD() {
	fmt.Println(GCD(12, 8))
	// Output: 4
}
"""
    result, counts, coverage = mathx_beside_go_test(client, repos, tmp_path, source)
    assert counts == {"passed": 1, "failed": 1, "skipped": 0}  # ExampleGCD never runs
    assert coverage is not None and coverage > 0
    assert_scored_as_go_test(result, counts, coverage)
