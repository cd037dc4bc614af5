"""The scoring server in this process, shared by the modules of the server's tests."""

from __future__ import annotations

import pytest

from tests.scoring.in_process import scoring_client


@pytest.fixture(scope="module")
def client():
    with scoring_client(timeout_s=5, concurrency=2) as client:
        yield client
