"""The prompt template: the only place that says what the model is asked.

A prompt is a list of chat messages (system, user), the form TRL's GRPO trainer takes. The system
prompt says what a good Go test is, in the terms the scorer pays for: it must build and run under
`go test`, pass, and cover the target; the user message shows the code under test and asks for
one fenced Go block holding a complete test file in the same package. The user message shows the
target whole, the imports of its file, and the declarations of its package that `dataset.context`
chose to fit the token budget.
"""

from __future__ import annotations

from dataset.targets import CONSTRUCTOR, ROLES, TRANSITIVE, USES, Snippet, Target

SYSTEM_PROMPT = """\
You are an experienced Go engineer who writes unit tests.

A good Go test:
- is a complete _test.go file in the same package as the code under test, so that it can call \
unexported functions and read unexported fields;
- builds with `go test` as it is, including its default `go vet` checks, and imports only the \
standard library and modules the package already uses;
- is table-driven where there are several cases: a slice of named cases run with `t.Run`;
- checks results and errors explicitly with `t.Errorf` or `t.Fatalf`, printing what it got and \
what it wanted;
- exercises every branch: normal inputs, edge cases (zero values, empty and nil inputs, \
boundaries) and error paths;
- is deterministic and fast: no sleeping, no network, no files outside t.TempDir(), no \
dependence on the clock or on randomness unless the code lets the test inject them.

Reply with the test file in one ```go fenced block and nothing else."""


# The heading of each role's block of declarations, for a function target and a file target.
HEADINGS = {
    USES: (
        "The declarations of its package that it uses:",
        "The declarations of its package that its functions use:",
    ),
    CONSTRUCTOR: (
        "The functions of its package that make its receiver's and parameters' types:",
        "The functions of its package that make its functions' receivers and parameters:",
    ),
    TRANSITIVE: ("What those declarations use in turn:", "What those declarations use in turn:"),
}


def _code_block(text: str) -> str:
    return f"```go\n{text.rstrip()}\n```"


def _context_block(snippets: list[Snippet]) -> str:
    parts, current = [], None
    for snippet in sorted(snippets, key=lambda s: (s.declaration.file, s.declaration.start_line)):
        if snippet.declaration.file != current:
            parts.append(f"// {snippet.declaration.file}")
            current = snippet.declaration.file
        parts.append(snippet.text.rstrip())
    return _code_block("\n\n".join(parts))


def user_message(target: Target, context: list[Snippet], imports: bool = True) -> str:
    """The user message: the target whole, then the imports and context chosen for it.

    Each role's declarations form one block, in source order, the blocks in order of role.
    """
    where = f"package `{target.package_name}` (import path `{target.import_path}`)"
    if target.function is not None:
        what = f"the function `{target.function}` of {where}, from the file `{target.file}`"
        code_intro = "The function:"
    else:
        what = f"the functions of the file `{target.file}` of {where}"
        code_intro = f"The file `{target.file}`:"
    parts = [f"Write unit tests for {what}."]
    if imports and target.imports:
        parts += [f"The imports of `{target.file}`:", _code_block(target.imports)]
    parts += [code_intro, _code_block(target.source)]
    for role in ROLES:
        shown = [s for s in context if s.declaration.role == role]
        if shown:
            parts += [HEADINGS[role][target.function is None], _context_block(shown)]
    parts.append(
        f"Write the complete test file, starting with `package {target.package_name}`, "
        "in one ```go block."
    )
    return "\n\n".join(parts)


def prompt_messages(
    target: Target, context: list[Snippet], imports: bool = True
) -> list[dict[str, str]]:
    """The chat messages for one target, showing the given context (dataset.context chooses)."""
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user_message(target, context, imports)},
    ]
