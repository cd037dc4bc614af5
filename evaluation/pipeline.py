"""Generate and score: the samples a run still needs, generated batch by batch and scored while
the next batch generates, each batch appended to samples.jsonl as soon as it is scored.

A failure of the scorer never loses a generated sample: its batch is written with status `error`
and the run stops (ScorerDown); the same command then scores it again without generating it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from evaluation import generation, logs, records
from evaluation.arguments import EvalArguments
from evaluation.fix_turn import fix_conversation, needs_fix
from evaluation.formulas import FormulaScoring
from evaluation.generation import Sampling
from evaluation.model_specs import ModelSpec
from scoring import figures
from scoring.client import ScoringError

logger = logging.getLogger("eval")


class ScorerDown(Exception):
    """The scorer failed on a batch after every retry; its samples are logged as `error`."""


@dataclass
class Task:
    """One sample to generate: a row of the split, the sample's index, and the turn."""

    row: dict
    sample: int
    turn: int
    conversation: list[dict]
    seed: int


def sample_seed(seed: int, model: str, row_id: str, sample: int, turn: int) -> int:
    """A sample's own seed: the same sample whichever batch or run generates it."""
    text = f"{seed}/{model}/{row_id}/{sample}/{turn}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def pending_tasks(
    args: EvalArguments, model: str, rows: list[dict], done: dict, turn: int
) -> list[Task]:
    """The samples of one model and turn that the log does not hold yet.

    The fix turn takes the first answers that need it (evaluation.fix_turn.needs_fix).
    """
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


def batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def score_records(client: FormulaScoring, batch: list[dict]) -> tuple[list[dict], str | None]:
    """The records with the scorer's verdict; on a scorer failure, status `error` and the reason.

    Never raises: the generated completions are written whatever happens to their scoring, and
    a resumed run scores the `error` ones again.
    """
    try:
        results = client.score([records.score_item(r) for r in batch])
    except ScoringError as err:
        return [records.not_scored(r, str(err)) for r in batch], str(err)
    return [records.scored(r, result) for r, result in zip(batch, results, strict=True)], None


def rescore_failed(
    client: FormulaScoring, writer: logs.SampleWriter, done: dict, size: int
) -> None:
    """Scores again the samples the scorer failed on in an earlier run, from their completions."""
    failed = [r for r in done.values() if figures.is_error(r)]
    if not failed:
        return
    logger.info("scoring again %d samples the scorer failed on before", len(failed))
    for batch in batches(failed, size):
        scored, failure = score_records(client, batch)
        writer.write(scored)
        done.update((logs.record_key(r), r) for r in scored)
        if failure is not None:
            raise ScorerDown(failure)


def generate_and_score(tasks, generator, client, writer, model, batch_size, description) -> list:
    """Generates the tasks batch by batch; each batch is scored while the next one generates."""
    from tqdm.auto import tqdm

    written: list[dict] = []

    def write(batch: list[dict]) -> None:
        writer.write(batch)
        written.extend(batch)
        bar.update(len(batch))
        rewards = [r["reward"] for r in written if r["reward"] is not None]
        if rewards:
            bar.set_postfix(reward=f"{sum(rewards) / len(rewards):.3f}", refresh=False)

    def finish(future: Future) -> None:
        batch, failure = future.result()
        write(batch)
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
                new = [
                    records.new_record(model, t.row, t.sample, t.turn, g)
                    for t, g in zip(batch, generations, strict=True)
                ]
                previous, pending = pending, pool.submit(score_records, client, new)
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


def evaluate_model(
    spec: ModelSpec,
    args: EvalArguments,
    rows: list[dict],
    done: dict,
    client: FormulaScoring,
    writer: logs.SampleWriter,
) -> int:
    """Generates and scores what one model still lacks, turn by turn; how many samples it made.

    The model loads only if it has something to generate, and is unloaded after.
    """
    sampling = Sampling(
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        greedy=args.num_samples == 1,
    )
    generator = None
    generated = 0
    try:
        for turn in (1, 2) if args.fix_turn else (1,):
            tasks = pending_tasks(args, spec.name, rows, done, turn)
            if not tasks:
                continue
            if generator is None:
                logger.info("loading %s from %s", spec.name, spec.path)
                # Looked up on the module at each call, so that a test can wrap it.
                generator = generation.load_generator(
                    spec,
                    sampling,
                    backend=args.backend,
                    dtype=args.dtype,
                    trust_remote_code=args.trust_remote_code,
                    gpu_memory_utilization=args.vllm_gpu_memory_utilization,
                )
            description = f"{spec.name} turn {turn}"
            scored = generate_and_score(
                tasks, generator, client, writer, spec.name, args.batch_size, description
            )
            done.update((logs.record_key(r), r) for r in scored)
            generated += len(scored)
    finally:
        if generator is not None:
            generator.close()
    return generated
