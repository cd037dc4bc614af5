"""Test targets of a package: one per function (with the declarations it depends on) or per file.

The Go helper's `funcs` says where each function is and which package-level declarations it
uses, transitively; a function-level target shows exactly those, so the model sees every type,
constant and helper the function touches and nothing else. A file-level target shows the whole
file plus what its functions use from the package's other files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dataset.counts import Counts


@dataclass(frozen=True)
class Snippet:
    file: str
    start_line: int
    text: str


@dataclass
class Target:
    package: str  # folder relative to the repo root, "." for the root
    package_name: str
    import_path: str
    file: str  # base name of the file under test
    function: str | None  # "Func" or "Type.Method"; None for a file-level target
    granularity: str  # function or file
    source: str  # the function's text (doc comment included) or the whole file
    context: list[Snippet] = field(default_factory=list)
    start_line: int = 1


class SourceLines:
    """The lines of a package's files, read once."""

    def __init__(self, package_dir: Path) -> None:
        self.package_dir = package_dir
        self._lines: dict[str, list[str]] = {}

    def span(self, file: str, start: int, end: int) -> str:
        if file not in self._lines:
            text = (self.package_dir / file).read_text(encoding="utf-8", errors="replace")
            self._lines[file] = text.splitlines()
        return "\n".join(self._lines[file][start - 1 : end]) + "\n"

    def whole(self, file: str) -> str:
        return (self.package_dir / file).read_text(encoding="utf-8", errors="replace")


def _snippets(lines: SourceLines, deps: list[dict], leave_out_file: str | None) -> list[Snippet]:
    seen, snippets = set(), []
    for dep in deps:
        key = (dep["file"], dep["start_line"], dep["end_line"])
        if dep["file"] == leave_out_file or key in seen:
            continue
        seen.add(key)
        text = lines.span(dep["file"], dep["start_line"], dep["end_line"])
        snippets.append(Snippet(dep["file"], dep["start_line"], text))
    return sorted(snippets, key=lambda s: (s.file, s.start_line))


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
        if granularity in ("function", "both"):
            for function in testable:
                source = lines.span(file, function["start_line"], function["end_line"])
                targets.append(
                    Target(
                        package=package,
                        package_name=name,
                        import_path=import_path,
                        file=file,
                        function=function["name"],
                        granularity="function",
                        source=source,
                        context=_snippets(lines, function["deps"], None),
                        start_line=function["start_line"],
                    )
                )
        if granularity in ("file", "both"):
            if not testable:
                counts.drop("targets", "no_testable_function")
                continue
            deps = [dep for function in testable for dep in function["deps"]]
            targets.append(
                Target(
                    package=package,
                    package_name=name,
                    import_path=import_path,
                    file=file,
                    function=None,
                    granularity="file",
                    source=lines.whole(file),
                    context=_snippets(lines, deps, leave_out_file=file),
                )
            )
    return targets
