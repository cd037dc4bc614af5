"""Dataset builds for the tests: the bundled sample, a small repo made for one test, and reading
what a build wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from datasets import load_from_disk

from dataset import build
from tests.sample import SAMPLE, SAMPLE_REPOS

LISTING = SAMPLE / "listing.jsonl"


def run_build(out: Path, repos: Path, *extra: str, listing: Path = LISTING) -> dict:
    """Builds the sample (or another listing) into out and returns its counts.json."""
    args = ["--listing", str(listing), "--out", str(out), "--repos-dir", str(repos), *extra]
    if "--source" not in extra:
        args += ["--source", "dir", "--source-dir", str(SAMPLE_REPOS)]
    assert build.main(args) == 0
    return json.loads((out / "counts.json").read_text())


class BuiltRepo(NamedTuple):
    out: Path  # the dataset folder
    source: Path  # the repo as written, before the build
    repo: Path  # the repo as the build kept it under the repos root


def build_repo(base: Path, repo_name: str, files: dict[str, str]) -> BuiltRepo:
    """Writes files (path → text) as repo_name's source under base, lists its .go files, builds."""
    source = base / "source"
    for name, text in files.items():
        path = source / repo_name / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    listing = base / "listing.jsonl"
    listing.write_text(
        "".join(
            json.dumps({"repo_name": repo_name, "revision_id": "r1", "path": f"/{name}"}) + "\n"
            for name in files
            if name.endswith(".go")
        )
    )
    out, repos = base / "out", base / "repos"
    args = ["--listing", str(listing), "--source", "dir", "--source-dir", str(source)]
    assert build.main([*args, "--out", str(out), "--repos-dir", str(repos)]) == 0
    return BuiltRepo(out, source / repo_name, repos / repo_name)


def rows_of(out: Path) -> dict[str, list[dict]]:
    dataset = load_from_disk(str(out))
    return {name: dataset[name].to_list() for name in ("train", "test")}


def all_rows(out: Path) -> list[dict]:
    rows = rows_of(out)
    return rows["train"] + rows["test"]


def decisions_of(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "decisions.jsonl").read_text().splitlines()]
