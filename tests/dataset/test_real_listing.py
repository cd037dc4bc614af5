"""The real-repos listing: the path the README and the one-line errors name is the file we ship."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq

from common.prerequisites import build_dataset_command
from dataset.real import LISTING, make_listing

ROOT = Path(__file__).resolve().parents[2]


def test_the_listing_exists_and_is_what_make_listing_writes():
    assert (ROOT / LISTING).is_file()
    assert pq.read_metadata(ROOT / LISTING).num_rows > 0
    assert make_listing.make_parser().get_default("out") == ROOT / LISTING


def test_the_build_command_we_print_names_the_listing():
    assert f"--listing {LISTING} " in build_dataset_command("data/real-dataset")


def test_every_real_listing_the_docs_name_is_the_listing():
    docs = [ROOT / "README.md", ROOT / "dataset" / "build.py", *ROOT.glob("exp/*/README.md")]
    named = {m for doc in docs for m in re.findall(r"dataset/real/listing\.\w+", doc.read_text())}
    assert named == {LISTING}
