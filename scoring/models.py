"""Request and response bodies of the scoring API (`../shared/scoring-api.md`)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

MAX_ITEMS = 1024
MAX_COMPLETION_BYTES = 256 * 1024


class Status(StrEnum):
    ok = "ok"
    no_code = "no_code"
    goimports_failed = "goimports_failed"
    deps_failed = "deps_failed"
    build_failed = "build_failed"
    no_tests = "no_tests"
    timeout = "timeout"
    limit_exceeded = "limit_exceeded"
    bad_request = "bad_request"
    error = "error"


class ScoreItem(BaseModel):
    repo: str = Field(description="Folder of the repo under SCORING_REPOS_DIR, `owner/name`.")
    package: str = Field(
        ".", description="Package folder relative to the repo root; `.` for the root."
    )
    completion: str = Field(
        description="Raw model output: the first ```go block, else the first ``` block, else all."
    )
    target_file: str | None = Field(
        None, description="Coverage counts the statements of this file of the package."
    )
    target_function: str | None = Field(
        None, description="`Func` or `Type.Method`: coverage counts that function only."
    )


class ScoreRequest(BaseModel):
    items: list[ScoreItem] = Field(description=f"At most {MAX_ITEMS} items.")


class TestCounts(BaseModel):
    passed: int = 0
    failed: int = 0
    skipped: int = 0


class ScoreResult(BaseModel):
    reward: float | None = Field(
        description="In [0, 1]; null only when status is `error` (leave the sample out)."
    )
    status: Status
    tests: TestCounts = Field(
        default_factory=TestCounts, description="Top-level tests, from go test -json."
    )
    coverage: float | None = Field(
        None, description="Share of target statements covered; null unless tests ran."
    )
    assertions: int | None = Field(
        None, description="Checks in the generated file; null when the code does not parse."
    )
    duration_s: float = 0.0
    detail: str = Field("", description="Compiler or test output, truncated to a few KB.")


class ScoreResponse(BaseModel):
    results: list[ScoreResult] = Field(description="One result per item, in the same order.")


class Health(BaseModel):
    status: str
    go: str
    concurrency: int
