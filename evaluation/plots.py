"""The notebook's plots, each drawn from a samples frame (tables.samples_frame) onto given axes."""

from __future__ import annotations

import numpy as np

# The contract's statuses, from best to worst, so that bars read alike in every run.
STATUS_ORDER = (
    "ok", "no_tests", "timeout", "limit_exceeded", "build_failed", "deps_failed",
    "goimports_failed", "no_code", "bad_request", "error",
)  # fmt: skip


def reward_distributions(samples, models, ax) -> None:
    """Histogram of the scored samples' rewards per model (scorer errors left out)."""
    bins = np.linspace(0, 1, 21)
    for model in models:
        rewards = samples.loc[(samples["model"] == model) & (samples["status"] != "error")]
        ax.hist(rewards["reward"].astype(float), bins=bins, alpha=0.5, label=model)
    ax.set(xlabel="reward", ylabel="samples", title="Reward per sample")
    ax.legend()


def status_bars(samples, models, ax) -> None:
    """How many samples of each model ended in each status, side by side."""
    present = [s for s in STATUS_ORDER if s in set(samples["status"])]
    present += sorted(set(samples["status"]) - set(present))
    width = 0.8 / max(len(models), 1)
    positions = np.arange(len(present))
    for i, model in enumerate(models):
        counts = samples.loc[samples["model"] == model, "status"].value_counts()
        ax.bar(positions + i * width, [counts.get(s, 0) for s in present], width, label=model)
    ax.set_xticks(positions + width * (len(models) - 1) / 2, present, rotation=30, ha="right")
    ax.set(ylabel="samples", title="Status of each sample")
    ax.legend()


def coverage_histograms(samples, models, ax) -> None:
    """Coverage of the target by the tests that ran (status ok), per model."""
    bins = np.linspace(0, 1, 11)
    for model in models:
        ran = samples.loc[(samples["model"] == model) & (samples["status"] == "ok")]
        ax.hist(ran["coverage"].astype(float), bins=bins, alpha=0.5, label=f"{model} ({len(ran)})")
    ax.set(xlabel="coverage of the target", ylabel="runnable samples", title="Coverage")
    ax.legend()


def group_differences(differences, column, ax) -> None:
    """Paired reward differences per group with their intervals (tables.per_group_differences)."""
    rows = differences.dropna(subset=["difference"]).reset_index(drop=True)
    positions = np.arange(len(rows))
    errors = [rows["difference"] - rows["low"], rows["high"] - rows["difference"]]
    ax.errorbar(rows["difference"], positions, xerr=errors, fmt="o", capsize=3)
    ax.axvline(0, color="grey", linewidth=0.8)
    labels = [f"{value} ({n})" for value, n in zip(rows[column], rows["targets"], strict=True)]
    ax.set_yticks(positions, labels)
    ax.set(xlabel="difference of mean reward", title=f"Paired difference per {column}")
