"""Where the repo and its bundled sample lie, and a digest that shows any write to a tree.

Shared by the test modules (import it as `tests.sample`) and by the fixtures of conftest.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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
