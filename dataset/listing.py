"""The listing: rows of `bigcode/the-stack-v2-dedup` (one per file), grouped into repos to build.

A listing is a local `.jsonl` or `.parquet` file (or a folder of them) with that dataset's columns,
or the name of a dataset on the Hugging Face Hub read with `datasets` in streaming mode. Only
`repo_name`, `revision_id` and `path` are required; `star_events_count`, `detected_licenses`,
`gha_license_id` and `revision_date` are used when present. Rows are grouped by repo and
revision; a repo listed at several revisions keeps the latest one, since the repos root holds one
copy of each repo.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from common.errors import UserError, first_line
from dataset.counts import Counts

REQUIRED_COLUMNS = ("repo_name", "revision_id", "path")
_REPO_PART = r"[A-Za-z0-9_.-]+"
REPO_NAME = re.compile(rf"^{_REPO_PART}/{_REPO_PART}$")
HUB_NAME = re.compile(rf"^{_REPO_PART}/{_REPO_PART}$")
LISTING_SUFFIXES = (".jsonl", ".json", ".parquet")


class ListingError(UserError):
    """The listing cannot be read; the message is one line for the user."""


@dataclass
class RepoEntry:
    repo: str  # owner/name: the folder under the repos root
    revision: str
    paths: list[str] = field(default_factory=list)  # listed .go files, from the repo root
    stars: int | None = None
    licenses: list[str] = field(default_factory=list)
    revision_date: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RepoEntry:
        return cls(**data)


def read_rows(listing: str, hub_config: str | None = None, split: str = "train") -> Iterator[dict]:
    """The listing's rows, from a local file or folder, or streamed from the Hub."""
    path = Path(listing)
    if path.exists():
        yield from _local_rows(path)
    elif HUB_NAME.match(listing) and not listing.endswith(LISTING_SUFFIXES):
        yield from _hub_rows(listing, hub_config, split)
    else:
        raise ListingError(
            f"listing {listing!r} not found: give a .jsonl or .parquet file (or a folder of them), "
            "or a Hub dataset name such as bigcode/the-stack-v2-dedup"
        )


def _local_rows(path: Path) -> Iterator[dict]:
    files = (
        sorted(p for p in path.iterdir() if p.suffix in LISTING_SUFFIXES)
        if path.is_dir()
        else [path]
    )
    if not files:
        raise ListingError(f"listing folder {path} holds no .jsonl or .parquet file")
    for file in files:
        if file.suffix == ".parquet":
            yield from _parquet_rows(file)
            continue
        with file.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    raise ListingError(f"{file}:{number}: not a JSON object") from None
                if not isinstance(row, dict):
                    raise ListingError(f"{file}:{number}: not a JSON object")
                yield row


def _parquet_rows(file: Path) -> Iterator[dict]:
    import pyarrow.lib
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(file)
    except (OSError, pyarrow.lib.ArrowException) as err:
        raise ListingError(f"{file}: not a parquet file ({err})") from None
    wanted = ["star_events_count", "detected_licenses", "gha_license_id", "revision_date"]
    names = parquet.schema_arrow.names
    columns = [c for c in (*REQUIRED_COLUMNS, *wanted) if c in names]
    for batch in parquet.iter_batches(columns=columns, batch_size=10_000):
        yield from batch.to_pylist()


def _hub_rows(name: str, config: str | None, split: str) -> Iterator[dict]:
    import datasets
    from huggingface_hub import errors as hub_errors
    from huggingface_hub.utils import logging as hub_logging

    # Retries and warnings would be printed line by line; failures end in one ListingError.
    hub_logging.set_verbosity_error()
    datasets.logging.set_verbosity_error()

    access = (
        f"{name} is gated or private: accept its terms at https://huggingface.co/datasets/{name} "
        "while logged in, then run `hf auth login` (or set HF_TOKEN) with a token of that account"
    )
    try:
        rows = datasets.load_dataset(name, config, split=split, streaming=True)
        yield from rows
    except hub_errors.GatedRepoError:
        raise ListingError(access) from None
    except datasets.exceptions.DatasetNotFoundError as err:
        if "gated" in str(err).lower() or "authenticat" in str(err).lower():
            raise ListingError(access) from None
        raise ListingError(f"dataset {name} not found on the Hub (or {access})") from None
    except (ConnectionError, OSError, hub_errors.HfHubHTTPError) as err:
        raise ListingError(
            f"cannot read {name} from the Hugging Face Hub: {first_line(err)}"
        ) from None


def _clean_path(path: str) -> str | None:
    parts = PurePosixPath(path.lstrip("/")).parts
    if not parts or ".." in parts or path.startswith("//"):
        return None
    return "/".join(parts)


def group_repos(rows: Iterator[dict], counts: Counts) -> list[RepoEntry]:
    """One entry per repo (its latest listed revision), sorted by name; others counted as drops."""
    by_key: dict[tuple[str, str], RepoEntry] = {}
    bad_names: set[str] = set()
    for row in rows:
        missing = [c for c in REQUIRED_COLUMNS if row.get(c) in (None, "")]
        if missing:
            raise ListingError(f"listing row lacks {', '.join(missing)}: {json.dumps(row)[:200]}")
        repo, revision = str(row["repo_name"]), str(row["revision_id"])
        if not REPO_NAME.match(repo) or set(repo.split("/")) & {".", ".."}:
            bad_names.add(repo)
            continue
        entry = by_key.get((repo, revision))
        if entry is None:
            licenses = list(row.get("detected_licenses") or [])
            if row.get("gha_license_id") and row["gha_license_id"] not in licenses:
                licenses.append(row["gha_license_id"])
            entry = by_key[(repo, revision)] = RepoEntry(
                repo=repo,
                revision=revision,
                stars=row.get("star_events_count"),
                licenses=licenses,
                revision_date=str(row.get("revision_date") or ""),
            )
        path = _clean_path(str(row["path"]))
        if path is not None and path.endswith(".go"):
            entry.paths.append(path)
    counts.drop("listing", "bad_repo_name", len(bad_names))
    latest: dict[str, RepoEntry] = {}
    for entry in by_key.values():
        other = latest.get(entry.repo)
        if other is None or (entry.revision_date, entry.revision) > (
            other.revision_date,
            other.revision,
        ):
            latest[entry.repo] = entry
        counts.drop("listing", "older_revision", int(other is not None))
    for entry in latest.values():
        entry.paths = sorted(set(entry.paths))
    return [latest[name] for name in sorted(latest)]


def select_repos(
    entries: list[RepoEntry],
    counts: Counts,
    *,
    min_stars: int | None = None,
    licenses: list[str] | None = None,
    max_repos: int | None = None,
) -> list[RepoEntry]:
    """The repos to build: enough stars, an accepted licence, then the most starred max_repos."""
    chosen = []
    wanted = {name.lower() for name in licenses or []}
    for entry in entries:
        if min_stars is not None and (entry.stars or 0) < min_stars:
            counts.drop("listing", "below_min_stars")
        elif wanted and not wanted & {name.lower() for name in entry.licenses}:
            counts.drop("listing", "license_not_accepted")
        else:
            chosen.append(entry)
    if max_repos is not None and len(chosen) > max_repos:
        by_stars = sorted(chosen, key=lambda e: (-(e.stars or 0), e.repo))
        keep = {e.repo for e in by_stars[:max_repos]}
        counts.drop("listing", "over_max_repos", len(chosen) - len(keep))
        chosen = [e for e in chosen if e.repo in keep]
    counts.keep("listing", len(chosen))
    return chosen
