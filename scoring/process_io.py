"""Waiting on a process and reading its pipe with the event loop free, closing each descriptor
exactly once: the sandbox's supervision of a run (scoring/sandbox.py) is built on these."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess


async def exit_code(proc: subprocess.Popen) -> int:
    """Waits for the process with the event loop free, through a pidfd (Linux 5.3)."""
    pidfd = PipeReader(os.pidfd_open(proc.pid))
    try:
        while proc.poll() is None:
            await pidfd.readable()
    finally:
        pidfd.close()
    return proc.returncode


def kill_group(proc: subprocess.Popen) -> None:
    """Kills the process's group (it was started in a session of its own), unless it was reaped:
    a reaped process's number may belong to another process by now."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


class PipeReader:
    """Reads a pipe (or waits on a pidfd) through add_reader, and closes it when told to, once.

    A pipe transport (connect_read_pipe) closes its descriptor later, on the loop's schedule;
    under uvloop, closing the number ourselves before that aborts the whole server. read() and
    readable() remove their watch before they return or are cancelled, so close() after them is
    safe.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.loop = asyncio.get_running_loop()
        self.closed = False
        os.set_blocking(fd, False)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)

    async def read(self, size: int) -> bytes:
        while True:
            with contextlib.suppress(BlockingIOError):
                return os.read(self.fd, size)
            await self.readable()

    async def readable(self) -> None:
        ready = self.loop.create_future()
        self.loop.add_reader(self.fd, set_once, ready)
        try:
            await ready
        finally:
            self.loop.remove_reader(self.fd)


def set_once(future: asyncio.Future) -> None:
    # add_reader may call again before the awaiting coroutine has removed it.
    if not future.done():
        future.set_result(None)
