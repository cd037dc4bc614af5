"""Module checks and package filters on a repo made for them: each module is judged alone."""

from __future__ import annotations

import pytest

from dataset.tokens import TokenCounter
from tests.dataset.builds import all_rows, build_repo, decisions_of

GOOD = {
    "go.mod": "module example.com/multi\n\ngo 1.22\n",
    "calc.go": "package multi\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n",
    # A package that parses but does not type-check.
    "typed/typed.go": 'package typed\n\nvar n int = "not a number"\n\nfunc N() int { return n }\n',
    # A module whose requirement cannot be resolved (the proxy is off in this test).
    "unresolved/go.mod": "module example.com/multi/unresolved\n\ngo 1.22\n\n"
    "require example.invalid/nothing v1.0.0\n",
    "unresolved/u.go": "package unresolved\n\nfunc U() int { return 1 }\n",
    # A go.mod that does not parse.
    "broken/go.mod": "module example.com/multi/broken\n\ngo 1.22\n\nrequire (\n",
    "broken/b.go": "package broken\n\nfunc B() int { return 2 }\n",
    # A local replacement that leaves the repo, into whatever sits beside it in the repos root.
    "escapes/go.mod": "module example.com/multi/escapes\n\ngo 1.22\n\n"
    "require example.com/other v0.0.0\n\nreplace example.com/other => ../../../other\n",
    "escapes/e.go": "package escapes\n\nfunc E() int { return 3 }\n",
}


@pytest.fixture
def multi(tmp_path, monkeypatch):
    monkeypatch.setenv("GOPROXY", "off")  # offline: the unresolved requirement fails at once
    return build_repo(tmp_path, "owner/multi", GOOD).out


def test_each_module_is_judged_alone(multi):
    modules = {d["name"]: d for d in decisions_of(multi) if d["stage"] == "check_modules"}
    assert {name: d["reason"] for name, d in modules.items()} == {
        ".": None,
        "broken": "go_mod_invalid",
        "escapes": "replace_outside_repo",
        "unresolved": "deps_unresolved",
    }
    assert "example.invalid/nothing" in modules["unresolved"]["detail"]
    files = {d["name"]: d["reason"] for d in decisions_of(multi) if d["stage"] == "files"}
    assert files["broken/b.go"] == files["unresolved/u.go"] == "in_dropped_module"


def test_a_package_that_does_not_type_check_is_dropped(multi):
    decisions = decisions_of(multi)
    typed = [d for d in decisions if d["stage"] == "packages" and d["name"] == "typed"]
    assert [d["reason"] for d in typed] == ["type_error"]
    assert "typed.go:3" in typed[0]["detail"]
    files = {d["name"]: d["reason"] for d in decisions if d["stage"] == "files"}
    assert files["typed/typed.go"] == "package_type_error"
    # The good module still gives its rows.
    rows = all_rows(multi)
    assert {(r["package"], r["target_function"]) for r in rows} == {(".", "Add"), (".", None)}


def test_a_tokenizer_folder_counts_with_its_chat_template(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(["a", "b", "c", "system", "user"])}}
    inner = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    inner.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=inner, unk_token="[UNK]")
    tokenizer.chat_template = "{% for m in messages %}{{ m.role }} {{ m.content }} {% endfor %}"
    tokenizer.save_pretrained(tmp_path / "tok")
    messages = [{"role": "system", "content": "a b"}, {"role": "user", "content": "c c c"}]
    # system a b user c c c: seven words, one token each.
    assert TokenCounter(str(tmp_path / "tok")).count(messages) == 7


def test_the_estimate_without_a_tokenizer_errs_towards_more_tokens():
    messages = [{"role": "user", "content": "x" * 300}]
    assert TokenCounter().count(messages) >= 100
