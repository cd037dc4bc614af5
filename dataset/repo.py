"""One repository end to end: download, extract, module checks, filters, targets, rows.

`RepoBuilder.build` returns the repo's result: its rows, its counts per stage and the decision
on every unit (module, package, listed file, target) with its reason. The repo is unpacked into a
staging folder and moved under the repos root only when it yields rows, so the repos root only
ever holds complete repos that the dataset uses. Nothing here depends on other repos, which is
what lets the pipeline shard and resume by repo.
"""

from __future__ import annotations

import hashlib
import posixpath
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import gotools
from dataset.context import fit_prompt
from dataset.counts import Counts
from dataset.download import DownloadCache, DownloadError
from dataset.extract import ExtractError, Limits
from dataset.filters import judge_files, package_problem
from dataset.listing import RepoEntry
from dataset.modules import (
    Module,
    ModuleDropped,
    check_module,
    find_module_dirs,
    first_line,
    list_packages,
    load_problem,
)
from dataset.targets import Target, package_targets
from dataset.tokens import TokenCounter


@dataclass
class BuildSettings:
    """Everything a worker needs to build a repo; picklable, so it travels to worker processes."""

    source: object  # one of dataset.sources' sources
    repos_dir: Path
    staging_dir: Path
    cache_dir: Path
    granularity: str = "both"
    tokenizer: str | None = None
    max_prompt_tokens: int = 2048
    limits: Limits = field(default_factory=Limits)
    download_attempts: int = 4
    backoff_s: float = 1.0


def repo_key(entry: RepoEntry) -> str:
    """A file name for the repo at its revision: readable, and unique even if names collide."""
    digest = hashlib.sha1(f"{entry.repo}@{entry.revision}".encode()).hexdigest()[:12]
    return f"{entry.repo.replace('/', '__')}-{digest}"


def row_id(repo: str, revision: str, target: Target) -> str:
    key = f"{repo}@{revision}:{target.package}:{target.file}:{target.function}:{target.granularity}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]


class RepoBuilder:
    def __init__(self, settings: BuildSettings) -> None:
        self.settings = settings
        self._cache: DownloadCache | None = None
        self._tokens: TokenCounter | None = None

    @property
    def cache(self) -> DownloadCache:
        if self._cache is None:
            self._cache = DownloadCache(
                self.settings.cache_dir,
                attempts=self.settings.download_attempts,
                backoff_s=self.settings.backoff_s,
            )
        return self._cache

    @property
    def tokens(self) -> TokenCounter:
        if self._tokens is None:
            self._tokens = TokenCounter(self.settings.tokenizer)
        return self._tokens

    def build(self, entry: RepoEntry) -> dict:
        started = time.monotonic()
        run = _RepoRun(self, entry)
        staging = self.settings.staging_dir / repo_key(entry)
        shutil.rmtree(staging, ignore_errors=True)  # left by a killed build
        staging.parent.mkdir(parents=True, exist_ok=True)
        try:
            run.run(staging)
        except Exception as err:  # a bug on one odd repo must not end a long build
            run.rows = []
            run.decisions.append(
                {
                    "stage": run.stage,
                    "name": entry.repo,
                    "reason": "internal_error",
                    "detail": f"{type(err).__name__}: {err}",
                }
            )
            run.counts.drop(run.stage, "internal_error")
            run.trace = traceback.format_exc()
        if run.rows:
            final = self.settings.repos_dir / entry.repo
            if final.exists():
                shutil.rmtree(final)  # a previous build's copy, or a killed build's
            final.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(final)
        else:
            shutil.rmtree(staging, ignore_errors=True)
        return {
            "repo": entry.repo,
            "revision": entry.revision,
            "kept": bool(run.rows),
            "seconds": round(time.monotonic() - started, 3),
            "source": run.source_info,
            "counts": run.counts.to_dict(),
            "decisions": run.decisions,
            "rows": run.rows,
            "trace": run.trace,
        }


class _RepoRun:
    """The state of one repo's build, stage by stage."""

    def __init__(self, builder: RepoBuilder, entry: RepoEntry) -> None:
        self.builder = builder
        self.settings = builder.settings
        self.entry = entry
        self.counts = Counts()
        self.decisions: list[dict] = []
        self.rows: list[dict] = []
        self.source_info: dict = {}
        self.stage = "download"
        self.trace = ""

    def decide(self, stage: str, name: str, reason: str | None, detail: str = "") -> None:
        self.decisions.append({"stage": stage, "name": name, "reason": reason, "detail": detail})
        if reason is None:
            self.counts.keep(stage)
        else:
            self.counts.drop(stage, reason)

    def run(self, staging: Path) -> None:
        entry = self.entry
        try:
            self.source_info = self.settings.source.materialize(
                entry, staging, self.builder.cache, self.settings.limits
            )
        except DownloadError as err:
            return self.decide("download", entry.repo, err.reason, err.detail)
        except ExtractError as err:
            self.decide("download", entry.repo, None)
            return self.decide("extract", entry.repo, err.reason, err.detail)
        self.decide("download", entry.repo, None)
        self.decide("extract", entry.repo, None)

        self.stage = "find_modules"
        module_dirs = find_module_dirs(staging)
        if not module_dirs:
            return self.decide("find_modules", entry.repo, "no_go_mod")
        self.decide("find_modules", entry.repo, None)

        self.stage = "check_modules"
        modules: dict[str, Module] = {}
        packages: dict[str, tuple[Module, dict]] = {}  # package folder -> (module, go list entry)
        for rel in module_dirs:
            try:
                module = check_module(staging, rel)
                listed = list_packages(staging / rel)
            except ModuleDropped as err:
                self.decide("check_modules", rel, err.reason, err.detail)
                continue
            self.decide("check_modules", rel, None, module.path)
            modules[rel] = module
            for package in listed:
                folder = Path(package["Dir"]).resolve().relative_to(staging.resolve()).as_posix()
                packages[folder] = (module, package)

        self.stage = "packages"
        targets = self._judge(staging, module_dirs, modules, packages)

        self.stage = "targets"
        for target, module in targets:
            fitted = fit_prompt(target, self.builder.tokens, self.settings.max_prompt_tokens)
            name = f"{posixpath.join(target.package, target.file)}:{target.function or '(file)'}"
            name = name.removeprefix("./")
            if fitted is None:
                self.decide("targets", name, "prompt_too_long", "the target alone is over it")
                continue
            self.decide("targets", name, None, fitted.summary())
            self.rows.append(
                {
                    "id": row_id(entry.repo, entry.revision, target),
                    "prompt": fitted.messages,
                    "repo": entry.repo,
                    "package": target.package,
                    "target_file": target.file,
                    "target_function": target.function,
                    "module": module.path,
                    "revision": entry.revision,
                    "granularity": target.granularity,
                    "prompt_tokens": fitted.tokens,
                }
            )
        return None

    def _judge(
        self,
        staging: Path,
        module_dirs: list[str],
        modules: dict[str, Module],
        packages: dict[str, tuple[Module, dict]],
    ) -> list[tuple[Target, Module]]:
        """Decides every listed file and every package; returns the targets of the kept ones."""
        by_folder: dict[str, list[str]] = {}
        for path in self.entry.paths:
            folder = posixpath.dirname(path) or "."
            owner = _owning_module(folder, module_dirs)
            if not (staging / path).is_file():
                self.decide("files", path, "missing", "listed but not in the download")
            elif owner is None:
                self.decide("files", path, "outside_module")
            elif owner not in modules:
                self.decide("files", path, "in_dropped_module", owner)
            elif folder not in packages:
                reason = "test_file" if path.endswith("_test.go") else "ignored_by_go"
                self.decide("files", path, reason)
            else:
                by_folder.setdefault(folder, []).append(posixpath.basename(path))
        for folder in sorted(packages):
            if folder not in by_folder:
                self.decide("packages", folder, "no_listed_files")
        targets = []
        for folder, files in sorted(by_folder.items()):
            module, listed = packages[folder]
            targets += [(t, module) for t in self._judge_package(staging, folder, files, listed)]
        return targets

    def _judge_package(
        self, staging: Path, folder: str, files: list[str], listed: dict
    ) -> list[Target]:
        package_dir = staging / folder
        try:
            verdict = judge_files(str(package_dir))
        except gotools.GoToolsError as err:
            for file in files:
                self.decide("files", f"{folder}/{file}", "package_helper_error")
            self.decide("packages", folder, "helper_error", first_line(str(err)))
            return []
        problem = verdict.problem or load_problem(listed)
        candidates = []
        for file in files:
            path = posixpath.join(folder, file) if folder != "." else file
            own = verdict.file_reasons.get(file, "ignored_by_go")
            if own is not None:
                self.decide("files", path, own)
            elif problem is not None:
                self.decide("files", path, f"package_{problem[0]}")
            elif verdict.facts[file]["functions"] == 0:
                self.decide("files", path, "no_functions")
            else:
                candidates.append((file, path))
        if problem is None and candidates:
            try:
                funcs = gotools.run("funcs", dir=str(package_dir))
                problem = package_problem(funcs)
            except gotools.GoToolsError as err:
                problem = ("does_not_load", first_line(str(err)))
            for _, path in candidates:
                self.decide("files", path, None if problem is None else f"package_{problem[0]}")
        if problem is not None:
            self.decide("packages", folder, problem[0], problem[1])
            return []
        if not candidates:
            self.decide("packages", folder, "no_candidate_files")
            return []
        self.decide("packages", folder, None)
        return package_targets(
            folder,
            package_dir,
            funcs,
            [file for file, _ in candidates],
            self.settings.granularity,
            self.counts,
        )


def _owning_module(folder: str, module_dirs: list[str]) -> str | None:
    """The innermost module folder that holds folder, as the go command decides ownership."""
    owners = [m for m in module_dirs if m == "." or folder == m or folder.startswith(m + "/")]
    return max(owners, key=lambda m: 0 if m == "." else m.count("/") + 1, default=None)
