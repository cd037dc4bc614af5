"""Safe extraction: hostile archives of each kind are refused and write nothing outside."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from dataset.extract import ExtractError, Limits, copy_folder, extract_archive


def make_zip(path: Path, entries: list[tuple[str, bytes]], links: dict[str, str] | None = None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def make_tar(path: Path, entries: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tf.addfile(entry)
            else:
                name, data = entry
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.fixture
def arena(tmp_path):
    """A folder whose only expected content after a refused extraction is the archive itself."""
    (tmp_path / "in").mkdir()
    return tmp_path


def refused(archive: Path, arena: Path, reason: str, limits: Limits | None = None) -> None:
    before = files_under(arena)
    with pytest.raises(ExtractError) as caught:
        extract_archive(archive, arena / "in" / "repo", limits=limits)
    assert caught.value.reason == reason, caught.value
    assert not (arena / "in" / "repo").exists()  # a refused archive leaves nothing behind
    # Nothing appeared outside the target folder.
    outside = {p for p in files_under(arena) - before if not p.startswith("in/repo")}
    assert outside == set()


def test_a_github_archive_loses_its_top_folder_and_keeps_its_files(tmp_path):
    archive = make_tar(
        tmp_path / "a.tar.gz",
        [("proj-abc123/go.mod", b"module x\n"), ("proj-abc123/pkg/a.go", b"package pkg\n")],
    )
    extract_archive(archive, tmp_path / "out")
    assert files_under(tmp_path / "out") == {"go.mod", "pkg", "pkg/a.go"}
    assert (tmp_path / "out" / "pkg" / "a.go").read_bytes() == b"package pkg\n"


def test_a_module_zip_loses_exactly_its_module_prefix(tmp_path):
    archive = make_zip(
        tmp_path / "m.zip",
        [
            ("example.com/m@v1.0.0/go.mod", b"module example.com/m\n"),
            ("example.com/m@v1.0.0/a.go", b""),
        ],
    )
    extract_archive(archive, tmp_path / "out", strip="example.com/m@v1.0.0")
    assert files_under(tmp_path / "out") == {"go.mod", "a.go"}
    with pytest.raises(ExtractError) as caught:
        extract_archive(archive, tmp_path / "other", strip="example.com/n@v1.0.0")
    assert caught.value.reason == "bad_archive"


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_zip_slip_with_dot_dot_is_refused(arena, kind):
    entries = [("top/ok.go", b"package ok\n"), ("top/../../../evil.go", b"package evil\n")]
    archive = (
        make_zip(arena / "a.zip", entries) if kind == "zip" else make_tar(arena / "a.tgz", entries)
    )
    refused(archive, arena, "path_escape")


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_an_absolute_path_is_refused(arena, kind):
    evil = str(arena / "evil.go")
    entries = [("top/ok.go", b""), (evil, b"package evil\n")]
    archive = (
        make_zip(arena / "a.zip", entries) if kind == "zip" else make_tar(arena / "a.tgz", entries)
    )
    refused(archive, arena, "path_escape")
    assert not Path(evil).exists()


@pytest.mark.parametrize("target", ["/etc", "../..", "../../outside.go", "a/../../.."])
def test_a_tar_symlink_pointing_out_is_refused(arena, target):
    archive = make_tar(arena / "a.tgz", [("top/ok.go", b""), link("top/sneaky", target)])
    refused(archive, arena, "link_escape")


def test_a_zip_symlink_pointing_out_is_refused(arena):
    archive = make_zip(arena / "a.zip", [("top/ok.go", b"")], links={"top/sneaky": "../../.."})
    refused(archive, arena, "link_escape")


def test_a_tar_hard_link_to_a_path_outside_is_refused(arena):
    archive = make_tar(
        arena / "a.tgz", [("top/ok.go", b""), link("top/h", "/etc/passwd", tarfile.LNKTYPE)]
    )
    refused(archive, arena, "path_escape")


def test_no_link_is_ever_created_so_nothing_is_written_through_one(tmp_path):
    # The classic two-step: a link to a folder inside, then a file written "through" it. A link
    # that stays inside is skipped, so the second entry makes a real folder instead.
    archive = make_tar(
        tmp_path / "a.tgz",
        [("top/ok.go", b""), link("top/dir", "."), ("top/dir/file.go", b"package dir\n")],
    )
    extract_archive(archive, tmp_path / "out")
    out = tmp_path / "out"
    assert not any(p.is_symlink() for p in out.rglob("*"))
    assert (out / "dir").is_dir() and (out / "dir" / "file.go").read_bytes() == b"package dir\n"


def test_a_bomb_by_size_is_stopped_by_the_bytes_written(arena):
    # 20 MiB of zeros compress to a few KiB; the header's size is not what is trusted.
    archive = make_zip(arena / "bomb.zip", [("top/zeros.go", bytes(20 << 20))])
    assert archive.stat().st_size < 1 << 20
    refused(archive, arena, "too_large", Limits(max_bytes=1 << 20, max_file_bytes=1 << 30))
    refused(archive, arena, "too_large", Limits(max_bytes=1 << 30, max_file_bytes=1 << 20))


def test_a_tar_bomb_by_size_is_stopped_too(arena):
    archive = make_tar(arena / "bomb.tgz", [("top/zeros.go", bytes(8 << 20))])
    refused(archive, arena, "too_large", Limits(max_bytes=1 << 20))


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_a_bomb_by_file_count_is_refused(arena, kind):
    entries = [(f"top/f{i}.go", b"") for i in range(300)]
    archive = (
        make_zip(arena / "a.zip", entries) if kind == "zip" else make_tar(arena / "a.tgz", entries)
    )
    refused(archive, arena, "too_many_files", Limits(max_files=100))


def test_garbage_is_a_bad_archive(arena):
    junk = arena / "junk.tar.gz"
    junk.write_bytes(os.urandom(4096))
    refused(junk, arena, "bad_archive")


def test_a_local_folder_is_copied_under_the_same_rules(tmp_path):
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "a.go").write_text("package pkg\n")
    (source / "inside").symlink_to("pkg")
    copy_folder(source, tmp_path / "copy")
    assert files_under(tmp_path / "copy") == {"pkg", "pkg/a.go"}
    (source / "out").symlink_to(tmp_path)
    with pytest.raises(ExtractError) as caught:
        copy_folder(source, tmp_path / "copy2")
    assert caught.value.reason == "link_escape"
