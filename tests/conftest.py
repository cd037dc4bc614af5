"""Shared fixtures: the bundled sample repos, hashed before and after the whole session."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.sample import SAMPLE, SAMPLE_REPOS, tree_digest


@pytest.fixture(scope="session", autouse=True)
def sample_repos_unchanged():
    before = tree_digest(SAMPLE_REPOS)
    yield
    assert tree_digest(SAMPLE_REPOS) == before, "a test run changed the sample repos on disk"


@pytest.fixture
def sample_unchanged_by_each_test():
    """Per test, for the modules that score the sample in place (their pytestmark uses it)."""
    before = tree_digest(SAMPLE_REPOS)
    yield
    assert tree_digest(SAMPLE_REPOS) == before, "this test changed the sample repos on disk"


# Shared by the training and evaluation tests: the sample built into rows, a scorer over its
# repos, and a tiny random model whose tokenizer is trained on the sample's Go code.


@pytest.fixture(scope="session")
def sample_dataset() -> tuple[Path, Path]:
    """(dataset folder, repos root) of one build of the sample.

    Outside pytest's private temp folder: the scorer's sandbox reads the repos as `nobody`.
    """
    from dataset import build

    base = Path(tempfile.mkdtemp(prefix="gotestrl-sample-"))
    base.chmod(0o755)
    out, repos = base / "dataset", base / "repos"
    args = [f"--listing={SAMPLE / 'listing.jsonl'}", "--source=dir", f"--out={out}"]
    assert build.main([*args, f"--repos-dir={repos}"]) == 0
    yield out, repos
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def sample_scorer(sample_dataset):
    from scoring.local_server import LocalScoringServer

    _, repos = sample_dataset
    with LocalScoringServer(repos, warmup="false", timeout_s="10") as server:
        yield server


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, sample_dataset) -> Path:
    """A randomly initialised model of a few hundred thousand parameters, saved like any model."""
    from scripts.tiny_model import TinyModelConfig, new_model, train_tokenizer

    _, repos = sample_dataset
    corpus = [path.read_text() for path in sorted(repos.rglob("*.go"))]
    tokenizer = train_tokenizer(corpus, vocab_size=1024)
    model = new_model(tokenizer, TinyModelConfig(hidden_size=64, layers=2, heads=2))
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    out = tmp_path_factory.mktemp("tiny-model")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
