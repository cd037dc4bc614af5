"""The evaluation's metrics, computed from the records of samples.jsonl (one dict per sample).

A record holds at least `model`, `id` (the dataset row: the target), `sample` (its index among
the k samples of that target), `turn` (1, or 2 after the fix turn), and the scorer's `status`,
`reward`, `tests`, `coverage` and `assertions`; since the mutation score, also `mutation` and
`rewards` (the reward under each formula, evaluation.formulas).

A sample with status `error` is a failure of the scorer, not of the model: it is counted in
`errors` and left out of every other figure (its reward is null, never 0). The per-sample figures
(build rate, run rate, pass share, coverage...) are scoring.figures', the same that training logs.

Intervals are percentile bootstraps over targets: a resample draws targets with replacement and
takes all the scored samples of each, because the k samples of one target are not independent.
With one sample per target this is the ordinary bootstrap of the mean.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from evaluation import formulas
from scoring import figures

CONFIDENCE = 0.95


def sample_key(record: dict) -> tuple[str, str, int]:
    return record["model"], record["id"], int(record.get("sample", 0))


def first_turn(records: Iterable[dict]) -> list[dict]:
    """The samples as the model first answered them."""
    return [r for r in records if int(r.get("turn", 1)) == 1]


def after_fix(records: Iterable[dict]) -> list[dict]:
    """Each sample's last answer: its fix-turn answer where it had one, else its first."""
    final: dict[tuple, dict] = {}
    for record in sorted(records, key=lambda r: int(r.get("turn", 1))):
        final[sample_key(record)] = record
    return list(final.values())


def by_model(records: Iterable[dict]) -> dict[str, list[dict]]:
    models: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        models[record["model"]].append(record)
    return dict(models)


# Bootstrap -----------------------------------------------------------------------------------


def bootstrap_ratio_ci(
    sums: Sequence[float],
    counts: Sequence[float],
    *,
    resamples: int = 2000,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> tuple[float, float] | None:
    """Percentile interval of sum(sums) / sum(counts) when the clusters are drawn with replacement.

    One cluster per target: `sums[i]` is the total of its values and `counts[i]` how many there
    are (a paired difference passes one value and a count of 1 per target). None when there is no
    cluster. Seeded, so a run's summary is reproducible.
    """
    sums_array = np.asarray(sums, dtype=float)
    counts_array = np.asarray(counts, dtype=float)
    if len(sums_array) == 0:
        return None
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(sums_array), size=(resamples, len(sums_array)))
    statistics = sums_array[draws].sum(axis=1) / counts_array[draws].sum(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(statistics, [tail, 100 - tail])
    return float(low), float(high)


def _target_rewards(records: Iterable[dict]) -> dict[str, list[float]]:
    rewards: dict[str, list[float]] = defaultdict(list)
    for record in records:
        if not figures.is_error(record):
            rewards[record["id"]].append(float(record["reward"]))
    return dict(rewards)


# Per model ---------------------------------------------------------------------------------------


def model_metrics(records: Sequence[dict], *, resamples: int = 2000, seed: int = 0) -> dict:
    """Every figure of one model's samples (one turn view: first_turn or after_fix)."""
    scored = figures.scored(records)
    per_target = _target_rewards(scored)
    targets_ok = {r["id"] for r in scored if figures.is_runnable(r)}
    interval = bootstrap_ratio_ci(
        [sum(v) for v in per_target.values()],
        [len(v) for v in per_target.values()],
        resamples=resamples,
        seed=seed,
    )
    samples_per_target = Counter(r["id"] for r in records)
    return {
        "n": len(records),
        "errors": len(records) - len(scored),
        "scored": len(scored),
        "targets": len(per_target),
        "k": max(samples_per_target.values(), default=0),
        "reward": figures.mean([float(r["reward"]) for r in scored]),
        "reward_ci": list(interval) if interval else None,
        **figures.rates(records),
        "mutation_score": figures.mean_mutation_score(scored),
        **{f"reward_{name}": value for name, value in formulas.mean_rewards(scored).items()},
        "targets_with_ok": figures.share([t in targets_ok for t in per_target]),
        "status_counts": figures.status_counts(records),
    }


def paired_difference(
    baseline: Sequence[dict], candidate: Sequence[dict], *, resamples: int = 2000, seed: int = 0
) -> dict:
    """Mean over shared targets of (candidate's mean reward - baseline's), with its interval.

    Only targets that both models have scored samples for count, each target once, so that a
    target one model lost to scorer errors does not tilt the comparison.
    """
    base, cand = _target_rewards(baseline), _target_rewards(candidate)
    shared = sorted(set(base) & set(cand))
    differences = [float(np.mean(cand[t]) - np.mean(base[t])) for t in shared]
    interval = bootstrap_ratio_ci(
        differences, [1] * len(differences), resamples=resamples, seed=seed
    )
    return {
        "targets": len(shared),
        "difference": figures.mean(differences),
        "difference_ci": list(interval) if interval else None,
        "baseline_reward": figures.mean([float(np.mean(base[t])) for t in shared]),
        "candidate_reward": figures.mean([float(np.mean(cand[t])) for t in shared]),
    }


def fix_turn_metrics(records: Sequence[dict]) -> dict:
    """What the fix turn did for one model: samples sent back, and what became of them."""
    first = {sample_key(r): r for r in first_turn(records)}
    second = [r for r in records if int(r.get("turn", 1)) == 2]
    pairs = [(first[sample_key(r)], r) for r in second if sample_key(r) in first]
    scored = [(a, b) for a, b in pairs if not figures.is_error(a) and not figures.is_error(b)]
    return {
        "attempted": len(second),
        "scored": len(scored),
        "now_ok": sum(figures.is_runnable(b) for _, b in scored),
        "now_all_passed": sum(figures.all_passed(b) for _, b in scored),
        "reward_before": figures.mean([float(a["reward"]) for a, _ in scored]),
        "reward_after": figures.mean([float(b["reward"]) for _, b in scored]),
    }


# The whole run -----------------------------------------------------------------------------------


def summarize(
    records: Sequence[dict], models: Sequence[str], *, resamples: int = 2000, seed: int = 0
) -> dict:
    """Metrics per model and paired differences, for the first turn and (if any) after the fix.

    Pairs are (earlier model, later model) in the order given, the difference being the later
    one's reward minus the earlier one's: list the base model first.
    """
    views = {"turn1": first_turn(records)}
    if any(int(r.get("turn", 1)) == 2 for r in records):
        views["after_fix"] = after_fix(records)
    summary: dict = {"models": list(models), "metrics": {}, "paired": {}}
    for view, view_records in views.items():
        grouped = by_model(view_records)
        summary["metrics"][view] = {
            m: model_metrics(grouped.get(m, []), resamples=resamples, seed=seed) for m in models
        }
        summary["paired"][view] = [
            {
                "baseline": a,
                "candidate": b,
                **paired_difference(
                    grouped.get(a, []), grouped.get(b, []), resamples=resamples, seed=seed
                ),
            }
            for i, a in enumerate(models)
            for b in models[i + 1 :]
        ]
    if "after_fix" in views:
        grouped = by_model(records)
        summary["fix_turn"] = {m: fix_turn_metrics(grouped.get(m, [])) for m in models}
    return summary
