"""The Go helper on the sample modules, checked against the source and against Go's own tools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import gotools
from tests.sample import SAMPLE_REPOS

SAMPLE = SAMPLE_REPOS / "gotest-sample"


def span(path: Path, start: int, end: int) -> list[str]:
    return path.read_text().splitlines()[start - 1 : end]


def functions(package_dir: Path) -> dict[str, dict]:
    answer = gotools.run("funcs", dir=str(package_dir))
    return {f["name"]: f for f in answer["functions"]}


def test_function_spans_start_at_the_doc_comment_and_end_at_the_closing_brace():
    lru = functions(SAMPLE / "lrucache")
    source = SAMPLE / "lrucache" / "lru.go"
    for name, decl in (("New", "func New("), ("Cache.Get", "func (c *Cache) Get(")):
        lines = span(source, lru[name]["start_line"], lru[name]["end_line"])
        assert lines[0].startswith(f"// {name.split('.')[-1]} ")
        assert any(line.startswith(decl) for line in lines)
        assert lines[-1] == "}"
    assert lru["Cache.Get"]["receiver"] == "Cache"
    assert lru["New"]["receiver"] == ""


def test_dependencies_are_the_declarations_a_function_uses_transitively():
    lru = functions(SAMPLE / "lrucache")
    # Get uses the Cache type, its entry values and two unexported methods; never imports.
    assert [d["name"] for d in lru["Cache.Get"]["deps"]] == [
        "entry",
        "Cache",
        "Cache.expired",
        "Cache.remove",
    ]
    new_deps = {d["name"]: d for d in lru["New"]["deps"]}
    assert set(new_deps) == {"ErrCapacity", "Cache"}
    # A var in a parenthesized group brings the whole group, so ErrTTL's line comes along.
    group = span(SAMPLE / "lrucache" / "lru.go", **_lines(new_deps["ErrCapacity"]))
    assert group[1] == "var (" and any("ErrTTL" in line for line in group)  # after its doc


def _lines(dep: dict) -> dict[str, int]:
    return {"start": dep["start_line"], "end": dep["end_line"]}


def test_generics_are_flagged_and_methods_of_generic_types_named_plainly():
    coll = functions(SAMPLE / "collections")
    assert coll["Stack.Push"]["generic"]
    assert coll["Map"]["generic"]
    assert "Stack" in [d["name"] for d in coll["Stack.Push"]["deps"]]


def go_cover_func(package_dir: Path, tmp_path: Path) -> tuple[Path, dict[str, float]]:
    """The oracle: the package's own tests in a scratch copy, measured by `go tool cover -func`."""
    scratch = tmp_path / package_dir.name
    shutil.copytree(package_dir, scratch)
    go = str(gotools.go_binary())
    run = {"cwd": scratch, "env": gotools.go_env(), "capture_output": True, "text": True}
    subprocess.run([go, "test", "-coverprofile=c.out", "."], check=True, **run)
    out = subprocess.run([go, "tool", "cover", "-func=c.out"], check=True, **run).stdout
    percent = {}
    for line in out.splitlines():
        location, name, value = line.split()
        if location != "total:":
            percent[name] = float(value.rstrip("%")) / 100
    return scratch, percent


def test_function_coverage_agrees_with_go_tool_cover(tmp_path):
    scratch, oracle = go_cover_func(SAMPLE / "lrucache", tmp_path)
    profile = str(scratch / "c.out")
    for name, method in (("New", "New"), ("Get", "Cache.Get"), ("expired", "Cache.expired")):
        answer = gotools.run("cover", profile=profile, dir=str(scratch), func=method)
        assert answer["coverage"] == pytest.approx(oracle[name], abs=0.001), name
    whole = gotools.run("cover", profile=profile, dir=str(scratch))
    assert 0 < whole["covered"] < whole["statements"]


def test_unknown_function_is_an_error(tmp_path):
    scratch, _ = go_cover_func(SAMPLE / "lrucache", tmp_path)
    with pytest.raises(gotools.GoToolsError, match="unknown function"):
        gotools.run("cover", profile=str(scratch / "c.out"), dir=str(scratch), func="Nope")


def test_facts_find_what_the_dataset_filters_drop():
    inilex = {f["file"]: f for f in gotools.run("facts", dir=str(SAMPLE / "inilex"))["files"]}
    assert inilex["boolwords_gen.go"]["generated"]
    assert inilex["configpath_linux.go"]["build_constraint"]  # //go:build line
    assert inilex["configpath_windows.go"]["build_constraint"]  # file-name suffix alone
    assert inilex["lexer_test.go"]["test"]
    plain = inilex["lexer.go"]
    assert not (plain["generated"] or plain["build_constraint"] or plain["parse_error"])

    main = gotools.run("facts", dir=str(SAMPLE / "semver/cmd/semverbump"))["files"][0]
    assert main["main_only"]
    broken = gotools.run("facts", dir=str(SAMPLE / "semver/experimental/ranges"))["files"][0]
    assert broken["parse_error"].startswith("ranges.go:20:")


def test_imports_are_fixed_in_the_context_of_the_package(tmp_path):
    test = tmp_path / "x_test.go"
    test.write_text(
        'package lru\n\nimport "os"\n\n'
        "func TestX(t *testing.T) { c, _ := New(1, time.Second, nil); c.Len() }\n"
    )
    answer = gotools.run("imports", dir=str(SAMPLE / "lrucache"), src=str(test))
    assert answer["changed"]
    assert '"testing"' in answer["source"] and '"time"' in answer["source"]
    assert '"os"' not in answer["source"]


def test_declared_tests_are_the_ones_go_test_runs(tmp_path):
    """The helper's list from the AST against the test binary's own (`go test -list`)."""
    shutil.copytree(SAMPLE / "mathx", tmp_path / "mathx")
    for old in (tmp_path / "mathx").glob("*_test.go"):
        old.unlink()
    test = tmp_path / "mathx" / "shapes_test.go"
    test.write_text(
        "package mathx\n\n"
        'import (\n\t"os"\n\t"testing"\n\tt2 "testing"\n)\n\n'
        "func TestMain(m *testing.M) { os.Exit(m.Run()) }\n"
        "func Test(t *testing.T) {}\n"
        "func TestGCD(t *t2.T) {}\n"
        "func Test_edge(t *testing.T) {}\n"
        "func TestÄrger(t *testing.T) {}\n"
        "func Testhelper(t *testing.T) {}\n"
        "func BenchmarkGCD(b *testing.B) {}\n"
        "func FuzzGCD(f *testing.F) {}\n"
        "func ExampleGCD() {}\n"
        "type s struct{}\n\n"
        "func (s) TestMethod(t *testing.T) {}\n"
    )
    declared = gotools.run("assertions", src=str(test))["tests"]
    env = gotools.go_env()
    listed = subprocess.run(
        # vet would refuse Testhelper; the naming rule, not vet, is under test.
        [str(gotools.go_binary()), "test", "-vet=off", "-list", "."],
        cwd=tmp_path / "mathx",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # -list names every kind of runnable; the last line is the package's "ok".
    assert declared == [name for name in listed if name.startswith("Test")]
    assert declared == ["Test", "TestGCD", "Test_edge", "TestÄrger"]
