"""The figures that compare the formulas, over the scored rows: each variant's mean reward, how well
the formulas' rankings agree, how often a formula's best completion checks nothing, and how far each
tells a package's own tests from the same tests without checks. Intervals are 95% percentile
bootstraps over groups."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from evaluation import formulas
from evaluation.metrics import bootstrap_ratio_ci

VARIANTS = ("own", "stripped", "wrong", "logged")


def interval(values_by_group: dict[str, list[float]], resamples: int, seed: int) -> dict:
    """Mean of the values and its bootstrap interval over groups."""
    groups = [v for v in values_by_group.values() if v]
    if not groups:
        return {"mean": None, "ci": None, "n": 0}
    sums, counts = [sum(v) for v in groups], [len(v) for v in groups]
    ci = bootstrap_ratio_ci(sums, counts, resamples=resamples, seed=seed)
    return {"mean": sum(sums) / sum(counts), "ci": list(ci) if ci else None, "n": sum(counts)}


def by_group(rows: list[dict], value) -> dict[str, list[float]]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        v = value(r)
        if v is not None:
            grouped[r["group"]].append(float(v))
    return grouped


def variant_table(rows: list[dict], resamples: int, seed: int) -> dict:
    """Per variant: each formula's mean reward, the mean mutation score, the statuses."""
    table = {}
    for variant in VARIANTS:
        mine = [r for r in rows if r["variant"] == variant and r["rewards"]["coverage"] is not None]
        if not mine:
            continue
        statuses: dict[str, int] = defaultdict(int)
        for r in mine:
            statuses[r["status"]] += 1
        table[variant] = {
            "completions": len(mine),
            "checks_nothing": sum(r["checks_nothing"] for r in mine),
            "statuses": dict(sorted(statuses.items())),
            "mutation_score": interval(
                by_group(mine, lambda r: r["mutation_score"]), resamples, seed
            ),
            **{
                f"reward_{f}": interval(
                    by_group(mine, lambda r, f=f: r["rewards"][f]), resamples, seed
                )
                for f in formulas.FORMULAS
            },
        }
    return table


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties given their mean rank."""
    order = np.argsort(values, kind="stable")
    ranked = np.empty(len(values))
    ranked[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        ranked[tied] = ranked[tied].mean()
    return ranked


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    ra, rb = ranks(a), ranks(b)
    if len(a) < 2 or ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


def rank_correlations(rows: list[dict], resamples: int, seed: int, ran_only: bool = False) -> dict:
    """Spearman's rank correlation of each pair of formulas over every scored completion (or, with
    `ran_only`, over those whose test ran: status ok), with a bootstrap interval that resamples
    groups. The completions that did not run are paid 0 by every formula, so where they are many
    their ties alone push the correlation over all of them towards 1."""
    scored = [
        r
        for r in rows
        if r["rewards"]["coverage"] is not None and (r["status"] == "ok" or not ran_only)
    ]
    groups = sorted({r["group"] for r in scored})
    members = {g: [i for i, r in enumerate(scored) if r["group"] == g] for g in groups}
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, len(groups), len(groups)) for _ in range(resamples)]
    out = {}
    fs = formulas.FORMULAS
    for i, a in enumerate(fs):
        for b in fs[i + 1 :]:
            va = np.array([r["rewards"][a] for r in scored], dtype=float)
            vb = np.array([r["rewards"][b] for r in scored], dtype=float)
            stats = []
            for draw in draws:
                picked = [k for g in draw for k in members[groups[g]]]
                value = spearman(va[picked], vb[picked])
                if value is not None:
                    stats.append(value)
            ci = list(np.percentile(stats, [2.5, 97.5])) if stats else None
            out[f"{a} ~ {b}"] = {"spearman": spearman(va, vb), "ci": ci, "n": len(scored)}
    return out


def best_checks_nothing(rows: list[dict], resamples: int, seed: int) -> dict:
    """Per formula: over groups with a completion that checks nothing and one that checks, the
    share of the group's best-paid completions (ties shared) that check nothing."""
    out = {}
    grouped: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["rewards"]["coverage"] is not None:
            grouped[r["group"]].append(r)
    mixed = {g: rs for g, rs in grouped.items() if len({r["checks_nothing"] for r in rs}) == 2}
    for f in formulas.FORMULAS:
        shares = {}
        for g, rs in mixed.items():
            top = max(r["rewards"][f] for r in rs)
            best = [r for r in rs if r["rewards"][f] == top]
            shares[g] = [sum(r["checks_nothing"] for r in best) / len(best)]
        out[f] = {**interval(shares, resamples, seed), "groups": len(mixed)}
    return out


def discrimination(rows: list[dict], resamples: int, seed: int) -> dict:
    """The sample's own tests against the same tests without their checks: mean mutation score
    and each formula's reward of each, and their paired difference (own - stripped) per group."""
    own = {r["group"]: r for r in rows if r["variant"] == "own"}
    stripped = {r["group"]: r for r in rows if r["variant"] == "stripped"}
    shared = sorted(set(own) & set(stripped))
    figures = {}
    columns = {"mutation_score": lambda r: r["mutation_score"]}
    columns |= {f"reward_{f}": (lambda r, f=f: r["rewards"][f]) for f in formulas.FORMULAS}
    for name, value in columns.items():
        pairs = [(value(own[g]), value(stripped[g])) for g in shared]
        pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
        differences = [a - b for a, b in pairs]
        ci = bootstrap_ratio_ci(differences, [1] * len(differences), resamples=resamples, seed=seed)
        figures[name] = {
            "own": float(np.mean([a for a, _ in pairs])) if pairs else None,
            "stripped": float(np.mean([b for _, b in pairs])) if pairs else None,
            "difference": float(np.mean(differences)) if differences else None,
            "difference_ci": list(ci) if ci else None,
            "packages": len(pairs),
        }
    return figures
