"""Does GRPO on the scorer's reward learn at all? The tiny model trained on a fixed set of train
prompts under several settings, then compared with its start on those prompts and on the test
split (held out), with paired bootstrap intervals.

    .venv/bin/python exp/learning-signal/run.py                      # every setting of recipes/
    .venv/bin/python exp/learning-signal/run.py --settings demo hot --steps 20 --prompts 8

Needs the sample dataset and the demo model (`make demo` builds both). A setting is a train.py
recipe under exp/learning-signal/recipes/; the script overrides only what makes the runs
comparable (the prompts, the steps, where things go). For each setting it runs train.py (skipped
when its model is already there: pass --retrain to train again), then eval.py once per split
with the start model and every trained one (eval.py resumes, so settings added later cost only
their own samples). It writes results.json, results.md and reward-per-step.png under --out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repo root: run as a script, not a module

from exp.runner import (  # noqa: E402
    ROOT,
    add_training_arguments,
    bootstrap_difference,
    flags,
    model_path,
    override_flags,
    read_json,
    read_jsonl,
    require_paths,
    run_command,
    run_script,
    scorer,
    step_metrics,
    write_results,
)

RECIPES = HERE / "recipes"
# Per-step figures that the plot and the table follow (TRL's and train.py's metric names).
STEP_FIGURES = {
    "reward": "mean reward",
    "frac_reward_zero_std": "groups without variance",
    "scorer/no_assertion_share": "no-assertion share (of runnable)",
    "completions/clipped_ratio": "truncated share",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--recipes", default=str(RECIPES.relative_to(ROOT)), help="the settings' folder"
    )
    parser.add_argument("--settings", nargs="+", default=None, help="recipes (default: all)")
    add_training_arguments(parser, prompts=8, out="logs/exp/learning-signal")
    parser.add_argument("--eval-samples", type=int, default=4, help="samples per target, k")
    parser.add_argument("--eval-temperature", type=float, default=0.5)
    parser.add_argument("--window", type=int, default=None, help="steps compared (steps // 4)")
    parser.add_argument("--retrain", action="store_true", help="train settings already trained")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing: report what --out holds (a run stopped early: its logged steps)",
    )
    args = parser.parse_args(argv)
    recipes = ROOT / args.recipes
    known = sorted(p.stem for p in recipes.glob("*.yaml"))
    args.settings = args.settings or known
    unknown = [s for s in args.settings if s not in known]
    if unknown:
        parser.error(f"unknown settings {unknown}; known: {known}")
    require_paths(parser, args, "dataset", "repos_dir")
    return args


def train(args: argparse.Namespace, setting: str, url: str, out: Path) -> Path:
    model_dir = out / "models" / setting
    if (model_dir / "config.json").exists() and not args.retrain:
        print(f"{setting}: trained already ({model_dir}); --retrain trains again", flush=True)
        return model_dir
    command = [
        "train.py",
        "--config",
        str(ROOT / args.recipes / f"{setting}.yaml"),
        *flags(
            model_name_or_path=model_path(args.model),
            dataset_name=args.dataset,
            max_train_samples=args.prompts,
            max_steps=args.steps,
            scorer_urls=[url],
            output_dir=model_dir,
            run_name=setting,
            logs_dir=out / "train",
            save_strategy="no",
        ),
        *override_flags(args.train_override),
    ]
    run_command(f"train {setting}", command, out / "commands" / f"train-{setting}.log")
    return model_dir


def evaluate(args, models: dict[str, Path], split: str, targets, url: str, out: Path) -> dict:
    run_name = f"{split}-k{args.eval_samples}"
    command = [
        "eval.py",
        *flags(
            models=[f"{name}={path}" for name, path in models.items()],
            dataset_name=args.dataset,
            dataset_split=split,
            max_targets=targets,
            num_samples=args.eval_samples,
            temperature=args.eval_temperature,
            max_new_tokens=args.max_new_tokens,
            fix_turn=False,
            scorer_urls=[url],
            run_name=run_name,
            logs_dir=out / "eval",
            # A retrained model's files changed: eval.py refuses to resume over it.
            overwrite=True if args.retrain else None,
        ),
    ]
    run_command(f"eval {split}", command, out / "commands" / f"eval-{run_name}.log")
    return read_json(out / "eval" / run_name / "summary.json")


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def training_figures(steps: list[dict], window: int | None) -> dict:
    """Did the reward rise across steps: the first `window` steps against the last ones."""
    rewards = [s["reward"] for s in steps]
    window = window or max(1, len(steps) // 4)
    statuses = sorted({k for s in steps for k in s if k.startswith("scorer/status/")})
    return {
        "steps": len(steps),
        "window": window,
        "first_steps_reward": mean(rewards[:window]),
        "last_steps_reward": mean(rewards[-window:]),
        "rise": bootstrap_difference(rewards[:window], rewards[-window:]),
        **{
            f"mean {name}": mean([s[name] for s in steps if s.get(name) is not None])
            for name in STEP_FIGURES
        },
        "status_shares": {
            k.removeprefix("scorer/status/"): mean([s.get(k, 0.0) for s in steps]) for k in statuses
        },
    }


def steps_from_samples(completions: list[dict]) -> list[dict]:
    """Per-step figures recomputed from the logged samples, for a run stopped before train.py
    wrote its metrics (truncation is not in the samples' log, so it is left out)."""
    steps: dict[int, list[dict]] = {}
    for c in completions:
        steps.setdefault(c["step"], []).append(c)
    figures = []
    for step, samples in sorted(steps.items()):
        groups: dict[str, list[float]] = {}
        for c in samples:
            groups.setdefault(c["id"], []).append(c["reward"] or 0.0)
        runnable = [c for c in samples if c["status"] == "ok"]
        statuses = {c["status"] for c in samples}
        figures.append(
            {
                "step": step + 1,
                "reward": mean([c["reward"] or 0.0 for c in samples]),
                "frac_reward_zero_std": mean(
                    [float(max(g) - min(g) < 1e-9) for g in groups.values()]
                ),
                "scorer/no_assertion_share": mean([float(c["assertions"] == 0) for c in runnable]),
                **{
                    f"scorer/status/{st}": mean([float(c["status"] == st) for c in samples])
                    for st in statuses
                },
            }
        )
    return figures


def group_figures(completions: list[dict]) -> dict:
    """Why groups carry no advantage: of the groups (a step's samples of one prompt) whose rewards
    are all equal, how many are all 0 (nothing ran) and how many all paid the same (one memorised
    test, sampled again and again)."""
    groups: dict[tuple, list[float]] = {}
    for c in completions:
        if c.get("reward") is not None:
            groups.setdefault((c["step"], c["id"]), []).append(c["reward"])
    equal = [g for g in groups.values() if max(g) - min(g) < 1e-9]
    return {
        "groups": len(groups),
        "equal_reward_groups": len(equal),
        "all_zero_groups": sum(1 for g in equal if g[0] == 0),
        "all_paid_the_same_groups": sum(1 for g in equal if g[0] > 0),
    }


def read_json_or_none(path: Path):
    return read_json(path) if path.exists() else None


def paired(summary: dict | None, candidate: str) -> dict:
    """The trained model against the start, as eval.py's summary has it ({} when not run)."""
    if summary is None:
        return {}
    pair = next(p for p in summary["paired"]["turn1"] if p["candidate"] == candidate)
    metrics = summary["metrics"]["turn1"]
    return {
        **{k: pair[k] for k in ("targets", "baseline_reward", "candidate_reward")},
        **{k: pair[k] for k in ("difference", "difference_ci")},
        "start_no_assertion_share": metrics["start"]["no_assertion_share"],
        "no_assertion_share": metrics[candidate]["no_assertion_share"],
        "start_run_rate": metrics["start"]["run_rate"],
        "run_rate": metrics[candidate]["run_rate"],
        "start_mutation_score": metrics["start"].get("mutation_score"),
        "mutation_score": metrics[candidate].get("mutation_score"),
    }


def fmt(value, digits: int = 3, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def interval(d: dict) -> str:
    if not d:
        return "not run"
    ci = d.get("difference_ci")
    span = f" [{fmt(ci[0], sign=True)}, {fmt(ci[1], sign=True)}]" if ci else ""
    return fmt(d.get("difference"), sign=True) + span


def table(results: dict) -> str:
    lines = [
        "| setting | steps | reward first → last steps (rise, 95% CI) | zero-std groups "
        "| of which all 0 / all paid alike | truncated | no-assert "
        "| train prompts: start → trained (paired, 95% CI) "
        "| held out: start → trained (paired, 95% CI) "
        "| mutation score, train prompts: start → trained |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for setting, r in results["settings"].items():
        t, tr, ho, g = r["training"], r["train_split"], r["heldout"], r["groups"]
        lines.append(
            f"| {setting} | {t['steps']} | {fmt(t['first_steps_reward'])} → "
            f"{fmt(t['last_steps_reward'])} ({interval(t['rise'])}) "
            f"| {fmt(t['mean frac_reward_zero_std'], 2)} "
            f"| {g['all_zero_groups']} / {g['all_paid_the_same_groups']} of {g['groups']} "
            f"| {fmt(t['mean completions/clipped_ratio'], 2)} "
            f"| {fmt(t['mean scorer/no_assertion_share'], 2)} "
            f"| {fmt(tr.get('baseline_reward'))} → {fmt(tr.get('candidate_reward'))} "
            f"({interval(tr)}) "
            f"| {fmt(ho.get('baseline_reward'))} → {fmt(ho.get('candidate_reward'))} "
            f"({interval(ho)}) "
            f"| {fmt(tr.get('start_mutation_score'))} → {fmt(tr.get('mutation_score'))} |"
        )
    return "\n".join(lines) + "\n"


def plot(histories: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(STEP_FIGURES), figsize=(4 * len(STEP_FIGURES), 3.2))
    for ax, (name, title) in zip(axes, STEP_FIGURES.items(), strict=True):
        for setting, steps in histories.items():
            points = [(s["step"], s[name]) for s in steps if s.get(name) is not None]
            if points:
                ax.plot(*zip(*points, strict=True), marker=".", label=setting)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step")
        ax.set_ylim(-0.03, 1.03)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        on_train = read_json_or_none(out / "eval" / f"train-k{args.eval_samples}" / "summary.json")
        heldout = read_json_or_none(out / "eval" / f"test-k{args.eval_samples}" / "summary.json")
    else:
        with scorer(ROOT / args.repos_dir, args.scorer_url, out / "scorer.log") as url:
            models = {"start": model_path(args.model)}
            for setting in args.settings:
                models[setting] = train(args, setting, url, out)
            on_train = evaluate(args, models, "train", args.prompts, url, out)
            heldout = evaluate(args, models, "test", args.heldout_targets, url, out)

    samples = {s: read_jsonl(out / "train" / s / "completions.jsonl") for s in args.settings}
    histories = {
        s: step_metrics(out / "train" / s)
        if (out / "train" / s / "log_history.json").exists()
        else steps_from_samples(samples[s])
        for s in args.settings
    }
    results = {
        "arguments": vars(args),
        "settings": {
            s: {
                "training": training_figures(histories[s], args.window),
                "groups": group_figures(samples[s]),
                "train_split": paired(on_train, s),
                "heldout": paired(heldout, s),
            }
            for s in args.settings
        },
        "start": {
            name: summary["metrics"]["turn1"]["start"] if summary else None
            for name, summary in (("train_split", on_train), ("heldout", heldout))
        },
    }
    markdown = table(results)
    write_results(out, results, markdown)
    plot(histories, out / "reward-per-step.png")
    print(markdown)
    print(f"results in {out}: results.json, results.md, reward-per-step.png")
    return 0


if __name__ == "__main__":
    run_script("learning-signal", main)
