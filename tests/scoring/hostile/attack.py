"""What the hostile tests share: the server's token, the item they attack, the check that the
server still scores a good test exactly after an attack, and the server's memory as /proc shows
it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from scoring.reward import Formula, reward

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


def honest_reward(formula: str, passed: int, failed: int, coverage: float = 0.0) -> float:
    """What a run with these counts and coverage earns, under formula, when its tests kill no
    mutant (the honest share of a test that checks nothing, or nothing that passed)."""
    return reward(passed, failed, coverage, 0.0 if passed else None, Formula(formula))


def assert_scores_good_item(result: dict) -> None:
    assert result["status"] == "ok", result["detail"]
    assert result["tests"] == {"passed": 1, "failed": 0, "skipped": 0}
    assert result["coverage"] == 1.0
    if result["mutation"] is None:  # the coverage formula
        assert result["reward"] == 1.0
    else:  # the mutation formula: GCD's mutants that the good test kills, every time the same
        assert 0 < result["mutation"]["killed"] < result["mutation"]["total"]
        expected = reward(1, 0, 1.0, result["mutation"]["score"], Formula.mutation)
        assert result["reward"] == pytest.approx(expected)


def assert_still_scores(client) -> None:
    assert_scores_good_item(client.score([good_item()])[0])


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field}")


def reset_peak_rss(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from VmRSS
