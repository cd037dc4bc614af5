"""The fix turn: a test that did not build or failed goes back to the model with what went wrong.

The second prompt is the first conversation, the model's answer, and a user message quoting what
`go test` (or goimports) said, so that the model answers as a developer would after reading it.
"""

from __future__ import annotations

# Statuses where the model's own output says what to change. Not `bad_request` (the target is
# wrong, not the test), `limit_exceeded` (the scorer's detail is a kill, nothing to fix from),
# nor `error` (the scorer failed).
FIXABLE = {
    "no_code": "contained no Go code",
    "goimports_failed": "does not parse",
    "deps_failed": "imports a module that cannot be resolved",
    "build_failed": "does not build",
    "no_tests": "built, but no test ran",
    "timeout": "did not finish in time",
}


def needs_fix(record: dict) -> bool:
    """A test that did not build or run, or ran with failures."""
    if record["status"] in FIXABLE:
        return True
    return record["status"] == "ok" and record["tests"]["failed"] > 0


def what_went_wrong(record: dict) -> str:
    if record["status"] == "ok":
        failed, ran = (
            record["tests"]["failed"],
            record["tests"]["passed"] + record["tests"]["failed"],
        )
        return f"ran, but {failed} of its {ran} tests failed"
    return FIXABLE[record["status"]]


def fix_message(record: dict) -> str:
    detail = (record.get("detail") or "").strip() or "(no output)"
    return (
        f"Your test file {what_went_wrong(record)}. This is the output of `go test`:\n\n"
        f"```\n{detail}\n```\n\n"
        "Fix the test so that it builds and its checks pass against the code as it is. "
        "Reply with the whole corrected test file in one ```go block."
    )


def fix_conversation(prompt: list[dict], record: dict) -> list[dict]:
    """The first prompt, the model's answer, and the scorer's verdict as the next user turn."""
    return [
        *prompt,
        {"role": "assistant", "content": record["completion"]},
        {"role": "user", "content": fix_message(record)},
    ]
