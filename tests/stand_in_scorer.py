"""A stand-in for the scoring server where the real one is not needed: it answers made-up results
(`result`, with a `mutation` from `killed`) and keeps the items it was asked.

Shared by the tests of evaluation.formulas and of training's reward (import it as
`tests.stand_in_scorer`); tests/exp/test_reward_formulas.py scores real tests with the real one.
"""

from __future__ import annotations


def result(
    passed=2, failed=0, coverage=0.5, mutation=None, status="ok", reward=0.9, assertions=1
) -> dict:
    return {
        "reward": reward,
        "status": status,
        "tests": {"passed": passed, "failed": failed, "skipped": 0},
        "coverage": coverage,
        "assertions": assertions,
        "mutation": mutation,
        "duration_s": 0.1,
        "detail": "",
    }


def killed(k: int, n: int) -> dict:
    return {"killed": k, "total": n, "score": k / n}


class StandInScorer:
    """Answers each item from a list of results, and keeps the items it was asked."""

    def __init__(self, answers: list[dict]) -> None:
        self.answers = answers
        self.items: list[dict] = []
        self.closed = False

    def score(self, items):
        self.items += list(items)
        return [dict(a) for a in self.answers[: len(self.items)]]

    async def ascore(self, items):
        return self.score(items)

    def close(self):
        self.closed = True
