"""Packages whose initialisation takes over the process are dropped, each with its reason."""

from __future__ import annotations

import json
import subprocess

import pytest

import gotools
from tests.dataset.builds import all_rows, build_repo, decisions_of

REPO = {
    "go.mod": "module example.com/tool\n\ngo 1.22\n",
    "tool.go": "package tool\n\n// Twice doubles n.\nfunc Twice(n int) int { return 2 * n }\n",
    # A command that reads its flags in init, as small commands do.
    "cmd/greet/main.go": """package main

import (
\t"flag"
\t"fmt"
)

var loud bool

func init() {
\tflag.BoolVar(&loud, "loud", false, "shout")
\tflag.Parse()
}

func greeting(name string) string {
\tif loud {
\t\treturn "HELLO " + name
\t}
\treturn "hello " + name
}

func main() { fmt.Println(greeting(flag.Arg(0))) }
""",
    # A package whose variable's initialiser always exits, through a helper.
    "quit/quit.go": """package quit

import "os"

var code = stop()

func stop() int {
\tos.Exit(3)
\treturn 0
}

// Code is the exit code.
func Code() int { return code }
""",
    # Exits only on an error that does not happen, and registers a flag: kept.
    "guard/guard.go": """package guard

import (
\t"flag"
\t"log"
\t"strconv"
)

var limit = flag.Int("limit", 3, "how many")

var base = parse("10")

func parse(s string) int {
\tn, err := strconv.Atoi(s)
\tif err != nil {
\t\tlog.Fatal(err)
\t}
\treturn n
}

// Scaled is n times the base.
func Scaled(n int) int { return n * base * *limit }
""",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    built = build_repo(tmp_path_factory.mktemp("init-filter"), "owner/tool", REPO)
    return built.source, built.out


def test_flag_parsing_and_exiting_initialisers_are_dropped_by_name(built):
    _, out = built
    decisions = decisions_of(out)
    packages = {d["name"]: d for d in decisions if d["stage"] == "packages"}
    assert {name: d["reason"] for name, d in packages.items()} == {
        ".": None,
        "cmd/greet": "init_parses_flags",
        "quit": "init_exits",
        "guard": None,
    }
    assert packages["cmd/greet"]["detail"] == "main.go:12:2: flag.Parse (from init)"
    assert packages["quit"]["detail"] == "quit.go:8:2: os.Exit (from var code > stop)"
    files = {d["name"]: d["reason"] for d in decisions if d["stage"] == "files"}
    assert files["cmd/greet/main.go"] == "package_init_parses_flags"
    assert files["quit/quit.go"] == "package_init_exits"
    counts = json.loads((out / "counts.json").read_text())["stages"]
    assert counts["packages"]["dropped"]["init_parses_flags"] == 1
    assert counts["packages"]["dropped"]["init_exits"] == 1
    kept = {(r["package"], r["target_function"]) for r in all_rows(out)}
    assert {package for package, _ in kept} == {".", "guard"}


def test_the_dropped_packages_really_cannot_run_a_test_and_the_kept_one_can(built, tmp_path):
    """What the filter stands for: go test itself, on the same packages with one empty test."""
    source, _ = built
    env = gotools.go_env({"GOPROXY": "off", "GOFLAGS": "-mod=mod"})
    outcomes = {}
    for package, name in (("cmd/greet", "main"), ("quit", "quit"), ("guard", "guard")):
        test = source / package / "empty_test.go"
        empty = 'import "testing"\n\nfunc TestNothing(t *testing.T) {}\n'
        test.write_text(f"package {name}\n\n{empty}")
        try:
            run = subprocess.run(
                [str(gotools.go_binary()), "test", "-count=1", "-v", f"./{package}"],
                cwd=source,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
        finally:
            test.unlink()
        outcomes[package] = (run.returncode, run.stdout + run.stderr)
    assert outcomes["guard"][0] == 0 and "--- PASS: TestNothing" in outcomes["guard"][1]
    assert outcomes["cmd/greet"][0] != 0
    assert "flag provided but not defined: -test." in outcomes["cmd/greet"][1]
    assert outcomes["quit"][0] != 0 and "TestNothing" not in outcomes["quit"][1]
