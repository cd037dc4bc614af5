"""Errors a user reads: one line, never a traceback.

Every mistake in a user's arguments or inputs (a dataset without its split, a model that does
not exist, a bad flag) is a UserError, or a subclass that says which kind; the scripts' entry
points catch UserError alone and print `script: message`.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the arguments or inputs: reported in one line, never as a traceback."""


def first_line(error: BaseException | str) -> str:
    """The first non-blank line of an error or its text; an error without text gives its type.

    Libraries raise messages of many lines (a tokenizer's, a hub's, go's): the first says what
    went wrong, the rest is for a log.
    """
    text = str(error)
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not line and isinstance(error, BaseException):
        return type(error).__name__
    return line
