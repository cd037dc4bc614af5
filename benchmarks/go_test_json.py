"""Reading `go test -json`: its events, and each top-level test's outcome as go test counts it."""

from __future__ import annotations

import json
from collections import Counter

# go test's word for an outcome, and ours (the scorer's `tests` counts).
_COUNTED = {"pass": "passed", "fail": "failed", "skip": "skipped"}


def events(stdout: str) -> list[dict]:
    """The JSON events of go test's stdout; other lines (a build's own output) are skipped."""
    found = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found


def top_level_outcomes(events: list[dict]) -> dict[str, str]:
    """pass, fail or skip of each top-level test (a subtest counts in its parent's outcome).

    A test that started and never ended failed: a panic or a timeout ended the test binary.
    """
    started: set[str] = set()
    ended: dict[str, str] = {}
    for event in events:
        test, action = event.get("Test"), event.get("Action")
        if not test or "/" in test:
            continue
        if action == "run":
            started.add(test)
        elif action in _COUNTED:
            ended[test] = action
    for test in started - ended.keys():
        ended[test] = "fail"
    return ended


def top_level_counts(events: list[dict]) -> dict[str, int]:
    """passed, failed and skipped top-level tests, as the scorer's `tests` counts them."""
    outcomes = Counter(top_level_outcomes(events).values())
    return {ours: outcomes[action] for action, ours in _COUNTED.items()}
