"""Scoring one generated test: from a completion to a reward.

The steps, each of which may end the scoring with its own status: take the code out of the
completion, fix its imports (the Go helper), check its package clause, refuse the constructs that
reach memory the test was not given, put it into its package through `go build -overlay` so that
the repo on disk is never written (the repo's own _test.go files are overlaid away), fetch the
modules that its syntax newly imports into a private copy of go.mod (scoring/dependencies.py),
build the test binary as `go test -c` does (vet included) with the package's files
coverage-instrumented and the test's results reported by code of ours (`gotools instrument`, once
per package, and `gotools harness`), run it in the sandbox with a shared memory for those, and read
the counts and coverage from that memory (scoring/report.py), never from what the test printed or
wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import shlex
import shutil
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import gotools
from scoring import warmup
from scoring.completion import extract_code, package_name
from scoring.dependencies import Dependencies, FetchRefused, run_go
from scoring.models import RefusedItem, ScoreItem, ScoreResult, Status
from scoring.report import RunMemory, read_report, set_profile
from scoring.reward import reward
from scoring.sandbox import SCRATCH, Limits, Mounts, Outcome, Sandbox
from scoring.settings import Settings

logger = logging.getLogger("scoring")

GENERATED_NAME = "gotestrl_generated_test.go"
# An empty test file: `go test -c` links no binary for a package without test files.
REFERENCE_NAME = "gotestrl_reference_test.go"
# The test binary inside the sandbox.
TEST_BINARY = "/sandbox/pkg.test"
DETAIL_BYTES = 4096
_FUNCTION_NAME = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?$")


class Rejected(Exception):
    """Ends a scoring early with a status other than ok."""

    def __init__(self, status: Status, detail: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.assertions: int | None = None  # known once the code has parsed


@dataclass(frozen=True)
class Package:
    repo_dir: Path
    dir: Path
    name: str
    import_path: str
    module_dir: Path
    go_files: tuple[str, ...]
    test_files: tuple[str, ...]


def truncate(text: str, limit: int = DETAIL_BYTES) -> str:
    """Keeps the head and the tail: compilers put the cause first, tests the summary last."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n... [{len(text) - limit} characters cut] ...\n{text[-half:]}"


class Scorer:
    def __init__(self, settings: Settings, sandbox: Sandbox) -> None:
        self.settings = settings
        self.sandbox = sandbox
        self.repos_dir = settings.repos_dir.resolve()
        # One folder per server process: several servers may share a machine and its cache.
        self.work_root = gotools.CACHE_DIR / "work" / f"server-{os.getpid()}"
        self.slots = asyncio.Semaphore(settings.concurrency)
        self.helpers: asyncio.Queue[gotools.HelperProcess] = asyncio.Queue()
        self.dependencies = Dependencies(settings)
        # Keyed by the resolved folder, and only packages that were found stay: a request cannot
        # grow it past the package folders on disk, whatever names it sends.
        self.packages: dict[Path, asyncio.Future[Package]] = {}
        self.instrumentations: dict[Path, asyncio.Future[gotools.Instrumented]] = {}
        self.references: dict[Path, asyncio.Future[bool]] = {}
        self.in_flight: dict[str, asyncio.Future[ScoreResult]] = {}
        self.results: OrderedDict[str, ScoreResult] = OrderedDict()
        self.go_version = ""
        self.test2json = ""
        self.run_limits = Limits(
            timeout_s=settings.timeout_s,
            memory_mb=settings.memory_mb,
            processes=settings.max_processes,
            disk_mb=settings.disk_mb,
            output_bytes=settings.output_kb << 10,
        )
        self.build_limits = Limits(
            timeout_s=settings.build_timeout_s,
            memory_mb=settings.build_memory_mb,
            processes=1024,
            disk_mb=256,
            output_bytes=1 << 20,
        )

    # Start-up ---------------------------------------------------------------------------------

    async def start(self) -> None:
        env = gotools.go_env()
        for folder in (env["GOCACHE"], env["GOMODCACHE"], env["HOME"]):
            Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.work_root, ignore_errors=True)
        self.work_root.mkdir(parents=True)
        for other in self.work_root.parent.glob("server-*"):
            # A server that was killed could not clean up after itself.
            pid = other.name.removeprefix("server-")
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                shutil.rmtree(other, ignore_errors=True)
        for folder in (self.work_root, self.work_root.parent):
            folder.chmod(0o755)
        self.go_version = (await _run_go(["version"])).strip()
        self.test2json = str(gotools.CACHE_DIR / "bin" / "test2json")
        # test2json is not shipped prebuilt; building it once keeps `go tool` off the hot path.
        await _run_go(["build", "-o", self.test2json, "cmd/test2json"])
        for _ in range(self.settings.concurrency):
            helper = gotools.HelperProcess()
            await helper.start()
            self.helpers.put_nowait(helper)
        await self.self_test()

    async def self_test(self) -> None:
        """Fails unless the sandbox runs a process, not as root, with the repos read-only."""
        self.repos_dir.mkdir(parents=True, exist_ok=True)
        repos = shlex.quote(str(self.repos_dir))
        outcome = await self.sandbox.run(
            [
                "/bin/sh",
                "-c",
                f'[ "$(id -u)" != 0 ] && test -r {repos} && ! test -w {repos} && echo ok',
            ],
            cwd=Path("/tmp"),
            mounts=Mounts(read_only=(self.repos_dir,)),
            env={"PATH": "/usr/bin:/bin"},
            limits=self.run_limits,
        )
        if outcome.output.strip() != b"ok":
            raise RuntimeError(f"sandbox self-test failed: {outcome}")

    async def warm_up(self) -> None:
        """Warms a bounded number of packages in the background (scoring/warmup.py)."""
        settings = self.settings
        await warmup.warm_up(
            self.repos_dir,
            self.warm_package,
            packages=settings.warmup_packages,
            seconds=settings.warmup_s,
        )

    async def warm_package(self, repo: str, package: str) -> None:
        async with self.slots:
            await self.reference(await self.package(repo, package))

    async def close(self) -> None:
        while not self.helpers.empty():
            await self.helpers.get_nowait().close()
        shutil.rmtree(self.work_root, ignore_errors=True)
        self.sandbox.close()

    # Requests ---------------------------------------------------------------------------------

    async def score_many(self, items: list[ScoreItem | RefusedItem]) -> list[ScoreResult]:
        return list(await asyncio.gather(*(self.score(item) for item in items)))

    async def score(self, item: ScoreItem | RefusedItem) -> ScoreResult:
        """One item; identical items, in flight or recent, share one scoring."""
        if isinstance(item, RefusedItem):  # over a limit of its own (scoring/models.py)
            return ScoreResult(reward=0.0, status=Status.bad_request, detail=item.detail)
        code = extract_code(item.completion)
        key = hashlib.sha256(
            json.dumps(
                [item.repo, item.package, item.target_file, item.target_function, code]
            ).encode()
        ).hexdigest()
        if key in self.results:
            self.results.move_to_end(key)
            return self.results[key]
        if key in self.in_flight:
            return await asyncio.shield(self.in_flight[key])
        future = asyncio.get_running_loop().create_future()
        self.in_flight[key] = future
        try:
            result = await self._score(item, code)
            future.set_result(result)
        except BaseException as err:
            future.set_exception(err)
            future.exception()  # retrieved: waiters re-raise it, nobody else must log it
            raise
        finally:
            del self.in_flight[key]
        if result.status != Status.error and self.settings.cache_size:
            self.results[key] = result
            while len(self.results) > self.settings.cache_size:
                self.results.popitem(last=False)
        return result

    async def _score(self, item: ScoreItem, code: str) -> ScoreResult:
        started = time.monotonic()
        try:
            result = await self._score_checked(item, code)
        except Rejected as rejected:
            reward_value = None if rejected.status == Status.error else 0.0
            result = ScoreResult(
                reward=reward_value,
                status=rejected.status,
                assertions=rejected.assertions,
                detail=truncate(rejected.detail),
            )
        except Exception as err:
            logger.exception("scoring failed for %s/%s", item.repo, item.package)
            result = ScoreResult(reward=None, status=Status.error, detail=f"scorer error: {err}")
        result.duration_s = round(time.monotonic() - started, 4)
        return result

    async def _score_checked(self, item: ScoreItem, code: str) -> ScoreResult:
        pkg = await self.package(item.repo, item.package)
        await self._check_target(pkg, item)
        if not code.strip():
            raise Rejected(Status.no_code, "the completion holds no code")
        try:
            fixed = await self.helper(
                "imports", dir=str(pkg.dir), src_text=code, name=GENERATED_NAME
            )
        except gotools.GoToolsError as err:
            raise Rejected(Status.goimports_failed, str(err)) from err
        source = fixed["source"]
        # The tests go test will run, from the AST: the only names whose results can count.
        parsed = await self.helper("assertions", src_text=source, name=GENERATED_NAME)
        assertions = parsed["assertions"]
        imports = tuple(parsed["imports"] or ())
        try:
            name = package_name(source)
            if name not in (pkg.name, f"{pkg.name}_test"):
                raise Rejected(
                    Status.build_failed,
                    f"package clause is {name!r}; this folder holds package {pkg.name!r} "
                    f"(or {pkg.name + '_test'!r} for an external test)",
                )
            async with self.slots:
                work = Path(await asyncio.to_thread(tempfile.mkdtemp, dir=self.work_root))
                try:
                    work.chmod(0o755)
                    result = await self._build_and_run(pkg, item, source, work, imports=imports)
                finally:
                    await asyncio.to_thread(shutil.rmtree, work, ignore_errors=True)
        except Rejected as rejected:
            rejected.assertions = assertions  # the code parsed: the contract reports its checks
            raise
        result.assertions = assertions
        return result

    # Packages ---------------------------------------------------------------------------------

    async def package(self, repo: str, package: str) -> Package:
        # File system work runs in a thread: it may be slow, and the event loop serves everyone.
        repo_dir, pkg_dir = await asyncio.to_thread(self._locate, repo, package)
        future = self.packages.get(pkg_dir)
        if future is None:
            future = asyncio.ensure_future(self._load_package(repo, package, repo_dir, pkg_dir))
            self.packages[pkg_dir] = future
        try:
            return await asyncio.shield(future)
        except Exception:
            # Only what was found is remembered: a folder that is no package, or a passing
            # failure, is looked at again next time.
            if self.packages.get(pkg_dir) is future:
                del self.packages[pkg_dir]
            raise

    def _locate(self, repo: str, package: str) -> tuple[Path, Path]:
        """The repo's and the package's folders, or Rejected as bad_request."""
        repo_dir = self._inside(self.repos_dir, repo, "repo")
        if len(repo_dir.relative_to(self.repos_dir).parts) != 2:
            raise Rejected(Status.bad_request, f"repo {repo!r} is not of the form owner/name")
        pkg_dir = self._inside(repo_dir, package, "package") if package != "." else repo_dir
        return repo_dir, pkg_dir

    def _inside(self, base: Path, relative: str, what: str) -> Path:
        if not relative or "\x00" in relative or Path(relative).is_absolute():
            raise Rejected(Status.bad_request, f"{what} {relative!r} is not a relative path")
        path = (base / relative).resolve()
        if path != base and base not in path.parents:
            raise Rejected(Status.bad_request, f"{what} {relative!r} leaves the repos root")
        if not path.is_dir():
            raise Rejected(Status.bad_request, f"unknown {what} {relative!r}")
        return path

    async def _load_package(
        self, repo: str, package: str, repo_dir: Path, pkg_dir: Path
    ) -> Package:
        fields = "Name,ImportPath,Dir,GoFiles,TestGoFiles,XTestGoFiles,Module,Error"
        try:
            listed = json.loads(
                await _run_go(["list", "-e", f"-json={fields}", "."], cwd=pkg_dir, offline=True)
            )
        except (RuntimeError, json.JSONDecodeError) as err:
            raise Rejected(Status.bad_request, f"package {package!r} of {repo}: {err}") from err
        module_dir = Path((listed.get("Module") or {}).get("Dir") or "")
        if (
            listed.get("Error")
            or not listed.get("GoFiles")
            or repo_dir
            not in [
                module_dir,
                *module_dir.parents,
            ]
        ):
            error = (listed.get("Error") or {}).get("Err", "no buildable Go files in a module")
            raise Rejected(Status.bad_request, f"package {package!r} of {repo}: {error}")
        tests = tuple(listed.get("TestGoFiles", []) + listed.get("XTestGoFiles", []))
        return Package(
            repo_dir=repo_dir,
            dir=pkg_dir,
            name=listed["Name"],
            import_path=listed["ImportPath"],
            module_dir=module_dir,
            go_files=tuple(listed["GoFiles"]),
            test_files=tests,
        )

    async def _check_target(self, pkg: Package, item: ScoreItem) -> None:
        if item.target_file is not None and item.target_file not in pkg.go_files:
            raise Rejected(
                Status.bad_request, f"unknown target_file {item.target_file!r} in {pkg.import_path}"
            )
        if item.target_function is not None:
            if not _FUNCTION_NAME.match(item.target_function):
                raise Rejected(Status.bad_request, "target_function must be Func or Type.Method")
            await self.coverage(pkg, item, profile=None)  # raises for an unknown function

    # Go helper --------------------------------------------------------------------------------

    async def helper(self, cmd: str, **args: str) -> dict:
        helper = await self.helpers.get()
        try:
            return await helper.request(cmd, **args)
        finally:
            self.helpers.put_nowait(helper)

    async def coverage(self, pkg: Package, item: ScoreItem, profile: Path | None) -> float | None:
        args = {"dir": str(pkg.dir)}
        if item.target_file:
            args["file"] = item.target_file
        if item.target_function:
            args["func"] = item.target_function
        if profile is None:
            profile = gotools.CACHE_DIR / "empty.cover"
            profile.write_text("mode: set\n")
        try:
            answer = await self.helper("cover", profile=str(profile), **args)
        except gotools.GoToolsError as err:
            if str(err).startswith(("unknown function", "unknown file")):
                raise Rejected(Status.bad_request, f"{err} in {pkg.import_path}") from err
            raise
        return answer["coverage"]

    # Build and run ----------------------------------------------------------------------------

    async def instrumented(self, pkg: Package) -> gotools.Instrumented:
        """The package's files instrumented for coverage in shared memory, once per server.

        Its secret prefix lives as long as the server: the names it makes are variables, which
        never reach a binary (unlike function names, which the harness makes fresh per build).
        """
        if pkg.dir not in self.instrumentations:
            self.instrumentations[pkg.dir] = asyncio.ensure_future(self._instrument(pkg))
        try:
            return await asyncio.shield(self.instrumentations[pkg.dir])
        except Exception:
            del self.instrumentations[pkg.dir]  # a passing failure is tried again next time
            raise

    async def _instrument(self, pkg: Package) -> gotools.Instrumented:
        out = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="instr-", dir=self.work_root))
        out.chmod(0o755)
        answer = await self.helper(
            "instrument", dir=str(pkg.dir), files=",".join(pkg.go_files), out=str(out)
        )
        return gotools.Instrumented.from_answer(answer, out)

    def _overlay(self, pkg: Package, inst: gotools.Instrumented, tests: dict[str, Path]) -> dict:
        """Overlay entries: the repo's own tests left out, the package instrumented, our tests."""
        replace = {str(pkg.dir / name): "" for name in pkg.test_files}
        replace.update({str(pkg.dir / name): str(path) for name, path in inst.overlay.items()})
        replace.update({str(pkg.dir / name): str(path) for name, path in tests.items()})
        return {"Replace": replace}

    async def _build_and_run(
        self, pkg: Package, item: ScoreItem, source: str, work: Path, *, imports: tuple[str, ...]
    ) -> ScoreResult:
        inst = await self.instrumented(pkg)
        harnessed = await self.helper(
            "harness",
            src_text=source,
            name=GENERATED_NAME,
            package=pkg.name,
            import_path=pkg.import_path,
            memory=inst.prefix,
        )
        if harnessed["refused"]:
            raise Rejected(
                Status.build_failed,
                "refused before the build:\n" + "\n".join(harnessed["refused"]),
            )
        tests = [test["name"] for test in harnessed["tests"]]
        generated = work / GENERATED_NAME
        generated.write_text(harnessed["source"])
        harness = work / harnessed["harness_name"]
        harness.write_text(harnessed["harness"])
        overlay = work / "overlay.json"
        replace = {GENERATED_NAME: generated, harnessed["harness_name"]: harness}
        overlay.write_text(json.dumps(self._overlay(pkg, inst, replace)))

        modfile = await self._resolve(pkg, work, imports)
        # First: a package's first scorings (a batch's samples of one prompt) then share one
        # build of its code into the cache, and each compiles only its own test.
        await self.reference(pkg)
        build = await self._go_build(pkg, work, overlay, modfile, instrumented=inst)
        if build.exit_code != 0:
            raise Rejected(*self._build_failure(build, pkg, generated))

        with RunMemory(len(tests), inst.counters) as memory:
            outcome = await self._run_test_binary(pkg, work / "pkg.test", memory)
            report = read_report(memory, tests, outcome.exit_code)
        events = await self._events(outcome.output, pkg.import_path)
        detail = truncate(_test_output(events, outcome.output))
        if outcome.exceeded:
            return ScoreResult(
                reward=0.0,
                status=Status.limit_exceeded,
                tests=report.counts,
                detail=f"killed: over the {outcome.exceeded} limit\n{detail}",
            )
        if outcome.timed_out:
            return ScoreResult(
                reward=0.0,
                status=Status.timeout,
                tests=report.counts,
                detail=f"killed after {self.settings.timeout_s}s\n{detail}",
            )
        if report.tampered:
            return ScoreResult(
                reward=0.0,
                status=Status.no_tests,
                detail=f"the run's report cannot be trusted ({report.tampered}): nothing counts\n"
                f"{detail}",
            )
        counts = report.counts
        if counts.passed + counts.failed == 0:
            return ScoreResult(reward=0.0, status=Status.no_tests, tests=counts, detail=detail)
        coverage = 0.0
        if report.ended:
            profile = work / "cover.out"
            profile.write_bytes(
                set_profile(pkg.import_path, inst.files, inst.blocks, report.counters)
            )
            coverage = await self.coverage(pkg, item, profile) or 0.0
        return ScoreResult(
            reward=reward(counts.passed, counts.failed, coverage),
            status=Status.ok,
            tests=counts,
            coverage=coverage,
            detail=detail,
        )

    async def _run_test_binary(
        self, pkg: Package, binary: Path, memory: RunMemory, *flags: str
    ) -> Outcome:
        """Runs a test binary in the sandbox, with memory as its shared memory (descriptor 3).

        Execute-only and run by a user that may not read it, the process is not dumpable: its
        /proc/self/mem, fd, environ and exe are out of its own reach, and the binary (which holds
        the harness's names) cannot be read back.
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
            limits=self.run_limits,
            shared_fd=memory.fd,
        )

    async def reference(self, pkg: Package) -> bool:
        """Whether the package's instrumented test binary, with no test of the model's, runs.

        Built with the shared build cache writable (the package's instrumented objects, found by
        every later build), and run once: it must map its shared memory, or the measuring itself
        is broken (an error, never a reward). False when the package's own code does not build
        or its initialisation fails: then no scoring of it runs a test either.
        """
        if pkg.dir not in self.references:
            self.references[pkg.dir] = asyncio.ensure_future(self._reference(pkg))
        try:
            return await asyncio.shield(self.references[pkg.dir])
        except Exception:
            del self.references[pkg.dir]  # a passing failure is tried again next time
            raise

    async def _reference(self, pkg: Package) -> bool:
        inst = await self.instrumented(pkg)
        work = Path(await asyncio.to_thread(tempfile.mkdtemp, dir=self.work_root))
        try:
            work.chmod(0o755)
            empty = work / REFERENCE_NAME
            empty.write_text(f"package {pkg.name}\n")
            overlay = work / "overlay.json"
            overlay.write_text(json.dumps(self._overlay(pkg, inst, {REFERENCE_NAME: empty})))
            build = await self._go_build(
                pkg, work, overlay, modfile=None, instrumented=inst, trusted=True
            )
            if build.exit_code != 0:
                logger.warning("no reference binary for %s: it does not build", pkg.import_path)
                return False
            with RunMemory(0, inst.counters) as memory:
                outcome = await self._run_test_binary(
                    pkg, work / "pkg.test", memory, "-test.run=^$"
                )
                report = read_report(memory, [], outcome.exit_code)
            if report.attached:
                return True
            if outcome.exit_code == 0:
                raise RuntimeError(
                    f"the test binary of {pkg.import_path} ran without mapping its shared memory"
                )
            logger.warning("the reference binary of %s fails: %r", pkg.import_path, outcome)
            return False
        finally:
            await asyncio.to_thread(shutil.rmtree, work, ignore_errors=True)

    async def _go_build(
        self,
        pkg: Package,
        work: Path,
        overlay: Path | None,
        modfile: Path | None,
        *,
        instrumented: gotools.Instrumented | None = None,
        trusted: bool = False,
    ) -> Outcome:
        """`go test -c` of the package, instrumented by our overlay, in the sandbox.

        Only a trusted build (no code of the model's in it) may add to the shared build cache:
        the objects of a generated test are never used again, so they would only grow the cache
        by a file per scoring, and a hostile one could make that file huge.
        """
        env = gotools.go_env({"GOPROXY": "off", "HOME": SCRATCH, "TMPDIR": SCRATCH})
        # The go command, compiler and linker collect garbage only near a quarter of the build's
        # memory limit each (three of them run at once): a tenth less CPU for a small build.
        env["GOGC"] = "off"
        env["GOMEMLIMIT"] = f"{self.settings.build_memory_mb // 4}MiB"
        # No -cover: coverage comes from instrumented's files, counted in the shared memory.
        argv = [str(gotools.go_binary()), "test", "-c"]
        # No symbol table or DWARF, as go test links a binary it runs and throws away: the
        # link is the slowest step, and nothing here reads debug info.
        argv += ["-ldflags=-s -w", "-o", str(work / "pkg.test")]
        if overlay is not None:
            argv.append(f"-overlay={overlay}")
        if modfile is not None:
            argv.append(f"-modfile={modfile}")
        argv.append(".")
        cache = Path(env["GOCACHE"])
        # The compiler reads hostile code, so it too runs without network and with a read-only
        # view of everything but its output.
        overlaid_files = (instrumented.dir,) if instrumented is not None else ()
        mounts = Mounts(
            read_only=(pkg.repo_dir, gotools.goroot(), Path(env["GOMODCACHE"]), *overlaid_files),
            writable=(cache, work) if trusted else (work,),
            overlaid=() if trusted else (cache,),
        )
        return await self.sandbox.run(
            argv, cwd=pkg.dir, mounts=mounts, env=env, limits=self.build_limits, drop_root=False
        )

    async def _resolve(self, pkg: Package, work: Path, imports: tuple[str, ...]) -> Path | None:
        """The private go.mod that adds what the test newly imports; None if nothing is new."""
        try:
            return await self.dependencies.resolve(pkg.module_dir, pkg.dir, work, imports)
        except FetchRefused as err:
            raise Rejected(Status.deps_failed, str(err)) from err

    def _build_failure(self, build: Outcome, pkg: Package, generated: Path) -> tuple[Status, str]:
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

    async def _events(self, output: bytes, import_path: str) -> list[dict]:
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
        return events


def _test_output(events: list[dict], raw: bytes) -> str:
    if not events:
        return raw.decode(errors="replace")
    return "".join(e.get("Output", "") for e in events if e.get("Action") == "output")


async def _run_go(
    args: list[str], *, cwd: Path | None = None, offline: bool = False, timeout: float = 300
) -> str:
    """Runs the trusted go command (never on generated code) and returns its stdout."""
    env = gotools.go_env({"GOPROXY": "off"} if offline else None)
    code, stdout, stderr = await run_go(args, cwd, env, timeout)
    if code != 0:
        raise RuntimeError(stderr.strip() or f"go {args[0]} failed")
    return stdout
