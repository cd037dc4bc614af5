"""common: one-line errors and files written whole."""

from __future__ import annotations

import json

import pytest

from common import files
from common.errors import UserError, first_line
from evaluation.generation import ModelLoadError
from evaluation.model_specs import ModelSpecError
from exp.runner import ExperimentError
from scoring.client import NoHealthyScorer, ScoringError


def test_first_line_is_the_first_non_blank_line_or_the_type():
    assert first_line(OSError("\n  no such file: x  \n  Traceback of the library\n")) == (
        "no such file: x"
    )
    assert first_line(ValueError()) == "ValueError"
    assert first_line("go: module x: not found\nmore") == "go: module x: not found"
    assert first_line("") == ""


def test_the_kinds_of_one_line_error_are_user_errors():
    # A script's entry point catches UserError alone; each kind keeps its builtin base too.
    assert issubclass(ModelSpecError, UserError) and issubclass(ModelSpecError, ValueError)
    assert issubclass(ModelLoadError, UserError) and issubclass(ModelLoadError, RuntimeError)
    assert issubclass(NoHealthyScorer, UserError) and issubclass(NoHealthyScorer, ScoringError)
    assert issubclass(ExperimentError, UserError) and issubclass(ExperimentError, RuntimeError)


def test_a_json_file_is_replaced_whole_and_synced(tmp_path, monkeypatch):
    path = tmp_path / "deeper" / "summary.json"
    files.write_json_atomic(path, {"a": 1, "name": "ü"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": 1, "name": "ü"}
    synced = []
    real_fsync = files.os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    files.write_json_atomic(path, {"a": 2})
    assert synced and json.loads(path.read_text()) == {"a": 2}
    assert sorted(p.name for p in path.parent.iterdir()) == ["summary.json"]


def test_a_write_that_fails_leaves_the_old_file(tmp_path):
    path = tmp_path / "arguments.json"
    files.write_json_atomic(path, {"kept": True})
    with pytest.raises(TypeError):
        files.write_json_atomic(path, {"not json": object()})
    assert json.loads(path.read_text()) == {"kept": True}
    assert [p.name for p in tmp_path.iterdir()] == ["arguments.json"]
