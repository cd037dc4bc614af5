"""Module checks: each go.mod of a repo is judged alone, then its packages are listed.

A module is kept when its go.mod parses, its local replacements stay inside the repo (the repos
root holds other repos beside it), and `go mod download` resolves its requirements into the
project's module cache, so that scoring later needs no network. The repo's files are never
changed: go.mod and go.sum are put back byte for byte if the go command touched them.

All go commands run with the project's pinned toolchain and environment (`gotools.go_env`).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import gotools
from common.errors import first_line as common_first_line

# A decision's detail: enough to tell one failure from another, short enough for the counts.
DETAIL_CHARS = 300

GO_TIMEOUT_S = 600
# Messages of the go command that mean an import could not be resolved from go.mod and go.sum.
UNRESOLVED_MARKERS = (
    "no required module provides package",
    "missing go.sum entry",
    "cannot find module providing package",
    "module lookup disabled",
    "is not in std",
)


class ModuleDropped(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class Module:
    dir: str  # relative to the repo root, "." for the root
    path: str
    go_version: str


def go(args: list[str], cwd: Path, *, offline: bool = True) -> subprocess.CompletedProcess:
    """Runs the pinned go command; offline (GOPROXY=off) unless downloading is the point."""
    env = {"GOPROXY": "off"} if offline else None
    try:
        return gotools.run_go(args, cwd, env=env, timeout=GO_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", f"go {args[0]} timed out")


def first_line(text: str) -> str:
    """The first non-blank line of a tool's message, cut to DETAIL_CHARS: a decision's detail."""
    return common_first_line(text)[:DETAIL_CHARS]


def ignored_by_go(name: str) -> bool:
    """Folders that `./...` patterns and module zips leave out."""
    return name in ("vendor", "testdata") or name.startswith((".", "_"))


def find_module_dirs(repo_dir: Path) -> list[str]:
    """Every folder holding a go.mod, relative to the repo root, sorted; "." for the root."""
    found = []
    for folder, dirs, files in os.walk(repo_dir):
        dirs[:] = sorted(d for d in dirs if not ignored_by_go(d))
        if "go.mod" in files:
            found.append(Path(folder).relative_to(repo_dir).as_posix())
    return sorted(found)


def check_module(repo_dir: Path, rel: str) -> Module:
    """The module in repo_dir/rel if it passes the checks; else ModuleDropped with the reason."""
    module_dir = repo_dir / rel
    edit = go(["mod", "edit", "-json"], module_dir)
    if edit.returncode != 0:
        raise ModuleDropped("go_mod_invalid", first_line(edit.stderr))
    data = json.loads(edit.stdout)
    module_path = (data.get("Module") or {}).get("Path", "")
    if not module_path:
        raise ModuleDropped("go_mod_invalid", "go.mod has no module line")
    for replace in data.get("Replace") or []:
        new = replace.get("New") or {}
        if new.get("Version"):
            continue  # a module version, resolved by download like any requirement
        target = (module_dir / new.get("Path", "")).resolve()
        if target != repo_dir.resolve() and repo_dir.resolve() not in target.parents:
            raise ModuleDropped("replace_outside_repo", f"replace => {new.get('Path')}")
    saved = {
        name: (module_dir / name).read_bytes()
        for name in ("go.mod", "go.sum")
        if (module_dir / name).exists()
    }
    try:
        download = go(["mod", "download"], module_dir, offline=False)
    finally:
        _restore(module_dir, saved)
    if download.returncode != 0:
        message = first_line(download.stderr)
        if "requires go >=" in download.stderr or "toolchain" in message:
            raise ModuleDropped("go_version_too_new", message)
        raise ModuleDropped("deps_unresolved", message)
    return Module(dir=rel, path=module_path, go_version=data.get("Go") or "")


def _restore(module_dir: Path, saved: dict[str, bytes]) -> None:
    for name in ("go.mod", "go.sum"):
        path = module_dir / name
        if name in saved:
            if not path.exists() or path.read_bytes() != saved[name]:
                path.write_bytes(saved[name])
        elif path.exists():
            path.unlink()


def list_packages(module_dir: Path) -> list[dict]:
    """`go list -e ./...` of the module, offline: what the go command sees, errors included."""
    fields = "Dir,ImportPath,Name,GoFiles,IgnoredGoFiles,Error,DepsErrors"
    listed = go(["list", "-e", f"-json={fields}", "./..."], module_dir)
    if listed.returncode != 0:
        raise ModuleDropped("does_not_list", first_line(listed.stderr))
    decoder = json.JSONDecoder()
    text, position, packages = listed.stdout, 0, []
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return packages
        package, position = decoder.raw_decode(text, position)
        packages.append(package)


def load_problem(package: dict) -> tuple[str, str] | None:
    """Why the go command cannot load the package, as (reason, detail); None when it can."""
    errors = [package.get("Error") or {}, *(package.get("DepsErrors") or [])]
    messages = [e.get("Err", "") for e in errors if e.get("Err")]
    if not messages:
        return None
    if "build constraints exclude all Go files" in messages[0]:
        return ("no_buildable_files", first_line(messages[0]))
    for message in messages:
        if any(marker in message for marker in UNRESOLVED_MARKERS):
            return ("imports_unresolved", first_line(message))
    return ("does_not_load", first_line(messages[0]))
