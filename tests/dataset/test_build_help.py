"""`python -m dataset.build --help` shows each option's default once, and it is the one used."""

from __future__ import annotations

import re

from dataset import build
from dataset.sources import DEFAULT_GOPROXY
from tests.dataset.builds import LISTING


def help_blocks(monkeypatch) -> dict[str, str]:
    """option -> its help text on one line."""
    monkeypatch.setenv("COLUMNS", "1000")  # no wrapping inside a default
    text = build.make_parser().format_help().split("\noptions:\n", 1)[1]
    blocks = re.split(r"\n(?=  -)", text.strip("\n"))
    return {block.split()[0].rstrip(","): " ".join(block.split()) for block in blocks}


def test_each_option_shows_its_default_once(monkeypatch):
    blocks = help_blocks(monkeypatch)
    for action in build.make_parser()._actions:
        if action.dest == "help":
            continue
        block = blocks[action.option_strings[0]]
        shown = block.count("(default") + block.count("; default:")
        if action.required:
            assert shown == 0, block
            continue
        assert shown == 1, block
        if action.default is not None:
            assert f"(default: {action.default})" in block, block


def test_the_defaults_decided_later_are_those_the_help_names(monkeypatch):
    blocks = help_blocks(monkeypatch)
    monkeypatch.delenv("GOPROXY", raising=False)
    args = build.parse_args(["--listing", str(LISTING), "--out", "x", "--source", "goproxy"])
    assert DEFAULT_GOPROXY in blocks["--goproxy"] and args.goproxy == DEFAULT_GOPROXY
    args = build.parse_args(["--listing", str(LISTING), "--out", "x", "--source", "dir"])
    assert "repos/ beside the listing" in blocks["--source-dir"]
    assert args.source_dir == LISTING.parent / "repos"
