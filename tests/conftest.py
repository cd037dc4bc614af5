"""Shared fixtures: the bundled sample repos, hashed before and after the whole session."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "dataset" / "sample"
SAMPLE_REPOS = SAMPLE / "repos"


def tree_digest(root: Path) -> str:
    """Names, modes and bytes of every file below root: any write shows."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(str(path.lstat().st_mode).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session", autouse=True)
def sample_repos_unchanged():
    before = tree_digest(SAMPLE_REPOS)
    yield
    assert tree_digest(SAMPLE_REPOS) == before, "a test run changed the sample repos on disk"
