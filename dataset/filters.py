"""Which listed files and packages can be test targets, and the one reason for each that cannot.

The facts come from the Go helper (`gotools facts`: generated header, build constraint, parse
error, main-only; `gotools funcs`: type errors, what initialisation does) and from `go list` (can
the package load). Why these are dropped:
- test files are what the model writes, not what it reads;
- generated files are not code that anyone writes tests for;
- a file with build constraints is built only on some systems, and the scorer builds for one;
- a file whose only function is `main` has nothing a test can call;
- a package that does not parse, load or type-check cannot build any test;
- a package whose initialisation parses the command line (`flag.Parse` in `init`, as small
  commands do) stops its test binary on go test's own flags before any test runs, and one whose
  initialisation exits, whatever the input, never reaches a test either;
- a package with over 16 MB of Go source (tables generated into Go files, mostly) needs more than
  the scorer's build memory to compile with coverage (seen: 6 GB for 67 MB), so no test of it could
  be scored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import gotools
from dataset.modules import first_line

# The most Go source a package may have. Measured with `go test -c -cover` on 2 cores: 9 MB built
# in 54 s and 0.6 GB, 67 MB took 85 s and 6 GB, over the scorer's 4 GB build memory.
MAX_PACKAGE_SOURCE_BYTES = 16 << 20

# File reasons in the order they are tried: the first that applies is the one counted.
FILE_REASONS = ("test_file", "generated", "build_constraint", "main_only")


@dataclass
class PackageVerdict:
    problem: tuple[str, str] | None  # (reason, detail) when the whole package is dropped
    file_reasons: dict[str, str | None]  # base name -> reason, None when the file is a candidate
    facts: dict[str, dict]


def file_reason(fact: dict) -> str | None:
    """Why one file cannot be a target on its own account; None if it can."""
    checks = {
        "test_file": fact["test"],
        "generated": fact["generated"],
        "build_constraint": fact["build_constraint"],
        "main_only": fact["main_only"],
    }
    return next((reason for reason in FILE_REASONS if checks[reason]), None)


def judge_files(package_dir: str) -> PackageVerdict:
    """Facts of every .go file in the folder, the per-file reasons, and the package's problem
    (`parse_error` or `too_large`), if any."""
    facts = {f["file"]: f for f in gotools.run("facts", dir=package_dir)["files"]}
    reasons = {name: file_reason(fact) for name, fact in facts.items()}
    # Only files that would be built matter: the scorer leaves the repo's own tests out.
    built = [f for f in facts.values() if not f["test"]]
    broken = [f for f in built if f["parse_error"]]
    size = sum(os.path.getsize(os.path.join(package_dir, f["file"])) for f in built)
    problem = None
    if broken:
        problem = ("parse_error", first_line(broken[0]["parse_error"]))
    elif size > MAX_PACKAGE_SOURCE_BYTES:
        over = f"{size / (1 << 20):.1f} MB of Go source, over {MAX_PACKAGE_SOURCE_BYTES >> 20} MB"
        problem = ("too_large", over)
    return PackageVerdict(problem=problem, file_reasons=reasons, facts=facts)


def package_problem(funcs_answer: dict) -> tuple[str, str] | None:
    """Why no test of the package could build or run, from `gotools funcs`; None if one can.

    Type errors come first (`type_error`); then the first of its initialisation's effects:
    `init_parses_flags` or `init_exits`, the detail naming the call, where, and through what.
    """
    errors = funcs_answer.get("errors") or []
    if errors:
        return "type_error", first_line(errors[0])
    for effect in funcs_answer.get("init_effects") or []:
        detail = f"{effect['pos']}: {effect['call']} (from {effect['via']})"
        return f"init_{effect['kind']}", detail
    return None
