"""read_report: what a run's shared memory says, and when its coverage counts as go test's would."""

from __future__ import annotations

import os
import struct

import pytest

from scoring.report import FAIL, HEADER_WORDS, PASS, RunMemory, read_report

TESTS = ("TestA", "ExampleB", "ExampleC")
EXAMPLES = {"ExampleB", "ExampleC"}


def report_of(records: list[tuple[int, int]], exit_code: int | None):
    """The report of a run that left records (starts, result) of TESTS and one counter set."""
    with RunMemory(len(TESTS), 1) as memory:
        words = [word for record in records for word in record] + [1]
        os.pwrite(memory.fd, struct.pack(f"={len(words)}I", *words), 4 * HEADER_WORDS)
        return read_report(memory, TESTS, exit_code, EXAMPLES)


@pytest.mark.parametrize(
    ("records", "exit_code", "ended"),
    [
        # testing.M.Run returned: go test writes the profile.
        ([(1, PASS), (1, PASS), (1, PASS)], 0, True),
        ([(1, FAIL), (1, PASS), (1, FAIL)], 1, True),
        # An example's panic unwinds through M.Run, whose deferred after() writes the profile.
        ([(1, PASS), (1, FAIL), (0, 0)], 2, True),
        ([(1, FAIL), (1, PASS), (1, FAIL)], 2, True),
        # A test's panic kills the binary from the test's goroutine, before after(): no profile.
        ([(1, FAIL), (0, 0), (0, 0)], 2, False),
        # The last example passed: what panicked was not an example.
        ([(1, PASS), (1, FAIL), (1, PASS)], 2, False),
        # An example started and has no result: the binary died in it (a goroutine's panic, an
        # exit, a kill), before after().
        ([(1, PASS), (1, PASS), (1, 0)], 2, False),
        ([(1, PASS), (1, 0), (0, 0)], 1, False),
        # Killed by a signal, or a status no testing package gives.
        ([(1, PASS), (1, FAIL), (0, 0)], None, False),
        ([(1, PASS), (1, FAIL), (0, 0)], 3, False),
    ],
)
def test_coverage_counts_when_go_test_writes_its_profile(records, exit_code, ended):
    report = report_of(records, exit_code)
    assert report.tampered is None
    assert report.ended is ended
    assert report.counters == (1,)


def test_a_failed_example_under_a_panic_counts_only_for_an_example():
    """Without the names of the examples, a failed last test under exit 2 is a test's panic."""
    with RunMemory(len(TESTS), 0) as memory:
        words = [1, PASS, 1, FAIL, 0, 0]
        os.pwrite(memory.fd, struct.pack(f"={len(words)}I", *words), 4 * HEADER_WORDS)
        assert read_report(memory, TESTS, 2).ended is False
        assert read_report(memory, TESTS, 2, EXAMPLES).ended is True
