"""Downloads: the content cache and its journal, retries, and repos from a Go module proxy."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dataset.download import DownloadCache, DownloadError
from dataset.extract import Limits
from dataset.listing import RepoEntry
from dataset.sources import GoProxySource, escape_module_path
from tests.dataset.builds import LISTING, all_rows, run_build
from tests.sample import SAMPLE_REPOS

SERVED = ("gotest-sample/mathx", "gotest-sample/lrucache", "gotest-sample/reqid")


def pseudo_version(revision: str) -> str:
    return f"v0.0.0-20230618084112-{revision[:12]}"


def module_zip(folder: Path, module: str, version: str) -> bytes:
    """A module zip as the proxy serves it: one module, nested modules left out."""
    nested = {p.parent for p in folder.rglob("go.mod") if p.parent != folder}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not any(n == path or n in path.parents for n in nested):
                zf.write(path, f"{module}@{version}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


class FakeProxy:
    """A Go module proxy on loopback serving some sample repos at their listed commits.

    Each repo's modules (the root one and nested ones) answer for their commit; anything else is
    a 404, with the proxy's own words when a module is asked for under another path. The first
    request for each URL in fail_once gets a 503, every request for one in always_fail.
    """

    def __init__(self, repos: tuple[str, ...], revisions: dict[str, str]) -> None:
        self.files: dict[str, bytes] = {}
        self.declared: dict[str, str] = {}
        self.requests: Counter[str] = Counter()
        self.fail_once: set[str] = set()
        self.always_fail: set[str] = set()
        for repo in repos:
            folder = SAMPLE_REPOS / repo
            revision = revisions[repo]
            version = pseudo_version(revision)
            for go_mod in folder.rglob("go.mod"):
                rel = go_mod.parent.relative_to(folder).as_posix()
                module = f"github.com/{repo}" + ("" if rel == "." else f"/{rel}")
                prefix = f"/{escape_module_path(module)}/@v/"
                info = json.dumps({"Version": version, "Time": "2023-06-18T08:41:12Z"})
                self.files[f"{prefix}{revision}.info"] = info.encode()
                self.files[f"{prefix}{version}.info"] = info.encode()
                self.files[f"{prefix}{version}.zip"] = module_zip(go_mod.parent, module, version)
                self.declared[f"example.com/{module.split('/', 2)[2]}"] = module
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.requests[self.path] += 1
                first = proxy.requests[self.path] == 1
                if self.path in proxy.always_fail or (self.path in proxy.fail_once and first):
                    return self._answer(503, b"try again")
                if self.path in proxy.files:
                    return self._answer(200, proxy.files[self.path])
                module = self.path.lstrip("/").split("/@v/")[0]
                if module in proxy.declared:
                    body = (
                        f"not found: {module}@x: parsing go.mod:\n\tmodule declares its path as: "
                        f"{proxy.declared[module]}\n\t        but was required as: {module}"
                    )
                    return self._answer(404, body.encode())
                return self._answer(404, f"not found: {self.path}".encode())

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def listed_revisions() -> dict[str, str]:
    rows = [json.loads(line) for line in LISTING.read_text().splitlines()]
    return {row["repo_name"]: row["revision_id"] for row in rows}


@pytest.fixture
def proxy():
    fake = FakeProxy(SERVED, listed_revisions())
    yield fake
    fake.close()


def served_listing(folder: Path) -> Path:
    lines = [
        line for line in LISTING.read_text().splitlines() if json.loads(line)["repo_name"] in SERVED
    ]
    listing = folder / "listing.jsonl"
    listing.write_text("\n".join(lines) + "\n")
    return listing


def test_module_paths_are_case_escaped_as_the_proxy_protocol_says():
    assert escape_module_path("github.com/BurntSushi/toml") == "github.com/!burnt!sushi/toml"
    assert escape_module_path("golang.org/x/tools") == "golang.org/x/tools"


def test_the_module_proxy_path_gives_the_rows_of_the_folders_nested_module_included(
    proxy, tmp_path
):
    listing = served_listing(tmp_path)
    args = ("--source", "goproxy", "--goproxy", proxy.url, "--cache-dir", str(tmp_path / "cache"))
    run_build(tmp_path / "out", tmp_path / "repos", *args, listing=listing)
    from_dir = tmp_path / "from-dir"
    run_build(from_dir, tmp_path / "repos-dir", listing=listing)
    rows = all_rows(tmp_path / "out")
    assert rows == all_rows(from_dir)
    # mathx/stats is a nested module: only a second module zip can have brought it.
    assert any(r["module"] == "github.com/gotest-sample/mathx/stats" for r in rows)
    version = pseudo_version(listed_revisions()["gotest-sample/mathx"])
    stats_zip = f"/github.com/gotest-sample/mathx/stats/@v/{version}.zip"
    assert proxy.requests[stats_zip] == 1


def test_a_commit_is_resolved_to_its_pseudo_version_and_a_declared_path_is_followed(
    proxy, tmp_path
):
    revision = listed_revisions()["gotest-sample/lrucache"]
    source = GoProxySource(proxy.url, "example.com/{name}")
    cache = DownloadCache(tmp_path / "cache")
    module, version = source.resolve(cache, "example.com/lrucache", revision)
    assert (module, version) == ("github.com/gotest-sample/lrucache", pseudo_version(revision))


def test_downloads_retry_then_come_from_the_cache_through_the_journal(proxy, tmp_path):
    revision = listed_revisions()["gotest-sample/lrucache"]
    entry = RepoEntry("gotest-sample/lrucache", revision, ["lru.go"])
    info = f"/github.com/gotest-sample/lrucache/@v/{revision}.info"
    proxy.fail_once.add(info)
    source = GoProxySource(proxy.url)
    cache = DownloadCache(tmp_path / "cache", backoff_s=0.01)
    source.materialize(entry, tmp_path / "a", cache, limits=Limits())
    assert proxy.requests[info] == 2  # a 503, then the answer
    fetched = sum(proxy.requests.values())
    # A new cache object (a new build) finds everything through the journal, fetches nothing.
    journal = tmp_path / "cache" / "journal.jsonl"
    with journal.open("a") as f:
        f.write('{"url": "http://cut-short')  # a line a kill cut short is ignored
    again = DownloadCache(tmp_path / "cache")
    source.materialize(entry, tmp_path / "b", again, limits=Limits())
    assert sum(proxy.requests.values()) == fetched
    assert (tmp_path / "b" / "lru.go").read_bytes() == (
        SAMPLE_REPOS / entry.repo / "lru.go"
    ).read_bytes()


def test_a_missing_module_is_not_found_and_not_retried(proxy, tmp_path):
    cache = DownloadCache(tmp_path / "cache", backoff_s=0.01)
    url = f"{proxy.url}/github.com/nobody/nothing/@v/v1.0.0.zip"
    with pytest.raises(DownloadError) as caught:
        cache.fetch(url)
    assert caught.value.reason == "not_found"
    assert proxy.requests["/github.com/nobody/nothing/@v/v1.0.0.zip"] == 1


def test_a_server_that_keeps_failing_is_given_up_after_the_attempts(proxy, tmp_path):
    cache = DownloadCache(tmp_path / "cache", attempts=3, backoff_s=0.01)
    proxy.always_fail.add("/broken")
    with pytest.raises(DownloadError) as caught:
        cache.fetch(proxy.url + "/broken")
    assert caught.value.reason == "http_503"
    assert proxy.requests["/broken"] == 3


@pytest.mark.network
def test_a_small_real_module_through_the_real_proxy(tmp_path):
    """github.com/rs/xid at a tagged version, through the Go module proxy and into rows."""
    listing = tmp_path / "listing.jsonl"
    rows = [
        {"repo_name": "rs/xid", "revision_id": "v1.6.0", "path": "/id.go"},
        {"repo_name": "rs/xid", "revision_id": "v1.6.0", "path": "/id_test.go"},
    ]
    listing.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = run_build(tmp_path / "out", tmp_path / "repos", "--source", "goproxy", listing=listing)
    assert report["stages"]["download"]["kept"] == 1
    rows = all_rows(tmp_path / "out")
    assert rows and {r["repo"] for r in rows} == {"rs/xid"}
    assert {r["module"] for r in rows} == {"github.com/rs/xid"}
    assert any(r["target_function"] == "ID.String" for r in rows)
    assert (tmp_path / "repos" / "rs" / "xid" / "id.go").is_file()


def test_a_major_version_is_looked_up_under_its_vn_path(proxy, tmp_path):
    # Go requires a /vN suffix on modules of major version 2 and later; a repo name lacks it.
    info = json.dumps({"Version": "v3.1.0", "Time": "2024-01-01T00:00:00Z"}).encode()
    proxy.files["/github.com/owner/thing/v3/@v/v3.1.0.info"] = info
    source = GoProxySource(proxy.url)
    cache = DownloadCache(tmp_path / "cache")
    resolved = source.resolve(cache, "github.com/owner/thing", "v3.1.0")
    assert resolved == ("github.com/owner/thing/v3", "v3.1.0")
    assert proxy.requests["/github.com/owner/thing/@v/v3.1.0.info"] == 1
