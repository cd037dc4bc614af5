"""What every hostile test uses: the server's token, the item it attacks, and the check that the
server still scores a good test exactly after an attack."""

from __future__ import annotations

import uuid

TOKEN = f"hostile-token-{uuid.uuid4().hex}"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MATHX = {"repo": "gotest-sample/mathx", "package": "."}

GOOD_TEST = """package mathx

import "testing"

// SALT
func TestGCDGood(t *testing.T) {
	cases := []struct{ a, b, want int }{{12, 8, 4}, {-4, 6, 2}, {4, -6, 2}, {0, 0, 0}}
	for _, c := range cases {
		if got := GCD(c.a, c.b); got != c.want {
			t.Errorf("GCD(%d, %d) = %d", c.a, c.b, got)
		}
	}
}"""


def completion(code: str) -> str:
    """Go code as a model answers it: in a fenced block."""
    return f"```go\n{code}\n```"


def good_item() -> dict:
    """A good test, new each time so that no remembered result answers for it."""
    salted = GOOD_TEST.replace("SALT", uuid.uuid4().hex)
    return {**MATHX, "target_function": "GCD", "completion": completion(salted)}


def score(client, code: str, **item) -> dict:
    return client.score([{**MATHX, **item, "completion": completion(code)}])[0]


def assert_still_scores(client) -> None:
    result = client.score([good_item()])[0]
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}
    assert result["coverage"] == 1.0
    assert result["reward"] == 1.0
