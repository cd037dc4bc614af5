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
The figures are computed in comparisons.py, the tables and the plot drawn in report.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # the repo root: run as a script, not a module

from comparisons import (  # noqa: E402
    best_checks_nothing,
    discrimination,
    rank_correlations,
    variant_table,
)
from report import markdown, plot  # noqa: E402
from tqdm import tqdm  # noqa: E402

import gotools  # noqa: E402
from evaluation import formulas  # noqa: E402
from scoring import figures  # noqa: E402
from scoring.client import ScoringClient  # noqa: E402
from scoring.local_server import LocalScoringServer  # noqa: E402

ROOT = HERE.parent.parent
SAMPLE_REPOS = ROOT / "dataset" / "sample" / "repos"
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
        "mutation_score": figures.mutation_score(measured),
        "rewards": {f: by_formula[f]["reward"] for f in formulas.FORMULAS},
        "recomputed": recomputed,
    }


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
        "rank_correlations_ran": rank_correlations(kept, args.resamples, args.seed, ran_only=True),
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
