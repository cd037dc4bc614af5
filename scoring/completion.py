"""Taking the Go code out of a model's completion, by the contract's fence rules."""

from __future__ import annotations

import re

_GO_FENCE = re.compile(r"```[ \t]*(?:go|golang)[ \t]*\r?\n(.*?)(?:```|\Z)", re.DOTALL | re.I)
_ANY_FENCE = re.compile(r"```[^\n`]*\r?\n(.*?)(?:```|\Z)", re.DOTALL)
_PACKAGE = re.compile(r"^package[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def extract_code(completion: str) -> str:
    """The first ```go block, else the first ``` block, else the whole text.

    A block that the completion's length limit cut off before its closing fence runs to the end:
    the code in it still deserves its build.
    """
    for fence in (_GO_FENCE, _ANY_FENCE):
        match = fence.search(completion)
        if match:
            return match.group(1).strip() + "\n"
    return completion.strip() + "\n"


def package_name(source: str) -> str | None:
    """The package clause of gofmt-ed source (a line that starts with `package`)."""
    match = _PACKAGE.search(source)
    return match.group(1) if match else None
