"""The last stage: per-repo results become the dataset on disk, its counts and its decisions.

Rows are taken repo by repo in name order, each repo's rows in the order it built them, and put
in the split of their repo, so the same results always give the same dataset. The output folder
holds what `datasets.load_from_disk` reads (`dataset_dict.json`, `train/`, `test/`), then
`counts.json` (the table: counts per stage and drop reason, rows per split, times) and
`decisions.jsonl` (one line per module, package, file and target decided, with its reason).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from common.files import write_json_atomic
from dataset.counts import Counts
from dataset.listing import RepoEntry
from dataset.pipeline import result_path
from dataset.split import SPLITS, split_of

DATASET_FILES = ("dataset_dict.json", *SPLITS)


def features():
    from datasets import Features, List, Value

    text = Value("string")
    return Features(
        {
            "id": text,
            "prompt": List({"role": text, "content": text}),
            "repo": text,
            "package": text,
            "target_file": text,
            "target_function": text,
            "module": text,
            "revision": text,
            "granularity": text,
            "prompt_tokens": Value("int32"),
        }
    )


def replace_dataset(staged: Path, out_dir: Path) -> None:
    """Moves a dataset saved in staged into out_dir, in place of the one there, if any."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in DATASET_FILES:
        old = out_dir / name
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink(missing_ok=True)
        if (staged / name).exists():
            os.replace(staged / name, old)
    shutil.rmtree(staged, ignore_errors=True)


def assemble(
    work_dir: Path,
    out_dir: Path,
    entries: list[RepoEntry],
    listing_counts: Counts,
    test_fraction: float,
    about: dict,
) -> dict:
    """Writes the dataset, counts.json and decisions.jsonl; returns the counts report."""
    from datasets import Dataset, DatasetDict
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()  # one bar per split for a save of a second is noise

    counts = Counts()
    counts.merge(listing_counts)
    rows: dict[str, list[dict]] = {name: [] for name in SPLITS}
    repos_kept, repo_seconds, internal_errors = 0, 0.0, 0
    decisions_tmp = work_dir / "decisions.jsonl.tmp"
    with decisions_tmp.open("w", encoding="utf-8") as decisions:
        for entry in sorted(entries, key=lambda e: e.repo):
            result = json.loads(result_path(work_dir, entry).read_text(encoding="utf-8"))
            counts.merge(Counts.from_dict(result["counts"]))
            rows[split_of(entry.repo, test_fraction)].extend(result["rows"])
            repos_kept += bool(result["kept"])
            repo_seconds += result["seconds"]
            for decision in result["decisions"]:
                internal_errors += decision["reason"] == "internal_error"
                decisions.write(json.dumps({"repo": entry.repo, **decision}) + "\n")
    staged = work_dir / "dataset.tmp"
    shutil.rmtree(staged, ignore_errors=True)
    schema = features()
    splits = {}
    for name in SPLITS:
        if rows[name]:
            splits[name] = Dataset.from_list(rows[name], features=schema)
        else:
            # from_list([]) loses the columns and an empty split gets no shard file, and
            # load_from_disk then fails: an empty table of the schema in one shard reads back.
            splits[name] = Dataset(schema.arrow_schema.empty_table())
    DatasetDict(splits).save_to_disk(str(staged), num_shards={name: 1 for name in SPLITS})
    replace_dataset(staged, out_dir)
    os.replace(decisions_tmp, out_dir / "decisions.jsonl")
    report = {
        "stages": counts.to_dict(),
        "splits": {name: len(rows[name]) for name in SPLITS},
        "repos_kept": repos_kept,
        "repo_seconds": round(repo_seconds, 1),
        "internal_errors": internal_errors,
        **about,
    }
    write_json_atomic(out_dir / "counts.json", report, indent=None)
    return report
