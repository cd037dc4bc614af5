"""`make demo`: the main job on the bundled sample, end to end, on the CPU.

    .venv/bin/python -m scripts.demo

1. Checks the sample: its listing is up to date, and every package that the dataset would keep
   builds and passes its own tests with the pinned Go.
2. Builds the sample dataset (python -m dataset.build): rows in data/sample-dataset, the repos
   under data/repos.
3. Builds the tiny demo model offline (python -m scripts.tiny_model) into .cache/demo-model,
   or finds it there already built from the same inputs.
4. Starts the scoring server on loopback over data/repos, and with it running: scores each
   sample package's own test file as if a model had written it, trains the tiny model a few
   GRPO steps (python train.py --config recipes/demo.yaml), and evaluates it against its starting
   point (python eval.py). The server is stopped at the end, also on an error or Ctrl-C.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import gotools
from scoring.client import ScoringClient
from scoring.local_server import LocalScoringServer, ScorerStartError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "dataset" / "sample"
REPOS = SAMPLE / "repos"
DATASET = ROOT / "data" / "sample-dataset"
DATA_REPOS = ROOT / "data" / "repos"
DEMO_MODEL = ROOT / ".cache" / "demo-model"
TRAINED_MODEL = ROOT / "data" / "train" / "demo"
EVAL_LOGS = ROOT / "logs" / "eval"


def banner(text: str) -> None:
    print(f"\n== {text}", flush=True)


def parses(package_dir: Path) -> bool:
    # `go list -e` reads only imports, so the parse errors come from the helper.
    return not any(f["parse_error"] for f in gotools.run("facts", dir=str(package_dir))["files"])


def buildable_packages(module_dir: Path) -> list[dict]:
    """The module's packages that load and parse (the sample's broken one does not)."""
    listed = gotools.run_go(
        ["list", "-e", "-json=Dir,ImportPath,Error,TestGoFiles", "./..."], module_dir
    )
    decoder, text, packages = json.JSONDecoder(), listed.stdout, []
    position = 0
    while position < len(text.rstrip()):
        package, position = decoder.raw_decode(text, position)
        position += len(text[position:]) - len(text[position:].lstrip())
        packages.append(package)
    return [p for p in packages if not p.get("Error") and parses(Path(p["Dir"]))]


def check_sample() -> list[tuple[str, str, Path]]:
    """Returns (repo, package, test file) for every sample package with tests of its own."""
    listing = subprocess.run(
        [sys.executable, str(SAMPLE / "make_listing.py"), "--check"], capture_output=True, text=True
    )
    if listing.returncode != 0:
        sys.exit(f"demo: the sample listing is stale: {listing.stdout}{listing.stderr}".strip())
    print("listing.jsonl matches the sample repos")
    with_tests = []
    for go_mod in sorted(REPOS.glob("*/*/**/go.mod")):
        module_dir = go_mod.parent
        packages = buildable_packages(module_dir)
        tested = gotools.run_go(
            ["test", "-count=1", "-cover", *(p["ImportPath"] for p in packages)], module_dir
        )
        print(tested.stdout.rstrip())
        if tested.returncode != 0:
            sys.exit(f"demo: the sample module {module_dir} fails its tests:\n{tested.stderr}")
        repo = "/".join(module_dir.relative_to(REPOS).parts[:2])
        for package in packages:
            package_dir = Path(package["Dir"])
            relative = package_dir.relative_to(REPOS / repo).as_posix() or "."
            for test_file in package.get("TestGoFiles") or []:
                with_tests.append((repo, relative, package_dir / test_file))
    return with_tests


def score_own_tests(server: LocalScoringServer, with_tests: list[tuple[str, str, Path]]) -> None:
    items = [
        {"repo": repo, "package": package, "completion": f"```go\n{path.read_text()}```"}
        for repo, package, path in with_tests
    ]
    with ScoringClient(server.url) as client:
        results = client.score(items)
    header = f"{'repo/package':40} {'status':8} {'pass':>5} {'fail':>5} {'cover':>6} {'reward':>7}"
    print(header)
    print("-" * len(header))
    for (repo, package, _), result in zip(with_tests, results, strict=True):
        tests = result["tests"]
        coverage = "-" if result["coverage"] is None else f"{result['coverage']:.2f}"
        reward = "-" if result["reward"] is None else f"{result['reward']:.3f}"
        print(
            f"{repo + '/' + package:40} {result['status']:8} {tests['passed']:5} "
            f"{tests['failed']:5} {coverage:>6} {reward:>7}"
        )


def build_demo_model() -> None:
    from scripts import tiny_model

    banner("3. The tiny demo model: Go tokenizer, small Llama, warm start (scripts.tiny_model)")
    started = time.monotonic()
    tiny_model.build(DATASET, DATA_REPOS, DEMO_MODEL)
    print(f"{DEMO_MODEL.relative_to(ROOT)} ready after {time.monotonic() - started:.0f}s")


def run_step(what: str, command: list[str]) -> None:
    """Runs one of the toolkit's own commands, as a user would type it, from the repo root."""
    print("$ " + " ".join(command), flush=True)
    if subprocess.run([sys.executable, *command], cwd=ROOT).returncode != 0:
        sys.exit(f"demo: {what} failed (see above)")


def train(server: LocalScoringServer) -> None:
    banner("5. GRPO: a few steps of the tiny model on the scorer's reward (train.py)")
    shutil.rmtree(TRAINED_MODEL, ignore_errors=True)  # a fresh run, not a resumed one
    run_step("training", ["train.py", "--config", "recipes/demo.yaml", "--scorer_urls", server.url])


def build_sample_dataset() -> None:
    """The sample through the dataset builder: rows in data/sample-dataset, repos in data/repos."""
    from dataset import build

    banner("2. Dataset: the sample built into training rows (python -m dataset.build)")
    out = DATASET
    # Built afresh: a resumed build would keep results from before an edit of the sample.
    shutil.rmtree(out, ignore_errors=True)
    args = [
        f"--listing={SAMPLE / 'listing.jsonl'}",
        "--source=dir",
        f"--out={out}",
        f"--repos-dir={DATA_REPOS}",
    ]
    if build.main(args) != 0:
        sys.exit("demo: the sample dataset could not be built (see the error above)")


def evaluate(server: LocalScoringServer) -> None:
    banner(
        "6. Evaluation: the trained model against its starting point on the test split (eval.py)"
    )
    # eval.py resumes a run of the same name; the demo compares afresh.
    shutil.rmtree(EVAL_LOGS / "demo", ignore_errors=True)
    shutil.rmtree(EVAL_LOGS / "demo-train", ignore_errors=True)
    command = ["eval.py", "--config", "recipes/eval-demo.yaml", "--scorer_urls", server.url]
    run_step("evaluation", command)
    banner("7. The same comparison on the train split: the prompts GRPO sampled from")
    train_split = ["--dataset_split", "train", "--run_name", "demo-train", "--fix_turn", "false"]
    run_step("evaluation on the train split", [*command, *train_split])


def main() -> None:
    started = time.monotonic()
    banner("1. The sample: listing, builds and the modules' own tests")
    with_tests = check_sample()
    build_sample_dataset()
    build_demo_model()
    log = ROOT / "logs" / "demo-scorer.log"
    try:
        with LocalScoringServer(DATA_REPOS, log_path=log) as server:
            banner("4. The scorer: each sample package's own test file, scored as a completion")
            print(f"scorer healthy at {server.url}; its log is {log.relative_to(ROOT)}")
            score_own_tests(server, with_tests)
            train(server)
            evaluate(server)
    except ScorerStartError as err:
        sys.exit(f"demo: {err}\n(full log: {log})")
    banner(f"Done in {time.monotonic() - started:.0f}s; the scorer is stopped")
    print(
        "The test split is a repo the tiny model never saw: a model of a few million parameters\n"
        "trained for minutes does not write tests for new code, so expect zeros there. The train\n"
        "split shows what the warm start and GRPO did on the prompts they saw. Logs:\n"
        "logs/train/demo, logs/eval/demo, logs/eval/demo-train (eval_analyzer.ipynb draws them)."
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("demo: interrupted; the scorer was stopped")
