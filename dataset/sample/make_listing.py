"""Regenerate listing.jsonl, the-stack-v2-dedup style listing of the bundled sample repos.

Run from anywhere (Python 3.11, standard library only):

    python dataset/sample/make_listing.py            # rewrite dataset/sample/listing.jsonl
    python dataset/sample/make_listing.py --check    # exit 1 if listing.jsonl is stale

Every ``.go`` file under ``repos/<owner>/<name>/`` gets one JSON line, including tests and the
files the dataset filters are meant to drop, because the real listing holds those too. Lines are
sorted by repository and path, and every field is derived from the file contents and the fixed
table below, so the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Per-repository metadata that a real crawl would have recorded. Repositories missing from this
# table get values derived from a hash of their name (see repo_meta).
REPO_META: dict[str, dict] = {
    "gotest-sample/collections": {
        "github_id": 601234501,
        "stars": 42,
        "forks": 3,
        "license": "MIT",
        "created": "2022-11-02T10:15:00",
        "committed": "2023-06-18T08:41:12",
    },
    "gotest-sample/inilex": {
        "github_id": 601234502,
        "stars": 317,
        "forks": 28,
        "license": "Apache-2.0",
        "created": "2021-03-09T17:02:44",
        "committed": "2023-09-01T12:30:05",
    },
    "gotest-sample/kvstore": {
        "github_id": 601234503,
        "stars": 7,
        "forks": 0,
        "license": "MIT",
        "created": "2023-01-20T09:00:00",
        "committed": "2023-07-07T19:22:48",
    },
    "gotest-sample/legacy-utils": {
        "github_id": 601234504,
        "stars": 1,
        "forks": 0,
        "license": None,
        "detected": ["BSD-3-Clause"],
        "created": "2016-05-14T21:47:31",
        "committed": "2018-02-26T06:13:57",
    },
    "gotest-sample/lrucache": {
        "github_id": 601234505,
        "stars": 1289,
        "forks": 96,
        "license": "Apache-2.0",
        "created": "2019-08-30T13:25:10",
        "committed": "2023-10-11T15:05:33",
    },
    "gotest-sample/mathx": {
        "github_id": 601234506,
        "stars": 15,
        "forks": 2,
        "license": "MIT",
        "created": "2022-04-01T07:58:19",
        "committed": "2023-05-29T10:44:01",
    },
    "gotest-sample/reqid": {
        "github_id": 601234507,
        "stars": 88,
        "forks": 11,
        "license": "MIT",
        "created": "2020-12-12T12:12:12",
        "committed": "2023-08-21T09:18:40",
    },
    "gotest-sample/semver": {
        "github_id": 601234508,
        "stars": 560,
        "forks": 47,
        "license": "Apache-2.0",
        "created": "2018-07-23T16:31:02",
        "committed": "2023-09-14T22:03:17",
    },
}

VISIT_DATE = "2023-11-05T04:12:39"
EVENT_DATE = "2023-10-28T14:00:00"


def sha1_hex(data: bytes) -> str:
    """Return the hex SHA-1 of data."""
    return hashlib.sha1(data).hexdigest()


def git_blob_id(content: bytes) -> str:
    """Return the git blob id of content (what Software Heritage calls sha1_git)."""
    return sha1_hex(b"blob %d\0" % len(content) + content)


def repo_meta(repo_name: str) -> dict:
    """Return the metadata of repo_name, derived from its name when it is not in REPO_META."""
    if repo_name in REPO_META:
        return REPO_META[repo_name]
    seed = int(sha1_hex(repo_name.encode())[:8], 16)
    return {
        "github_id": 700000000 + seed % 100000000,
        "stars": seed % 500,
        "forks": seed % 40,
        "license": "MIT",
        "created": "2022-01-01T00:00:00",
        "committed": "2023-06-01T00:00:00",
    }


def repo_rows(repos_dir: Path, owner: str, name: str) -> list[dict]:
    """Return the listing rows of every .go file of one repository, sorted by path."""
    root = repos_dir / owner / name
    repo_name = f"{owner}/{name}"
    files = (p for p in root.rglob("*.go") if p.is_file())
    # Sort on the listing path itself, which is the order the rows are written in.
    blobs = sorted(("/" + p.relative_to(root).as_posix(), p.read_bytes()) for p in files)
    # The root directory id changes whenever any file does, as a real tree hash would.
    tree = "".join(f"{path}\0{git_blob_id(data)}\n" for path, data in blobs)
    directory_id = sha1_hex(tree.encode())
    meta = repo_meta(repo_name)
    license_id = meta["license"]
    detected = meta.get("detected", [license_id] if license_id else [])
    rows = []
    for path, data in blobs:
        rows.append(
            {
                "blob_id": git_blob_id(data),
                "directory_id": directory_id,
                "path": path,
                "content_id": sha1_hex(data),
                "detected_licenses": list(detected),
                "license_type": "permissive",
                "repo_name": repo_name,
                "snapshot_id": sha1_hex(f"snapshot:{repo_name}".encode()),
                "revision_id": sha1_hex(repo_name.encode()),
                "branch_name": "refs/heads/main",
                "visit_date": VISIT_DATE,
                "revision_date": meta["committed"],
                "committer_date": meta["committed"],
                "github_id": meta["github_id"],
                "star_events_count": meta["stars"],
                "fork_events_count": meta["forks"],
                "gha_license_id": license_id,
                "gha_event_created_at": EVENT_DATE,
                "gha_created_at": meta["created"],
                "gha_language": "Go",
                "src_encoding": "UTF-8",
                "language": "Go",
                "is_vendor": False,
                "is_generated": False,
                "length_bytes": len(data),
                "extension": "go",
            }
        )
    return rows


def build_listing(repos_dir: Path) -> str:
    """Return the full listing for every repos_dir/<owner>/<name> folder as JSON lines."""
    lines = []
    for owner_dir in sorted(p for p in repos_dir.iterdir() if p.is_dir()):
        for repo_dir in sorted(p for p in owner_dir.iterdir() if p.is_dir()):
            for row in repo_rows(repos_dir, owner_dir.name, repo_dir.name):
                lines.append(json.dumps(row) + "\n")
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) the listing; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=Path, default=HERE / "repos", help="repos folder")
    parser.add_argument("--out", type=Path, default=HERE / "listing.jsonl", help="output file")
    parser.add_argument("--check", action="store_true", help="fail if --out is out of date")
    args = parser.parse_args(argv)
    text = build_listing(args.repos)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date; rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {text.count(chr(10))} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
