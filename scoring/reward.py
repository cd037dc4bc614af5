"""The reward formula of the scoring contract, in one place."""

from __future__ import annotations


def reward(passed: int, failed: int, coverage: float | None) -> float:
    """0 unless a test ran; else 0.5 + 0.25·pass share + 0.05·[all passed] + 0.2·coverage."""
    ran = passed + failed
    if ran == 0:
        return 0.0
    all_passed = 1.0 if failed == 0 else 0.0
    return 0.5 + 0.25 * passed / ran + 0.05 * all_passed + 0.2 * (coverage or 0.0)
