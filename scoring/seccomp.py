"""The system calls a run may not make, as the seccomp program that bwrap loads (`--seccomp FD`).

A test needs none of them. They read or write another process's memory (a child could otherwise
rewrite the test's counters), reach the kernel's less-travelled corners (eBPF, perf, userfaultfd,
io_uring, keyrings), make namespaces (the kernel surface that user namespaces open) or change the
machine (mounts, modules, kexec, swap, reboot). Each is refused with EPERM, as an unprivileged
caller would be; clone3 answers ENOSYS, so that the C library and Go fall back to clone, whose flags
a filter can read (clone3 passes them in memory, out of a filter's reach). A call of another
architecture (a 32-bit call from a 64-bit process) kills the process.

The program is built by libseccomp (libseccomp.so.2, through ctypes), which knows each
architecture's numbers and its compatibility modes; it is built once per server.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import tempfile

from scoring.cgroups import SandboxUnavailable

DENIED = (
    # Another process's memory, and descriptors.
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "process_madvise",
    "pidfd_getfd",
    # Kernel surface no test needs.
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "keyctl",
    "add_key",
    "request_key",
    # Namespaces and mounts.
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    # The machine's own.
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "syslog",
    "quotactl",
    "open_by_handle_at",
    "name_to_handle_at",
    "fanotify_init",
)
# clone's flags that make a namespace (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID,
# NEWNET); clone3 is refused as a whole.
CLONE_NAMESPACES = (
    0x00020000,
    0x02000000,
    0x04000000,
    0x08000000,
    0x10000000,
    0x20000000,
    0x40000000,
)

_ACT_ALLOW = 0x7FFF0000
_ACT_KILL_PROCESS = 0x80000000
_ATTR_ACT_BADARCH = 2
_ACT_ERRNO = 0x00050000
_CMP_MASKED_EQ = 7


class _ArgCmp(ctypes.Structure):
    """struct scmp_arg_cmp."""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


@functools.cache
def _library() -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError as err:
        raise SandboxUnavailable(
            f"libseccomp is needed for the sandbox ({err}): on Debian or Ubuntu, "
            "apt-get install libseccomp2"
        ) from err
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    return lib


def number(name: str) -> int:
    """The system call's number on this machine; negative when it has none (or is unknown)."""
    return _library().seccomp_syscall_resolve_name(name.encode())


def program() -> bytes:
    """The filter as the kernel's BPF (struct sock_filter[]), for bwrap's --seccomp."""
    lib = _library()
    ctx = lib.seccomp_init(_ACT_ALLOW)
    if not ctx:
        raise SandboxUnavailable("libseccomp could not start a filter")
    try:
        # libseccomp kills the calling thread by default: a Go program would go on without it.
        if lib.seccomp_attr_set(ctx, _ATTR_ACT_BADARCH, _ACT_KILL_PROCESS) < 0:
            raise SandboxUnavailable("libseccomp cannot kill a process (libseccomp 2.4 needed)")

        def refuse(name: str, code: int, *conditions: _ArgCmp) -> None:
            call = number(name)
            if call == -1:  # unknown to this libseccomp: too old a kernel to have it either
                return
            array = (_ArgCmp * len(conditions))(*conditions)
            result = lib.seccomp_rule_add_array(
                ctx, _ACT_ERRNO | code, call, len(conditions), array
            )
            if result < 0:
                raise SandboxUnavailable(f"libseccomp refused the rule for {name}: {-result}")

        for name in DENIED:
            refuse(name, errno.EPERM)
        for flag in CLONE_NAMESPACES:
            refuse("clone", errno.EPERM, _ArgCmp(0, _CMP_MASKED_EQ, flag, flag))
        refuse("clone3", errno.ENOSYS)
        with tempfile.TemporaryFile() as out:
            result = lib.seccomp_export_bpf(ctx, out.fileno())
            if result < 0:
                raise SandboxUnavailable(f"libseccomp could not export the filter: {-result}")
            out.seek(0)
            return out.read()
    finally:
        lib.seccomp_release(ctx)


def pipe_of(program: bytes) -> int:
    """A descriptor that reads program (for bwrap, which reads it to the end at start-up)."""
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, program)  # a few hundred bytes: far below the pipe's buffer
    finally:
        os.close(write_end)
    return read_end
