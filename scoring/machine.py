"""The ordinary machine that a run sees: an /etc of its own, nothing of the host's in it.

Code under test often reads the machine: a machine id, the host name, its user's name, localhost,
the time zone, CA certificates. Without them it takes other branches than under a plain `go test`
(rs/xid reads /etc/machine-id, os/user reads /etc/passwd). The files are fixed, so that every run
on every scoring machine sees the same, and hold no secret: no shadow file, no host name, no users
of the host. Only the CA certificates and the time zone data are the system's (public data).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

HOSTNAME = "gotest"
MACHINE_ID = "5c0e5b1fd1d54d0aa4d1d6a5e7e4b2c3"  # fixed: runs must not tell scoring machines apart
NOBODY = 65534  # the user a root server's runs are
# The name of a non-root server's own user inside (root runs as nobody).
RUN_USER = "gotest"
# Public data of the system, each mounted where it is when the system has it.
CA_CERTIFICATES = (
    "/etc/ssl/certs",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs",  # Fedora, RHEL
    "/etc/pki/ca-trust/extracted",  # where Fedora's links point
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",  # openSUSE
)
UTC_ZONE = Path("/usr/share/zoneinfo/Etc/UTC")
NOLOGIN = "/usr/sbin/nologin"


def make_etc(home: str, user_id: int, group_id: int) -> Path:
    """Writes the machine's /etc into a new folder, for the sandbox to mount read-only as /etc.

    home is the run users' home inside; user_id and group_id the server's own, which are the
    run's when the server is not root. The folder holds the mount points of etc_mounts.
    """
    etc = Path(tempfile.mkdtemp(prefix="gotestrl-etc-"))
    etc.chmod(0o755)
    users = {0: ("root", 0, "/root"), NOBODY: ("nobody", NOBODY, home)}
    users.setdefault(user_id, (RUN_USER, group_id, home))
    groups = {0: "root", NOBODY: "nogroup"}
    groups.setdefault(group_id, RUN_USER)
    files = {
        "machine-id": f"{MACHINE_ID}\n",
        "hostname": f"{HOSTNAME}\n",
        "hosts": (
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            f"127.0.1.1\t{HOSTNAME}\n"
        ),
        "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\n",
        "passwd": "".join(
            f"{name}:x:{uid}:{gid}:{name}:{home_dir}:{NOLOGIN}\n"
            for uid, (name, gid, home_dir) in sorted(users.items())
        ),
        "group": "".join(f"{name}:x:{gid}:\n" for gid, name in sorted(groups.items())),
        "timezone": "Etc/UTC\n",
    }
    for name, text in files.items():
        (etc / name).write_text(text)
        (etc / name).chmod(0o644)
    if UTC_ZONE.exists():
        (etc / "localtime").symlink_to(UTC_ZONE)
    for path in _system_certificates():
        inside = etc / path.relative_to("/etc")
        inside.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            inside.mkdir(exist_ok=True)
        else:
            inside.touch()
        while inside != etc:  # readable whatever the umask
            inside.chmod(0o755 if inside.is_dir() else 0o644)
            inside = inside.parent
    return etc


def etc_mounts(etc: Path) -> list[str]:
    """bwrap's arguments for /etc: the folder of make_etc, then the system's certificates in it."""
    args = ["--ro-bind", str(etc), "/etc"]
    for path in _system_certificates():
        args += ["--ro-bind", str(path), str(path)]
    return args


def _system_certificates() -> list[Path]:
    return [path for path in map(Path, CA_CERTIFICATES) if path.exists()]
