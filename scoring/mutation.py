"""The mutation score: how many small faults put into the target the passing tests catch.

One build holds every mutant (mutant schemata): `gotools mutants` lists the target's mutants
once per target, and `gotools schemata` rewrites each instrumented file that holds some, so that
each site reads the mutant id from word 1 of the run's shared memory and behaves as mutant k
where it is k, as the real code where it is 0. The helpers it adds are functions, whose names
reach the binary, so they carry each build's own secret prefix (the harness's): the rewrite is
made once per target with a placeholder prefix that no build ever sees.

After the real run (id 0), the tests that passed on it are run again, by their exact names, once
with id 0 (the control run) and once per mutant whose statement the real run covered, each in a
fresh sandbox with a fresh shared memory, the same arguments and environment and a time limit
derived from the real run's. A mutant is killed when one of those tests fails, the run crashes
or it runs past its limit. The control run is made exactly as a mutant's run is made, so a test
that fails on anything a mutant run may look like fails it too: then no mutant counts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gotools
from scoring.gobuild import TestBinaries
from scoring.models import MutationScore
from scoring.packages import Helper, Package
from scoring.report import Report, RunMemory, read_report
from scoring.sandbox import Outcome
from scoring.settings import Settings

logger = logging.getLogger("scoring")

# A mutant's run may take this many times the real run's, and at least MIN_LIMIT_S: a mutant
# that loops forever costs about a second, not SCORING_TIMEOUT_S.
LIMIT_FACTOR = 5
MIN_LIMIT_S = 1.0
# Runs of one scoring's mutants at once: a run mostly waits on the sandbox's set-up, so a few
# overlap well on one core's share.
RUNS_AT_ONCE = 3
# Targets whose rewritten files are kept (each a few source files): a GRPO group scores one
# target 8 times in a row, a dataset has thousands.
SCHEMATA_KEPT = 256


@dataclass(frozen=True)
class Mutant:
    id: int
    file: str
    stmt_line: int
    stmt_col: int


@dataclass(frozen=True)
class Schemata:
    """A target's mutants, and the instrumented files rewritten to hold them all."""

    mutants: tuple[Mutant, ...]
    sources: dict[str, str]  # base name -> rewritten instrumented source
    placeholder: str  # the prefix of the helpers' names, replaced by each build's own


def go_run_pattern(names: Sequence[str]) -> str:
    """An anchored -test.run pattern that matches exactly these top-level names."""
    quoted = (re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", name) for name in names)
    return "^(" + "|".join(quoted) + ")$"


def covered(mutant: Mutant, files: Sequence[str], blocks, counters: Sequence[int]) -> bool:
    """Whether the innermost cover block holding the mutant's statement ran.

    Blocks nest (a block ends after a control statement that holds the blocks of its body), so
    the innermost is the one that starts last. A statement in no block is run to be safe.
    """
    position = (mutant.stmt_line, mutant.stmt_col)
    innermost = None
    for (file, start_line, start_col, end_line, end_col, _), count in zip(
        blocks, counters, strict=True
    ):
        if files[file] != mutant.file:
            continue
        if (start_line, start_col) <= position < (end_line, end_col) and (
            innermost is None or (start_line, start_col) > innermost[0]
        ):
            innermost = ((start_line, start_col), count)
    return innermost is None or innermost[1] != 0


class MutationTesting:
    def __init__(self, settings: Settings, helper: Helper, binaries: TestBinaries) -> None:
        self.settings = settings
        self.helper = helper
        self.binaries = binaries
        self.schematas: OrderedDict[tuple, asyncio.Future[Schemata]] = OrderedDict()

    async def schemata(
        self,
        pkg: Package,
        inst: gotools.Instrumented,
        target_file: str | None,
        target_function: str | None,
    ) -> Schemata:
        """The target's mutants and rewritten files, made once per target and server."""
        key = (pkg.dir, target_file, target_function, inst.prefix)
        if key in self.schematas:
            self.schematas.move_to_end(key)
        else:
            make = self._schemata(pkg, inst, target_file, target_function)
            self.schematas[key] = asyncio.ensure_future(make)
            if len(self.schematas) > SCHEMATA_KEPT:
                self.schematas.popitem(last=False)  # its waiters hold their own reference
        try:
            return await asyncio.shield(self.schematas[key])
        except Exception:
            self.schematas.pop(key, None)  # a passing failure is tried again next time
            raise

    async def _schemata(
        self,
        pkg: Package,
        inst: gotools.Instrumented,
        target_file: str | None,
        target_function: str | None,
    ) -> Schemata:
        args = {"dir": str(pkg.dir), "max": str(self.settings.mutants)}
        if target_file:
            args["file"] = target_file
        if target_function:
            args["func"] = target_function
        listed = await self.helper("mutants", **args)
        mutants = tuple(
            Mutant(m["id"], m["file"], m["stmt_line"], m["stmt_col"]) for m in listed["mutants"]
        )
        placeholder = f"gotestrl_{secrets.token_hex(8)}_"
        sources = {}
        for file in sorted({m.file for m in mutants}):
            answer = await self.helper(
                "schemata",
                dir=str(pkg.dir),
                file=file,
                src=str(inst.overlay[file]),
                mutants_text=json.dumps(listed),
                selector=inst.mutant,
                prefix=placeholder,
            )
            sources[file] = answer["source"]
        return Schemata(mutants=mutants, sources=sources, placeholder=placeholder)

    def write_sources(self, schemata: Schemata, work: Path, prefix: str) -> dict[str, Path]:
        """The rewritten files of one build, their helpers named with its prefix."""
        folder = work / "schemata"
        folder.mkdir()
        written = {}
        for name, source in schemata.sources.items():
            path = folder / name
            path.write_text(source.replace(schemata.placeholder, prefix))
            written[name] = path
        return written

    async def score(
        self,
        pkg: Package,
        binary: Path,
        inst: gotools.Instrumented,
        schemata: Schemata,
        tests: Sequence[str],
        real: Report,
        real_run: Outcome,
    ) -> MutationScore | None:
        """Killed of the target's mutants; None when nothing passed or nothing is mutable.

        The real run's counters cover at least what its passing tests ran (they ran to their
        end before anything that stopped the run), so a mutant outside them survives unrun.
        """
        passed = real.passed
        total = len(schemata.mutants)
        if not passed or total == 0:
            return None
        limit = min(self.settings.timeout_s, max(MIN_LIMIT_S, LIMIT_FACTOR * real_run.duration_s))
        flags = (f"-test.run={go_run_pattern(passed)}", "-test.failfast")
        at_once = asyncio.Semaphore(RUNS_AT_ONCE)

        async def caught(mutant_id: int) -> bool | None:
            """Whether a passing test caught the mutant (id 0: whether the control failed)."""
            async with at_once:
                with RunMemory(len(tests), inst.counters, mutant=mutant_id) as memory:
                    outcome = await self.binaries.run(pkg, binary, memory, *flags, timeout_s=limit)
                    report = read_report(memory, tests, outcome.exit_code)
            if outcome.timed_out or outcome.exceeded:
                return True
            if report.tampered:
                return None  # no verdict: the run did something no real run does
            return outcome.exit_code != 0 or not set(passed) <= set(report.passed)

        ran = [m.id for m in schemata.mutants if covered(m, inst.files, inst.blocks, real.counters)]
        control, *verdicts = await asyncio.gather(caught(0), *map(caught, ran))
        if control is not False:
            logger.info("%s: the control run did not pass as the real run did", pkg.import_path)
            return MutationScore(killed=0, total=total, score=0.0)
        killed = sum(1 for verdict in verdicts if verdict)
        return MutationScore(killed=killed, total=total, score=killed / total)
