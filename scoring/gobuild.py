"""The go command for the scorer: trusted calls, the overlay, the sandboxed build, test2json.

A build puts our files into the package through `go build -overlay`, so that the repo on disk is
never written: the repo's own _test.go files are overlaid away, the package's files replaced by
their instrumented copies (`gotools instrument`), and the generated test and its harness added.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import gotools
from scoring.dependencies import run_go as _run_go_command
from scoring.models import Status
from scoring.report import RunMemory, read_report
from scoring.sandbox import SCRATCH, Limits, Mounts, Outcome, Sandbox
from scoring.settings import Settings

if TYPE_CHECKING:
    from scoring.packages import Package

logger = logging.getLogger("scoring")

GENERATED_NAME = "gotestrl_generated_test.go"
# An empty test file: `go test -c` links no binary for a package without test files.
REFERENCE_NAME = "gotestrl_reference_test.go"
TEST_BINARY_NAME = "pkg.test"
# The test binary inside the sandbox.
TEST_BINARY = "/sandbox/pkg.test"


async def run_go(
    args: list[str], *, cwd: Path | None = None, offline: bool = False, timeout: float = 300
) -> str:
    """Runs the trusted go command (never on generated code) and returns its stdout."""
    env = gotools.go_env({"GOPROXY": "off"} if offline else None)
    code, stdout, stderr = await _run_go_command(args, cwd, env, timeout)
    if code != 0:
        raise RuntimeError(stderr.strip() or f"go {args[0]} failed")
    return stdout


def write_overlay(
    work: Path,
    pkg: Package,
    replaced: Mapping[str, Path],
    added: Mapping[str, Path],
) -> Path:
    """work/overlay.json: the repo's own tests left out, replaced and added files (base names)."""
    entries = {str(pkg.dir / name): "" for name in pkg.test_files}
    for files in (replaced, added):
        entries.update({str(pkg.dir / name): str(path) for name, path in files.items()})
    overlay = work / "overlay.json"
    overlay.write_text(json.dumps({"Replace": entries}))
    return overlay


class TestBinaries:
    """Test binaries: built by `go test -c` and run, both in the sandbox; their output read."""

    def __init__(self, settings: Settings, sandbox: Sandbox, run_limits: Limits) -> None:
        self.settings = settings
        self.sandbox = sandbox
        self.run_limits = run_limits
        self.build_limits = Limits(
            timeout_s=settings.build_timeout_s,
            memory_mb=settings.build_memory_mb,
            processes=1024,
            disk_mb=256,
            output_bytes=1 << 20,
        )
        # The reference build compiles the package and its dependencies into the shared cache for
        # the first time; only the generated test's builds after it are small.
        self.reference_build_limits = replace(
            self.build_limits, timeout_s=settings.reference_build_timeout_s
        )
        self.test2json = str(gotools.CACHE_DIR / "bin" / "test2json")

    async def start(self) -> None:
        # test2json is not shipped prebuilt; building it once keeps `go tool` off the hot path.
        await run_go(["build", "-o", self.test2json, "cmd/test2json"])

    async def build(
        self,
        pkg: Package,
        work: Path,
        overlay: Path | None,
        modfile: Path | None,
        *,
        overlaid_dirs: tuple[Path, ...] = (),
        trusted: bool = False,
    ) -> Outcome:
        """`go test -c` of the package into work/pkg.test, with the overlay, in the sandbox.

        overlaid_dirs hold the overlay's files (read-only for the build). Only a trusted build
        (no code of the model's in it) may add to the shared build cache: the objects of a
        generated test are never used again, so they would only grow the cache by a file per
        scoring, and a hostile one could make that file huge.
        """
        env = gotools.go_env({"GOPROXY": "off", "HOME": SCRATCH, "TMPDIR": SCRATCH})
        # The go command, compiler and linker collect garbage only near a quarter of the build's
        # memory limit each (three of them run at once): a tenth less CPU for a small build.
        env["GOGC"] = "off"
        env["GOMEMLIMIT"] = f"{self.settings.build_memory_mb // 4}MiB"
        # No -cover: coverage comes from the instrumented files, counted in the shared memory.
        argv = [str(gotools.go_binary()), "test", "-c"]
        # No symbol table or DWARF, as go test links a binary it runs and throws away: the
        # link is the slowest step, and nothing here reads debug info.
        argv += ["-ldflags=-s -w", "-o", str(work / TEST_BINARY_NAME)]
        if overlay is not None:
            argv.append(f"-overlay={overlay}")
        if modfile is not None:
            argv.append(f"-modfile={modfile}")
        argv.append(".")
        cache = Path(env["GOCACHE"])
        # The compiler reads hostile code, so it too runs without network and with a read-only
        # view of everything but its output.
        mounts = Mounts(
            read_only=(pkg.repo_dir, gotools.goroot(), Path(env["GOMODCACHE"]), *overlaid_dirs),
            writable=(cache, work) if trusted else (work,),
            overlaid=() if trusted else (cache,),
        )
        return await self.sandbox.run(
            argv,
            cwd=pkg.dir,
            mounts=mounts,
            env=env,
            limits=self.reference_build_limits if trusted else self.build_limits,
            drop_root=False,
        )

    def failure(self, build: Outcome, pkg: Package, generated: Path) -> tuple[Status, str]:
        """The status and detail of a build that failed."""
        output = build.output.decode(errors="replace")
        for shown in (str(generated), os.path.relpath(generated, pkg.dir)):
            output = output.replace(shown, GENERATED_NAME)
        # A compiler that runs out of time or memory on one test file was made to: the code's fault.
        if "file size limit exceeded" in output:
            return Status.limit_exceeded, f"the build wrote a file over the disk limit\n{output}"
        if build.timed_out:
            return Status.timeout, f"the build took over {self.settings.build_timeout_s}s\n{output}"
        if build.exceeded:
            return Status.limit_exceeded, f"the build exceeded its {build.exceeded} limit\n{output}"
        return Status.build_failed, output

    async def test_output(self, output: bytes, import_path: str) -> str:
        """What the tests printed, from a run's `-test.v=test2json` output."""
        proc = await asyncio.create_subprocess_exec(
            self.test2json,
            "-t",
            "-p",
            import_path,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin"},  # it reads hostile output: it needs no secrets
        )
        stdout, _ = await proc.communicate(output)
        events = []
        for line in stdout.splitlines():
            with contextlib.suppress(json.JSONDecodeError):
                events.append(json.loads(line))
        if not events:
            return output.decode(errors="replace")
        return "".join(e.get("Output", "") for e in events if e.get("Action") == "output")

    async def run(
        self, pkg: Package, binary: Path, memory: RunMemory, *flags: str, timeout_s: float = 0
    ) -> Outcome:
        """Runs a test binary in the sandbox, with memory as its shared memory (descriptor 3).

        Execute-only and run by a user that may not read it, the process is not dumpable: its
        /proc/self/mem, fd, environ and exe are out of its own reach, and the binary (which holds
        the harness's names) cannot be read back. timeout_s, when given, is the run's own
        wall-clock limit (below SCORING_TIMEOUT_S).
        """
        binary.chmod(0o111)
        return await self.sandbox.run(
            [
                TEST_BINARY,
                "-test.v=test2json",  # for the detail only: nothing counts from the output
                "-test.paniconexit0",
                "-test.count=1",
                # Our own kill comes first; this one only keeps a runaway binary from hanging on.
                f"-test.timeout={int(self.settings.timeout_s) + 30}s",
                *flags,
            ],
            cwd=pkg.dir,
            mounts=Mounts(read_only=(pkg.repo_dir,), files={TEST_BINARY: binary}),
            env={"HOME": SCRATCH, "TMPDIR": SCRATCH, "PATH": "/usr/bin:/bin"},
            limits=replace(self.run_limits, timeout_s=timeout_s or self.run_limits.timeout_s),
            shared_fd=memory.fd,
        )

    async def reference(self, pkg: Package, inst: gotools.Instrumented, work: Path) -> bool:
        """Builds in work and runs the package's instrumented test binary with no test in it.

        Built with the shared build cache writable (the package's instrumented objects, found by
        every later build). It must map its shared memory, or the measuring itself is broken (an
        error, never a reward), and its build within its limits (over them, the machine's load is
        to blame: an error). False when the package's own code does not build or its
        initialisation fails.
        """
        empty = work / REFERENCE_NAME
        empty.write_text(f"package {pkg.name}\n")
        overlay = write_overlay(work, pkg, inst.overlay, {REFERENCE_NAME: empty})
        build = await self.build(
            pkg, work, overlay, modfile=None, overlaid_dirs=(inst.dir,), trusted=True
        )
        if build.timed_out or build.exceeded:
            # No code of the model's is in it: a limit it hits is the machine's load, the scorer's
            # failure (an error, tried again by the next scoring), never the model's.
            over = (
                f"{self.settings.reference_build_timeout_s}s time"
                " (SCORING_REFERENCE_BUILD_TIMEOUT_S)"
                if build.timed_out
                else build.exceeded
            )
            raise RuntimeError(
                f"the reference build of {pkg.import_path} went over its {over} limit"
            )
        if build.exit_code != 0:
            logger.warning("no reference binary for %s: it does not build", pkg.import_path)
            return False
        with RunMemory(0, inst.counters) as memory:
            outcome = await self.run(pkg, work / TEST_BINARY_NAME, memory, "-test.run=^$")
            report = read_report(memory, [], outcome.exit_code)
        if report.attached:
            return True
        if outcome.exit_code == 0:
            raise RuntimeError(
                f"the test binary of {pkg.import_path} ran without mapping its shared memory"
            )
        logger.warning("the reference binary of %s fails: %r", pkg.import_path, outcome)
        return False
