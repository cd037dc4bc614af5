"""The evaluation's tables: the text eval.py prints, and the frames eval_analyzer.ipynb shows.

Everything here is computed from the records of samples.jsonl by evaluation.metrics, so the
terminal, summary.json and the notebook give the same figures.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from common.errors import first_line
from evaluation import formulas, metrics
from scoring import figures

VIEWS = {"turn1": "first answers", "after_fix": "after the fix turn"}


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _interval(ci: list[float] | None, signed: bool = False) -> str:
    return "" if ci is None else f"[{_number(ci[0], signed)}, {_number(ci[1], signed)}]"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    # The model's name reads left-aligned; figures line up on the right.
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def format_summary(summary: dict) -> str:
    """The summary as the terminal shows it: one table per turn view, then the comparisons."""
    header = [
        "model", "n", "errors", "reward", "95% CI", "build", "run", "pass", "all passed",
        "coverage", "cov (run)", "no assert", "mutation", "ok@k",
    ]  # fmt: skip
    lines: list[str] = []
    for view, per_model in summary["metrics"].items():
        lines += ["", f"== {VIEWS.get(view, view)}"]
        rows = [
            [
                model,
                str(m["n"]),
                str(m["errors"]),
                _number(m["reward"]),
                _interval(m["reward_ci"]),
                _rate(m["build_rate"]),
                _rate(m["run_rate"]),
                _rate(m["pass_share"]),
                _rate(m["all_passed_rate"]),
                _rate(m["coverage"]),
                _rate(m["coverage_runnable"]),
                _rate(m["no_assertion_share"]),
                _rate(m.get("mutation_score")),
                _rate(m["targets_with_ok"]),
            ]
            for model, m in per_model.items()
        ]
        lines += _table(header, rows)
        for pair in summary["paired"].get(view, []):
            lines.append(
                f"{pair['candidate']} - {pair['baseline']}: reward "
                f"{_number(pair['difference'], signed=True)} "
                f"{_interval(pair['difference_ci'], signed=True)} "
                f"on {pair['targets']} shared targets"
            )
        for model, m in per_model.items():
            by_formula = (f"{f} {_number(m.get(f'reward_{f}'))}" for f in formulas.FORMULAS)
            lines.append(f"{model} reward by formula: {', '.join(by_formula)}")
        statuses = {m: s["status_counts"] for m, s in per_model.items()}
        for model, counts in statuses.items():
            listed = ", ".join(f"{status} {count}" for status, count in counts.items())
            lines.append(f"{model} statuses: {listed or '-'}")
    for model, fix in summary.get("fix_turn", {}).items():
        lines.append(
            f"fix turn, {model}: {fix['attempted']} sent back, {fix['now_ok']} now ok, "
            f"{fix['now_all_passed']} all passed; their reward "
            f"{_number(fix['reward_before'])} -> {_number(fix['reward_after'])}"
        )
    return "\n".join(lines).lstrip("\n")


def _scored_targets(records: Sequence[dict]) -> set[str]:
    return {r["id"] for r in figures.scored(records)}


def _where(records: Sequence[dict], column: str, value: str) -> list[dict]:
    return [r for r in records if str(r.get(column)) == value]


# For the notebook --------------------------------------------------------------------------------


def samples_frame(records: Sequence[dict]):
    """One row per sample, the test counts as columns of their own."""
    import pandas as pd

    frame = pd.DataFrame(list(records))
    if frame.empty:
        return frame
    tests = pd.DataFrame(list(frame["tests"]), index=frame.index)
    return frame.drop(columns=["tests"]).join(tests)


def results_table(
    records: Sequence[dict], baseline: str, candidate: str, *, by: str | None = "granularity"
):
    """The reference project's results table: count, reward of each model, ratio, uplift,
    coverage and all-passed rate of each, over all shared targets, then per value of `by`.
    """
    import pandas as pd

    grouped = metrics.by_model(records)
    base, cand = grouped.get(baseline, []), grouped.get(candidate, [])
    shared = _scored_targets(base) & _scored_targets(cand)
    groups = {"all": shared}
    if by is not None:
        for value in sorted({str(r.get(by)) for r in base if r["id"] in shared}):
            groups[f"{by}={value}"] = {r["id"] for r in base if str(r.get(by)) == value} & shared
    rows = {}
    for label, targets in groups.items():
        b = metrics.model_metrics([r for r in base if r["id"] in targets], resamples=1)
        c = metrics.model_metrics([r for r in cand if r["id"] in targets], resamples=1)
        rows[label] = {
            "count": len(targets),
            f"reward {baseline}": b["reward"],
            f"reward {candidate}": c["reward"],
            "ratio": c["reward"] / b["reward"] if b["reward"] else None,
            "uplift": c["reward"] - b["reward"] if b["reward"] is not None else None,
            f"coverage {baseline}": b["coverage"],
            f"coverage {candidate}": c["coverage"],
            f"all passed {baseline}": b["all_passed_rate"],
            f"all passed {candidate}": c["all_passed_rate"],
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def metrics_frame(summary_metrics: dict):
    """summary["metrics"][view] as a frame: one row per model, the status counts left out."""
    import pandas as pd

    frame = pd.DataFrame.from_dict(summary_metrics, orient="index")
    ci = frame.pop("reward_ci")
    frame.insert(frame.columns.get_loc("reward") + 1, "reward_low", [c and c[0] for c in ci])
    frame.insert(frame.columns.get_loc("reward_low") + 1, "reward_high", [c and c[1] for c in ci])
    return frame.drop(columns=["status_counts"])


def per_group_differences(
    records: Sequence[dict],
    baseline: str,
    candidate: str,
    *,
    by: str = "repo",
    resamples: int = 2000,
    seed: int = 0,
):
    """The paired difference of mean reward (candidate - baseline) within each value of `by`."""
    import pandas as pd

    grouped = metrics.by_model(records)
    rows = []
    for value in sorted({str(r.get(by)) for r in records}):
        pair = metrics.paired_difference(
            _where(grouped.get(baseline, []), by, value),
            _where(grouped.get(candidate, []), by, value),
            resamples=resamples,
            seed=seed,
        )
        low, high = pair["difference_ci"] or (None, None)
        rows.append(
            {by: value, "targets": pair["targets"], "difference": pair["difference"],
             "low": low, "high": high}
        )  # fmt: skip
    return pd.DataFrame(rows)


# A compiler position and the tail that says how many more errors followed: what differs between
# two samples that failed for the same reason.
_POSITION = re.compile(r"\S+\.go:\d+(:\d+)?: ")
_MORE_ERRORS = re.compile(r"\s*\(and \d+ more errors?\)")


def failure_reason(detail: str | None) -> str:
    """The first line of the scorer's detail, without file positions or error counts."""
    line = first_line(detail or "")
    return _MORE_ERRORS.sub("", _POSITION.sub("", line)).strip()[:160]


def failure_reasons(records: Sequence[dict], *, top: int = 10):
    """The most common reasons, per status, of the samples that did not run (nor errored)."""
    import pandas as pd

    counts = Counter(
        (r["model"], r["status"], failure_reason(r.get("detail")))
        for r in records
        if not figures.is_runnable(r) and not figures.is_error(r)
    )
    rows = [
        {"model": model, "status": status, "reason": reason, "samples": n}
        for (model, status, reason), n in counts.most_common(top)
    ]
    return pd.DataFrame(rows, columns=["model", "status", "reason", "samples"])
