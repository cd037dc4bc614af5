"""Write listing.parquet, the real-repos listing, from repos.txt through the Go module proxy.

    .venv/bin/python -m dataset.real.make_listing --workers 8   # rewrites listing.parquet

For each repo of repos.txt the module zip at the given version is fetched (into a temporary
cache, so a later build still downloads for itself) and every .go file in it gets one row in the
schema of bigcode/the-stack-v2-dedup. `revision_id` is the version, which is what the module proxy
serves (a commit works too where the proxy resolves commits, as proxy.golang.org does). Fields
that only GitHub knows (stars, forks, ids, dates of events) are null rather than invented;
`detected_licenses` comes from the keywords of the module's LICENSE file. Only metadata is
written, no code, in Parquet (a `--out` ending in .jsonl writes JSON lines). A module the proxy
does not serve is left out with a warning, and named in the summary, so that one withdrawn
version does not stop a listing of hundreds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dataset.download import DownloadCache, DownloadError
from dataset.extract import ExtractError
from dataset.real import LISTING
from dataset.sources import DEFAULT_GOPROXY, GoProxySource, escape_module_path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# A licence is named when all of its phrases are in the LICENSE file.
LICENSE_PHRASES = {
    "MIT": ("Permission is hereby granted, free of charge",),
    "Apache-2.0": ("Apache License", "Version 2.0"),
    "BSD-3-Clause": ("Redistribution and use in source and binary forms", "Neither the name"),
    "MPL-2.0": ("Mozilla Public License", "2.0"),
}


def read_repos(path: Path) -> list[tuple[str, str, str | None]]:
    repos = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            repos.append((fields[0], fields[1], fields[2] if len(fields) > 2 else None))
    return repos


def detect_licenses(files: dict[str, bytes]) -> list[str]:
    texts = [
        data.decode("utf-8", "replace")
        for name, data in files.items()
        if "/" not in name and name.upper().startswith(("LICENSE", "LICENCE", "COPYING"))
    ]
    found = [
        spdx
        for spdx, phrases in LICENSE_PHRASES.items()
        if any(all(p in t for p in phrases) for t in texts)
    ]
    if "BSD-3-Clause" not in found and any("Redistribution and use" in t for t in texts):
        found.append("BSD-2-Clause")
    return found


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def repo_rows(
    source: GoProxySource, cache: DownloadCache, repo: str, version: str, module: str | None
) -> list[dict]:
    module, version = source.resolve(
        cache, module or source.module_template.format(repo_name=repo), version
    )
    info = json.loads(
        cache.fetch(f"{source.proxy}/{escape_module_path(module)}/@v/{version}.info").read_text()
    )
    archive = cache.fetch(f"{source.proxy}/{escape_module_path(module)}/@v/{version}.zip")
    prefix = f"{module}@{version}/"
    with zipfile.ZipFile(archive) as zf:
        files = {n.removeprefix(prefix): zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    licenses = detect_licenses(files)
    rows = []
    for path in sorted(p for p in files if p.endswith(".go")):
        data = files[path]
        rows.append(
            {
                "blob_id": git_blob_id(data),
                "directory_id": None,
                "path": "/" + path,
                "content_id": hashlib.sha1(data).hexdigest(),
                "detected_licenses": licenses,
                "license_type": "permissive" if licenses else "no_license",
                "repo_name": repo,
                "snapshot_id": None,
                "revision_id": version,
                "branch_name": None,
                "visit_date": None,
                "revision_date": info.get("Time"),
                "committer_date": info.get("Time"),
                "github_id": None,
                "star_events_count": None,
                "fork_events_count": None,
                "gha_license_id": None,
                "gha_event_created_at": None,
                "gha_created_at": None,
                "gha_language": None,
                "src_encoding": "UTF-8",
                "language": "Go",
                "is_vendor": path.startswith("vendor/") or "/vendor/" in path,
                "is_generated": False,
                "length_bytes": len(data),
                "extension": "go",
            }
        )
    return rows


def write_listing(rows: list[dict], out: Path) -> None:
    if out.suffix == ".jsonl":
        out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), out, compression="zstd")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=Path, default=HERE / "repos.txt")
    parser.add_argument("--out", type=Path, default=ROOT / LISTING)
    parser.add_argument("--goproxy", default=DEFAULT_GOPROXY)
    parser.add_argument("--workers", type=int, default=4, help="modules fetched at once")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    source = GoProxySource(args.goproxy)
    repos = read_repos(args.repos)
    local = threading.local()
    caches: list[DownloadCache] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:

        def fetch(job: tuple[int, tuple[str, str, str | None]]) -> list[dict]:
            number, (repo, version, module) = job
            if not hasattr(local, "cache"):  # a cache per thread: its journal is not shared
                local.cache = DownloadCache(Path(tmp) / str(threading.get_ident()))
                caches.append(local.cache)
            try:
                rows = repo_rows(source, local.cache, repo, version, module)
            except (DownloadError, ExtractError, zipfile.BadZipFile) as err:
                skipped.append(repo)
                print(f"warning: {repo} {version} left out: {err}", file=sys.stderr)
                return []
            print(
                f"[{number}/{len(repos)}] {repo:40} {version:40} {len(rows):5} .go files",
                file=sys.stderr,
            )
            return rows

        with ThreadPoolExecutor(max(1, args.workers)) as pool:
            results = list(pool.map(fetch, enumerate(repos, 1)))
        for cache in caches:
            cache.close()
    rows = [row for repo_rows_ in results for row in repo_rows_]
    write_listing(rows, args.out)
    listed = len(repos) - len(skipped)
    print(f"wrote {len(rows)} rows of {listed} modules to {args.out}", file=sys.stderr)
    if skipped:
        print(f"left out {len(skipped)}: {', '.join(skipped)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
