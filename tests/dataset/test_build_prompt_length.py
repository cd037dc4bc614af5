"""Prompts over --max-prompt-tokens: shortened around their target, dropped only when the target
alone is over."""

from __future__ import annotations

from pathlib import Path

from dataset.tokens import TokenCounter
from tests.dataset.builds import all_rows, run_build
from tests.sample import SAMPLE_REPOS


def small_tokenizer(path: Path) -> Path:
    """A word-level tokenizer trained on the sample's Go code: real token counts, no hub."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(special_tokens=["[UNK]"], vocab_size=2000)
    files = [str(p) for p in SAMPLE_REPOS.rglob("*.go")]
    tokenizer.train(files, trainer)
    tokenizer.save(str(path))
    return path


def bare_user_message(user: str) -> str:
    """The user message of a full prompt without its imports and context: the target alone."""
    intro = next(m for m in ("\n\nThe function:\n\n", "\n\nThe file `") if m in user)
    first = user[: user.index("\n\n")]
    target_part = user[user.index(intro) + 2 :]
    block_end = target_part.index("\n```\n\n", target_part.index("```go\n")) + len("\n```")
    last = user[user.rindex("\n\nWrite the complete test file") + 2 :]
    return "\n\n".join([first, target_part[:block_end], last])


def test_prompts_over_the_token_limit_keep_the_target_and_only_lone_targets_over_it_drop(tmp_path):
    tokenizer = small_tokenizer(tmp_path / "tokenizer.json")
    run_build(
        tmp_path / "all",
        tmp_path / "repos",
        "--tokenizer",
        str(tokenizer),
        "--max-prompt-tokens",
        "100000",
    )
    unlimited = {r["id"]: r for r in all_rows(tmp_path / "all")}
    lengths = sorted(r["prompt_tokens"] for r in unlimited.values())
    limit = lengths[len(lengths) // 4]
    report = run_build(
        tmp_path / "cut",
        tmp_path / "repos2",
        "--tokenizer",
        str(tokenizer),
        "--max-prompt-tokens",
        str(limit),
    )
    kept = {r["id"]: r for r in all_rows(tmp_path / "cut")}
    counter = TokenCounter(str(tokenizer))
    shortened = 0
    for row_id, row in unlimited.items():
        system, user = row["prompt"][0], row["prompt"][1]["content"]
        bare = bare_user_message(user)
        alone = counter.count([system, {"role": "user", "content": bare}])
        if row["prompt_tokens"] <= limit:
            assert kept[row_id] == row  # the very same prompt
        elif alone > limit:
            assert row_id not in kept  # the only targets dropped for length
        else:
            shorter = kept[row_id]
            assert shorter["prompt_tokens"] <= limit
            assert bare_user_message(shorter["prompt"][1]["content"]) == bare  # target whole
            shortened += 1
    assert shortened > 0 and len(kept) < len(unlimited)
    too_long = len(unlimited) - len(kept)
    assert report["stages"]["targets"]["dropped"]["prompt_too_long"] == too_long
    assert report["prompt_length"] == f"tokenizer {tokenizer}"
