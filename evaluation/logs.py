"""The evaluation's log files: `<logs_dir>/<run>/samples.jsonl`, `summary.json`, `arguments.json`.

samples.jsonl has one JSON line per scored sample, appended and flushed as each batch is
scored, so that a run stopped at any moment keeps everything scored before it stopped. A line
names its sample by (model, id, sample, turn); a sample written twice (a scorer error scored again
on resume) counts by its last line. A line cut short by a kill is dropped when the file is read,
and cut off before the next append.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

SAMPLES = "samples.jsonl"
SUMMARY = "summary.json"
ARGUMENTS = "arguments.json"


def record_key(record: dict) -> tuple[str, str, int, int]:
    return record["model"], record["id"], int(record["sample"]), int(record.get("turn", 1))


def read_samples(path: Path) -> list[dict]:
    """The records of a samples.jsonl, the last line of each sample winning; [] if none."""
    path = Path(path)
    if not path.exists():
        return []
    records: dict[tuple, dict] = {}
    lines = path.read_text().splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            if number == len(lines) and not line.endswith("\n"):
                break  # the line a kill interrupted: its sample is generated again
            raise ValueError(f"{path}:{number} is not a JSON line: {err}") from err
        records[record_key(record)] = record
    return list(records.values())


class SampleWriter:
    """Appends records to samples.jsonl, each batch flushed to disk before the next begins."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._open()

    def _open(self) -> None:
        self._cut_partial_line()
        self.file = self.path.open("a")
        self.interrupted = False

    def _cut_partial_line(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as file:
                file.truncate(data.rfind(b"\n") + 1)

    def write(self, records: Iterable[dict]) -> None:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        if self.interrupted:
            # A Ctrl-C inside the last write may have left half a line: cut it before appending.
            self.file.close()
            self._open()
        try:
            self.file.write(text)
            self.file.flush()
            os.fsync(self.file.fileno())
        except BaseException:
            self.interrupted = True
            raise

    def close(self) -> None:
        self.file.close()
        if self.interrupted:
            self._cut_partial_line()

    def __enter__(self) -> SampleWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_json(path: Path) -> dict | None:
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def newest_run(logs_dir: Path) -> Path:
    """The run folder under logs_dir whose samples.jsonl changed last."""
    runs = [p.parent for p in Path(logs_dir).glob(f"*/{SAMPLES}")]
    if not runs:
        raise FileNotFoundError(f"no evaluation run under {logs_dir} (run eval.py first)")
    return max(runs, key=lambda run: (run / SAMPLES).stat().st_mtime)
