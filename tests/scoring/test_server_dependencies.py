"""The scoring server's module dependencies: what a test imports is resolved privately, fetched only
from outside the build list, remembered once, or refused."""

from __future__ import annotations

import pytest

from tests.sample import SAMPLE_REPOS
from tests.scoring.in_process import MATHX, score

pytestmark = pytest.mark.usefixtures("sample_unchanged_by_each_test")


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
