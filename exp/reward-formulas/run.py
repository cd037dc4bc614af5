"""What each reward formula pays for: the same completions scored under `coverage`,
`coverage_mutation` and `mutation` by the real scorer, and compared.

    .venv/bin/python exp/reward-formulas/run.py                      # every sample package
    .venv/bin/python exp/reward-formulas/run.py --packages mathx --no-logged   # the smallest run

The completions, grouped by target (a group is what one target was answered with):
- own: each sample package's own test file (dataset/sample), the package as the target;
- stripped: the same file with every check removed (`gotools strip-assertions`): it runs the same
  code and checks nothing;
- wrong: the same file with the first check of each test inverted (`gotools wrong-expectation`):
  a test with a wrong expectation;
- logged: the completions that train.py and eval.py logged under --logs (completions.jsonl,
  samples.jsonl), where their repo is under --repos-dir, grouped by their target.
Each completion is scored three times, once per formula, by a scorer started on --repos-dir (or
the one at --scorer-url). The reward of each formula is also recomputed from the `mutation`
answer's p, c and m with scoring/reward.py (evaluation.formulas), and the two must agree.

Written under --out: results.json (every completion's scores and every figure), results.md (the
tables the README shows) and rewards.png. Intervals are 95% percentile bootstraps over groups.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repo root: run as a script, not a module

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

import gotools  # noqa: E402
from evaluation import formulas  # noqa: E402
from evaluation.metrics import bootstrap_ratio_ci  # noqa: E402
from scoring.client import ScoringClient  # noqa: E402
from scoring.local_server import LocalScoringServer  # noqa: E402

ROOT = HERE.parent.parent
SAMPLE_REPOS = ROOT / "dataset" / "sample" / "repos"
VARIANTS = ("own", "stripped", "wrong", "logged")
# Items per request: small enough that the progress bar moves.
BATCH = 8


@dataclass
class Completion:
    group: str  # the target: repo, package, file and function
    variant: str
    repo: str
    package: str
    completion: str
    target_file: str | None = None
    target_function: str | None = None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos-dir", type=Path, default=SAMPLE_REPOS, help="the scorer's repos")
    parser.add_argument(
        "--packages",
        nargs="*",
        help="sample packages by folder name (mathx, stats, ...): all if none",
    )
    parser.add_argument("--logs", type=Path, default=ROOT / "logs", help="train and eval logs")
    parser.add_argument("--no-logged", action="store_true", help="leave logged completions out")
    parser.add_argument("--max-logged", type=int, default=400, help="most logged completions")
    parser.add_argument("--scorer-url", help="a running scorer that serves --repos-dir")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


# Completions ------------------------------------------------------------------------------------


def sample_completions(repos_dir: Path, packages: list[str] | None) -> list[Completion]:
    """own, stripped and wrong for each test file of the repos (the sample has one a package)."""
    completions = []
    for path in sorted(repos_dir.rglob("*_test.go")):
        parts = path.relative_to(repos_dir).parts
        repo, folder = "/".join(parts[:2]), "/".join(parts[2:-1]) or "."
        if packages and path.parent.name not in packages:
            continue
        group = f"{repo}:{folder}"
        own = path.read_text()
        stripped = gotools.run("strip-assertions", src=str(path))
        wrong = gotools.run("wrong-expectation", src=str(path))
        variants = {"own": own, "stripped": stripped["source"]}
        if wrong["inverted"]:
            variants["wrong"] = wrong["source"]
        for variant, text in variants.items():
            completions.append(Completion(group, variant, repo, folder, text))
    return completions


def logged_completions(logs: Path, repos_dir: Path, limit: int) -> list[Completion]:
    """The completions train.py and eval.py logged, whose repo the scorer serves, each once."""
    files = sorted(logs.glob("train/*/completions.jsonl")) + sorted(
        logs.glob("eval/*/samples.jsonl")
    )
    seen, completions = set(), []
    for path in files:
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a kill
            target = tuple(
                record.get(k) for k in ("repo", "package", "target_file", "target_function")
            )
            key = (*target, record.get("completion"))
            if None in key[:2] or key in seen or not (repos_dir / target[0]).is_dir():
                continue
            seen.add(key)
            group = ":".join(str(t) for t in target)
            completions.append(Completion(group, "logged", *target[:2], record["completion"],
                                          *target[2:]))  # fmt: skip
            if len(completions) >= limit:
                return completions
    return completions


# Scoring ----------------------------------------------------------------------------------------


def score(url: str, completions: list[Completion]) -> list[dict]:
    """Each completion's result under each formula, asked of the scorer one formula at a time."""
    items = [{**asdict(c), "reward": formula} for c in completions for formula in formulas.FORMULAS]
    results: list[dict] = []
    with (
        ScoringClient(url, timeout_s=1800) as client,
        tqdm(total=len(items), desc="scoring") as bar,
    ):
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            results += client.score(batch)
            bar.update(len(batch))
    per_formula = len(formulas.FORMULAS)
    return [
        dict(zip(formulas.FORMULAS, results[i * per_formula : (i + 1) * per_formula], strict=True))
        for i in range(len(completions))
    ]


def row(completion: Completion, by_formula: dict[str, dict]) -> dict:
    """One completion's figures: each formula's reward as the scorer paid it, and as recomputed."""
    asked = formulas.measuring(formulas.DEFAULT_FORMULA)  # a formula whose answer has m
    measured = by_formula[asked]
    recomputed = formulas.rewards(measured, asked)
    return {
        "group": completion.group,
        "variant": completion.variant,
        "status": measured["status"],
        "assertions": measured["assertions"],
        # A test that checks nothing: it ran, and its file makes no check.
        "checks_nothing": measured["status"] == "ok" and measured["assertions"] == 0,
        "tests": measured["tests"],
        "coverage": measured["coverage"],
        "mutation": measured.get("mutation"),
        "mutation_score": formulas.mutation_score(measured),
        "rewards": {f: by_formula[f]["reward"] for f in formulas.FORMULAS},
        "recomputed": recomputed,
    }


# Figures ----------------------------------------------------------------------------------------


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


def rank_correlations(rows: list[dict], resamples: int, seed: int) -> dict:
    """Spearman's rank correlation of each pair of formulas over every scored completion, with a
    bootstrap interval that resamples groups."""
    scored = [r for r in rows if r["rewards"]["coverage"] is not None]
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


# Report -----------------------------------------------------------------------------------------


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def with_ci(figure: dict) -> str:
    ci = figure.get("ci")
    return number(figure["mean"]) + ("" if not ci else f" [{ci[0]:.3f}, {ci[1]:.3f}]")


def markdown(results: dict) -> str:
    fs = formulas.FORMULAS
    lines = ["### Mean reward of each variant under each formula", ""]
    lines += ["| variant | completions | check nothing | mutation score | "
              + " | ".join(fs) + " |", "|" + " --- |" * (4 + len(fs))]  # fmt: skip
    for variant, t in results["variants"].items():
        cells = [
            variant,
            str(t["completions"]),
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
    lines += ["", "### Rank correlation between formulas (Spearman, over every completion)", ""]
    lines += ["| formulas | Spearman [95% CI] | completions |", "| --- | --- | --- |"]
    for pair, c in results["rank_correlations"].items():
        ci = c["ci"]
        value = number(c["spearman"]) + ("" if not ci else f" [{ci[0]:.3f}, {ci[1]:.3f}]")
        lines.append(f"| {pair} | {value} | {c['n']} |")
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


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    repos_dir = args.repos_dir.resolve()
    completions = sample_completions(repos_dir, args.packages)
    if not args.no_logged:
        completions += logged_completions(args.logs, repos_dir, args.max_logged)
    if not completions:
        sys.exit(f"run.py: no test files under {repos_dir} match --packages {args.packages}")
    print(f"{len(completions)} completions in {len({c.group for c in completions})} groups")

    if args.scorer_url:
        answers = score(args.scorer_url, completions)
    else:
        with LocalScoringServer(repos_dir, warmup="false") as server:
            answers = score(server.url, completions)

    rows = [row(c, a) for c, a in zip(completions, answers, strict=True)]
    # A sample package whose own tests do not run under the scorer (the sample's deliberately
    # broken one) says nothing about what a formula pays: its group is left out of the figures.
    broken = sorted({r["group"] for r in rows if r["variant"] == "own" and r["status"] != "ok"})
    kept = [r for r in rows if r["group"] not in broken]
    compared = [(r["rewards"][f], r["recomputed"][f]) for r in rows for f in formulas.FORMULAS]
    compared = [(a, b) for a, b in compared if a is not None and b is not None]
    results = {
        "arguments": {k: str(v).replace(f"{ROOT}/", "") for k, v in vars(args).items()},
        "left_out": {group: "its own tests did not run" for group in broken},
        "variants": variant_table(kept, args.resamples, args.seed),
        "discrimination": discrimination(kept, args.resamples, args.seed),
        "rank_correlations": rank_correlations(kept, args.resamples, args.seed),
        "best_checks_nothing": best_checks_nothing(kept, args.resamples, args.seed),
        "recomputed_agree": {
            "compared": len(compared),
            "agree": sum(abs(a - b) < 1e-9 for a, b in compared),
        },
        "completions": [{**asdict(c), **r} for c, r in zip(completions, rows, strict=True)],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    (args.out / "results.md").write_text(markdown(results))
    plot(results, args.out / "rewards.png")
    print(markdown(results))
    print(f"written: {args.out / 'results.md'}, results.json, rewards.png")
    return results


if __name__ == "__main__":
    main()
