"""Test targets of a package: one per function (with what its prompt may show) or per file.

The Go helper's `funcs` says where each function is, which package-level declarations it uses
(with their depth: 1 for what it uses itself) and which functions of its package make its
receiver's and parameters' types. A target carries its own text, the imports of its file, and
every declaration its prompt may show, by role: what it uses directly, the constructors of its
inputs, and what those declarations use in turn. `dataset.context` chooses among them within the
token budget. A file-level target is the whole file plus what its functions use from the
package's other files.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from dataset.counts import Counts

# The roles of context declarations, in the order of their use to a test writer.
USES, CONSTRUCTOR, TRANSITIVE = "uses", "constructor", "transitive"
ROLES = (USES, CONSTRUCTOR, TRANSITIVE)
BODY_OMITTED = "\t// body omitted"


@dataclass(frozen=True)
class Declaration:
    """A package-level declaration that a prompt may show, whole or (a function) by signature."""

    name: str
    file: str
    start_line: int
    role: str  # one of ROLES
    depth: int  # 1 for what the target uses itself; 0 for a constructor it does not use
    text: str  # the whole declaration, doc comment included
    signature: str | None  # a function's doc comment and signature with its body omitted


@dataclass(frozen=True)
class Snippet:
    """A declaration as a prompt shows it."""

    declaration: Declaration
    shortened: bool

    @property
    def text(self) -> str:
        d = self.declaration
        return d.signature if self.shortened and d.signature is not None else d.text


@dataclass
class Target:
    package: str  # folder relative to the repo root, "." for the root
    package_name: str
    import_path: str
    file: str  # base name of the file under test
    function: str | None  # "Func" or "Type.Method"; None for a file-level target
    granularity: str  # function or file
    source: str  # the function's text (doc comment included) or the whole file
    imports: str = ""  # the import declarations of the file (empty for a file-level target)
    declarations: list[Declaration] = field(default_factory=list)  # by role, then usefulness
    start_line: int = 1


class SourceLines:
    """The lines of a package's files, read once."""

    def __init__(self, package_dir: Path) -> None:
        self.package_dir = package_dir
        self._lines: dict[str, list[str]] = {}

    def lines(self, file: str) -> list[str]:
        if file not in self._lines:
            text = (self.package_dir / file).read_text(encoding="utf-8", errors="replace")
            self._lines[file] = text.splitlines()
        return self._lines[file]

    def span(self, file: str, start: int, end: int) -> str:
        return "\n".join(self.lines(file)[start - 1 : end]) + "\n"

    def signature(self, dep: dict) -> str | None:
        """The doc comment and signature of a function, its body replaced by a comment."""
        if not dep.get("body_line"):
            return None
        lines = self.lines(dep["file"])[dep["start_line"] - 1 : dep["body_line"]]
        # body_col counts bytes; the line is cut just before the body's brace.
        last = lines[-1].encode()[: dep["body_col"] - 1].decode(errors="replace").rstrip()
        text = "\n".join([*lines[:-1], f"{last} {{", BODY_OMITTED, "}"]) + "\n"
        whole = self.span(dep["file"], dep["start_line"], dep["end_line"])
        return text if len(text) < len(whole) else None  # a one-line body is shown whole

    def whole(self, file: str) -> str:
        return (self.package_dir / file).read_text(encoding="utf-8", errors="replace")


def _declarations(
    lines: SourceLines, functions: list[dict], leave_out_file: str | None, leave_out: set
) -> list[Declaration]:
    """The declarations a prompt for these functions may show, in the order they are offered.

    What the functions use directly comes first (in source order), then the constructors of
    their receivers and parameters (as gotools orders them), then the rest of their transitive
    dependencies, nearest first. A declaration appears once, in its most useful role.
    """
    depth: dict[tuple, int] = {}
    deps: dict[tuple, dict] = {}
    for function in functions:
        for dep in function["deps"]:
            key = (dep["file"], dep["start_line"], dep["end_line"])
            if key not in depth or dep["depth"] < depth[key]:
                depth[key], deps[key] = dep["depth"], dep
    constructors: dict[tuple, dict] = {}
    for function in functions:
        for dep in function["constructors"]:
            key = (dep["file"], dep["start_line"], dep["end_line"])
            if depth.get(key) != 1:
                constructors.setdefault(key, dep)

    def make(key: tuple, dep: dict, role: str) -> Declaration:
        return Declaration(
            name=dep["name"],
            file=dep["file"],
            start_line=dep["start_line"],
            role=role,
            depth=depth.get(key, 0),
            text=lines.span(*key),
            signature=lines.signature(dep),
        )

    def keep(key: tuple) -> bool:
        return key[0] != leave_out_file and key not in leave_out

    uses = [make(k, deps[k], USES) for k in sorted(deps) if depth[k] == 1 and keep(k)]
    made = [make(k, d, CONSTRUCTOR) for k, d in constructors.items() if keep(k)]
    rest = sorted((k for k in deps if depth[k] > 1 and k not in constructors), key=depth.get)
    transitive = [make(k, deps[k], TRANSITIVE) for k in rest if keep(k)]
    return uses + made + transitive


def _imports(lines: SourceLines, imports: list[dict], file: str) -> str:
    spans = [lines.span(i["file"], i["start_line"], i["end_line"]) for i in imports]
    return "\n".join(s for s, i in zip(spans, imports, strict=True) if i["file"] == file)


def _untestable(function: dict, package_name: str) -> str | None:
    if function["name"] == "init":
        return "init_function"  # run by the runtime, not callable from a test
    if function["name"] == "main" and package_name == "main":
        return "main_function"
    if function["statements"] == 0:
        return "no_statements"  # nothing to cover
    return None


def package_targets(
    package: str,
    package_dir: Path,
    funcs_answer: dict,
    files: list[str],
    granularity: str,
    counts: Counts,
) -> list[Target]:
    """The targets of the given files of one package, counting the functions left out."""
    lines = SourceLines(package_dir)
    name, import_path = funcs_answer["package"], funcs_answer["import_path"]
    by_file: dict[str, list[dict]] = {file: [] for file in files}
    for function in funcs_answer["functions"]:
        if function["file"] in by_file:
            by_file[function["file"]].append(function)
    targets = []
    for file in files:
        testable = []
        for function in by_file[file]:
            reason = _untestable(function, name)
            if reason is None:
                testable.append(function)
            elif granularity in ("function", "both"):
                counts.drop("targets", reason)
        in_file = functools.partial(
            Target, package=package, package_name=name, import_path=import_path, file=file
        )
        if granularity in ("function", "both"):
            for function in testable:
                source = lines.span(file, function["start_line"], function["end_line"])
                own = {(file, function["start_line"], function["end_line"])}
                targets.append(
                    in_file(
                        function=function["name"],
                        granularity="function",
                        source=source,
                        imports=_imports(lines, funcs_answer["imports"], file),
                        declarations=_declarations(lines, [function], None, own),
                        start_line=function["start_line"],
                    )
                )
        if granularity in ("file", "both"):
            if not testable:
                counts.drop("targets", "no_testable_function")
                continue
            targets.append(
                in_file(
                    function=None,
                    granularity="file",
                    source=lines.whole(file),
                    declarations=_declarations(lines, testable, file, set()),
                )
            )
    return targets
