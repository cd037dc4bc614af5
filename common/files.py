"""Files written whole: a reader (or a run resumed after a kill) never sees half of one."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_json_atomic(path: Path, data: object, *, indent: int | None = 2) -> None:
    """Written to a temporary file beside `path`, flushed to the disk, then renamed over it.

    The rename is atomic on one file system, and the fsync before it makes sure that a crash of
    the machine leaves the old file or the new one, never an empty one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Named after the process, so that two writers of one file never share a partial one.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            out.write(json.dumps(data, indent=indent, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
