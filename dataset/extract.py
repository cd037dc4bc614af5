"""Unpacking a downloaded repo (zip or tar, any compression) or copying a local folder, safely.

Archives come from the internet, so each one is treated as hostile. No entry may be written
outside the target folder: absolute names and `..` are refused, and symbolic and hard links are
never created (one that points outside the repo refuses the whole archive; one that stays inside
is skipped), so no later entry can be written through a link. The bytes actually written and the
number of entries are capped, whatever the headers claim, against archive bombs. Any of these makes
`ExtractError` with a reason, and the caller drops that repo, not the build.

Files are written with mode 0644 (0755 if executable), folders 0755: permissions, owners and
times from the archive are not kept.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 16
# A zip entry's mode lives in the high 16 bits of external_attr when made on Unix.
ZIP_MODE_SHIFT = 16
_DRIVE = re.compile(r"^[A-Za-z]:")


class ExtractError(Exception):
    """The archive is refused; reason is a short key for the counts, detail says what was seen."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    """Caps per repo: GitHub repos worth testing are far below these; bombs are far above."""

    max_bytes: int = 512 << 20
    max_files: int = 50_000
    max_file_bytes: int = 64 << 20


@dataclass
class Member:
    name: str
    kind: str  # file, dir, symlink, hardlink, other
    link: str = ""
    executable: bool = False
    open: Callable[[], BinaryIO] | None = None


@dataclass
class Extracted:
    files: int = 0
    bytes: int = 0
    skipped_links: int = 0
    skipped_other: int = 0


def extract_archive(
    archive: Path, dest: Path, strip: str | None = "auto", limits: Limits | None = None
) -> Extracted:
    """Unpacks archive into dest (created, must not exist yet).

    strip: "auto" removes a single top folder shared by all entries (GitHub's archives have one),
    a path such as "example.com/m@v1.0.0" removes exactly that prefix (module zips), None nothing.
    """
    limits = limits or Limits()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_files:
                raise ExtractError("too_many_files", f"{len(infos)} entries > {limits.max_files}")
            return _write(_zip_members(zf, infos), dest, strip, [i.filename for i in infos], limits)
    try:
        with tarfile.open(archive, mode="r:*") as tf:
            names = _tar_names(tf, limits)
            return _write(_tar_members(tf), dest, strip, names, limits)
    except (tarfile.TarError, OSError, EOFError) as err:
        raise ExtractError("bad_archive", f"not a readable zip or tar archive ({err})") from None


def copy_folder(source: Path, dest: Path, limits: Limits | None = None) -> Extracted:
    """Copies a local repo folder under the same rules as an archive (links, limits)."""
    limits = limits or Limits()
    if not source.is_dir():
        raise ExtractError("bad_archive", f"{source} is not a folder")
    members = list(_folder_members(source, limits))
    return _write(iter(members), dest, None, [m.name for m in members], limits)


def _tar_names(tf: tarfile.TarFile, limits: Limits) -> list[str]:
    names = []
    for info in tf:  # reads headers only; a bomb by count stops here
        names.append(info.name)
        if len(names) > limits.max_files:
            raise ExtractError("too_many_files", f"more than {limits.max_files} entries")
    return names


def _zip_members(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> Iterator[Member]:
    for info in infos:
        mode = info.external_attr >> ZIP_MODE_SHIFT
        if info.is_dir():
            yield Member(info.filename, "dir")
        elif stat.S_ISLNK(mode):
            with zf.open(info) as f:
                target = f.read(4096).decode("utf-8", errors="replace")
            yield Member(info.filename, "symlink", link=target)
        else:
            yield Member(
                info.filename,
                "file",
                executable=bool(mode & 0o111),
                open=lambda info=info: zf.open(info),
            )


def _tar_members(tf: tarfile.TarFile) -> Iterator[Member]:
    for info in tf.getmembers():
        if info.isdir():
            yield Member(info.name, "dir")
        elif info.issym():
            yield Member(info.name, "symlink", link=info.linkname)
        elif info.islnk():
            yield Member(info.name, "hardlink", link=info.linkname)
        elif info.isfile():
            yield Member(
                info.name,
                "file",
                executable=bool(info.mode & 0o111),
                open=lambda info=info: tf.extractfile(info),
            )
        else:
            yield Member(info.name, "other")


def _folder_members(root: Path, limits: Limits) -> Iterator[Member]:
    count = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        for name in sorted(dirs) + sorted(files):
            count += 1
            if count > limits.max_files:
                raise ExtractError("too_many_files", f"more than {limits.max_files} entries")
            path = base / name
            rel = path.relative_to(root).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                yield Member(rel, "symlink", link=os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                yield Member(rel, "dir")
            elif stat.S_ISREG(info.st_mode):
                yield Member(
                    rel,
                    "file",
                    executable=bool(info.st_mode & 0o111),
                    open=lambda path=path: path.open("rb"),
                )
            else:
                yield Member(rel, "other")


def _parts(name: str) -> list[str]:
    """The components of an entry name, refusing any that could leave the target folder."""
    if "\x00" in name:
        raise ExtractError("path_escape", f"NUL byte in entry name {name!r}")
    if name.startswith("/") or _DRIVE.match(name) or name.startswith("\\"):
        raise ExtractError("path_escape", f"absolute entry name {name!r}")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ExtractError("path_escape", f"entry name with '..': {name!r}")
    return parts


def _prefix(names: list[str], strip: str | None) -> list[str]:
    if strip is None:
        return []
    if strip != "auto":
        return _parts(strip)
    tops = {tuple(_parts(n)[:1]) for n in names}
    # Only a folder is stripped: an archive of a single file keeps it.
    if len(tops) == 1 and any(len(_parts(n)) > 1 for n in names):
        return list(next(iter(tops)))
    return []


def _link_escapes(parts: list[str], target: str) -> bool:
    if target.startswith("/") or _DRIVE.match(target) or "\x00" in target:
        return True
    resolved = posixpath.normpath(posixpath.join("/".join(parts[:-1]) or ".", target))
    return resolved == ".." or resolved.startswith("../")


def _write(
    members: Iterator[Member], dest: Path, strip: str | None, names: list[str], limits: Limits
) -> Extracted:
    prefix = _prefix(names, strip)
    dest.mkdir(parents=True)
    try:
        return _write_members(members, dest, prefix, limits)
    except ExtractError:
        shutil.rmtree(dest, ignore_errors=True)  # a refused archive leaves nothing behind
        raise


def _write_members(members: Iterator[Member], dest: Path, prefix: list[str], limits: Limits):
    dest.chmod(0o755)
    done = Extracted()
    for member in members:
        parts = _parts(member.name)
        if parts[: len(prefix)] != prefix:
            raise ExtractError("bad_archive", f"entry {member.name!r} outside {'/'.join(prefix)}")
        parts = parts[len(prefix) :]
        if not parts:
            continue
        if member.kind in ("symlink", "hardlink"):
            target = member.link
            if member.kind == "hardlink":  # a tar hard link names another entry, from the top
                escapes = bool(target) and (_parts(target)[: len(prefix)] != prefix)
            else:
                escapes = _link_escapes(parts, target)
            if escapes:
                raise ExtractError("link_escape", f"{member.name!r} links to {target!r}")
            done.skipped_links += 1
            continue
        if member.kind == "other":
            done.skipped_other += 1
            continue
        path = dest.joinpath(*parts)
        try:
            if member.kind == "dir":
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            done.files += 1
            assert member.open is not None
            with member.open() as src:
                done.bytes += _copy(src, path, member, limits, done.bytes)
        except ExtractError:
            raise
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as err:
            raise ExtractError("bad_archive", f"{member.name!r}: {err}") from None
        if member.executable:
            path.chmod(0o755)
    for folder, _, _ in os.walk(dest):
        os.chmod(folder, 0o755)
    return done


def _copy(src: BinaryIO, path: Path, member: Member, limits: Limits, written_before: int) -> int:
    # O_NOFOLLOW: belt and braces, since no link is ever created under dest.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    written = 0
    with os.fdopen(fd, "wb") as out:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if written > limits.max_file_bytes:
                raise ExtractError(
                    "too_large", f"{member.name!r} exceeds {limits.max_file_bytes} bytes"
                )
            if written_before + written > limits.max_bytes:
                raise ExtractError("too_large", f"more than {limits.max_bytes} bytes unpacked")
            out.write(chunk)
    return written
