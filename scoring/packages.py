"""The package a request names: found under the repos root, listed by the go command, and checked.

A request names a repo, a package folder and maybe a target (a file, a function). Each is checked
before anything is built: a path must stay under the repos root and be a package folder of a
module inside the repo; a target must be a file or a function of that package. Every failure is
the item's `bad_request`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from scoring.completion import package_name
from scoring.gobuild import run_go
from scoring.models import Status

_FUNCTION_NAME = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?$")


class Rejected(Exception):
    """Ends a scoring early with a status other than ok."""

    def __init__(self, status: Status, detail: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Package:
    repo_dir: Path
    dir: Path
    name: str
    import_path: str
    module_dir: Path
    go_files: tuple[str, ...]
    test_files: tuple[str, ...]


# A call of the Go helper: command, then its arguments (Scorer.helper).
Helper = Callable[..., Awaitable[dict]]


class Packages:
    """The packages found so far, loaded once each, and their declared functions."""

    def __init__(self, repos_dir: Path, helper: Helper) -> None:
        self.repos_dir = repos_dir
        self.helper = helper
        # Keyed by the resolved folder, and only packages that were found stay: a request cannot
        # grow it past the package folders on disk, whatever names it sends.
        self.loaded: dict[Path, asyncio.Future[Package]] = {}
        self.functions: dict[Path, asyncio.Future[frozenset[tuple[str, str]]]] = {}

    async def get(self, repo: str, package: str) -> Package:
        # File system work runs in a thread: it may be slow, and the event loop serves everyone.
        repo_dir, pkg_dir = await asyncio.to_thread(self._locate, repo, package)
        return await once_per_package(
            self.loaded, pkg_dir, lambda: _load(repo, package, repo_dir, pkg_dir)
        )

    async def check_target(
        self, pkg: Package, target_file: str | None, target_function: str | None
    ) -> None:
        """Rejected as bad_request unless the package has the target file and function."""
        if target_file is not None and target_file not in pkg.go_files:
            raise Rejected(
                Status.bad_request, f"unknown target_file {target_file!r} in {pkg.import_path}"
            )
        if target_function is None:
            return
        if not _FUNCTION_NAME.match(target_function):
            raise Rejected(Status.bad_request, "target_function must be Func or Type.Method")
        declared = await once_per_package(
            self.functions, pkg.dir, lambda: self._declared_functions(pkg)
        )
        if not any(
            name == target_function and file == (target_file or file) for name, file in declared
        ):
            where = pkg.import_path + (f"/{target_file}" if target_file else "")
            raise Rejected(
                Status.bad_request,
                f"unknown function {target_function!r}: not declared in {where}",
            )

    async def _declared_functions(self, pkg: Package) -> frozenset[tuple[str, str]]:
        """(Func or Type.Method, file) of each function the package declares (funcs names a method
        Type.Method already)."""
        answer = await self.helper("funcs", dir=str(pkg.dir))
        return frozenset((f["name"], f["file"]) for f in answer["functions"])

    def _locate(self, repo: str, package: str) -> tuple[Path, Path]:
        """The repo's and the package's folders, or Rejected as bad_request."""
        repo_dir = _inside(self.repos_dir, repo, "repo")
        if len(repo_dir.relative_to(self.repos_dir).parts) != 2:
            raise Rejected(Status.bad_request, f"repo {repo!r} is not of the form owner/name")
        pkg_dir = _inside(repo_dir, package, "package") if package != "." else repo_dir
        return repo_dir, pkg_dir


async def once_per_package(cache: dict, key: Path, make: Callable[[], Awaitable]):
    """make()'s result for a package folder, computed once and shared by every caller; a failure
    is not remembered (a passing one, a full disk or a killed build, is tried again later)."""
    future = cache.get(key)
    if future is None:
        future = asyncio.ensure_future(make())
        cache[key] = future
    try:
        return await asyncio.shield(future)
    except Exception:
        if cache.get(key) is future:
            del cache[key]
        raise


def check_package_clause(source: str, pkg: Package) -> None:
    """Rejected as build_failed unless the test's package clause is the folder's package (or its
    external test package)."""
    name = package_name(source)
    if name not in (pkg.name, f"{pkg.name}_test"):
        raise Rejected(
            Status.build_failed,
            f"package clause is {name!r}; this folder holds package {pkg.name!r} "
            f"(or {pkg.name + '_test'!r} for an external test)",
        )


def _inside(base: Path, relative: str, what: str) -> Path:
    if not relative or "\x00" in relative or Path(relative).is_absolute():
        raise Rejected(Status.bad_request, f"{what} {relative!r} is not a relative path")
    path = (base / relative).resolve()
    if path != base and base not in path.parents:
        raise Rejected(Status.bad_request, f"{what} {relative!r} leaves the repos root")
    if not path.is_dir():
        raise Rejected(Status.bad_request, f"unknown {what} {relative!r}")
    return path


async def _load(repo: str, package: str, repo_dir: Path, pkg_dir: Path) -> Package:
    fields = "Name,ImportPath,Dir,GoFiles,TestGoFiles,XTestGoFiles,Module,Error"
    try:
        listed = json.loads(
            await run_go(["list", "-e", f"-json={fields}", "."], cwd=pkg_dir, offline=True)
        )
    except (RuntimeError, json.JSONDecodeError) as err:
        raise Rejected(Status.bad_request, f"package {package!r} of {repo}: {err}") from err
    module_dir = Path((listed.get("Module") or {}).get("Dir") or "")
    if (
        listed.get("Error")
        or not listed.get("GoFiles")
        or repo_dir not in [module_dir, *module_dir.parents]
    ):
        error = (listed.get("Error") or {}).get("Err", "no buildable Go files in a module")
        raise Rejected(Status.bad_request, f"package {package!r} of {repo}: {error}")
    return Package(
        repo_dir=repo_dir,
        dir=pkg_dir,
        name=listed["Name"],
        import_path=listed["ImportPath"],
        module_dir=module_dir,
        go_files=tuple(listed["GoFiles"]),
        test_files=tuple(listed.get("TestGoFiles", []) + listed.get("XTestGoFiles", [])),
    )
