"""The report of the comparisons: results.md's tables and rewards.png."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evaluation import formulas


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def with_ci(figure: dict) -> str:
    ci = figure.get("ci")
    return number(figure["mean"]) + ("" if not ci else f" [{ci[0]:.3f}, {ci[1]:.3f}]")


def markdown(results: dict) -> str:
    fs = formulas.FORMULAS
    lines = ["### Mean reward of each variant under each formula", ""]
    lines += ["| variant | completions | ran | check nothing | mutation score | "
              + " | ".join(fs) + " |", "|" + " --- |" * (5 + len(fs))]  # fmt: skip
    for variant, t in results["variants"].items():
        cells = [
            variant,
            str(t["completions"]),
            str(t["statuses"].get("ok", 0)),
            str(t["checks_nothing"]),
            with_ci(t["mutation_score"]),
            *(with_ci(t[f"reward_{f}"]) for f in fs),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "### Discrimination: the sample's own tests against the same tests without checks",
        "",
    ]
    lines += ["| figure | own tests | checks removed | own - removed [95% CI] | packages |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for name, d in results["discrimination"].items():
        ci = d["difference_ci"]
        diff = number(d["difference"]) + ("" if not ci else f" [{ci[0]:+.3f}, {ci[1]:+.3f}]")
        lines.append(
            f"| {name} | {number(d['own'])} | {number(d['stripped'])} | {diff} | {d['packages']} |"
        )
    lines += ["", "### Rank correlation between formulas (Spearman)", ""]
    lines += ["| formulas | over every completion [95% CI] | completions "
              "| over those that ran [95% CI] | completions |",
              "| --- | --- | --- | --- | --- |"]  # fmt: skip
    ran = results.get("rank_correlations_ran", {})
    for pair, c in results["rank_correlations"].items():
        cells = [pair]
        for figure in (c, ran.get(pair)):
            if figure is None:
                cells += ["-", "-"]
                continue
            ci = figure["ci"]
            value = number(figure["spearman"])
            cells += [value + ("" if not ci else f" [{ci[0]:.3f}, {ci[1]:.3f}]"), str(figure["n"])]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "### How often a formula's best completion of a group checks nothing", ""]
    lines += ["| formula | share of the best that check nothing [95% CI] | groups |",
              "| --- | --- | --- |"]  # fmt: skip
    for f, b in results["best_checks_nothing"].items():
        lines.append(f"| {f} | {with_ci(b)} | {b['groups']} |")
    for group, why in results["left_out"].items():
        lines += ["", f"Left out: {group} ({why})."]
    agree = results["recomputed_agree"]
    lines += [
        "",
        "Rewards recomputed from p, c, m with scoring/reward.py agree with the scorer's: "
        f"{agree['agree']} of {agree['compared']}.",
    ]
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fs = formulas.FORMULAS
    variants = list(results["variants"])
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / (len(fs) + 1)
    for i, name in enumerate(["mutation_score", *(f"reward_{f}" for f in fs)]):
        means, errors = [], [[], []]
        for v in variants:
            figure = results["variants"][v][name]
            mean = figure["mean"] if figure["mean"] is not None else np.nan
            ci = figure["ci"] or [mean, mean]
            means.append(mean)
            errors[0].append(mean - ci[0])
            errors[1].append(ci[1] - mean)
        positions = np.arange(len(variants)) + i * width
        label = "mutation score" if name == "mutation_score" else name.removeprefix("reward_")
        ax.bar(positions, means, width, yerr=errors, capsize=3, label=label)
    ax.set_xticks(np.arange(len(variants)) + width * len(fs) / 2, variants)
    ax.set(ylim=(0, 1.05), ylabel="mean (95% CI over groups)",
           title="What each formula pays each kind of test")  # fmt: skip
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
