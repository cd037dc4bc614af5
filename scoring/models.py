"""Request and response bodies of the scoring API (docs/scoring-api.md), with their limits.

Every limit of a request lives here. A body that is not the contract's shape is malformed (422
for the whole request); an item that has the shape but breaks a limit of its own (a field too
long, a completion too large, text that is not Unicode) is refused alone: it comes back as a
`RefusedItem`, answered `bad_request`, and its neighbours are scored as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)
from pydantic_core import PydanticCustomError

from scoring.reward import Formula

MAX_ITEMS = 1024
MAX_COMPLETION_BYTES = 256 * 1024
# Path fields, in characters. Each bound is far above any real value and far below what makes
# path work slow (resolving a path is quadratic in its length) or hits the kernel's PATH_MAX of
# 4096 bytes once joined to the repos root.
# `owner/name`: GitHub allows 39 characters for an owner and 100 for a name; other forges less.
MAX_REPO_CHARS = 256
# A folder path inside the repo: real Go package paths stay under 200 characters.
MAX_PACKAGE_CHARS = 1024
# A file name of the package folder: NAME_MAX, the longest name a Linux file system allows.
MAX_TARGET_FILE_CHARS = 255
# `Func` or `Type.Method`: two identifiers; Go sets no bound, but no real one nears 255.
MAX_TARGET_FUNCTION_CHARS = 511
# The body at its largest: MAX_ITEMS items at their largest, with room for JSON. In JSON a
# completion byte takes at most two bytes when it is a newline, tab, quote or backslash (\\n),
# or part of a 3-byte character that an ASCII-only encoder writes as \\uXXXX; a path character at
# most six (\\uXXXX). Keys, quotes and commas: 1 KiB an item, and 64 KiB for the envelope.
_PATH_CHARS = MAX_REPO_CHARS + MAX_PACKAGE_CHARS + MAX_TARGET_FILE_CHARS + MAX_TARGET_FUNCTION_CHARS
MAX_ITEM_JSON_BYTES = 2 * MAX_COMPLETION_BYTES + 6 * _PATH_CHARS + 1024
MAX_BODY_BYTES = MAX_ITEMS * MAX_ITEM_JSON_BYTES + 64 * 1024

# Errors that belong to one item and refuse it alone: the item's own limits, and a reward
# formula the server does not know (a client of a newer contract asks the others as usual).
_ITEM_LIMITS = frozenset(
    {"string_too_long", "string_unicode", "not_unicode", "completion_too_large", "enum"}
)


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


def _unicode(value: str | None) -> str | None:
    # JSON can carry a lone surrogate ("\\ud800"), which is no Unicode character: it can be
    # neither encoded for Go nor written back in an answer.
    if value is not None:
        try:
            value.encode()
        except UnicodeEncodeError as err:
            raise PydanticCustomError(
                "not_unicode",
                "holds a lone surrogate at character {position}: not Unicode text",
                {"position": err.start},
            ) from None
    return value


class ScoreItem(BaseModel):
    repo: str = Field(
        max_length=MAX_REPO_CHARS,
        description="Folder of the repo under SCORING_REPOS_DIR, `owner/name`.",
        examples=["gotest-sample/mathx"],
    )
    package: str = Field(
        ".",
        max_length=MAX_PACKAGE_CHARS,
        description="Package folder relative to the repo root; `.` for the root.",
        examples=[".", "internal/foo"],
    )
    completion: str = Field(
        description=f"Raw model output, at most {MAX_COMPLETION_BYTES} bytes of UTF-8. The Go "
        "code is the first ```go fenced block, else the first ``` block, else the whole text."
    )
    target_file: str | None = Field(
        None,
        max_length=MAX_TARGET_FILE_CHARS,
        description="A file of the package: coverage counts its statements only.",
        examples=["parse.go"],
    )
    target_function: str | None = Field(
        None,
        max_length=MAX_TARGET_FUNCTION_CHARS,
        description="`Func` or `Type.Method`: coverage counts that function only. Neither "
        "target: the whole package.",
        examples=["Parse", "Stack.Pop"],
    )
    reward: Formula | None = Field(
        None,
        description="The reward formula: `coverage`, `coverage_mutation` or `mutation`; "
        "default SCORING_REWARD. A formula with the mutation score costs a run per mutant.",
        examples=["mutation"],
    )

    _text_is_unicode = field_validator("repo", "package", "target_file", "target_function")(
        _unicode
    )

    @field_validator("completion")
    @classmethod
    def _completion_fits(cls, value: str) -> str:
        if len(_unicode(value).encode()) > MAX_COMPLETION_BYTES:
            raise PydanticCustomError(
                "completion_too_large", "over {limit} bytes", {"limit": MAX_COMPLETION_BYTES}
            )
        return value


@dataclass(frozen=True)
class RefusedItem:
    """An item that broke a limit of its own: answered `bad_request` with this detail."""

    detail: str


def _refuse_alone(value: Any, handler: ValidatorFunctionWrapHandler) -> ScoreItem | RefusedItem:
    try:
        return handler(value)
    except ValidationError as err:
        errors = err.errors(include_url=False, include_input=False)
        if any(error["type"] not in _ITEM_LIMITS for error in errors):
            raise  # not the contract's shape: the whole body is malformed
        # The messages name the field and the limit, never the value (it may not be printable).
        return RefusedItem("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))


class ScoreRequest(BaseModel):
    items: list[Annotated[ScoreItem, WrapValidator(_refuse_alone)]] = Field(
        description=f"At most {MAX_ITEMS} items (413 beyond), in a body of at most "
        f"{MAX_BODY_BYTES} bytes (413 beyond). An item over a limit of its own is answered "
        "`bad_request` alone.",
    )


class TestCounts(BaseModel):
    passed: int = Field(0, description="Top-level tests that passed.")
    failed: int = Field(0, description="Top-level tests that failed (a panic or crash included).")
    skipped: int = Field(0, description="Top-level tests that skipped; they do not count as run.")


class MutationScore(BaseModel):
    killed: int = Field(description="Mutants that a test which passed on the real code caught.")
    total: int = Field(description="Mutants of the target (at most SCORING_MUTANTS).")
    score: float = Field(description="killed / total.")


class ScoreResult(BaseModel):
    reward: float | None = Field(
        description="In [0, 1]; null only when status is `error` (leave the sample out)."
    )
    status: Status = Field(description="How the scoring ended; see docs/scoring-api.md.")
    tests: TestCounts = Field(
        default_factory=TestCounts,
        description="Top-level tests that the generated file declares, from go test -json.",
    )
    coverage: float | None = Field(
        None, description="Share of the target's statements covered; null unless tests ran."
    )
    assertions: int | None = Field(
        None,
        description="Checks in the generated file (t.Error, t.Fatal... and testify's); null "
        "when the code does not parse. Not part of the reward.",
    )
    mutation: MutationScore | None = Field(
        None,
        description="Mutants killed by the tests that passed; null unless the item's formula "
        "uses it and a test passed on a target with mutable code.",
    )
    duration_s: float = Field(0.0, description="Seconds this item took to score.")
    detail: str = Field("", description="Compiler or test output, truncated to a few KB.")


class ScoreResponse(BaseModel):
    results: list[ScoreResult] = Field(description="One result per item, in the same order.")


class Health(BaseModel):
    status: str = Field(description="`ok`, or `unavailable: <reason>` with HTTP 503.")
    go: str = Field(description="The pinned Go toolchain's `go version`.")
    concurrency: int = Field(description="Scorings run at once (SCORING_CONCURRENCY).")
