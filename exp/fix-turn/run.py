"""Training the repair turn: GRPO on second turns whose prompt holds the model's first answer and
the scorer's `detail`, rewarded on the second answer. Does the fix rate rise?

    .venv/bin/python exp/fix-turn/run.py
    .venv/bin/python exp/fix-turn/run.py --prompts 16 --first-samples 4 --steps 20

Needs the sample dataset and the demo model (`make demo` builds both). Four steps:

1. First answers: eval.py has the start model answer the first `--prompts` rows of the train
   split (k = 2 * --first-samples) and the test split (k = --first-samples); the scorer's
   verdicts are logged with each answer.
2. Episodes: each first answer that evaluation.fix_turn.needs_fix sends back becomes a row whose
   prompt is evaluation.fix_turn.fix_conversation (the first prompt, the answer, the scorer's
   output and the request to fix it: the very second turn eval.py's --fix_turn asks). Three
   sets: `train` (the first half of each train target's answers), `fresh` (the second half: new
   first answers to the same targets) and `test` (targets of held-out repos).
3. train.py on the `train` split (exp/fix-turn/recipes/demo.yaml): GRPO samples second answers
   and the scorer pays them exactly as it pays first answers.
4. eval.py answers every set's episodes with the start model and the trained one; the fix rate
   is the share of second answers that build and run (`run_rate`), and all pass. Paired intervals
   over episodes. Written to results.json and results.md under --out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repo root: run as a script, not a module

from exp.runner import (  # noqa: E402
    ROOT,
    ExperimentError,
    add_training_arguments,
    flags,
    model_path,
    override_flags,
    require_paths,
    run_command,
    run_script,
    scorer,
    step_metrics,
    write_results,
)

RECIPE = HERE / "recipes" / "demo.yaml"
# Episode sets: (split of the dataset, which first answers of each target). `train` and `fresh`
# come from one run of k = 2 * --first-samples on the train split: its first half is trained on,
# its second half gives new first answers to the same targets. `test` holds the held-out repos.
EPISODE_SETS = ("train", "fresh", "test")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_training_arguments(parser, prompts=16, out="logs/exp/fix-turn")
    parser.add_argument("--recipe", default=str(RECIPE.relative_to(ROOT)))
    parser.add_argument("--first-samples", type=int, default=4, help="first answers per target")
    parser.add_argument("--fix-samples", type=int, default=2, help="second answers per episode")
    parser.add_argument("--temperature", type=float, default=0.5, help="of the evaluations")
    parser.add_argument(
        "--max-prompt-tokens",
        type=int,
        default=1792,
        help="episodes whose second prompt is longer are dropped (the tiny model's context is "
        "2048 tokens, and the answer needs room)",
    )
    args = parser.parse_args(argv)
    require_paths(parser, args, "dataset", "repos_dir", "recipe")
    return args


def eval_command(args, models: dict[str, Path], dataset: Path, split: str, **options) -> list:
    return [
        "eval.py",
        *flags(
            models=[f"{name}={path}" for name, path in models.items()],
            dataset_name=dataset,
            dataset_split=split,
            temperature=args.temperature,
            max_new_tokens=args.max_new_tokens,
            fix_turn=False,
            overwrite=True,  # every step of this experiment is made afresh
            **options,
        ),
    ]


def first_answers(args, url: str, out: Path) -> dict[str, list[dict]]:
    """Step 1: the start model's first answers, per episode set, with the scorer's verdicts."""
    from evaluation.logs import read_samples

    runs = {"train": ("train", args.prompts, 2 * args.first_samples)}
    runs["test"] = ("test", args.heldout_targets, args.first_samples)
    records = {}
    for name, (split, targets, k) in runs.items():
        command = eval_command(
            args,
            {"start": model_path(args.model)},
            ROOT / args.dataset,
            split,
            max_targets=targets,
            num_samples=k,
            scorer_urls=[url],
            run_name=f"first-{name}",
            logs_dir=out / "eval",
        )
        run_command(f"first answers ({split})", command, out / "commands" / f"first-{name}.log")
        records[name] = read_samples(out / "eval" / f"first-{name}" / "samples.jsonl")
    return {
        "train": [r for r in records["train"] if r["sample"] < args.first_samples],
        "fresh": [r for r in records["train"] if r["sample"] >= args.first_samples],
        "test": records["test"],
    }


def episode_id(episode_set: str, record: dict) -> str:
    return f"{episode_set}:{record['id']}#{record['sample']}"


def build_episodes(args, answers: dict[str, list[dict]], path: Path) -> dict:
    """Step 2: the second-turn dataset; returns what was kept and dropped, per split."""
    from datasets import Dataset, DatasetDict, load_from_disk
    from transformers import AutoTokenizer

    from dataset.tokens import chat_prompt_tokens
    from evaluation.fix_turn import fix_conversation, needs_fix
    from scoring import figures

    source = load_from_disk(str(ROOT / args.dataset))
    tokenizer = AutoTokenizer.from_pretrained(model_path(args.model))
    sets, counts = {}, {}
    for name in EPISODE_SETS:
        prompts = {row["id"]: row for row in source["test" if name == "test" else "train"]}
        rows, statuses, too_long = [], {}, 0
        for record in answers[name]:
            if figures.is_error(record) or not needs_fix(record):
                continue
            row = prompts[record["id"]]
            conversation = fix_conversation(row["prompt"], record)
            tokens = chat_prompt_tokens(tokenizer, conversation)
            if tokens > args.max_prompt_tokens:
                too_long += 1
                continue
            statuses[record["status"]] = statuses.get(record["status"], 0) + 1
            rows.append(
                {
                    "id": episode_id(name, record),
                    "prompt": conversation,
                    **{k: row[k] for k in ("repo", "package", "target_file", "target_function")},
                    "granularity": row.get("granularity"),
                    "first_status": record["status"],
                    "first_reward": record["reward"],
                    "prompt_tokens": tokens,
                }
            )
        counts[name] = {
            "first_answers": len(answers[name]),
            "episodes": len(rows),
            "dropped_too_long": too_long,
            "first_statuses": dict(sorted(statuses.items())),
        }
        sets[name] = rows
    if not sets["train"]:
        raise ExperimentError("no first answer of the train split needs a fix: nothing to train")
    # `train` for train.py; `all` (every set, told apart by the id) for one eval.py run.
    splits = {"train": sets["train"], "all": [row for rows in sets.values() for row in rows]}
    DatasetDict({k: Dataset.from_list(v) for k, v in splits.items()}).save_to_disk(str(path))
    return counts


def train(args, episodes: Path, url: str, out: Path) -> Path:
    """Step 3: GRPO on the second turns of the train episodes."""
    model_dir = out / "model"
    command = [
        "train.py",
        "--config",
        str(ROOT / args.recipe),
        *flags(
            model_name_or_path=model_path(args.model),
            dataset_name=episodes,
            max_steps=args.steps,
            scorer_urls=[url],
            output_dir=model_dir,
            run_name="fix-turn",
            logs_dir=out / "train",
        ),
        *override_flags(args.train_override),
    ]
    run_command("train on second turns", command, out / "commands" / "train.log")
    return model_dir


def evaluate(args, episodes: Path, model_dir: Path, url: str, out: Path) -> dict:
    """Step 4: second answers of the start and the trained model to every set's episodes, in one
    eval.py run; the figures per set, by the same functions as eval.py's summary."""
    from evaluation.logs import read_samples
    from evaluation.metrics import by_model, model_metrics, paired_difference

    command = eval_command(
        args,
        {"start": model_path(args.model), "trained": model_dir},
        episodes,
        "all",
        num_samples=args.fix_samples,
        scorer_urls=[url],
        run_name="fix",
        logs_dir=out / "eval",
    )
    run_command("second answers", command, out / "commands" / "fix.log")
    records = read_samples(out / "eval" / "fix" / "samples.jsonl")
    summaries = {}
    for name in EPISODE_SETS:
        grouped = by_model(r for r in records if r["id"].startswith(f"{name}:"))
        if not grouped:
            continue
        metrics = {m: model_metrics(grouped.get(m, [])) for m in ("start", "trained")}
        pair = paired_difference(grouped.get("start", []), grouped.get("trained", []))
        summaries[name] = {
            "episodes": pair["targets"],
            **{
                f"{model} {figure}": metrics[model][figure]
                for model in ("start", "trained")
                for figure in ("run_rate", "all_passed_rate", "reward", "status_counts")
            },
            "reward_difference": pair["difference"],
            "reward_difference_ci": pair["difference_ci"],
        }
    return summaries


def pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def table(results: dict) -> str:
    lines = [
        "| episodes | n | fix rate (runs): start → trained | all pass: start → trained "
        "| reward: start → trained | trained - start (paired, 95% CI) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for split, r in results["evaluation"].items():
        ci = r["reward_difference_ci"]
        span = f" [{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else ""
        lines.append(
            f"| {split} | {r['episodes']} | {pct(r['start run_rate'])} → "
            f"{pct(r['trained run_rate'])} | {pct(r['start all_passed_rate'])} → "
            f"{pct(r['trained all_passed_rate'])} | {r['start reward']:.3f} → "
            f"{r['trained reward']:.3f} | {r['reward_difference']:+.3f}{span} |"
        )
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    """The training's reward per step beside the fix rate of each set, start against trained."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (steps_ax, sets_ax) = plt.subplots(1, 2, figsize=(9, 3.2))
    training = results["training"]
    for name, label in (
        ("reward_per_step", "mean reward"),
        ("run_rate_per_step", "runs (fix rate)"),
        ("frac_reward_zero_std", "groups without variance"),
    ):
        points = [(i + 1, v) for i, v in enumerate(training[name]) if v is not None]
        if points:
            steps_ax.plot(*zip(*points, strict=True), marker=".", label=label)
    steps_ax.set_title("GRPO on second turns", fontsize=10)
    steps_ax.set_xlabel("step")
    steps_ax.set_ylim(-0.03, 1.03)
    steps_ax.legend(fontsize=8)
    sets = list(results["evaluation"])
    for offset, model in ((-0.2, "start"), (0.2, "trained")):
        rates = [results["evaluation"][s][f"{model} run_rate"] or 0.0 for s in sets]
        sets_ax.bar([i + offset for i in range(len(sets))], rates, width=0.4, label=model)
    sets_ax.set_xticks(
        range(len(sets)), [f"{s} ({results['evaluation'][s]['episodes']})" for s in sets]
    )
    sets_ax.set_title("fix rate of the second answers", fontsize=10)
    sets_ax.set_ylim(0, 1)
    sets_ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    episodes = out / "episodes"
    with scorer(ROOT / args.repos_dir, args.scorer_url, out / "scorer.log") as url:
        answers = first_answers(args, url, out)
        counts = build_episodes(args, answers, episodes)
        print(f"episodes: {json.dumps(counts)}", flush=True)
        model_dir = train(args, episodes, url, out)
        evaluation = evaluate(args, episodes, model_dir, url, out)
    steps = step_metrics(out / "train" / "fix-turn")
    results = {
        "arguments": vars(args),
        "episodes": counts,
        "training": {
            "steps": len(steps),
            "reward_per_step": [s["reward"] for s in steps],
            "frac_reward_zero_std": [s.get("frac_reward_zero_std") for s in steps],
            "run_rate_per_step": [s.get("scorer/run_rate") for s in steps],
        },
        "evaluation": evaluation,
    }
    markdown = table(results)
    write_results(out, results, markdown)
    plot(results, out / "fix-turn.png")
    print(markdown)
    print(f"results in {out}: results.json, results.md, fix-turn.png")
    return 0


if __name__ == "__main__":
    run_script("fix-turn", main)
