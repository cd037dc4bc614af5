"""Reading what a test binary reports about its run, and refusing a report the test wrote itself.

A Go test binary reports in-band: test2json's framing goes to the same stdout that the test writes
to, and the cover profile goes to a path that the test can read from its flags. Nothing in one
process can keep a secret from the rest of it, so a test can print framing of its own; what it
cannot do is make that framing agree with what the testing package itself prints. A report is
trusted only if it has the shape of a real run:

- only top-level tests that the generated file declares count (the helper reads them from the
  AST), so invented names never count;
- each test has at most one start and one result: a forged result next to the real one shows;
- the testing package ends a run by writing the cover profile, exactly once and complete; a run
  that exits 0 without it ended behind the testing package's back (a TestMain that skips m.Run, a
  test that calls syscall.Exit(0)), and a second or a malformed profile was written by the test;
- a profile lists exactly the blocks that the package's instrumented build has (a reference
  profile from a build without the generated test), so a forged one cannot claim other blocks.

A run that ended abnormally (a panic, os.Exit(1), a kill) counts the results printed before the
end, but the test running at the end failed, whatever it printed about itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from scoring.models import TestCounts

# One block of a `-covermode=set` profile: file:startLine.startCol,endLine.endCol statements count.
_BLOCK = re.compile(rb"^(.+\.go:\d+\.\d+,\d+\.\d+ \d+) ([01])$")
_MODE = b"mode: set"


@dataclass
class Report:
    counts: TestCounts = field(default_factory=TestCounts)
    profile: bytes | None = None  # set when the run ended through the testing package
    tampered: str | None = None  # why the report cannot be trusted


def profile_blocks(profile: bytes) -> list[bytes] | None:
    """The blocks of a complete set-mode profile (position and statements), None if malformed."""
    lines = profile.split(b"\n")
    if len(lines) < 2 or lines[0] != _MODE or lines[-1] != b"":
        return None
    blocks = []
    for line in lines[1:-1]:
        match = _BLOCK.match(line)
        if match is None:
            return None
        blocks.append(match.group(1))
    return blocks


def read_report(
    events: Iterable[dict],
    declared: frozenset[str],
    exit_code: int | None,
    profile: bytes,
    reference: frozenset[bytes] | None,
) -> Report:
    """The counts of top-level tests, or why the run's report was forged."""
    ended = bool(profile)
    if ended:
        blocks = profile_blocks(profile)
        if blocks is None:
            return Report(tampered="the cover profile is not one complete profile")
        if len(set(blocks)) != len(blocks) or (reference is not None and set(blocks) != reference):
            return Report(tampered="the cover profile lists blocks that the package does not have")
    elif exit_code == 0:
        return Report(tampered="the binary exited 0 without the testing package's ending")

    runs: dict[str, int] = {}
    results: dict[str, str] = {}
    running: str | None = None
    for event in events:
        test, action = event.get("Test"), event.get("Action")
        if test not in declared:
            continue
        if action in ("run", "cont"):
            if action == "run":
                runs[test] = runs.get(test, 0) + 1
                if runs[test] > 1:
                    return Report(tampered=f"{test} was started twice")
            running = test
        elif action in ("pass", "fail", "skip"):
            if test in results:
                return Report(tampered=f"{test} has two results")
            if test not in runs:
                return Report(tampered=f"{test} has a result but was never started")
            results[test] = action

    counts = TestCounts()
    for test in runs:
        result = results.get(test)
        if result is None and ended:
            # The testing package gives every test it started a result before it ends.
            return Report(tampered=f"{test} has no result, yet the run ended normally")
        if result is None or (not ended and test == running):
            counts.failed += 1
        elif result == "pass":
            counts.passed += 1
        elif result == "skip":
            counts.skipped += 1
        else:
            counts.failed += 1
    return Report(counts=counts, profile=profile if ended else None)
