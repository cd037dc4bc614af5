"""Prompt length in tokens, the measure of the token limit (see dataset.context for its use).

With `--tokenizer PATH` (a tokenizer folder as saved by transformers, or a tokenizer.json) the
count is exact: the chat template applied with the generation prompt when the tokenizer has one,
else the messages' text. Without one, the count is an estimate: one token per three bytes of
UTF-8, which is more than code tokenizers produce, so the estimate errs towards dropping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from common.errors import UserError

BYTES_PER_TOKEN_ESTIMATE = 3
# Role markers and separators that a chat template adds around each message.
TOKENS_PER_MESSAGE_ESTIMATE = 4


class TokenizerError(UserError):
    """The tokenizer cannot be loaded; the message is one line for the user."""


def chat_prompt_tokens(tokenizer, messages: list[dict[str, str]]) -> int:
    """The tokens of a conversation as a transformers tokenizer's chat template prompts for the
    next answer (the generation prompt included)."""
    ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
    if isinstance(ids, Mapping):  # transformers 5 returns a BatchEncoding: len() is its key count
        ids = ids["input_ids"]
    return len(ids)


class TokenCounter:
    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._tokenizer = None  # loaded on first use, in the worker process that counts
        self._kind = "estimate"
        if path is not None and not Path(path).exists():
            raise TokenizerError(f"tokenizer {path} not found (a folder or a tokenizer.json)")

    @property
    def description(self) -> str:
        if self.path is None:
            return f"estimate ({BYTES_PER_TOKEN_ESTIMATE} bytes per token)"
        return f"tokenizer {self.path}"

    def _load(self) -> None:
        if self._tokenizer is not None or self.path is None:
            return
        path = Path(self.path)
        try:
            if path.is_dir():
                from transformers import AutoTokenizer

                self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
                self._kind = "transformers"
            else:
                from tokenizers import Tokenizer

                self._tokenizer = Tokenizer.from_file(str(path))
                self._kind = "tokenizers"
        except Exception as err:  # each library raises its own kinds for a bad file
            raise TokenizerError(f"cannot load tokenizer {path}: {err}") from None

    def count_text(self, text: str) -> int:
        """The tokens of a piece of a message: what adding it to a prompt costs, about."""
        self._load()
        if self._tokenizer is None:
            return math.ceil(len(text.encode()) / BYTES_PER_TOKEN_ESTIMATE)
        if self._kind == "transformers":
            return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def count(self, messages: list[dict[str, str]]) -> int:
        self._load()
        if self._tokenizer is None:
            size = sum(len(m["content"].encode()) for m in messages)
            overhead = TOKENS_PER_MESSAGE_ESTIMATE * len(messages)
            return math.ceil(size / BYTES_PER_TOKEN_ESTIMATE) + overhead
        if self._kind == "transformers":
            if getattr(self._tokenizer, "chat_template", None):
                return chat_prompt_tokens(self._tokenizer, messages)
            text = "\n".join(f"{m['role']}: {m['content']}" for m in messages)
            return len(self._tokenizer(text)["input_ids"])
        text = "\n".join(f"{m['role']}: {m['content']}" for m in messages)
        return len(self._tokenizer.encode(text).ids)
