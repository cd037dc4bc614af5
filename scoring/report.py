"""What a test run measured, read from memory that the test's own code cannot write.

A test binary's own reports (test2json's framing on its stdout, the cover profile it writes) come
from the process that runs the test, so a test can forge both. The scorer trusts neither: each
run gets a shared memory (a sealed memfd, descriptor 3 in the sandbox) that only code the scorer
adds to the build writes into (`gotools instrument` and `gotools harness`, under names the test
cannot know), and that the server reads after the run, however it ended. Its layout, in uint32
words of the machine's byte order:

    [0] OFFERED, turned into ATTACHED by the binary once it has mapped the memory
    [1] the mutant to run (0: the real code)
    [2] R, the number of declared tests; [3] N, the number of coverage counters
    [4 + 2i], [4 + 2i + 1]: starts and result of declared test i (result 0 none, 1 pass, 2 fail,
    3 skip); then N counters, 1 once their block ran

Counting: a test that started once and has a result counts by it; one that started but has no
result failed (the binary crashed or exited in it); one never started did not run. A test started
twice (a TestMain that calls m.Run twice) makes the report untrusted.

Coverage counts when go test would write its profile, which testing.M.Run's deferred after() does:
for a run that ended as the testing package ends one (every started test has its result, and the
binary exited 0 or 1), and for a run that an Example's panic ended (exit 2, every started test has
its result, the last one started is an example that failed): examples run last, one at a time, in
the main goroutine, so their panic unwinds through M.Run and its after(). A test's panic (in its
own goroutine) or a crash or exit mid-test kills the binary before after(): no profile.
"""

from __future__ import annotations

import fcntl
import os
import struct
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from scoring.models import TestCounts

OFFERED = 0x6C727467  # "gtrl" in little-endian bytes
ATTACHED = 0x4C525447  # "GTRL"
HEADER_WORDS = 4
PASS, FAIL, SKIP = 1, 2, 3
PANIC_EXIT = 2  # the exit status of a Go program that a panic ended


class RunMemory:
    """One run's shared memory: a sealed memfd holding the header, zeros elsewhere."""

    def __init__(self, records: int, counters: int, mutant: int = 0) -> None:
        self.records = records
        self.counters = counters
        self.size = 4 * (HEADER_WORDS + 2 * records + counters)
        self.header = (OFFERED, mutant, records, counters)
        self.fd = os.memfd_create("gotestrl", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            os.ftruncate(self.fd, self.size)
            os.pwrite(self.fd, struct.pack(f"={HEADER_WORDS}I", *self.header), 0)
            seals = fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL
            fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, seals)
        except BaseException:
            os.close(self.fd)
            raise

    def words(self) -> tuple[int, ...]:
        data = os.pread(self.fd, self.size, 0)
        return struct.unpack(f"={len(data) // 4}I", data)

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> RunMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Report:
    counts: TestCounts = field(default_factory=TestCounts)
    attached: bool = False  # the binary mapped the memory: its package initialised
    ended: bool = False  # the run ended as the testing package ends one: coverage counts
    passed: tuple[str, ...] = ()  # names of the declared tests that passed
    counters: tuple[int, ...] = ()  # coverage counters, in instrument's block order
    tampered: str | None = None  # why the report cannot be trusted


def read_report(
    memory: RunMemory,
    tests: Sequence[str],
    exit_code: int | None,
    examples: Collection[str] = (),
) -> Report:
    """The counts of the declared tests (harness's order) and the counters, or why not.

    examples names those of tests that are Examples (harness's kind "example").
    """
    words = memory.words()
    if len(words) != HEADER_WORDS + 2 * memory.records + memory.counters:
        return Report(tampered="the run's memory changed size")
    header = words[:HEADER_WORDS]
    if header[1:] != memory.header[1:] or header[0] not in (OFFERED, ATTACHED):
        return Report(tampered="the run's memory header was overwritten")
    if len(tests) != memory.records:
        raise ValueError(f"{len(tests)} test names for {memory.records} records")
    report = Report(attached=header[0] == ATTACHED)
    passed = []
    every_result = True  # every started test has its result
    last_started: tuple[str, int] | None = None  # name and result of the last test started
    for i, name in enumerate(tests):
        starts, result = words[HEADER_WORDS + 2 * i : HEADER_WORDS + 2 * i + 2]
        if starts > 1:
            return Report(tampered=f"{name} was started {starts} times")
        if result > SKIP or (starts == 0 and result != 0):
            return Report(tampered=f"{name} has a record no run writes")
        if starts == 0:
            continue
        last_started = (name, result)
        if result == PASS:
            report.counts.passed += 1
            passed.append(name)
        elif result == SKIP:
            report.counts.skipped += 1
        elif result == FAIL:
            report.counts.failed += 1
        else:  # started, never finished: the binary crashed or exited in it
            report.counts.failed += 1
            every_result = False
    example_panicked = (
        exit_code == PANIC_EXIT
        and last_started is not None
        and last_started[0] in examples
        and last_started[1] == FAIL
    )
    report.ended = every_result and (exit_code in (0, 1) or example_panicked)
    report.passed = tuple(passed)
    report.counters = words[HEADER_WORDS + 2 * memory.records :]
    return report


def set_profile(
    import_path: str, files: Sequence[str], blocks: Sequence[Sequence[int]], counters: Sequence[int]
) -> bytes:
    """A set-mode cover profile, named as go test names files (import path / base name).

    blocks are instrument's: file index, start line, start column, end line, end column,
    statements; counters the run's, in the same order.
    """
    if len(blocks) != len(counters):
        raise ValueError(f"{len(blocks)} blocks for {len(counters)} counters")
    lines = [b"mode: set"]
    for (file, start_line, start_col, end_line, end_col, statements), count in zip(
        blocks, counters, strict=True
    ):
        name = f"{import_path}/{files[file]}"
        position = f"{name}:{start_line}.{start_col},{end_line}.{end_col}"
        lines.append(f"{position} {statements} {1 if count else 0}".encode())
    return b"\n".join(lines) + b"\n"
