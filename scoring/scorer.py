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
import shlex
import shutil
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

import gotools
from scoring import warmup
from scoring.completion import extract_code
from scoring.dependencies import Dependencies, FetchRefused
from scoring.gobuild import GENERATED_NAME, TEST_BINARY_NAME, TestBinaries, run_go, write_overlay
from scoring.models import RefusedItem, ScoreItem, ScoreResult, Status
from scoring.mutation import MutationTesting
from scoring.packages import Package, Packages, Rejected, check_package_clause, once_per_package
from scoring.report import RunMemory, read_report, set_profile
from scoring.reward import Formula, reward, uses_mutation
from scoring.sandbox import Limits, Mounts, Sandbox
from scoring.settings import Settings

logger = logging.getLogger("scoring")

DETAIL_BYTES = 4096


def truncate(text: str, limit: int = DETAIL_BYTES) -> str:
    """Keeps the head and the tail: compilers put the cause first, tests the summary last."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n... [{len(text) - limit} characters cut] ...\n{text[-half:]}"


def _rejection(rejected: Rejected) -> ScoreResult:
    """The result of a scoring that ended early: reward 0, or null for the scorer's own failure."""
    return ScoreResult(
        reward=None if rejected.status == Status.error else 0.0,
        status=rejected.status,
        detail=truncate(rejected.detail),
    )


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
        self.packages_found = Packages(self.repos_dir, self.helper)
        self.packages = self.packages_found.loaded  # the folders found so far
        self.instrumentations: dict[Path, asyncio.Future[gotools.Instrumented]] = {}
        self.references: dict[Path, asyncio.Future[bool]] = {}
        self.in_flight: dict[str, asyncio.Future[ScoreResult]] = {}
        self.results: OrderedDict[str, ScoreResult] = OrderedDict()
        self.go_version = ""
        self.run_limits = Limits(
            timeout_s=settings.timeout_s,
            memory_mb=settings.memory_mb,
            processes=settings.max_processes,
            disk_mb=settings.disk_mb,
            output_bytes=settings.output_kb << 10,
        )
        self.binaries = TestBinaries(settings, sandbox, self.run_limits)
        self.mutation = MutationTesting(settings, self.helper, self.binaries)

    # Start-up ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Everything a server does once before it scores: folders, tools, helpers, self-test."""
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
        self.go_version = (await run_go(["version"])).strip()
        await self.binaries.start()
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
            await self.reference(await self.packages_found.get(repo, package))

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
        formula = item.reward or self.settings.reward
        target = [item.repo, item.package, item.target_file, item.target_function]
        key = hashlib.sha256(json.dumps([*target, formula, code]).encode()).hexdigest()
        if key in self.results:
            self.results.move_to_end(key)
            return self.results[key]
        if key in self.in_flight:
            return await asyncio.shield(self.in_flight[key])
        future = asyncio.get_running_loop().create_future()
        self.in_flight[key] = future
        try:
            result = await self._score(item, code, formula)
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

    async def _score(self, item: ScoreItem, code: str, formula: Formula) -> ScoreResult:
        started = time.monotonic()
        try:
            result = await self._score_checked(item, code, formula)
        except Rejected as rejected:  # before the code parsed: no assertions to report
            result = _rejection(rejected)
        except Exception as err:
            logger.exception("scoring failed for %s/%s", item.repo, item.package)
            result = ScoreResult(reward=None, status=Status.error, detail=f"scorer error: {err}")
        result.duration_s = round(time.monotonic() - started, 4)
        return result

    async def _score_checked(self, item: ScoreItem, code: str, formula: Formula) -> ScoreResult:
        """The pipeline: package, target, code, imports, checks, then build and run."""
        pkg = await self.packages_found.get(item.repo, item.package)
        await self.packages_found.check_target(pkg, item.target_file, item.target_function)
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
        try:
            check_package_clause(source, pkg)
            async with self.slots, self._work_folder() as work:
                imports = tuple(parsed["imports"] or ())
                result = await self._build_and_run(
                    pkg, item, source, work, imports=imports, formula=formula
                )
        except Rejected as rejected:
            result = _rejection(rejected)
        result.assertions = parsed["assertions"]  # the code parsed: the contract reports its checks
        return result

    # Go helper --------------------------------------------------------------------------------

    async def helper(self, cmd: str, **args: str) -> dict:
        helper = await self.helpers.get()
        try:
            return await helper.request(cmd, **args)
        finally:
            self.helpers.put_nowait(helper)

    async def coverage(self, pkg: Package, item: ScoreItem, profile: Path) -> float:
        """The share of the target's statements that profile covers."""
        args = {"dir": str(pkg.dir)}
        if item.target_file:
            args["file"] = item.target_file
        if item.target_function:
            args["func"] = item.target_function
        answer = await self.helper("cover", profile=str(profile), **args)
        return answer["coverage"] or 0.0

    # Build and run ----------------------------------------------------------------------------

    async def instrumented(self, pkg: Package) -> gotools.Instrumented:
        """The package's files instrumented for coverage in shared memory, once per server.

        Its secret prefix lives as long as the server: the names it makes are variables, which
        never reach a binary (unlike function names, which the harness makes fresh per build).
        """
        return await once_per_package(self.instrumentations, pkg.dir, lambda: self._instrument(pkg))

    async def _instrument(self, pkg: Package) -> gotools.Instrumented:
        out = await self._new_folder(prefix="instr-")  # lives as long as the server
        answer = await self.helper(
            "instrument", dir=str(pkg.dir), files=",".join(pkg.go_files), out=str(out)
        )
        return gotools.Instrumented.from_answer(answer, out)

    async def _build_and_run(
        self,
        pkg: Package,
        item: ScoreItem,
        source: str,
        work: Path,
        *,
        imports: tuple[str, ...],
        formula: Formula,
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
        examples = {test["name"] for test in harnessed["tests"] if test["kind"] == "example"}
        generated = work / GENERATED_NAME
        generated.write_text(harnessed["source"])
        harness = work / harnessed["harness_name"]
        harness.write_text(harnessed["harness"])
        added = {GENERATED_NAME: generated, harnessed["harness_name"]: harness}
        replaced = dict(inst.overlay)
        schemata = None
        if uses_mutation(formula):  # one build holds every mutant of the target
            target = (item.target_file, item.target_function)
            schemata = await self.mutation.schemata(pkg, inst, *target)
            replaced.update(self.mutation.write_sources(schemata, work, harnessed["prefix"]))
        overlay = write_overlay(work, pkg, replaced, added)

        modfile = await self._resolve(pkg, work, imports)
        # The trusted reference build first: it compiles the package and its dependencies into the
        # shared cache, where the generated test's build (whose own objects are thrown away) finds
        # them; built the other way round, with warm-up off, every first build of a package
        # compiled them all again, and could hit the build time limit for the machine's load; a
        # package's first scorings (a batch's samples of one prompt) share that one build.
        await self.reference(pkg)
        build = await self.binaries.build(pkg, work, overlay, modfile, overlaid_dirs=(inst.dir,))
        if build.exit_code != 0:
            raise Rejected(*self.binaries.failure(build, pkg, generated))

        with RunMemory(len(tests), inst.counters) as memory:
            outcome = await self.binaries.run(pkg, work / TEST_BINARY_NAME, memory)
            report = read_report(memory, tests, outcome.exit_code, examples)
        detail = truncate(await self.binaries.test_output(outcome.output, pkg.import_path))
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
            coverage = await self.coverage(pkg, item, profile)
        mutation = None
        if schemata is not None:
            mutation = await self.mutation.score(
                pkg, work / TEST_BINARY_NAME, inst, schemata, tests, report, outcome
            )
        score = mutation.score if mutation else None
        return ScoreResult(
            reward=reward(counts.passed, counts.failed, coverage, score, formula),
            status=Status.ok,
            tests=counts,
            coverage=coverage,
            mutation=mutation,
            detail=detail,
        )

    async def _resolve(self, pkg: Package, work: Path, imports: tuple[str, ...]) -> Path | None:
        """The private go.mod that adds what the test newly imports; None if nothing is new."""
        try:
            return await self.dependencies.resolve(pkg.module_dir, pkg.dir, work, imports)
        except FetchRefused as err:
            raise Rejected(Status.deps_failed, str(err)) from err

    async def reference(self, pkg: Package) -> bool:
        """Whether the package's instrumented test binary, with no test of the model's, runs
        (TestBinaries.reference), once per package: if not, no scoring of it runs a test either.
        """
        return await once_per_package(self.references, pkg.dir, lambda: self._reference(pkg))

    async def _reference(self, pkg: Package) -> bool:
        inst = await self.instrumented(pkg)
        async with self._work_folder() as work:
            return await self.binaries.reference(pkg, inst, work)

    async def _new_folder(self, prefix: str | None = None) -> Path:
        """A fresh folder under the server's work root that the sandbox's user can read."""
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=prefix, dir=self.work_root))
        folder.chmod(0o755)
        return folder

    @contextlib.asynccontextmanager
    async def _work_folder(self):
        """A new folder for one build or run, removed afterwards."""
        work = await self._new_folder()
        try:
            yield work
        finally:
            await asyncio.to_thread(shutil.rmtree, work, ignore_errors=True)
