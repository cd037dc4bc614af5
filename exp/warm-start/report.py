"""What a warm-start run shows: results.json's figures from eval.py's summaries and train.py's
logs, the README's tables and warm-start.png."""

from __future__ import annotations

from pathlib import Path

MODELS = ("base", "grpo", "sft", "sft+grpo")


def results_of(summaries: dict, histories: dict, pairs_report: dict, times: dict) -> dict:
    """What the README's table and the plot show, from eval.py's summaries and train.py's logs."""
    table = {}
    for split, summary in summaries.items():
        metrics = summary["metrics"]["turn1"]
        table[split] = {
            "models": {
                m: {k: metrics[m][k] for k in ("n", "reward", "reward_ci", "run_rate", "coverage")}
                for m in MODELS
            },
            "paired": [
                {
                    k: p[k]
                    for k in ("baseline", "candidate", "targets", "difference", "difference_ci")
                }
                for p in summary["paired"]["turn1"]
            ],
        }
    steps = {
        run: [
            {k: h.get(k) for k in ("step", "reward", "reward_std", "frac_reward_zero_std")}
            for h in history
            if "reward" in h
        ]
        for run, history in histories.items()
    }
    return {"pairs": pairs_report, "eval": table, "grpo_steps": steps, "seconds": times}


def markdown(results: dict) -> str:
    """The README's tables: each model on each split, then the paired differences."""

    def interval(ci: list[float] | None) -> str:
        return "-" if ci is None else f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"

    lines = [
        "| split | model | samples | reward | 95% CI | run rate | coverage |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: |",
    ]
    for split, table in results["eval"].items():
        for model, m in table["models"].items():
            lines.append(
                f"| {split} | {model} | {m['n']} | {m['reward']:.3f} | {interval(m['reward_ci'])} "
                f"| {m['run_rate']:.1%} | {m['coverage']:.3f} |"
            )
    lines += [
        "",
        "| split | difference | targets | mean | 95% CI |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for split, table in results["eval"].items():
        for p in table["paired"]:
            lines.append(
                f"| {split} | {p['candidate']} - {p['baseline']} | {p['targets']} "
                f"| {p['difference']:+.3f} | {interval(p['difference_ci'])} |"
            )
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    share = left.twinx()
    for i, (run, steps) in enumerate(results["grpo_steps"].items()):
        xs = [s["step"] for s in steps]
        color = f"C{i}"
        left.plot(xs, [s["reward"] for s in steps], marker="o", color=color, label=run)
        zero_std = [s["frac_reward_zero_std"] for s in steps]
        share.plot(xs, zero_std, linestyle="--", color=color, label=f"{run}: groups w/o variance")
    left.set_xlabel("GRPO step")
    left.set_ylabel("mean reward of the step's samples (solid)")
    share.set_ylabel("share of groups with equal rewards (dashed)")
    share.set_ylim(-0.05, 1.05)
    left.set_title("Training reward per step")
    left.legend(loc="upper left")
    splits = list(results["eval"])
    width = 0.8 / len(splits)
    for i, split in enumerate(splits):
        models = results["eval"][split]["models"]
        rewards = [models[m]["reward"] or 0.0 for m in MODELS]
        intervals = [models[m]["reward_ci"] or [r, r] for m, r in zip(MODELS, rewards, strict=True)]
        low = [r - ci[0] for r, ci in zip(rewards, intervals, strict=True)]
        high = [ci[1] - r for r, ci in zip(rewards, intervals, strict=True)]
        xs = [x + i * width for x in range(len(MODELS))]
        right.bar(xs, rewards, width, yerr=[low, high], capsize=3, label=f"{split} split")
    right.set_xticks([x + width * (len(splits) - 1) / 2 for x in range(len(MODELS))], MODELS)
    right.set_ylabel("mean reward (95% CI over targets)")
    right.set_title("Evaluation (eval.py)")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
