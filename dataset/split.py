"""Train or test, by repository: every row of a repo goes to the same split.

The split is the SHA-256 of the repo's name alone, so it never changes when the listing grows or
is filtered differently, and no repo's code is ever on both sides.
"""

from __future__ import annotations

import hashlib

SPLITS = ("train", "test")


def split_of(repo: str, test_fraction: float) -> str:
    """ "test" when the hash of repo falls in the first test_fraction of the range."""
    digest = hashlib.sha256(repo.encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    return "test" if position < test_fraction else "train"
