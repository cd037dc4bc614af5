"""The sandbox on its own (scoring/sandbox.py): what a run is handed, and what it can reach.

The attacks through the real server are in test_hostile*.py; these check the sandbox's own
promises with a shell inside, from a parent that holds descriptors it forgot to close.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import uvloop

from scoring.sandbox import SHARED_FD, Limits, Mounts, Outcome, Sandbox

LIMITS = Limits(timeout_s=20, memory_mb=1024)
# The shell's own open descriptors, without opening one to list them (as ls /proc/self/fd would).
LIST_FDS = 'for n in $(seq 0 1023); do [ -e /proc/$$/fd/$n ] && printf "%s " $n; done; echo'


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox()


def run(sandbox: Sandbox, script: str, **options) -> Outcome:
    # The server's event loop: its spawn ignores close_fds, so only the sandbox's own closing helps.
    return uvloop.run(
        sandbox.run(
            ["/bin/sh", "-c", script],
            cwd=Path("/"),
            mounts=Mounts(),
            env={"PATH": "/usr/bin:/bin"},
            limits=LIMITS,
            **options,
        )
    )


@pytest.fixture
def leaked(tmp_path):
    """Inheritable descriptors in this process, as a careless launcher would leave them."""
    directory = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    left, right = socket.socketpair()
    fds = [directory, left.fileno(), right.fileno()]
    for fd in fds:
        os.set_inheritable(fd, True)
    yield fds
    os.close(directory)
    left.close()
    right.close()


@pytest.mark.parametrize("drop_root", [True, False], ids=["run", "build"])
def test_a_run_gets_only_0_1_2(sandbox, leaked, drop_root):
    outcome = run(sandbox, LIST_FDS, drop_root=drop_root)
    assert outcome.exit_code == 0, outcome
    assert outcome.output.decode().split() == ["0", "1", "2"]


@pytest.mark.parametrize("drop_root", [True, False], ids=["run", "build"])
def test_the_shared_descriptor_is_fd_3_and_read_after_the_run(sandbox, leaked, drop_root):
    shared = os.memfd_create("shared")
    try:
        os.ftruncate(shared, 4096)
        outcome = run(
            sandbox,
            f"{LIST_FDS}; readlink /proc/$$/fd/{SHARED_FD}; printf written >&{SHARED_FD}",
            shared_fd=shared,
            drop_root=drop_root,
        )
        assert outcome.exit_code == 0, outcome
        listed, target = outcome.output.decode().splitlines()
        assert listed.split() == ["0", "1", "2", "3"]
        assert target.startswith("/memfd:shared")
        assert os.pread(shared, 7, 0) == b"written"  # the caller's descriptor, still open
    finally:
        os.close(shared)


def test_the_side_channel_is_fd_3(sandbox, leaked):
    outcome = run(sandbox, f"{LIST_FDS}; echo profile > {{side}}", side_channel=True)
    assert outcome.exit_code == 0, outcome
    assert outcome.output.decode().split() == ["0", "1", "2", "3"]
    assert outcome.side_output == b"profile\n"


def test_one_shared_descriptor_at_most(sandbox):
    with pytest.raises(ValueError, match="one shared descriptor"):
        run(sandbox, "true", shared_fd=0, side_channel=True)
