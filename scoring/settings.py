"""The scoring server's settings, read from SCORING_* environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from scoring.reward import Formula


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_")

    repos_dir: Path = Field(
        Path("data/repos"), description="Root folder of the repos; requests name repos under it."
    )
    token: SecretStr | None = Field(
        None,
        description="Bearer token required on every request but GET /health; unset: loopback only.",
    )
    concurrency: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="Scorings run at once."
    )
    timeout_s: float = Field(30, gt=0, description="Wall-clock limit for one test run.")
    memory_mb: int = Field(
        2048,
        ge=1024,  # Go's runtime cannot start in much less address space.
        description="Memory limit for one test run, its /tmp and /dev/shm included.",
    )
    max_processes: int = Field(64, ge=4, description="Processes and threads one test run may have.")
    disk_mb: int = Field(
        64,
        ge=1,
        description="Size of a test run's private /tmp (its HOME and TMPDIR) and of its /dev/shm.",
    )
    output_kb: int = Field(1024, ge=16, description="Output one test run may print.")
    build_timeout_s: float = Field(
        120, gt=0, description="Wall-clock limit for one build of a generated test."
    )
    reference_build_timeout_s: float = Field(
        600,
        gt=0,
        description=(
            "Wall-clock limit for the trusted reference build of a package (no generated code in"
            " it): the first build of a large package compiles it and its dependencies (seen: 93 s"
            " for openai-go's root on 2 cores, cold)."
        ),
    )
    build_memory_mb: int = Field(4096, ge=1024, description="Memory limit for one build.")
    goproxy: str = Field(
        "https://proxy.golang.org",
        description="Module proxy for modules that a generated test newly imports; 'off' disables.",
    )
    gosumdb: str = Field(
        "sum.golang.org",
        description="Checksum database that vouches for fetched modules; 'off' trusts the proxy.",
    )
    fetch_modules: int = Field(
        8,
        ge=0,
        description="Modules one scoring may add to its build list (new imports, their needs).",
    )
    fetch_mb: int = Field(
        128,
        ge=1,
        description="MB one scoring may add to the module cache: downloads, unpacked sources.",
    )
    fetch_timeout_s: float = Field(
        60, gt=0, description="Wall-clock limit for fetching the modules of one scoring."
    )
    reward: Formula = Field(
        Formula.coverage,
        description="Reward formula of items that name none: coverage, coverage_mutation or "
        "mutation (docs/scoring-api.md).",
    )
    mutants: int = Field(
        24, ge=1, description="Most mutants of one target that a mutation score runs."
    )
    warmup: bool = Field(
        True, description="Build packages of the repos once, in the background, to warm the cache."
    )
    warmup_packages: int = Field(
        200, ge=0, description="Most packages the warm-up builds (the first, in name order)."
    )
    warmup_s: float = Field(
        600, ge=0, description="Seconds after start-up past which the warm-up starts no package."
    )
    cache_size: int = Field(
        4096, ge=0, description="Results remembered, so that a duplicate is answered at once."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
