"""The scoring server in this process (FastAPI's TestClient) on the sample repos, for the
server's tests: its settings, one item scored, and a test of the sample that passes."""

from __future__ import annotations

from contextlib import contextmanager

from fastapi.testclient import TestClient

from scoring.scoring_server import app
from scoring.settings import Settings, get_settings
from tests.sample import SAMPLE_REPOS

MATHX = {"repo": "gotest-sample/mathx", "package": "."}

GCD_TEST = """```go
package mathx

import "testing"

func TestGCD(t *testing.T) {
	if got := GCD(12, 8); got != 4 {
		t.Fatalf("GCD(12, 8) = %d", got)
	}
}

func TestIsPrimeWrong(t *testing.T) {
	if IsPrime(9) {
		t.Error("9 is not prime")
	}
	if !IsPrime(10) {
		t.Error("this expectation is wrong on purpose")
	}
}
```"""


@contextmanager
def scoring_client(**overrides):
    settings = Settings(repos_dir=SAMPLE_REPOS, warmup=False, **overrides)
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.dependency_overrides.clear()


def score(client, **item):
    response = client.post("/score", json={"items": [item]})
    assert response.status_code == 200, response.text
    return response.json()["results"][0]
