"""Mine (prompt -> the repo's own tests of the target) pairs from a dataset's train split.

    python exp/warm-start/mine.py --dataset data/sample-dataset --repos-dir data/repos \
        --out data/warm-start/sample-pairs
    # a build's per-repo results (a partial build has no dataset yet), a sample of its packages
    python exp/warm-start/mine.py --build-results data/real-dataset/build/results \
        --repos-dir data/repos --out data/warm-start/real-pairs --sample-packages 40

For every package of the train split's rows, `gotools testcalls` (go/packages and go/types) lists
which top-level tests of the package's own _test.go files call each function or method directly,
and gives each such function its tests as one test file (the tests, the helpers of the test files
they use, their imports). A function row of the train split whose target has such a file becomes
a candidate pair; every candidate is scored by the scoring server, as the trainer would score a
completion (offline, on the same repos root), and a pair whose test does not build alone is
dropped. The kept pairs are written as a `save_to_disk` dataset in TRL's conversational
prompt-completion format (`prompt`: the row's messages, `completion`: one assistant message with
the test in a ```go block), with the row's scorer columns and the pair's score beside them; next
to it, `counts.json` says how many packages, rows and pairs each step kept and dropped, and why.
File-level rows are left out: their answer is a test of a whole file, not of one function.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the repo root: run as a script, not a module

import gotools  # noqa: E402
from common.errors import first_line  # noqa: E402
from dataset.split import split_of  # noqa: E402
from scoring.figures import BUILT  # noqa: E402
from scripts import tiny_model  # noqa: E402

logger = logging.getLogger("warm_start.mine")
# The dataset builder's default; a build's own value is read from its config when it has one.
TEST_FRACTION = 0.1
SCORE_BATCH = 64


def train_rows_of_dataset(path: Path) -> list[dict]:
    from dataset.rows import load_split

    columns = ("prompt", "repo", "package", "target_file", "target_function", "id")
    return load_split(str(path), "train", columns).to_list()


def train_rows_of_results(results: Path) -> list[dict]:
    """The train split's rows of a build's per-repo results, finished or not."""
    rows = []
    for path in sorted(results.glob("*.json")):
        result = json.loads(path.read_text())
        if split_of(result["repo"], TEST_FRACTION) == "train":
            rows.extend(result.get("rows") or [])
    return rows


def tests_by_package(packages: list[tuple[str, str]], repos_dir: Path, counts: Counter) -> dict:
    """(repo, package) -> {function: testcalls target}, for the packages whose tests load."""
    from tqdm import tqdm

    found = {}
    for repo, package in tqdm(packages, desc="testcalls", unit="package"):
        try:
            answer = gotools.run("testcalls", dir=str(repos_dir / repo / package))
        except gotools.GoToolsError as err:
            counts["packages_not_loaded"] += 1
            logger.info("%s/%s: %s", repo, package, first_line(err))
            continue
        counts["packages_loaded"] += 1
        if answer["tests"]:
            counts["packages_with_tests"] += 1
        found[(repo, package)] = {t["function"]: t for t in answer["targets"]}
    return found


def score_pairs(
    candidates: list[dict], repos_dir: Path, log_dir: Path, scorer_url: str | None
) -> list[dict]:
    """The scorer's result for each candidate's test, in order.

    By the scorer at scorer_url, which must serve repos_dir, or else by one started here on
    loopback, offline.
    """
    from scoring.client import ScoringClient
    from scoring.local_server import LocalScoringServer

    if scorer_url is not None:
        with ScoringClient(scorer_url, timeout_s=3600) as client:
            return _score_batches(client, candidates)
    # No warm-up: it would build every package of the repos root, not only the mined ones.
    server = LocalScoringServer(
        repos_dir, log_path=log_dir / "scorer.log", goproxy="off", warmup="false"
    )
    with server, ScoringClient(server.url, timeout_s=3600) as client:
        return _score_batches(client, candidates)


def _score_batches(client, candidates: list[dict]) -> list[dict]:
    from tqdm import tqdm

    results = []
    for start in tqdm(range(0, len(candidates), SCORE_BATCH), desc="scoring", unit="batch"):
        batch = candidates[start : start + SCORE_BATCH]
        items = [
            {
                "repo": c["repo"],
                "package": c["package"],
                "target_file": c["target_file"],
                "target_function": c["target_function"],
                "completion": c["completion"][0]["content"],
            }
            for c in batch
        ]
        results.extend(client.score(items))
    return results


def mine(
    rows: list[dict],
    repos_dir: Path,
    out: Path,
    sample_packages: int | None,
    seed: int,
    scorer_url: str | None = None,
) -> dict:
    """Mines, scores and writes the pairs of rows (a train split); returns the counts."""
    from datasets import Dataset, DatasetDict

    counts: Counter = Counter()
    started = time.monotonic()
    function_rows = [r for r in rows if r["target_function"]]
    counts["train_rows"] = len(rows)
    counts["train_function_rows"] = len(function_rows)
    packages = sorted({(r["repo"], r["package"]) for r in function_rows})
    counts["train_packages"] = len(packages)
    if sample_packages is not None and sample_packages < len(packages):
        packages = sorted(random.Random(seed).sample(packages, sample_packages))
    counts["packages_examined"] = len(packages)
    chosen = set(packages)
    examined_rows = [r for r in function_rows if (r["repo"], r["package"]) in chosen]
    counts["rows_examined"] = len(examined_rows)

    found = tests_by_package(packages, repos_dir, counts)
    candidates = []
    for row in examined_rows:
        target = found.get((row["repo"], row["package"]), {}).get(row["target_function"])
        if target is None:
            continue
        answer = tiny_model.answer_message(target["source"])
        candidates.append(
            {
                "id": row["id"],
                "prompt": row["prompt"],
                "completion": [answer],
                "repo": row["repo"],
                "package": row["package"],
                "target_file": row["target_file"],
                "target_function": row["target_function"],
                "tests": target["tests"],
                "external": target["external"],
            }
        )
    counts["rows_with_calling_tests"] = len(candidates)
    logger.info("%d of %d rows have tests that call their target", len(candidates), len(rows))

    statuses: Counter = Counter()
    pairs = []
    if candidates:
        out.parent.mkdir(parents=True, exist_ok=True)
        results = score_pairs(candidates, repos_dir, out.parent / f"{out.name}.logs", scorer_url)
        for candidate, result in zip(candidates, results, strict=True):
            statuses[result["status"]] += 1
            if result["status"] in BUILT:
                tests = result.get("tests") or {}
                pairs.append(
                    {
                        **candidate,
                        "status": result["status"],
                        "reward": result["reward"],
                        "coverage": result["coverage"],
                        "passed": tests.get("passed", 0),
                        "failed": tests.get("failed", 0),
                    }
                )
    counts["pairs_built"] = len(pairs)
    counts["pairs_ok_all_passed"] = sum(p["status"] == "ok" and p["failed"] == 0 for p in pairs)
    report = {
        "counts": dict(counts),
        "statuses": dict(statuses),
        "mean_reward_built": (sum(p["reward"] for p in pairs) / len(pairs)) if pairs else None,
        "seconds": round(time.monotonic() - started, 1),
        "sample_packages": sample_packages,
        "seed": seed,
    }
    if pairs:
        DatasetDict({"train": Dataset.from_list(pairs)}).save_to_disk(str(out))
    else:
        out.mkdir(parents=True, exist_ok=True)
    (out / "counts.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--dataset", type=Path, help="a dataset folder from python -m dataset.build"
    )
    source.add_argument(
        "--build-results", type=Path, help="a build's --out/build/results (a partial build)"
    )
    parser.add_argument("--repos-dir", type=Path, required=True, help="the build's repos root")
    parser.add_argument("--out", type=Path, required=True, help="folder for the pairs")
    parser.add_argument(
        "--sample-packages", type=int, help="examine only this many packages, drawn at random"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the package sample")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    given = args.dataset or args.build_results
    for path, what in ((given, "dataset"), (args.repos_dir, "repos root")):
        if not path.is_dir():
            sys.exit(f"mine.py: the {what} {path} does not exist")
    if args.sample_packages is not None and args.sample_packages < 1:
        sys.exit("mine.py: --sample-packages must be at least 1")
    rows = (
        train_rows_of_dataset(args.dataset)
        if args.dataset
        else train_rows_of_results(args.build_results)
    )
    report = mine(rows, args.repos_dir, args.out, args.sample_packages, args.seed)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
