"""The sandbox on its own (scoring/sandbox.py): what a run is handed, and what it can reach.

The attacks through the real server are in hostile/; these check the sandbox's own
promises with a shell inside, from a parent that holds descriptors it forgot to close.
"""

from __future__ import annotations

import errno
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import uvloop

import gotools
from scoring import seccomp
from scoring.cgroups import CgroupFactory
from scoring.sandbox import SHARED_FD, Limits, Mounts, Outcome, Sandbox
from tests.sample import ROOT

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


@pytest.mark.parametrize("drop_root", [True, False], ids=["run", "build"])
def test_no_file_can_outgrow_the_disk_limit(sandbox, drop_root):
    outcome = run(sandbox, "grep 'Max file size' /proc/self/limits", drop_root=drop_root)
    size = str(LIMITS.disk_mb << 20)
    assert outcome.output.decode().split() == ["Max", "file", "size", size, size, "bytes"]


# A server that is not root: the sandbox as another user, with a cgroup delegated to it.
AS_ANOTHER_USER = """
import asyncio, sys
from pathlib import Path
import gotools
from scoring import seccomp
from scoring.cgroups import CgroupFactory
from scoring.sandbox import Limits, Mounts, Sandbox
sandbox = Sandbox(CgroupFactory(sys.argv[1]))
outcome = asyncio.run(sandbox.run(
    ["/bin/sh", "-c", sys.argv[3]],
    cwd=Path("/"),
    mounts=Mounts(read_only=(Path(sys.argv[2]),)),
    env={"PATH": "/usr/bin:/bin"},
    limits=Limits(timeout_s=20, memory_mb=1024),
))
sys.stdout.buffer.write(outcome.output)
"""


def reachable_by_others(path: Path) -> bool:
    return all(parent.stat().st_mode & 0o001 for parent in [path, *path.parents])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to delegate a cgroup to another user")
@pytest.mark.skipif(
    not reachable_by_others(ROOT), reason="the checkout is in a folder other users cannot enter"
)
def test_a_server_that_is_not_root_runs_its_user_in_a_user_namespace():
    user = 65534
    name = f"gotest-rl-test-{uuid.uuid4().hex[:8]}"
    factory = CgroupFactory(name)
    private = Path(tempfile.mkdtemp())  # the other user's own 0700 folder, the repos in it
    (private / "repos").mkdir()
    for path in (private, private / "repos"):
        os.chown(path, user, user)
    try:
        for parent in factory.parents.values():
            for path in (parent, parent / "cgroup.procs"):
                os.chown(path, user, user)
        script = (
            f"id -u; cat /proc/self/uid_map; {LIST_FDS}; "
            f"test -r {private}/repos && ! test -w {private}/repos && echo repos-read-only"
        )
        drop = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
        args = [sys.executable, "-c", AS_ANOTHER_USER, name, f"{private}/repos", script]
        proc = subprocess.run([*drop, *args], cwd=ROOT, capture_output=True, check=False)
    finally:
        for parent in factory.parents.values():
            parent.rmdir()
        shutil.rmtree(private)
    assert proc.returncode == 0, proc.stderr.decode()
    uid, uid_map, fds, repos = proc.stdout.decode().splitlines()
    assert uid == str(user)
    # Its own user namespace (bwrap nests two, the inner one maps the user to the outer's root,
    # which is the user again), not the machine's.
    assert uid_map.split() == [str(user), "0", "1"]
    assert fds.split() == ["0", "1", "2"]
    assert repos == "repos-read-only"


@pytest.mark.parametrize("drop_root", [True, False], ids=["run", "build"])
def test_the_writable_places_are_tmp_and_dev_shm_each_size_capped(sandbox, drop_root):
    places = "/ /etc /etc/passwd /usr /dev /dev/shm /tmp /proc/sys/vm/swappiness /proc/sys/kernel"
    script = (
        f"for place in {places}; do test -w $place && echo writable: $place; done; "
        "echo x > /dev/null && echo devices work; "
        "df -k --output=size,target /tmp /dev/shm | tail -n +2"
    )
    outcome = run(sandbox, script, drop_root=drop_root)
    assert outcome.exit_code == 0, outcome
    size_kb = LIMITS.disk_mb << 10
    assert [" ".join(line.split()) for line in outcome.output.decode().splitlines()] == [
        "writable: /dev/shm",
        "writable: /tmp",
        "devices work",
        f"{size_kb} /tmp",
        f"{size_kb} /dev/shm",
    ]


# A static Go program that makes raw system calls by number and tells what came back; and on
# amd64, a 32-bit system call (int $0x80), which the filter must not let through either.
PROBE = {
    "go.mod": "module probe\n\ngo 1.22\n",
    "main.go": """package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func main() {
	if os.Args[1] == "int80" {
		fmt.Println("32-bit getpid:", int80(20)) // __NR_getpid of i386
		return
	}
	for _, arg := range os.Args[1:] {
		number, _ := strconv.Atoi(arg)
		_, _, errno := syscall.RawSyscall6(uintptr(number), 0, 0, 0, 0, 0, 0)
		fmt.Println(number, int(errno))
	}
}
""",
    "int80_amd64.go": "package main\n\nfunc int80(number uint64) uint64\n",
    "int80_amd64.s": """#include "textflag.h"

TEXT ·int80(SB),NOSPLIT,$0-16
	MOVQ number+0(FP), AX
	INT $0x80
	MOVQ AX, ret+8(FP)
	RET
""",
    "int80_other.go": (
        "//go:build !amd64\n\npackage main\n\nfunc int80(uint64) uint64 { return 0 }\n"
    ),
}


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("probe")
    for name, text in PROBE.items():
        (source / name).write_text(text)
    binary = source / "probe"
    build = [str(gotools.go_binary()), "build", "-o", str(binary), "."]
    subprocess.run(build, cwd=source, env=gotools.go_env(), check=True, capture_output=True)
    return binary


def run_probe(sandbox: Sandbox, probe: Path, *args: str, drop_root: bool = True) -> Outcome:
    return uvloop.run(
        sandbox.run(
            ["/probe", *args],
            cwd=Path("/"),
            mounts=Mounts(files={"/probe": probe}),
            env={},
            limits=LIMITS,
            drop_root=drop_root,
        )
    )


@pytest.mark.parametrize("drop_root", [True, False], ids=["run", "build"])
def test_seccomp_refuses_what_a_test_never_needs(sandbox, probe, drop_root):
    numbers = {name: seccomp.number(name) for name in (*seccomp.DENIED, "clone3")}
    numbers = {name: number for name, number in numbers.items() if number >= 0}
    outcome = run_probe(sandbox, probe, *map(str, numbers.values()), drop_root=drop_root)
    assert outcome.exit_code == 0, outcome
    answers = dict(line.split() for line in outcome.output.decode().splitlines())
    expected = {
        str(n): str(errno.ENOSYS if name == "clone3" else errno.EPERM)
        for name, n in numbers.items()
    }
    assert answers == expected
    assert len(numbers) > 30


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the 32-bit call of amd64")
def test_seccomp_kills_a_call_of_another_architecture(sandbox, probe):
    outside = subprocess.run([probe, "int80"], capture_output=True, text=True, check=False)
    assert outside.stdout.startswith("32-bit getpid:")  # the probe works where nothing filters it
    outcome = run_probe(sandbox, probe, "int80")
    assert outcome.exit_code == 128 + signal.SIGSYS, outcome  # as bwrap reports a signal
    assert b"32-bit getpid" not in outcome.output
