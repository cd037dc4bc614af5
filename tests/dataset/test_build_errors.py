"""Mistakes of the user: each is one line on stderr and an exit status, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.dataset.builds import LISTING
from tests.sample import ROOT


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dataset.build", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, status: int, *words: str) -> None:
    assert result.returncode == status, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dataset.build: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_a_missing_listing_is_one_line(tmp_path):
    result = cli("--listing", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "out"))
    assert_one_line_error(result, 1, "nope.jsonl", "not found")


def test_bad_flags_are_one_line(tmp_path):
    out = str(tmp_path / "out")
    assert_one_line_error(cli("--out", out), 2, "--listing")
    assert_one_line_error(
        cli("--listing", str(LISTING), "--out", out, "--workers", "0"), 2, "--workers"
    )
    assert_one_line_error(
        cli("--listing", str(LISTING), "--out", out, "--granularity", "line"), 2, "granularity"
    )
    assert_one_line_error(
        cli("--listing", str(LISTING), "--out", out, "--archive-url", "https://x/{repo}.tgz"),
        2,
        "archive-url",
    )
    assert_one_line_error(
        cli("--listing", str(LISTING), "--out", out, "--source", "dir", "--tokenizer", "/no/such"),
        1,
        "tokenizer",
    )


def test_an_unreachable_hub_dataset_is_one_line(tmp_path):
    result = cli(
        "--listing",
        "bigcode/the-stack-v2-dedup",
        "--out",
        str(tmp_path / "out"),
        env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")},
    )
    assert_one_line_error(result, 1, "bigcode/the-stack-v2-dedup")


def gated_repo_error() -> Exception:
    import httpx
    from huggingface_hub import errors

    url = "https://huggingface.co/api/datasets/bigcode/the-stack-v2-dedup"
    response = httpx.Response(401, request=httpx.Request("GET", url))
    return errors.GatedRepoError("401 Client Error: access is restricted", response=response)


def not_authenticated_error() -> Exception:
    from datasets.exceptions import DatasetNotFoundError

    # What datasets raises for a gated dataset when no token is given at all.
    return DatasetNotFoundError(
        "Dataset 'bigcode/the-stack-v2-dedup' is a gated dataset on the Hub. "
        "You must be authenticated to access it."
    )


@pytest.mark.parametrize("error", [gated_repo_error, not_authenticated_error])
def test_a_gated_hub_dataset_says_how_to_get_access(monkeypatch, error):
    import datasets

    from dataset.listing import ListingError, read_rows

    def refuse(*args, **kwargs):
        raise error()

    monkeypatch.setattr(datasets, "load_dataset", refuse)
    with pytest.raises(ListingError) as caught:
        list(read_rows("bigcode/the-stack-v2-dedup", "Go"))
    message = str(caught.value)
    assert "\n" not in message
    assert "https://huggingface.co/datasets/bigcode/the-stack-v2-dedup" in message
    assert "hf auth login" in message and "HF_TOKEN" in message


def test_rerunning_into_an_out_made_with_other_settings_is_refused(sample):
    out, repos, _ = sample
    result = cli(
        "--listing",
        str(LISTING),
        "--source",
        "dir",
        "--out",
        str(out),
        "--repos-dir",
        str(repos),
        "--granularity",
        "file",
    )
    assert_one_line_error(result, 2, "granularity", "another --out")
