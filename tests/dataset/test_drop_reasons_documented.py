"""The README's table of stages names every reason the dataset builder can drop a unit for.

The reasons are read from the builder's source: the first argument of its error types, the
reason of `counts.drop` and `decide`, and the (reason, detail) pairs and reason strings that the
filters return. A placeholder stands for any name on either side: the code's `f"http_{code}"`
is the README's `http_<code>`, its `f"init_{kind}"` is `init_exits`, and the README's
`package_<reason>` covers the code's `package_helper_error`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# refilter has reasons of its own (not_on_disk), documented in its paragraph, not the table.
SOURCES = sorted(p for p in (ROOT / "dataset").glob("*.py") if p.name != "refilter.py")
ERRORS = {"DownloadError", "ExtractError", "ModuleDropped"}
NAME = re.compile(r"[a-z][a-z_]*[a-z]")
ANY = "<>"  # a placeholder, in the code's reasons and the README's names alike


def spelled(node: ast.expr | None) -> str | None:
    """The reason a node spells, an f-string's fields as ANY; None if it is no reason."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if NAME.fullmatch(node.value) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else ANY for v in node.values)
    return None


def named(node: ast.AST, target: str) -> bool:
    return isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == target for t in node.targets
    )


def reasons_in_code() -> dict[str, str]:
    """reason -> where it was found."""
    found = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            candidates = []
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in ERRORS and node.args:
                    candidates.append(node.args[0])
                elif name == "drop" and len(node.args) >= 2:
                    candidates.append(node.args[1])
                elif name == "decide" and len(node.args) >= 3:
                    candidates.append(node.args[2])
            elif named(node, "FILE_REASONS"):
                candidates += node.value.elts
            elif isinstance(node, ast.FunctionDef) and node.name == "_untestable":
                candidates += [r.value for r in ast.walk(node) if isinstance(r, ast.Return)]
            elif (
                (isinstance(node, ast.Return) or named(node, "problem"))
                and isinstance(node.value, ast.Tuple)
                and len(node.value.elts) == 2
            ):
                candidates.append(node.value.elts[0])  # (reason, detail)
            for candidate in candidates:
                reason = spelled(candidate)
                if reason:
                    found[reason] = f"{path.name}:{candidate.lineno}"
    return found


def documented() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n**Stages**", 1)[1].split("\n**Sources.**", 1)[0]
    return {re.sub(r"<\w+>", ANY, name) for name in re.findall(r"`([a-z_<>]+)`", section)}


def matches(a: str, b: str) -> bool:
    """Whether two reasons can be the same, a placeholder in either standing for any name."""

    def regex(reason: str) -> str:
        return "[a-z_<>]+".join(re.escape(part) for part in reason.split(ANY))

    return bool(re.fullmatch(regex(a), b) or re.fullmatch(regex(b), a))


def test_the_scan_finds_the_reasons_it_should():
    found = reasons_in_code()
    expected = ("no_go_mod", "bad_answer", "does_not_list", "type_error", "main_only", "http_<>")
    assert set(expected) <= set(found)
    assert len(found) > 30


def test_every_drop_reason_is_documented():
    names = documented()
    missing = {
        reason: where
        for reason, where in reasons_in_code().items()
        if not any(matches(reason, name) for name in names)
    }
    assert not missing, f"drop reasons missing from the README's stages table: {missing}"
