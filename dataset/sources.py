"""Where a repo at its revision comes from: an archive URL, the Go module proxy, or a local folder.

Each source fills a fresh folder with the repo's files, through the content cache
(`download.DownloadCache`) and the safe extractor (`extract`), and raises `DownloadError` or
`ExtractError` with a reason when the repo cannot be had.

- `archive`: a URL template with `{repo_name}` (or `{owner}`, `{name}`) and `{revision_id}`;
  GitHub's archive of a commit by default, any mirror or a `file://` folder of archives alike.
- `goproxy`: module zips from a Go module proxy. The repo `owner/name` is the module
  `github.com/owner/name` (a template), the commit is resolved by the proxy to its version (a
  pseudo-version such as v0.0.0-20230618084112-79bbf4b30195), and a module that declares another
  path (a vanity import path, a /vN suffix) is followed there. A module zip holds one module: the
  listing's files that it lacks point at nested modules, which are fetched at the same commit.
- `dir`: `<root>/<owner>/<name>` folders on disk (the bundled sample).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from dataset.download import DownloadCache, DownloadError
from dataset.extract import Limits, copy_folder, extract_archive
from dataset.listing import RepoEntry

GITHUB_ARCHIVE = "https://codeload.github.com/{repo_name}/tar.gz/{revision_id}"
DEFAULT_GOPROXY = "https://proxy.golang.org"
DEFAULT_MODULE_PATH = "github.com/{repo_name}"
# Looking for nested modules costs a proxy request each; a repo needing more is left incomplete.
MAX_NESTED_LOOKUPS = 16
# proxy.golang.org answers 404 or 410 for what it does not have; some mirrors answer 403.
NOT_SERVED = ("not_found", "http_403")
_MAJOR = re.compile(r"^v([2-9]|[1-9][0-9]+)\.\d+\.\d+")
_DECLARED_PATH = (
    re.compile(r"module declares its path as: (\S+)"),
    re.compile(r'has post-v\d+ module path "([^"]+)"'),
)


def template_fields(entry: RepoEntry) -> dict[str, str]:
    owner, name = entry.repo.split("/", 1)
    return {"repo_name": entry.repo, "owner": owner, "name": name, "revision_id": entry.revision}


@dataclass
class DirSource:
    root: Path

    def materialize(
        self, entry: RepoEntry, dest: Path, cache: DownloadCache, limits: Limits
    ) -> dict:
        folder = self.root / entry.repo
        if not folder.is_dir():
            raise DownloadError("not_found", f"no folder {folder}")
        copy_folder(folder, dest, limits)
        return {"folder": str(folder)}


@dataclass
class ArchiveSource:
    url_template: str = GITHUB_ARCHIVE

    def materialize(
        self, entry: RepoEntry, dest: Path, cache: DownloadCache, limits: Limits
    ) -> dict:
        url = self.url_template.format(**template_fields(entry))
        extract_archive(cache.fetch(url), dest, strip="auto", limits=limits)
        return {"url": url}


def escape_module_path(path: str) -> str:
    """The proxy protocol's case encoding: an upper-case letter becomes '!' and its lower case."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in path)


@dataclass
class GoProxySource:
    proxy: str = DEFAULT_GOPROXY
    module_template: str = DEFAULT_MODULE_PATH

    def resolve(self, cache: DownloadCache, module: str, revision: str) -> tuple[str, str]:
        """(module path, version) of module at revision, following a declared path twice at most.

        The path to follow is the one the proxy names in its error, or, for a revision that is a
        version v2 or later, the path with the /vN suffix that Go requires of such a module.
        """
        for _ in range(3):
            url = f"{self.proxy.rstrip('/')}/{escape_module_path(module)}/@v/{revision}.info"
            try:
                info = json.loads(cache.fetch(url).read_text())
                return module, info["Version"]
            except DownloadError as err:
                declared = next(
                    (m.group(1) for p in _DECLARED_PATH if (m := p.search(err.body))), None
                )
                major = _MAJOR.match(revision)
                if declared is None and err.reason in NOT_SERVED and major:
                    suffix = f"/v{major.group(1)}"
                    declared = module if module.endswith(suffix) else module + suffix
                if declared is None or declared == module:
                    raise
                module = declared
            except (ValueError, KeyError):
                raise DownloadError("bad_answer", f"{url} did not answer a version") from None
        raise DownloadError("not_found", f"{module}: too many declared paths")

    def _fetch_module(
        self, cache: DownloadCache, module: str, revision: str, dest: Path, limits: Limits
    ) -> dict:
        module, version = self.resolve(cache, module, revision)
        url = f"{self.proxy.rstrip('/')}/{escape_module_path(module)}/@v/{version}.zip"
        extract_archive(cache.fetch(url), dest, strip=f"{module}@{version}", limits=limits)
        return {"module": module, "version": version}

    def materialize(
        self, entry: RepoEntry, dest: Path, cache: DownloadCache, limits: Limits
    ) -> dict:
        repo_module = self.module_template.format(**template_fields(entry))
        fetched: dict[str, dict] = {}
        try:
            fetched["."] = self._fetch_module(cache, repo_module, entry.revision, dest, limits)
        except DownloadError as err:
            if err.reason not in NOT_SERVED:
                raise
            root_error = err  # a repo may hold only nested modules
            dest.mkdir(parents=True)
        else:
            root_error = None
        tried: set[str] = set()
        while len(tried) < MAX_NESTED_LOOKUPS:
            candidate = self._next_candidate(entry, dest, tried)
            if candidate is None:
                break
            tried.add(candidate)
            staging = dest.parent / f"{dest.name}.nested"
            shutil.rmtree(staging, ignore_errors=True)
            try:
                module = f"{repo_module}/{candidate}"
                fetched[candidate] = self._fetch_module(
                    cache, module, entry.revision, staging, limits
                )
            except DownloadError as err:
                if err.reason not in NOT_SERVED:
                    raise
                continue
            _merge(staging, dest / candidate)
        if not fetched and root_error is not None:
            raise root_error
        return {"modules": fetched}

    @staticmethod
    def _next_candidate(entry: RepoEntry, dest: Path, tried: set[str]) -> str | None:
        """The shallowest untried folder that may hold a nested module with missing files."""
        candidates = set()
        for path in entry.paths:
            parts = path.split("/")[:-1]
            if not parts or "vendor" in parts or (dest / path).exists():
                continue
            for depth in range(1, len(parts) + 1):
                candidates.add("/".join(parts[:depth]))
        untried = sorted(candidates - tried, key=lambda c: (c.count("/"), c))
        return untried[0] if untried else None


def _merge(source: Path, target: Path) -> None:
    """Moves a nested module's files into place; files the outer module already had stay."""
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        to = target / path.relative_to(source)
        if not to.exists():
            to.parent.mkdir(parents=True, exist_ok=True)
            path.replace(to)
    shutil.rmtree(source, ignore_errors=True)


def make_source(kind: str, *, archive_url: str, source_dir: Path, goproxy: str, module_path: str):
    if kind == "dir":
        return DirSource(source_dir)
    if kind == "goproxy":
        return GoProxySource(goproxy, module_path)
    return ArchiveSource(archive_url)
