"""Reading a split of a built dataset, for train.py and eval.py: one checked way to load rows."""

from __future__ import annotations

import json
from pathlib import Path

from common.errors import UserError, first_line


class RowsError(UserError, ValueError):
    """The dataset cannot be read, or lacks the split or the columns asked for; one line."""


def load_rows(name: str, config: str | None = None):
    """Every split of a `save_to_disk` folder (or a hub dataset)."""
    from datasets import load_dataset, load_from_disk

    try:
        local = Path(name).exists()
        return load_from_disk(name) if local else load_dataset(name, name=config)
    except Exception as err:  # datasets raises many kinds; the user needs the one line
        raise RowsError(f"cannot load dataset {name!r}: {first_line(err)}") from err


def built_repos_dir(dataset: str | Path, given: Path | None) -> Path:
    """The repos root of a dataset built here: the one given, else the one its counts.json names."""
    if given is None:
        counts = Path(dataset) / "counts.json"
        if not counts.is_file():
            raise RowsError(f"{counts} not found: give --repos-dir")
        given = Path(json.loads(counts.read_text(encoding="utf-8"))["repos_dir"])
    if not given.is_dir():
        raise RowsError(f"repos root {given} is not a folder")
    return given


def load_split(name: str, split: str, required: tuple[str, ...], config: str | None = None):
    """A split of a `save_to_disk` folder (or a hub dataset), with the required columns."""
    dataset = load_rows(name, config)
    if split not in dataset:
        raise RowsError(
            f"dataset {name!r} has no {split!r} split (it has: {', '.join(dataset) or 'none'})"
        )
    rows = dataset[split]
    missing = [c for c in required if c not in rows.column_names]
    if missing:
        raise RowsError(
            f"dataset {name!r} lacks the columns {missing} (build it with python -m dataset.build)"
        )
    return rows
