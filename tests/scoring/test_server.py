"""The scoring server on the sample repos: every status, the reward, auth, and concurrency."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import gotools
from scoring.reward import reward
from scoring.sandbox import CgroupFactory, Outcome
from scoring.scoring_server import app
from scoring.settings import Settings, get_settings
from tests.sample import ROOT, SAMPLE_REPOS

MATHX = {"repo": "gotest-sample/mathx", "package": "."}


pytestmark = pytest.mark.usefixtures("sample_unchanged_by_each_test")


GCD_TEST = """```go
package mathx

import "testing"

func TestGCD(t *testing.T) {
	if got := GCD(12, 8); got != 4 {
		t.Fatalf("GCD(12, 8) = %d", got)
	}
}

func TestIsPrimeWrong(t *testing.T) {
	if IsPrime(9) {
		t.Error("9 is not prime")
	}
	if !IsPrime(10) {
		t.Error("this expectation is wrong on purpose")
	}
}
```"""


@contextmanager
def scoring_client(**overrides):
    settings = Settings(repos_dir=SAMPLE_REPOS, warmup=False, **overrides)
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.dependency_overrides.clear()


@pytest.fixture(scope="module")
def client():
    with scoring_client(timeout_s=5, concurrency=2) as client:
        yield client


def score(client, **item):
    response = client.post("/score", json={"items": [item]})
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


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


def test_health(client):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["go"].startswith("go version go1.27")
    assert body["concurrency"] == 2


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_pages_load_everything_from_the_server(client, page):
    """An offline scoring machine shows them whole: no CDN, no fonts, no validator."""
    html = client.get(page)
    assert html.status_code == 200
    assert not re.findall(r"https?:|(?:src|href)=[\"']//", html.text), html.text
    assets = re.findall(r"(?:src|href)=[\"']([^\"']+)", html.text)
    assert any(a.endswith(".js") for a in assets), html.text
    for asset in assets:
        assert asset.startswith("/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000, asset
    if page == "/docs":
        assert any(a.endswith(".css") for a in assets)
        assert '"validatorUrl": null' in html.text
    schema = client.get("/openapi.json").json()
    item = schema["components"]["schemas"]["ScoreItem"]["properties"]
    assert item["package"]["maxLength"] == 1024
    assert all(field.get("description") for field in item.values())


def test_every_setting_is_documented_in_the_interface():
    """docs/scoring-api.md's table names exactly the settings there are (and those being added)."""
    table = (ROOT / "docs" / "scoring-api.md").read_text()
    rows = re.findall(r"^\| `SCORING_(\w+)`( \*\(being added\)\*)? \|", table, re.MULTILINE)
    documented = {name.lower() for name, being_added in rows if not being_added}
    assert documented == set(Settings.model_fields)


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


@pytest.mark.parametrize(
    ("completion", "status", "in_detail"),
    [
        ("I cannot write this test.", "goimports_failed", ""),
        ("```go\n```", "no_code", "no code"),
        ("```go\npackage mathx\n\nfunc TestX(t *testing.T) {\n", "goimports_failed", ""),
        (
            '```go\npackage mathx\n\nimport "testing"\n\nfunc TestX(t *testing.T) { GCD(1) }\n```',
            "build_failed",
            "gotestrl_generated_test.go",
        ),
        (
            '```go\npackage mathx\n\nimport "testing"\n\n'
            'func TestX(t *testing.T) { t.Errorf("%d", "s") }\n```',
            "build_failed",
            "wrong type",  # go test's default vet checks
        ),
        (
            '```go\npackage other\n\nimport "testing"\n\nfunc TestX(t *testing.T) {}\n```',
            "build_failed",
            "package clause",
        ),
        (
            '```go\npackage mathx\n\nimport "testing"\n\nfunc helper(t *testing.T) {}\n```',
            "no_tests",
            "",
        ),
        (
            '```go\npackage mathx\n\nimport (\n\t"os"\n\t"testing"\n)\n\n'
            "func TestMain(m *testing.M) { os.Exit(0) }\n\n"
            "func TestNeverRuns(t *testing.T) {}\n```",
            "no_tests",
            "",
        ),
    ],
)
def test_statuses(client, completion, status, in_detail):
    result = score(client, **MATHX, completion=completion)
    assert result["status"] == status, result["detail"]
    assert result["reward"] == 0.0
    assert in_detail in result["detail"]


@pytest.mark.parametrize(
    ("item", "in_detail"),
    [
        ({"repo": "gotest-sample/nope", "package": "."}, "unknown repo"),
        ({"repo": "../sample", "package": "."}, "leaves the repos root"),
        ({"repo": "/etc", "package": "."}, "not a relative path"),
        ({"repo": "gotest-sample/mathx", "package": "../lrucache"}, "leaves"),
        ({"repo": "gotest-sample/mathx", "package": "nope"}, "unknown package"),
        ({"repo": "gotest-sample/legacy-utils", "package": "strutil"}, "module"),
        ({**MATHX, "target_function": "Nope"}, "unknown function"),
        ({**MATHX, "target_file": "nope.go"}, "unknown target_file"),
        ({**MATHX, "target_function": "x; rm -rf /"}, "Func or Type.Method"),
    ],
)
def test_bad_requests(client, item, in_detail):
    result = score(client, completion=GCD_TEST, **item)
    assert result["status"] == "bad_request"
    assert in_detail in result["detail"]


def test_oversized_completion_is_a_bad_item_not_a_failed_request(client):
    items = [{**MATHX, "completion": "x" * (256 * 1024 + 1)}, {**MATHX, "completion": GCD_TEST}]
    results = client.post("/score", json={"items": items}).json()["results"]
    assert [r["status"] for r in results] == ["bad_request", "ok"]


def test_request_limits(client):
    assert client.post("/score", json={"items": [{"repo": 1}]}).status_code == 422
    assert client.post("/score", content=b"not json").status_code == 422
    too_many = [{**MATHX, "completion": ""}] * 1025
    assert client.post("/score", json={"items": too_many}).status_code == 413


def test_identical_items_are_scored_once(client):
    completion = GCD_TEST.replace("12, 8", "18, 12").replace("!= 4", "!= 6")
    results = client.post("/score", json={"items": [{**MATHX, "completion": completion}] * 6})
    results = results.json()["results"]
    assert all(r == results[0] for r in results)
    assert results[0]["status"] == "ok"


def test_new_module_dependency_is_resolved_privately(client):
    completion = """```go
package mathx

import (
	"testing"

	"github.com/google/uuid"
)

func TestWithUUID(t *testing.T) {
	if uuid.NewSHA1(uuid.NameSpaceDNS, []byte("x")).Version() != 5 {
		t.Fatal("version")
	}
	if GCD(2, 4) != 2 {
		t.Fatal("gcd")
	}
}
```"""
    go_mod = (SAMPLE_REPOS / "gotest-sample/mathx/go.mod").read_text()
    result = score(client, **MATHX, completion=completion)
    assert result["status"] == "ok", result["detail"]
    assert (SAMPLE_REPOS / "gotest-sample/mathx/go.mod").read_text() == go_mod
    assert not (SAMPLE_REPOS / "gotest-sample/mathx/go.sum").exists()


def test_only_imports_from_outside_the_build_list_are_fetched(client):
    dependencies = client.app.state.scorer.dependencies
    build_list = client.portal.call(dependencies.build_list, SAMPLE_REPOS / "gotest-sample/semver")
    imports = [
        "fmt",
        "cmd/compile",  # the standard library's, however it is named
        "github.com/gotest-sample/semver",  # the module itself, and its packages
        "github.com/gotest-sample/semver/constraint",
        "github.com/gotest-sample/semver/nope",  # no such folder: another module may have it
        "example.com/new/module",
        "-flag",  # go get would read it as a flag; the build refuses it
    ]
    assert build_list.missing(imports) == [
        "github.com/gotest-sample/semver/nope",
        "example.com/new/module",
    ]
    # A folder with a go.mod of its own is another module's, even inside the repo.
    mathx = client.portal.call(dependencies.build_list, SAMPLE_REPOS / "gotest-sample/mathx")
    assert mathx.missing(["github.com/gotest-sample/mathx/stats"]) == [
        "github.com/gotest-sample/mathx/stats"
    ]


def test_only_found_packages_are_remembered_once_each(client):
    scorer = client.app.state.scorer
    before = set(scorer.packages)
    spellings = [
        {"repo": "gotest-sample/mathx", "package": "stats"},
        {"repo": "gotest-sample/./mathx", "package": "./stats/"},
        {"repo": "gotest-sample/mathx/", "package": "stats/../stats"},
    ]
    unknown = [
        {"repo": "nobody/nothing", "package": "."},
        {"repo": "gotest-sample/mathx", "package": "nope"},
        {"repo": "gotest-sample/legacy-utils", "package": "strutil"},  # a folder, no module
    ]
    items = [{**item, "completion": "```go\n```"} for item in spellings + unknown]
    results = client.post("/score", json={"items": items}).json()["results"]
    assert [r["status"] for r in results] == ["no_code"] * 3 + ["bad_request"] * 3
    assert set(scorer.packages) - before <= {SAMPLE_REPOS / "gotest-sample/mathx/stats"}


def test_unresolvable_dependency(client):
    completion = """```go
package mathx

import (
	"testing"

	"example.invalid/not/a/module"
)

func TestX(t *testing.T) { module.Do() }
```"""
    result = score(client, **MATHX, completion=completion)
    assert result["status"] == "deps_failed", result["detail"]
    assert result["reward"] == 0.0


def test_scorer_failure_is_error_with_null_reward(client, monkeypatch):
    scorer = client.app.state.scorer

    async def broken(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(scorer, "_build_and_run", broken)
    # A completion not scored before: a cached result would not reach the broken step.
    fresh = GCD_TEST.replace("```go\n", "```go\n// fresh\n")
    result = score(client, **MATHX, completion=fresh)
    assert result["status"] == "error"
    assert result["reward"] is None
    assert "disk on fire" in result["detail"]


def test_token_is_required_when_set():
    with scoring_client(token="s3cret") as client:
        item = {"items": [{**MATHX, "completion": "```go\n```"}]}
        assert client.get("/health").status_code == 200
        assert client.post("/score", json=item).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert client.post("/score", json=item, headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        assert client.post("/score", json=item, headers=right).status_code == 200


def test_only_loopback_without_token():
    settings = Settings(repos_dir=SAMPLE_REPOS, warmup=False)
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        with TestClient(app, client=("192.0.2.7", 40000)) as remote:
            response = remote.post("/score", json={"items": []})
            assert response.status_code == 403
            assert "loopback" in response.json()["detail"]
        with TestClient(app, client=("127.0.0.1", 40000)) as local:
            assert local.post("/score", json={"items": []}).status_code == 200
    finally:
        app.dependency_overrides.clear()


def test_cgroups_left_by_a_killed_server_are_swept_when_old():
    parents = CgroupFactory().parents.values()
    stale = [parent / uuid.uuid4().hex for parent in parents]
    fresh = [parent / uuid.uuid4().hex for parent in parents]
    for folder in stale + fresh:
        folder.mkdir()
    for folder in stale:
        os.utime(folder, (time.time() - 3600, time.time() - 3600))
    try:
        CgroupFactory()
        assert not any(folder.exists() for folder in stale)
        assert all(folder.exists() for folder in fresh)  # maybe another server's, about to run
    finally:
        for folder in stale + fresh:
            if folder.exists():
                folder.rmdir()


def test_no_sandbox_means_503(monkeypatch):
    from scoring import scoring_server
    from scoring.sandbox import SandboxUnavailable

    def unavailable():
        raise SandboxUnavailable("no user namespaces here")

    monkeypatch.setattr(scoring_server, "Sandbox", unavailable)
    with scoring_client() as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert "no user namespaces" in health.json()["status"]
        scored = client.post("/score", json={"items": [{**MATHX, "completion": GCD_TEST}]})
        assert scored.status_code == 503


def test_the_trusted_reference_build_comes_before_the_generated_tests(monkeypatch):
    """With warm-up off, the first scoring of a package builds the trusted reference first: the
    package's dependencies land in the shared cache, not in the throwaway layer of the generated
    test's build (where they were compiled again and could hit the build time limit)."""
    with scoring_client(timeout_s=5) as client:
        binaries = client.app.state.scorer.binaries
        builds = []
        build = binaries.build

        async def recorded(*args, trusted=False, **kwargs):
            builds.append(trusted)
            return await build(*args, trusted=trusted, **kwargs)

        monkeypatch.setattr(binaries, "build", recorded)
        result = score(client, **MATHX, completion=GCD_TEST)
        assert result["status"] == "ok", result["detail"]
        assert builds == [True, False]  # the reference (trusted), then the generated test
        again = score(client, **MATHX, completion=GCD_TEST.replace("```go\n", "```go\n// again\n"))
        assert again["status"] == "ok", again["detail"]
        assert builds == [True, False, False]  # the reference is built once per package


def test_a_reference_build_over_its_limit_is_an_error_tried_again(monkeypatch):
    """The trusted reference build holds no code of the model's: its timeout is the machine's
    load, an error with reward null (never a reward of 0), and the next scoring tries again."""
    with scoring_client(timeout_s=5) as client:
        binaries = client.app.state.scorer.binaries
        build = binaries.build

        async def reference_times_out(*args, trusted=False, **kwargs):
            if trusted:
                return Outcome(exit_code=None, output=b"", duration_s=120.0, timed_out=True)
            return await build(*args, trusted=trusted, **kwargs)

        monkeypatch.setattr(binaries, "build", reference_times_out)
        result = score(client, **MATHX, completion=GCD_TEST)
        assert result["status"] == "error", result["detail"]
        assert result["reward"] is None
        assert "reference build" in result["detail"]
        monkeypatch.setattr(binaries, "build", build)
        again = score(client, **MATHX, completion=GCD_TEST.replace("```go\n", "```go\n// again\n"))
        assert again["status"] == "ok", again["detail"]
