"""Evaluate models that write Go tests: generate for the test split, score, compare with intervals.

    python eval.py --config recipes/eval-demo.yaml

or with flags (the base model first: differences are each later model minus an earlier one):

    python eval.py --models base=deepseek-ai/deepseek-coder-1.3b-instruct trained=data/train/run \
        --dataset_name data/real-dataset --num_samples 4 --fix_turn \
        --scorer_urls http://scorer-1:8000 http://scorer-2:8000

A model is `name=path` or a path (named after its folder): a `save_pretrained` folder, a LoRA
adapter folder (train.py with use_peft), or a hub id. Generation uses vLLM when it is installed
and a GPU is present, else transformers. Each scored sample is appended to
logs/eval/<run>/samples.jsonl as soon as its batch is scored; the same command resumes a stopped
run without generating anything twice. The end prints the metrics table and writes summary.json;
eval_analyzer.ipynb draws them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from common.errors import UserError
from common.files import write_json_atomic
from scoring.client import scorer_urls

logger = logging.getLogger("eval")

REQUIRED_COLUMNS = ("id", "prompt", "repo", "package")
TARGET_COLUMNS = ("repo", "package", "target_file", "target_function", "granularity")
DTYPES = ("auto", "float32", "bfloat16", "float16")
# Arguments that decide what a sample is: a run resumed with other values would mix two
# evaluations in one log.
FIXED_ARGUMENTS = (
    "dataset_name",
    "dataset_config",
    "dataset_split",
    "num_samples",
    "temperature",
    "top_p",
    "max_new_tokens",
    "seed",
)


@dataclass
class EvalArguments:
    # Models
    models: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Models to compare, base first: name=path or path (named after the folder). "
            "A save_pretrained folder, a LoRA adapter folder, or a hub id."
        },
    )
    backend: str = field(
        default="auto",
        metadata={"help": "auto (vLLM if installed and a GPU is present), transformers, vllm."},
    )
    dtype: str = field(
        default="auto",
        metadata={"help": "Weights' dtype: auto (bfloat16 on GPU, float32 on CPU), float32, ..."},
    )
    trust_remote_code: bool = field(
        default=False, metadata={"help": "Let transformers run the model's own code."}
    )
    vllm_gpu_memory_utilization: float = field(
        default=0.9, metadata={"help": "Share of GPU memory vLLM may take."}
    )
    # Data
    dataset_name: str | None = field(
        default=None,
        metadata={"help": "A folder from `python -m dataset.build` (save_to_disk) or a hub id."},
    )
    dataset_config: str | None = field(
        default=None, metadata={"help": "The hub dataset's configuration, if it has several."}
    )
    dataset_split: str = field(default="test", metadata={"help": "The split to evaluate on."})
    max_targets: int | None = field(
        default=None, metadata={"help": "Evaluate the first N rows of the split only."}
    )
    # Generation
    num_samples: int = field(
        default=1, metadata={"help": "Samples per target, k (1: greedy decoding)."}
    )
    temperature: float = field(
        default=0.8, metadata={"help": "Sampling temperature when num_samples > 1."}
    )
    top_p: float = field(default=1.0, metadata={"help": "Nucleus sampling when num_samples > 1."})
    max_new_tokens: int = field(default=512, metadata={"help": "Longest completion, in tokens."})
    batch_size: int = field(
        default=8, metadata={"help": "Prompts generated at once (and scored per request)."}
    )
    fix_turn: bool = field(
        default=False,
        metadata={
            "help": "Send tests that did not build or failed back to the model with the "
            "scorer's output, and score its second answer too (reported separately)."
        },
    )
    # Scoring
    scorer_urls: list[str] = field(
        default_factory=lambda: scorer_urls(),
        metadata={"help": "Scoring servers, checked before any model loads. Env: SCORING_URLS."},
    )
    # Logs and report
    run_name: str | None = field(
        default=None,
        metadata={
            "help": "The run's folder under logs_dir (default: from the models, dataset, split "
            "and k, so that the same command resumes the same run)."
        },
    )
    logs_dir: str = field(default="logs/eval", metadata={"help": "Runs go to LOGS_DIR/<run>/."})
    overwrite: bool = field(
        default=False,
        metadata={"help": "Start the run afresh: its logs are removed once the inputs check out."},
    )
    seed: int = field(default=0, metadata={"help": "Seed of sampling and of the bootstrap."})
    bootstrap_resamples: int = field(
        default=2000, metadata={"help": "Resamples of the bootstrap intervals."}
    )

    def __post_init__(self):
        if isinstance(self.models, str):
            self.models = [self.models]
        if not self.models:
            raise ValueError("models is empty: give at least one, e.g. --models base=path/to/model")
        if self.dataset_name is None:
            raise ValueError("dataset_name is required: a folder from `python -m dataset.build`")
        self.scorer_urls = scorer_urls(self.scorer_urls)
        if self.num_samples < 1:
            raise ValueError(f"num_samples must be 1 or more, not {self.num_samples}")
        if self.num_samples > 1 and self.temperature <= 0:
            raise ValueError("temperature must be above 0 to draw several samples (num_samples)")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], not {self.top_p}")
        for name in ("max_new_tokens", "batch_size", "bootstrap_resamples"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be 1 or more, not {getattr(self, name)}")
        if self.max_targets is not None and self.max_targets < 1:
            raise ValueError(f"max_targets must be 1 or more, not {self.max_targets}")
        if self.backend not in ("auto", "transformers", "vllm"):
            raise ValueError(f"backend must be auto, transformers or vllm, not {self.backend!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if self.run_name is not None and not re.fullmatch(r"[\w.=+-]+", self.run_name):
            raise ValueError(f"run_name {self.run_name!r} must be a plain folder name")


@dataclass
class Task:
    """One sample to generate: a row of the split, the sample's index, and the turn."""

    row: dict
    sample: int
    turn: int
    conversation: list[dict]
    seed: int


# Inputs ------------------------------------------------------------------------------------------


def load_rows(args: EvalArguments) -> list[dict]:
    from dataset.rows import RowsError, load_split

    try:
        split = load_split(
            args.dataset_name, args.dataset_split, REQUIRED_COLUMNS, config=args.dataset_config
        )
    except RowsError as err:
        raise UserError(str(err)) from err
    if args.max_targets is not None:
        split = split.select(range(min(args.max_targets, len(split))))
    if len(split) == 0:
        raise UserError(f"the {args.dataset_split!r} split of {args.dataset_name!r} is empty")
    return list(split)


def healthy_scorers(urls: list[str]) -> list[str]:
    """The scorers that answer /health; none at all stops the run before any model loads."""
    from scoring.client import ScoringError, healthy_urls

    try:
        return healthy_urls(urls)
    except ScoringError as err:
        raise UserError(str(err)) from err


def default_run_name(args: EvalArguments, model_names: list[str]) -> str:
    dataset = Path(args.dataset_name.rstrip("/")).name
    name = f"{'-vs-'.join(model_names)}_{dataset}_{args.dataset_split}_k{args.num_samples}"
    return re.sub(r"[^\w.=+-]", "_", name)


def check_resumable(saved: dict | None, args: EvalArguments, models: list) -> dict:
    """The run's arguments, its models in order; refuses a resume that would mix evaluations.

    A model whose files changed since the run started (rebuilt, trained again) would be compared
    on samples from two different models: refused too, as is any other generation setting.
    """
    from evaluation.models import fingerprint

    current = {
        **asdict(args),
        "models": {m.name: m.path for m in models},
        "model_fingerprints": {m.name: fingerprint(m) for m in models},
    }
    if saved is None:
        return current
    changed = [
        f"{name}={saved.get(name)!r}, not {current[name]!r}"
        for name in FIXED_ARGUMENTS
        if saved.get(name) != current[name]
        and not (name == "temperature" and args.num_samples == 1)  # greedy: unused
    ]
    saved_prints = saved.get("model_fingerprints", {})
    for model in models:
        if saved["models"].get(model.name, model.path) != model.path:
            changed.append(f"model {model.name} was {saved['models'][model.name]!r}")
        elif (
            saved_prints.get(model.name, current["model_fingerprints"][model.name])
            != (current["model_fingerprints"][model.name])
        ):
            changed.append(f"model {model.name} as it was then ({model.path} changed since)")
    if changed:
        raise UserError(
            f"this run was started with {'; '.join(changed)}: give another --run_name, "
            "--overwrite to start it again, or the same settings to resume it"
        )
    # Models added to a run are evaluated beside the earlier ones; none is forgotten.
    return {
        **current,
        "models": {**saved["models"], **current["models"]},
        "model_fingerprints": {**saved_prints, **current["model_fingerprints"]},
    }


def sample_seed(seed: int, model: str, row_id: str, sample: int, turn: int) -> int:
    text = f"{seed}/{model}/{row_id}/{sample}/{turn}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


# Scoring -----------------------------------------------------------------------------------------


def score_records(client, records: list[dict]) -> tuple[list[dict], str | None]:
    """The records with the scorer's verdict; on a scorer failure, status `error` and the reason.

    Never raises: the generated completions are written whatever happens to their scoring, and
    a resumed run scores the `error` ones again.
    """
    from scoring.client import ScoringError

    items = [
        {**{c: r[c] for c in TARGET_COLUMNS[:4]}, "completion": r["completion"]} for r in records
    ]
    try:
        results = client.score(items)
    except ScoringError as err:
        return [scorer_failed(r, str(err)) for r in records], str(err)
    scored = []
    for record, result in zip(records, results, strict=True):
        scored.append(
            {
                **record,
                "reward": result["reward"] if result["status"] != "error" else None,
                "status": result["status"],
                "tests": result["tests"],
                "coverage": result["coverage"],
                "assertions": result["assertions"],
                "duration_s": result["duration_s"],
                "detail": result["detail"],
            }
        )
    return scored, None


def scorer_failed(record: dict, reason: str) -> dict:
    return {
        **record,
        "reward": None,
        "status": "error",
        "tests": {"passed": 0, "failed": 0, "skipped": 0},
        "coverage": None,
        "assertions": None,
        "duration_s": 0.0,
        "detail": f"not scored: {reason}",
    }


class ScorerDown(Exception):
    pass


def batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def generate_and_score(tasks, generator, client, writer, model, batch_size, description) -> list:
    """Generates the tasks batch by batch; each batch is scored while the next one generates."""
    from tqdm.auto import tqdm

    written: list[dict] = []

    def write(records: list[dict]) -> None:
        writer.write(records)
        written.extend(records)
        bar.update(len(records))
        rewards = [r["reward"] for r in written if r["reward"] is not None]
        if rewards:
            bar.set_postfix(reward=f"{sum(rewards) / len(rewards):.3f}", refresh=False)

    def finish(future: Future) -> None:
        records, failure = future.result()
        write(records)
        if failure is not None:
            raise ScorerDown(failure)

    with (
        ThreadPoolExecutor(max_workers=1) as pool,
        tqdm(total=len(tasks), desc=description, unit="sample") as bar,
    ):
        pending: Future | None = None
        try:
            for batch in batches(tasks, batch_size):
                generations = generator.generate(
                    [t.conversation for t in batch], [t.seed for t in batch]
                )
                records = [new_record(model, t, g) for t, g in zip(batch, generations, strict=True)]
                previous, pending = pending, pool.submit(score_records, client, records)
                if previous is not None:
                    finish(previous)
            previous, pending = pending, None
            if previous is not None:
                finish(previous)
        finally:
            # Stopped by Ctrl-C or a failure: the batch being scored is still written (a batch
            # the scorer failed on as `error`, scored again on resume).
            if pending is not None:
                write(pending.result()[0])
    return written


def pending_tasks(
    args: EvalArguments, model: str, rows: list[dict], done: dict, turn: int
) -> list[Task]:
    """The samples of one model and turn that the log does not hold yet.

    The fix turn takes the first answers that need it (evaluation.fix_turn.needs_fix).
    """
    from evaluation.fix_turn import fix_conversation, needs_fix

    tasks = []
    for row in rows:
        for sample in range(args.num_samples):
            if (model, row["id"], sample, turn) in done:
                continue
            if turn == 1:
                conversation = row["prompt"]
            else:
                first = done.get((model, row["id"], sample, 1))
                if first is None or not needs_fix(first):
                    continue
                conversation = fix_conversation(row["prompt"], first)
            seed = sample_seed(args.seed, model, row["id"], sample, turn)
            tasks.append(Task(row, sample, turn, conversation, seed))
    return tasks


def new_record(model: str, task: Task, generation) -> dict:
    return {
        "model": model,
        "id": task.row["id"],
        **{c: task.row.get(c) for c in TARGET_COLUMNS},
        "sample": task.sample,
        "turn": task.turn,
        "completion": generation.text,
        "completion_tokens": generation.tokens,
        "truncated": generation.truncated,
    }


def main(args: EvalArguments) -> dict:
    from transformers import set_seed

    from evaluation import logs, metrics, report
    from evaluation.generation import Sampling, load_generator
    from evaluation.models import resolve_all
    from scoring import figures
    from scoring.client import ScoringClient

    ###############
    # Seed, logging
    ###############
    set_seed(args.seed)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request drowns the bars

    #################################
    # Models: checked, not yet loaded
    #################################
    models = resolve_all(args.models)

    ######
    # Data
    ######
    rows = load_rows(args)
    logger.info(
        "%d targets from the %s split of %s", len(rows), args.dataset_split, args.dataset_name
    )

    ##############################
    # Run folder and its arguments
    ##############################
    run = args.run_name or default_run_name(args, [m.name for m in models])
    run_dir = Path(args.logs_dir) / run
    saved = None if args.overwrite else logs.read_json(run_dir / logs.ARGUMENTS)
    arguments = check_resumable(saved, args, models)
    try:
        earlier = [] if args.overwrite else logs.read_samples(run_dir / logs.SAMPLES)
    except ValueError as err:
        raise UserError(str(err)) from err
    done = {logs.record_key(r): r for r in earlier}

    #################################
    # Scorers, before any model loads
    #################################
    client = ScoringClient(healthy_scorers(args.scorer_urls))

    ################################################################################
    # The run's log, started afresh (--overwrite) only now that the inputs check out
    ################################################################################
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.overwrite:
        for name in (logs.SAMPLES, logs.SUMMARY, logs.ARGUMENTS):
            (run_dir / name).unlink(missing_ok=True)
    write_json_atomic(run_dir / logs.ARGUMENTS, arguments)
    logger.info("run %s in %s: %d samples already scored", run, run_dir, len(done))
    writer = logs.SampleWriter(run_dir / logs.SAMPLES)
    sampling = Sampling(
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        greedy=args.num_samples == 1,
    )
    generated = 0
    try:
        ######################################################
        # Samples the scorer failed on last time: scored again
        ######################################################
        failed = [r for r in done.values() if figures.is_error(r)]
        if failed:
            logger.info("scoring again %d samples the scorer failed on before", len(failed))
            for batch in batches(failed, args.batch_size):
                records, failure = score_records(client, batch)
                writer.write(records)
                done.update((logs.record_key(r), r) for r in records)
                if failure is not None:
                    raise ScorerDown(failure)

        ####################################
        # Generate and score, model by model
        ####################################
        for spec in models:
            generator = None
            for turn in (1, 2) if args.fix_turn else (1,):
                tasks = pending_tasks(args, spec.name, rows, done, turn)
                if not tasks:
                    continue
                if generator is None:
                    logger.info("loading %s from %s", spec.name, spec.path)
                    generator = load_generator(
                        spec,
                        sampling,
                        backend=args.backend,
                        dtype=args.dtype,
                        trust_remote_code=args.trust_remote_code,
                        gpu_memory_utilization=args.vllm_gpu_memory_utilization,
                    )
                description = f"{spec.name} turn {turn}"
                records = generate_and_score(
                    tasks, generator, client, writer, spec.name, args.batch_size, description
                )
                done.update((logs.record_key(r), r) for r in records)
                generated += len(records)
            if generator is not None:
                generator.close()
    except ScorerDown as err:
        raise UserError(
            f"the scorer failed: {err}. Every sample generated so far is in "
            f"{run_dir / logs.SAMPLES}; run the same command again to score the rest"
        ) from err
    finally:
        writer.close()
        client.close()

    #########
    # Summary
    #########
    records = list(done.values())
    model_order = list(arguments["models"])
    summary = {
        "run": run,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": arguments,
        "generated_this_time": generated,
        **metrics.summarize(
            records, model_order, resamples=args.bootstrap_resamples, seed=args.seed
        ),
    }
    write_json_atomic(run_dir / logs.SUMMARY, summary)
    print(report.format_summary(summary))
    print(f"\nsamples: {run_dir / logs.SAMPLES}\nsummary: {run_dir / logs.SUMMARY}")
    return summary


def parse_args(argv: list[str] | None = None) -> EvalArguments:
    import yaml
    from trl import TrlParser

    parser = TrlParser((EvalArguments,))
    try:
        (args,) = parser.parse_args_and_config(args=argv)
    except (ValueError, OSError, yaml.YAMLError) as err:
        raise UserError(str(err)) from err
    return args


def stop_on_sigterm(signum, frame):
    # A scheduler (Slurm, Kubernetes) stops a job with SIGTERM: stop as on Ctrl-C, so that the
    # batch being scored is still written.
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        main(parse_args())
    except UserError as err:
        sys.exit(f"eval.py: {err}")
    except KeyboardInterrupt:
        sys.exit("eval.py: interrupted; what was scored is kept: run the same command to resume")
