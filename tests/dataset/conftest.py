"""The sample built once for the session: the builder's tests that only read a build share it."""

from __future__ import annotations

import pytest

from tests.dataset.builds import run_build


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """One uninterrupted build of the sample, shared by the tests that only read it."""
    base = tmp_path_factory.mktemp("sample")
    report = run_build(base / "out", base / "repos")
    return base / "out", base / "repos", report
