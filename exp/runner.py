"""What the experiments under exp/ do with the toolkit: start a scorer, run train.py and eval.py
as a user would type them, and read back what they logged.

Each command's output goes to a log file beside the experiment's results (the console gets one
line per step), and a command that fails stops the experiment with that log's path.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import numpy as np

from common.errors import UserError, first_line

ROOT = Path(__file__).resolve().parent.parent


class ExperimentError(UserError, RuntimeError):
    """A step of an experiment failed; one line naming the log that says why, never a traceback."""


def flags(**options: object) -> list[str]:
    """`--name value` for each option that is not None; lists give one flag and several values."""
    args: list[str] = []
    for name, value in options.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            args += [f"--{name}", *map(str, value)]
        elif isinstance(value, bool):
            args += [f"--{name}", "true" if value else "false"]
        else:
            args += [f"--{name}", str(value)]
    return args


def model_path(name: str) -> str:
    """A model folder (relative to the repo root) as an absolute path; a hub id as it is."""
    local = ROOT / name
    return str(local) if local.exists() else name


def add_training_arguments(parser: argparse.ArgumentParser, prompts: int, out: str) -> None:
    """The options of an experiment that trains the demo model with train.py and evaluates it
    with eval.py on the sample: what it starts from, on which rows, for how long, and where."""
    parser.add_argument(
        "--model", default=".cache/demo-model", help="the start model: a folder or a hub id"
    )
    parser.add_argument("--dataset", default="data/sample-dataset")
    parser.add_argument("--repos-dir", default="data/repos", help="the scorer's repos root")
    parser.add_argument("--prompts", type=int, default=prompts, help="the first N train rows")
    parser.add_argument("--steps", type=int, default=None, help="GRPO steps (default: recipe's)")
    parser.add_argument("--heldout-targets", type=int, default=None, help="test rows (all)")
    parser.add_argument("--max-new-tokens", type=int, default=320)
    parser.add_argument(
        "--train-override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another train.py flag for every training (repeatable), e.g. max_completion_length=64",
    )
    parser.add_argument("--scorer-url", default=None, help="a running scorer (else one starts)")
    parser.add_argument("--out", default=out)


def require_paths(parser: argparse.ArgumentParser, args: argparse.Namespace, *names: str) -> None:
    """One line, naming the command that makes it, for each input under the repo root missing."""
    for name in names:
        if not (ROOT / getattr(args, name)).exists():
            parser.error(f"{getattr(args, name)} does not exist: `make demo` builds it")


def override_flags(overrides: Sequence[str]) -> list[str]:
    """`--key=value` for each KEY=VALUE of a script's --train-override (more train.py flags)."""
    bad = [o for o in overrides if "=" not in o]
    if bad:
        raise ExperimentError(f"--train-override takes KEY=VALUE, not {bad[0]!r}")
    return [f"--{key}={value}" for key, _, value in (o.partition("=") for o in overrides)]


def run_command(what: str, command: Sequence[str], log_path: Path) -> float:
    """Runs one of the toolkit's commands from the repo root; returns its seconds."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"{what}: $ python {' '.join(command)}", flush=True)
    started = time.monotonic()
    with log_path.open("w") as log:
        done = subprocess.run(
            [sys.executable, *command], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise ExperimentError(f"{what} failed after {seconds:.0f}s (log: {log_path})")
    print(f"{what}: done in {seconds:.0f}s (log: {log_path})", flush=True)
    return seconds


@contextmanager
def scorer(repos_dir: Path, url: str | None, log_path: Path) -> Iterator[str]:
    """The URL of a healthy scorer: the one given, or one started on loopback for the block."""
    if url:
        yield url
        return
    from scoring.local_server import LocalScoringServer, ScorerStartError

    try:
        with LocalScoringServer(repos_dir, log_path=log_path) as server:
            print(f"scorer healthy at {server.url} (log: {log_path})", flush=True)
            yield server.url
    except ScorerStartError as err:
        raise ExperimentError(f"{first_line(err)} (log: {log_path})") from err


def write_results(out: Path, results: dict, markdown: str) -> None:
    """results.json (every figure; what JSON cannot hold, as its text) and results.md (tables)."""
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    (out / "results.md").write_text(markdown)


def run_script(name: str, main: Callable[[], int]) -> NoReturn:
    """Runs an experiment's main as its script: a failed step or ^C ends it in one line, named."""
    try:
        sys.exit(main())
    except ExperimentError as err:
        sys.exit(f"{name}: {err}")
    except KeyboardInterrupt:
        sys.exit(f"{name}: interrupted")


def read_json(path: Path) -> object:
    return json.loads(path.read_text())


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def step_metrics(train_logs: Path) -> list[dict]:
    """train.py's per-step metrics (log_history.json), the final summary entry left out."""
    history = read_json(train_logs / "log_history.json")
    return [entry for entry in history if "reward" in entry and "step" in entry]


def bootstrap_difference(
    before: Sequence[float], after: Sequence[float], *, resamples: int = 2000, seed: int = 0
) -> dict:
    """mean(after) - mean(before) of two independent sets (steps of a run), with the 95%
    percentile bootstrap interval that resamples each set."""
    rng = np.random.default_rng(seed)
    a, b = np.asarray(before, float), np.asarray(after, float)
    if len(a) == 0 or len(b) == 0:
        return {"difference": None, "difference_ci": None}
    draws = rng.choice(b, (resamples, len(b))).mean(1) - rng.choice(a, (resamples, len(a))).mean(1)
    low, high = np.percentile(draws, [2.5, 97.5])
    return {"difference": float(b.mean() - a.mean()), "difference_ci": [float(low), float(high)]}
