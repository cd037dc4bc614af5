"""Per-run cgroups: memory and process limits, what was exceeded, and nothing left running after.

One cgroup per run (v1 memory and pids controllers, or v2 with both delegated) bounds memory, which
also counts the run's tmpfs folders and overlays since tmpfs pages are charged to the writer, and
the number of processes; with the run's PID namespace it makes sure that nothing started inside
outlives the run (`setsid` leaves a process group, not those).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

# Lines that name a cgroup v1 hierarchy in /proc/mounts carry the controller among their options.
_CGROUP_V1_CONTROLLERS = ("memory", "pids")


class SandboxUnavailable(RuntimeError):
    """The kernel or the machine does not offer what the sandbox needs; nothing may run."""


class Cgroup:
    """One run's cgroup: created before the run, read and removed after it."""

    def __init__(self, dirs: dict[str, Path]) -> None:
        self.dirs = dirs  # controller ("memory", "pids", or "unified") -> folder

    def procs_files(self) -> list[Path]:
        return [d / "cgroup.procs" for d in self.dirs.values()]

    def exceeded(self) -> str | None:
        if "unified" in self.dirs:
            memory_events = self.dirs["unified"] / "memory.events"
            pids_events = self.dirs["unified"] / "pids.events"
        else:
            memory_events = self.dirs["memory"] / "memory.oom_control"
            pids_events = self.dirs["pids"] / "pids.events"
        if _counter(memory_events, "oom_kill") > 0:
            return "memory"
        if _counter(pids_events, "max") > 0:
            return "processes"
        return None

    async def kill_all(self) -> None:
        """Kills whatever is left; loops because a process may fork while the list is read.

        It waits with the event loop free: right after a run most of its processes are still
        exiting, and a blocking wait would stall every other scoring of the server meanwhile.
        """
        for _ in range(1000):
            pids = set()
            for procs in self.procs_files():
                with contextlib.suppress(OSError):
                    pids.update(int(p) for p in procs.read_text().split())
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(0.002)

    async def remove(self) -> None:
        await self.kill_all()
        for _ in range(1000):
            if self.remove_dirs():
                return
            await asyncio.sleep(0.002)  # EBUSY until the killed processes are reaped

    def remove_dirs(self) -> bool:
        """True once every folder is gone."""
        gone = True
        for d in self.dirs.values():
            try:
                d.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                gone = False
        return gone


def _counter(path: Path, key: str) -> int:
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    return 0


class CgroupFactory:
    """Finds where this machine lets us make cgroups with memory and pids limits."""

    def __init__(self, parent_name: str = "gotest-rl-scoring") -> None:
        self.parents = self._find_parents(parent_name)
        self._sweep()

    def _sweep(self, older_than_s: float = 600) -> None:
        """Removes empty cgroups that a killed server left behind.

        Only old ones: the folder is shared with other servers on the machine, and one of theirs
        may be empty for a moment between its creation and its run. rmdir refuses a busy one.
        """
        now = time.time()
        for parent in self.parents.values():
            for child in parent.iterdir():
                if len(child.name) == 32 and child.is_dir():
                    with contextlib.suppress(OSError):
                        if now - child.stat().st_mtime > older_than_s:
                            child.rmdir()

    @staticmethod
    def _find_parents(parent_name: str) -> dict[str, Path]:
        mounts = Path("/proc/mounts").read_text().splitlines()
        v1: dict[str, Path] = {}
        unified: Path | None = None
        for line in mounts:
            _, mountpoint, fstype, options, *_ = line.split()
            if fstype == "cgroup":
                for controller in _CGROUP_V1_CONTROLLERS:
                    if controller in options.split(","):
                        v1[controller] = Path(mountpoint)
            elif fstype == "cgroup2":
                unified = Path(mountpoint)
        errors = []
        if set(v1) == set(_CGROUP_V1_CONTROLLERS):
            try:
                parents = {c: root / parent_name for c, root in v1.items()}
                for p in parents.values():
                    p.mkdir(exist_ok=True)
                return parents
            except OSError as err:
                errors.append(f"cgroup v1: {err}")
        if unified is not None:
            try:
                controllers = (unified / "cgroup.controllers").read_text().split()
                if not {"memory", "pids"} <= set(controllers):
                    raise OSError(f"controllers {controllers} lack memory or pids")
                parent = unified / parent_name
                parent.mkdir(exist_ok=True)
                (parent / "cgroup.subtree_control").write_text("+memory +pids")
                return {"unified": parent}
            except OSError as err:
                errors.append(f"cgroup v2: {err}")
        raise SandboxUnavailable(
            "no cgroup with memory and pids controllers can be created here "
            f"({'; '.join(errors) or 'none mounted'}); run the scorer as root or with a delegated "
            "cgroup"
        )

    def create(self, memory_mb: int, processes: int) -> Cgroup:
        name = uuid.uuid4().hex
        dirs = {c: parent / name for c, parent in self.parents.items()}
        for d in dirs.values():
            d.mkdir()
        memory = str(memory_mb << 20)
        try:
            if "unified" in dirs:
                (dirs["unified"] / "memory.max").write_text(memory)
                (dirs["unified"] / "memory.swap.max").write_text("0")
                (dirs["unified"] / "pids.max").write_text(str(processes))
            else:
                (dirs["memory"] / "memory.limit_in_bytes").write_text(memory)
                with contextlib.suppress(OSError):  # absent when swap accounting is off
                    (dirs["memory"] / "memory.memsw.limit_in_bytes").write_text(memory)
                (dirs["pids"] / "pids.max").write_text(str(processes))
        except OSError:
            Cgroup(dirs).remove_dirs()  # nothing runs in it yet
            raise
        return Cgroup(dirs)
