"""The scoring server on the sample repos: its API pages and settings, every status, bad and
oversized requests, deduplication, a failing scorer, auth, and its cgroups."""

from __future__ import annotations

import os
import re
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from scoring.sandbox import CgroupFactory, Outcome
from scoring.scoring_server import app
from scoring.settings import Settings, get_settings
from tests.sample import ROOT, SAMPLE_REPOS
from tests.scoring.in_process import GCD_TEST, MATHX, score, scoring_client

pytestmark = pytest.mark.usefixtures("sample_unchanged_by_each_test")


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


def test_a_method_target_is_scored_by_its_type_and_method_name():
    completion = """```go
package kvstore

import (
	"errors"
	"testing"
)

func TestOpErrorMessage(t *testing.T) {
	err := &OpError{Op: "get", Key: "k", Err: errors.New("gone")}
	if err.Error() == "" {
		t.Fatal("empty message")
	}
}
```"""
    item = {"repo": "gotest-sample/kvstore", "package": ".", "target_function": "OpError.Error"}
    with scoring_client() as client:
        result = score(client, completion=completion, **item)
        assert result["status"] == "ok", result["detail"]
        assert result["tests"]["passed"] == 1
        assert result["coverage"] > 0
        unknown = score(
            client, completion=completion, **{**item, "target_function": "OpError.Nope"}
        )
        assert unknown["status"] == "bad_request"


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


def test_the_reference_build_has_its_own_longer_time_limit(monkeypatch):
    """The reference build compiles the package and its dependencies for the first time, so it
    runs under SCORING_REFERENCE_BUILD_TIMEOUT_S; the generated test's build under the shorter
    SCORING_BUILD_TIMEOUT_S."""
    with scoring_client(timeout_s=5, build_timeout_s=45, reference_build_timeout_s=700) as client:
        sandbox = client.app.state.scorer.binaries.sandbox
        build_limits = []
        run = sandbox.run

        async def recorded(argv, **kwargs):
            if argv[1:3] == ["test", "-c"]:
                build_limits.append(kwargs["limits"].timeout_s)
            return await run(argv, **kwargs)

        monkeypatch.setattr(sandbox, "run", recorded)
        result = score(client, **MATHX, completion=GCD_TEST)
        assert result["status"] == "ok", result["detail"]
        assert build_limits == [700, 45]


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
        assert "SCORING_REFERENCE_BUILD_TIMEOUT_S" in result["detail"]
        monkeypatch.setattr(binaries, "build", build)
        again = score(client, **MATHX, completion=GCD_TEST.replace("```go\n", "```go\n// again\n"))
        assert again["status"] == "ok", again["detail"]
