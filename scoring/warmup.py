"""The scorer's warm-up: a bounded pass over the repos root's packages, in the background.

Warming a package builds and runs its instrumented test binary once, with no test of the model's
(`Scorer.reference`), so that the shared build cache holds the package's compiled code and its
first scoring only compiles the test. It only saves time: a package that is not warm is scored
the same, its reference built by its first scoring.

A repos root at training scale holds hundreds of repos and thousands of packages, seconds of
building each: warming them all would take hours and fill the build cache with packages that no
request may name. So the warm-up never holds up start-up (the server answers at once, and the
folders are listed in a thread), takes one package at a time (the other slots stay free for
requests), starts no package past SCORING_WARMUP_PACKAGES packages or SCORING_WARMUP_S seconds,
and is cancelled when the server stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("scoring")


@dataclass
class WarmUpReport:
    listed: int = 0  # package folders found, up to the cap
    warmed: int = 0
    failed: int = 0  # not a package after all, or its reference failed: its scorings will say
    stopped_by: str = ""  # "time" when the time cap ended it early, else ""
    seconds: float = 0.0


def ignored_by_go(name: str) -> bool:
    """Folders the go command never builds packages from."""
    return name in ("testdata", "vendor") or name.startswith((".", "_"))


def package_folders(repos_dir: Path, limit: int) -> list[tuple[str, str]]:
    """Up to limit (repo, package) pairs in name order: folders with a .go file, not a test's.

    The walk stops at the cap, so a huge repos root costs no more to list than a small one.
    """
    found: list[tuple[str, str]] = []
    if limit <= 0:
        return found
    for folder, subfolders, files in os.walk(repos_dir):
        parts = Path(folder).relative_to(repos_dir).parts
        # Owners and repos may be named anything but hidden; inside a repo, go's rules apply.
        skip = ignored_by_go if len(parts) >= 2 else (lambda name: name.startswith("."))
        subfolders[:] = sorted(name for name in subfolders if not skip(name))
        if len(parts) < 2:
            continue  # the root, or an owner's folder: not inside a repo yet
        if any(name.endswith(".go") and not name.endswith("_test.go") for name in files):
            found.append(("/".join(parts[:2]), "/".join(parts[2:]) or "."))
            if len(found) >= limit:
                break
    return found


async def warm_up(
    repos_dir: Path,
    warm_one: Callable[[str, str], Awaitable[object]],
    *,
    packages: int,
    seconds: float,
) -> WarmUpReport:
    """Warms the first `packages` packages, one at a time, starting none after `seconds`.

    warm_one(repo, package) warms one; its failure is the package's, never the warm-up's.
    """
    started = time.monotonic()
    report = WarmUpReport()
    folders = await asyncio.to_thread(package_folders, repos_dir, packages)
    report.listed = len(folders)
    for repo, package in folders:
        if time.monotonic() - started >= seconds:
            report.stopped_by = "time"
            break
        try:
            await warm_one(repo, package)
            report.warmed += 1
        except Exception as err:  # CancelledError is not one: a stop ends the warm-up
            report.failed += 1
            logger.debug("warm-up skipped %s/%s: %s", repo, package, err)
    report.seconds = round(time.monotonic() - started, 1)
    logger.info(
        "warm-up: %d of %d package folders warm, %d failed, in %.1fs%s",
        report.warmed,
        report.listed,
        report.failed,
        report.seconds,
        " (stopped by SCORING_WARMUP_S)" if report.stopped_by else "",
    )
    return report


async def stop(task: asyncio.Task | None) -> None:
    """Cancels a running warm-up and waits for it to end (a sandboxed run in it is killed)."""
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
