"""The same rows from other inputs: archives through a file:// URL template, a parquet listing."""

from __future__ import annotations

import json
import shutil
import tarfile
import zipfile
from pathlib import Path

from tests.dataset.builds import LISTING, all_rows, rows_of, run_build
from tests.sample import SAMPLE_REPOS


def github_like_archives(folder: Path) -> None:
    """Each sample repo as GitHub serves it: one top folder name-revision; zip for one of them."""
    for line in LISTING.read_text().splitlines():
        row = json.loads(line)
        target = folder / row["repo_name"] / f"{row['revision_id']}.tar.gz"
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = SAMPLE_REPOS / row["repo_name"]
        top = f"{source.name}-{row['revision_id']}"
        if row["repo_name"].endswith("lrucache"):  # named .tar.gz, but a zip: sniffed, not trusted
            with zipfile.ZipFile(target, "w") as zf:
                for path in sorted(source.rglob("*")):
                    zf.write(path, f"{top}/{path.relative_to(source)}")
        else:
            with tarfile.open(target, "w:gz") as tf:
                tf.add(source, arcname=top)


def test_archives_from_a_file_url_give_the_same_rows_as_the_folders(sample, tmp_path):
    out, _, _ = sample
    archives = tmp_path / "archives"
    github_like_archives(archives)
    template = f"file://{archives}/{{repo_name}}/{{revision_id}}.tar.gz"
    run_build(
        tmp_path / "out", tmp_path / "repos", "--source", "archive", "--archive-url", template
    )
    assert rows_of(tmp_path / "out") == rows_of(out)


def test_a_hostile_or_missing_archive_drops_its_repo_not_the_build(sample, tmp_path):
    out, _, _ = sample
    archives = tmp_path / "archives"
    github_like_archives(archives)
    kvstore = next((archives / "gotest-sample" / "kvstore").glob("*.tar.gz"))
    with tarfile.open(kvstore, "w:gz") as tf:
        info = tarfile.TarInfo("kvstore-x/../../escaped.go")
        info.size = 0
        tf.addfile(info)
    shutil.rmtree(archives / "gotest-sample" / "mathx")
    template = f"file://{archives}/{{repo_name}}/{{revision_id}}.tar.gz"
    report = run_build(
        tmp_path / "out", tmp_path / "repos", "--source", "archive", "--archive-url", template
    )
    assert report["stages"]["download"]["dropped"] == {"not_found": 1}
    assert report["stages"]["extract"]["dropped"] == {"path_escape": 1}
    assert not (tmp_path / "escaped.go").exists() and not list(tmp_path.rglob("escaped.go"))
    expected = [
        r
        for r in all_rows(out)
        if r["repo"] not in ("gotest-sample/kvstore", "gotest-sample/mathx")
    ]
    assert all_rows(tmp_path / "out") == expected


def test_a_parquet_listing_gives_the_same_rows_as_the_jsonl(sample, tmp_path):
    import pandas as pd

    out, _, _ = sample
    listing = tmp_path / "listing.parquet"
    pd.read_json(LISTING, lines=True).to_parquet(listing)
    run_build(tmp_path / "out", tmp_path / "repos", listing=listing)
    assert rows_of(tmp_path / "out") == rows_of(out)
