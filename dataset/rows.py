"""Reading a split of a built dataset, for train.py and eval.py: one checked way to load rows."""

from __future__ import annotations

from pathlib import Path

from common.errors import UserError, first_line


class RowsError(UserError, ValueError):
    """The dataset cannot be read, or lacks the split or the columns asked for; one line."""


def load_split(name: str, split: str, required: tuple[str, ...], config: str | None = None):
    """A split of a `save_to_disk` folder (or a hub dataset), with the required columns."""
    from datasets import load_dataset, load_from_disk

    try:
        local = Path(name).exists()
        dataset = load_from_disk(name) if local else load_dataset(name, name=config)
    except Exception as err:  # datasets raises many kinds; the user needs the one line
        raise RowsError(f"cannot load dataset {name!r}: {first_line(err)}") from err
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
