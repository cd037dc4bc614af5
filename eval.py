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

With no arguments, `python eval.py` runs recipes/eval-deepseek-coder-1.3b.yaml: the base model
against what `python train.py` trained, on the real dataset's test split; what it needs and lacks
(the dataset, the trained model, a GPU, a scorer, the hub) stops it in one line naming the command
that makes it.
"""

from __future__ import annotations

import logging
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from common.errors import UserError
from common.files import write_json_atomic
from common.prerequisites import check_real_evaluation
from evaluation.arguments import EvalArguments

logger = logging.getLogger("eval")

REQUIRED_COLUMNS = ("id", "prompt", "repo", "package")
REAL_RECIPE = Path(__file__).resolve().parent / "recipes" / "eval-deepseek-coder-1.3b.yaml"


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


def main(args: EvalArguments) -> dict:
    from transformers import set_seed

    from evaluation import logs, metrics, pipeline, resume, tables
    from evaluation.formulas import FormulaScoring
    from evaluation.model_specs import resolve_all
    from scoring.client import ScoringClient, healthy_urls

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

    ##############################################################
    # Run folder: its arguments, and what an earlier run scored
    ##############################################################
    run = args.run_name or resume.default_run_name(args, [m.name for m in models])
    run_dir = Path(args.logs_dir) / run
    saved = None if args.overwrite else logs.read_json(run_dir / logs.ARGUMENTS)
    arguments = resume.check_resumable(saved, args, models)
    try:
        earlier = [] if args.overwrite else logs.read_samples(run_dir / logs.SAMPLES)
    except ValueError as err:
        raise UserError(str(err)) from err
    done = {logs.record_key(r): r for r in earlier}

    #################################
    # Scorers, before any model loads
    #################################
    client = FormulaScoring(
        ScoringClient(healthy_urls(args.scorer_urls)), args.reward_formula, args.measure_mutation
    )

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
    generated = 0
    try:
        ######################################################
        # Samples the scorer failed on last time: scored again
        ######################################################
        pipeline.rescore_failed(client, writer, done, args.batch_size)

        ####################################
        # Generate and score, model by model
        ####################################
        for spec in models:
            generated += pipeline.evaluate_model(spec, args, rows, done, client, writer)
    except pipeline.ScorerDown as err:
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
    print(tables.format_summary(summary))
    print(f"\nsamples: {run_dir / logs.SAMPLES}\nsummary: {run_dir / logs.SUMMARY}")
    return summary


def parse_args(argv: list[str] | None = None) -> EvalArguments:
    import yaml
    from trl import TrlParser

    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        check_real_evaluation(REAL_RECIPE)
        argv = ["--config", str(REAL_RECIPE)]
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
