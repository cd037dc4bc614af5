"""What each stage kept and dropped, and why: per repo while building, summed for the report.

Every unit a stage looks at is either kept or dropped with exactly one reason, so a stage's input
is always its kept count plus its drops, and the per-repo counts add up to the build's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

# The stages in pipeline order, each with the unit it counts.
STAGES: dict[str, str] = {
    "listing": "repo",
    "download": "repo",
    "extract": "repo",
    "find_modules": "repo",
    "check_modules": "module",
    "packages": "package",
    "files": "file",
    "targets": "target",
}


@dataclass
class StageCount:
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return self.kept + sum(self.dropped.values())


class Counts:
    """Kept and dropped units per stage; `merge` adds another Counts, `to_dict` serialises."""

    def __init__(self) -> None:
        self.stages: dict[str, StageCount] = {name: StageCount() for name in STAGES}

    def keep(self, stage: str, n: int = 1) -> None:
        self.stages[stage].kept += n

    def drop(self, stage: str, reason: str, n: int = 1) -> None:
        if n:
            self.stages[stage].dropped[reason] += n

    def merge(self, other: Counts) -> None:
        for name, count in other.stages.items():
            self.stages[name].kept += count.kept
            self.stages[name].dropped.update(count.dropped)

    def to_dict(self) -> dict:
        return {
            name: {"unit": STAGES[name], "kept": c.kept, "dropped": dict(sorted(c.dropped.items()))}
            for name, c in self.stages.items()
        }

    @classmethod
    def from_dict(cls, data: dict) -> Counts:
        counts = cls()
        for name, entry in data.items():
            counts.stages[name].kept = entry["kept"]
            counts.stages[name].dropped.update(entry["dropped"])
        return counts


def render_table(counts: Counts, splits: dict[str, int], repos_on_disk: int) -> str:
    """The report printed at the end of a build: one line per stage, then one per drop reason."""
    lines = [f"{'stage':14} {'unit':8} {'in':>7} {'kept':>7} {'dropped':>8}  reason"]
    lines.append("-" * len(lines[0]) + "-" * 24)
    for name, count in counts.stages.items():
        dropped = sum(count.dropped.values())
        lines.append(f"{name:14} {STAGES[name]:8} {count.total:7} {count.kept:7} {dropped:8}")
        for reason, n in sorted(count.dropped.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"{'':14} {'':8} {'':7} {'':7} {n:8}  {reason}")
    rows = sum(splits.values())
    per_split = ", ".join(f"{name} {n}" for name, n in splits.items())
    lines.append(f"rows: {rows} ({per_split}); repos kept on disk: {repos_on_disk}")
    return "\n".join(lines)


def table_rows(stages: dict) -> list[dict]:
    """The counts of a report (counts.json's "stages") as one record per stage and reason."""
    records = []
    for name, entry in stages.items():
        kept, dropped = entry["kept"], entry["dropped"]
        base = {"stage": name, "unit": entry["unit"], "in": kept + sum(dropped.values())}
        records.append({**base, "reason": "(kept)", "count": kept})
        records += [{**base, "reason": reason, "count": n} for reason, n in dropped.items()]
    return records
