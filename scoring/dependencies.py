"""The modules that a generated test newly imports: which, and fetching them within limits.

Which: the import paths that the test file declares in its syntax (the Go helper reads them),
less the standard library and what a module of the repo's build list already provides, with its
source in the module cache and its checksum in go.sum. Never anything read from the compiler's
output, whose text the test's own strings can imitate.

How: `go get` into a private copy of the repo's go.mod (the repo's own stays as is) and into a
private module cache that has the shared one as its first proxy, so that nothing the shared cache
holds is downloaded again. The fetch is cut at SCORING_FETCH_TIMEOUT_S, and at SCORING_FETCH_MB
of files that the shared cache does not hold (downloads and their unpacked sources, measured
while it runs, and no single file may be larger); a test that imports more than
SCORING_FETCH_MODULES packages from outside its build list, or whose fetch adds more modules
than that to it, is refused. Only a fetch within all of these is copied, offline, from the private
cache into the shared one, where the sandboxed build reads it.

Nothing is compiled here: the test's own build compiles the new modules in its throwaway overlay
of the build cache, so no choice of a generated test ever lands in the shared build cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import gotools
from scoring.settings import Settings

logger = logging.getLogger("scoring")

# A path that `go get` may be handed: no leading dash, no spaces, nothing a shell would read.
_IMPORT_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~+/-]*$")
# How often a running fetch's size is measured.
_POLL_S = 0.2


class FetchRefused(Exception):
    """The test's new imports cannot or may not be fetched: its status is `deps_failed`."""


@dataclass(frozen=True)
class Module:
    """A module of a build list, as far as providing packages goes."""

    path: str
    dir: Path | None  # its source on disk, where the module cache has (or would have) it
    checksummed: bool  # go.sum holds its hash, or it needs none (the main module, a local folder)

    def provides(self, import_path: str) -> bool:
        if import_path != self.path and not import_path.startswith(self.path + "/"):
            return False
        if self.dir is None or not self.checksummed:
            return False
        folder = self.dir / import_path.removeprefix(self.path).lstrip("/")
        # A folder with its own go.mod is another module's, not this one's.
        return folder.is_dir() and (folder == self.dir or not (folder / "go.mod").exists())


@dataclass(frozen=True)
class BuildList:
    modules: tuple[Module, ...]
    vendored: bool = False  # the build reads vendor/ only, and nothing can be fetched into it

    def missing(self, imports: Iterable[str]) -> list[str]:
        """The import paths to fetch: outside the standard library and the build list."""
        if self.vendored:
            return []
        missing = []
        for path in imports:
            # A first element without a dot is the standard library's (or no module's at all);
            # a path go get cannot take is left for the build to refuse.
            if not _IMPORT_PATH.match(path) or "." not in path.split("/")[0]:
                continue
            if not any(module.provides(path) for module in self.modules):
                missing.append(path)
        return missing


def _escape(path: str) -> str:
    """The module cache's spelling of a module path or version: `!x` for an upper-case X."""
    return re.sub("[A-Z]", lambda upper: "!" + upper.group().lower(), path)


def _added_bytes(private: Path, shared: Path) -> int:
    """Bytes of the files in the private module cache that the shared one does not hold."""
    total = 0
    for root, dirs, files in os.walk(private):
        here = Path(root)
        relative = here.relative_to(private)
        # An unpacked module (path@version) that the shared cache has was copied, not fetched.
        dirs[:] = [d for d in dirs if "@" not in d or not (shared / relative / d).exists()]
        for name in files:
            if not (shared / relative / name).exists():
                with contextlib.suppress(OSError):  # a temporary file gone meanwhile
                    total += (here / name).lstat().st_size
    return total


def _file_proxy(cache: Path) -> str:
    """A module cache's downloads, served as a GOPROXY (Go reads file:// proxies itself)."""
    return (cache / "cache" / "download").as_uri()


class Dependencies:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.shared_cache = Path(gotools.go_env()["GOMODCACHE"])
        # One per module folder of a package that was found: bounded by the repos on disk.
        self.build_lists: dict[Path, asyncio.Future[BuildList]] = {}

    async def resolve(
        self, module_dir: Path, pkg_dir: Path, work: Path, imports: Iterable[str]
    ) -> Path | None:
        """The private go.mod to build with, or None when the build list provides every import."""
        missing = await asyncio.to_thread((await self.build_list(module_dir)).missing, imports)
        if not missing:
            return None
        limit = self.settings.fetch_modules
        if self.settings.goproxy == "off":
            raise FetchRefused(f"not in go.mod (SCORING_GOPROXY is off): {', '.join(missing)}")
        if len(missing) > limit:
            raise FetchRefused(
                f"imports {len(missing)} packages from outside its build list; at most {limit} "
                f"may be fetched (SCORING_FETCH_MODULES): {', '.join(missing)}"
            )
        modfile = work / "mod" / "go.mod"
        private = work / "modcache"
        await asyncio.to_thread(_copy_go_mod, module_dir, modfile)
        try:
            before = await self._requirements(modfile, pkg_dir)
            await self._fetch(pkg_dir, modfile, private, missing)
            added = await self._requirements(modfile, pkg_dir) - before
            if len(added) > limit:
                raise FetchRefused(
                    f"fetching {', '.join(missing)} adds {len(added)} modules to the build list; "
                    f"at most {limit} may be added (SCORING_FETCH_MODULES)"
                )
            await self._install(pkg_dir, modfile, private, missing)
            logger.info("fetched %s: %d new modules", ", ".join(missing), len(added))
        finally:
            await asyncio.to_thread(shutil.rmtree, private, True)
        return modfile

    async def build_list(self, module_dir: Path) -> BuildList:
        future = self.build_lists.get(module_dir)
        if future is None:
            future = asyncio.ensure_future(self._build_list(module_dir))
            self.build_lists[module_dir] = future
        try:
            return await asyncio.shield(future)
        except Exception:
            self.build_lists.pop(module_dir, None)  # a passing failure is tried again next time
            raise

    async def _build_list(self, module_dir: Path) -> BuildList:
        if await asyncio.to_thread((module_dir / "vendor" / "modules.txt").exists):
            return BuildList((), vendored=True)
        env = gotools.go_env({"GOPROXY": "off"})
        code, out, err = await run_go(["list", "-m", "-e", "-json", "all"], module_dir, env, 60)
        if code != 0:
            # A go.mod that cannot be listed: only imports of nothing can be trusted as provided,
            # and its own build will say what is wrong.
            logger.warning("no build list for %s: %s", module_dir, err.strip())
            return BuildList(())
        modules = []
        decoder, text, at = json.JSONDecoder(), out, 0
        while at < len(text):
            if text[at].isspace():
                at += 1
                continue
            listed, at = decoder.raw_decode(text, at)
            modules.append(self._module(listed))
        return BuildList(tuple(modules))

    def _module(self, listed: dict) -> Module:
        replaced = listed.get("Replace") or {}
        source = replaced or listed
        if listed.get("Main") or (replaced and not replaced.get("Version")):
            folder = listed.get("Dir") or replaced.get("Dir")
            return Module(listed["Path"], Path(folder) if folder else None, checksummed=True)
        # Where the module cache puts it, whether or not it is there yet.
        folder = listed.get("Dir") or str(
            self.shared_cache / f"{_escape(source['Path'])}@{_escape(source.get('Version', ''))}"
        )
        return Module(listed["Path"], Path(folder), checksummed=bool(source.get("Sum")))

    async def _requirements(self, modfile: Path, pkg_dir: Path) -> set[tuple[str, str]]:
        code, out, err = await run_go(
            ["mod", "edit", "-json", str(modfile)], pkg_dir, gotools.go_env(), 60
        )
        if code != 0:
            raise FetchRefused(f"cannot read the private go.mod: {err.strip()}")
        return {(r["Path"], r["Version"]) for r in json.loads(out).get("Require") or ()}

    async def _fetch(self, pkg_dir: Path, modfile: Path, private: Path, missing: list[str]) -> None:
        settings = self.settings
        cap = settings.fetch_mb << 20
        env = gotools.go_env(
            {
                "GOMODCACHE": str(private),
                "GOPROXY": f"{_file_proxy(self.shared_cache)},{settings.goproxy}",
                "GOSUMDB": settings.gosumdb,
                # -modcacherw: the private cache can be removed like any folder.
                "GOFLAGS": "-mod=mod -modcacherw",
            }
        )
        # No single file past the cap, even between two measures of the total.
        argv = ["prlimit", f"--fsize={cap}", "--", str(gotools.go_binary())]
        argv += ["get", f"-modfile={modfile}", "--", *missing]
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=pkg_dir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        done = asyncio.ensure_future(proc.communicate())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.fetch_timeout_s
        refusal = ""
        while not done.done():
            await asyncio.wait({done}, timeout=_POLL_S)
            added = await asyncio.to_thread(_added_bytes, private, self.shared_cache)
            if added > cap:
                refusal = f"fetching {', '.join(missing)} went over {settings.fetch_mb} MB"
            elif not done.done() and loop.time() > deadline:
                refusal = (
                    f"fetching {', '.join(missing)} took over {settings.fetch_timeout_s}s "
                    "(SCORING_FETCH_TIMEOUT_S)"
                )
            if refusal:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await done
                raise FetchRefused(f"{refusal}; nothing of it was kept")
        _, stderr = done.result()
        if proc.returncode != 0:
            message = stderr.decode(errors="replace").strip()
            if proc.returncode == -signal.SIGXFSZ or "file too large" in message:
                message = f"a file went over {settings.fetch_mb} MB (SCORING_FETCH_MB)\n{message}"
            raise FetchRefused(message or f"go get exited with {proc.returncode}")

    async def _install(
        self, pkg_dir: Path, modfile: Path, private: Path, missing: list[str]
    ) -> None:
        """Copies the fetched modules into the shared cache, offline, checked against go.sum."""
        env = gotools.go_env(
            {
                "GOPROXY": f"{_file_proxy(private)},off",
                # go get checked every module of the private cache against the checksum database
                # and wrote go.sum; the copy is checked against that go.sum.
                "GOSUMDB": "off",
                "GOFLAGS": "-mod=mod",
            }
        )
        args = ["list", f"-modfile={modfile}", "-e", "-deps", "--", *missing]
        code, _, err = await run_go(args, pkg_dir, env, self.settings.fetch_timeout_s)
        if code != 0:
            raise FetchRefused(f"could not keep the fetched modules: {err.strip()}")


def _copy_go_mod(module_dir: Path, modfile: Path) -> None:
    modfile.parent.mkdir()
    shutil.copyfile(module_dir / "go.mod", modfile)
    if (module_dir / "go.sum").exists():
        shutil.copyfile(module_dir / "go.sum", modfile.with_suffix(".sum"))


async def run_go(
    args: list[str], cwd: Path | None, env: dict[str, str], timeout: float
) -> tuple[int, str, str]:
    """Runs the trusted go command (never on generated code): exit code, stdout, stderr."""
    proc = await asyncio.create_subprocess_exec(
        str(gotools.go_binary()),
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return -1, "", f"go {args[0]} timed out after {timeout}s"
    return proc.returncode or 0, stdout.decode(errors="replace"), stderr.decode(errors="replace")
