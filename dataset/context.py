"""What a target's prompt shows of its package within the token budget.

The target is always shown whole; a target whose own prompt (without any context) is over the
budget is the only one dropped (`prompt_too_long`). The rest of the budget goes, in order of use
to a test writer, to:

1. the imports of the target's file;
2. the declarations the target uses directly, each whole, or a function by its signature when
   its whole text does not fit;
3. the constructors of its receiver's and parameters' types, by their signatures (doc comments
   included);
4. the declarations those use in turn, nearest first, each whole or by its signature.

A declaration is never cut in the middle: it is shown whole, shortened to its signature with a
`// body omitted` comment, or left out. A prompt whose full context fits is the full prompt.
"""

from __future__ import annotations

from dataclasses import dataclass

from dataset.prompts import HEADINGS, prompt_messages
from dataset.targets import CONSTRUCTOR, Declaration, Snippet, Target
from dataset.tokens import TokenCounter


@dataclass
class FittedPrompt:
    messages: list[dict[str, str]]
    tokens: int
    context: list[Snippet]  # what is shown, in the order it was chosen
    left_out: int  # declarations not shown at all

    @property
    def shortened(self) -> int:
        return sum(s.shortened for s in self.context)

    def summary(self) -> str:
        return (
            f"{self.tokens} tokens; {len(self.context)} declarations shown "
            f"({self.shortened} by signature), {self.left_out} left out"
        )


def _forms(declaration: Declaration) -> list[Snippet]:
    """The ways to show a declaration, most complete first."""
    whole = Snippet(declaration, shortened=False)
    if declaration.signature is None:
        return [whole]
    signature = Snippet(declaration, shortened=True)
    return [signature] if declaration.role == CONSTRUCTOR else [whole, signature]


def fit_prompt(target: Target, tokens: TokenCounter, max_tokens: int) -> FittedPrompt | None:
    """The prompt of target within max_tokens, or None if the target alone is over it."""
    every = [_forms(d)[0] for d in target.declarations]
    full = prompt_messages(target, every)
    n_full = tokens.count(full)
    if n_full <= max_tokens:
        return FittedPrompt(full, n_full, every, 0)
    bare = prompt_messages(target, [], imports=False)
    n_bare = tokens.count(bare)
    if n_bare > max_tokens:
        return None
    # Greedy by priority, on the cost of each piece alone; the exact count of the whole prompt
    # then decides, taking back the last choices while it is over (token boundaries differ).
    budget = max_tokens - n_bare
    with_imports = False
    if target.imports:
        block = f"The imports of `{target.file}`:\n\n```go\n{target.imports}```\n\n"
        cost = tokens.count_text(block)
        if cost <= budget:
            with_imports, budget = True, budget - cost
    chosen: list[Snippet] = []
    opened: set[str] = set()
    for declaration in target.declarations:
        role = declaration.role
        heading = 0
        if role not in opened:
            heading = tokens.count_text(HEADINGS[role][target.function is None] + "\n\n```go\n```")
        for form in _forms(declaration):
            cost = heading + tokens.count_text(f"// {declaration.file}\n{form.text}\n\n")
            if cost <= budget:
                chosen.append(form)
                opened.add(role)
                budget -= cost
                break
    while True:
        messages = prompt_messages(target, chosen, with_imports)
        n_tokens = tokens.count(messages)
        if n_tokens <= max_tokens:
            left_out = len(target.declarations) - len(chosen)
            return FittedPrompt(messages, n_tokens, chosen, left_out)
        if chosen:
            chosen.pop()
        else:
            with_imports = False  # the bare prompt fits, so this ends the loop
