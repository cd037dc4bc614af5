"""The user-facing docs point only inside the repo, and their links to a section find it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [ROOT / line for line in out.split()]


DOCS = tracked("*.md", "recipes/*.yaml", "exp/*/recipes/*.yaml")


def anchors(markdown: Path) -> set[str]:
    """GitHub's anchors of a file's headings."""
    found = set()
    for heading in re.findall(r"^#+ (.+)$", markdown.read_text(encoding="utf-8"), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_pointer_outside_the_repo(doc):
    text = doc.read_text(encoding="utf-8")
    assert not re.search(r"\.\./shared\b|(?<![\w/])shared/(?!real-dataset|repos|cache|hub)", text)
    assert not re.search(r"\bissues? #?\d", text, re.IGNORECASE)


def test_every_section_link_finds_its_section():
    broken = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"([\w./-]*\.md)?#([a-z0-9][\w-]*)", text):
            if not target and doc.suffix != ".md":
                continue  # a YAML comment's `#`
            path = (doc.parent / target) if target else doc
            if not path.exists():
                path = ROOT / target
            if not path.exists() or anchor not in anchors(path):
                broken.append(f"{doc.relative_to(ROOT)}: {target}#{anchor}")
    assert not broken
