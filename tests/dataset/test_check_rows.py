"""dataset.check_rows: every row of the sample scores a trivial test; a broken package is named."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from dataset import check_rows


@pytest.mark.slow
def test_every_sample_row_builds_and_runs_and_a_broken_package_is_reported(sample_dataset, capsys):
    out, repos = sample_dataset
    report_path = Path(tempfile.mkdtemp(prefix="check-rows-")) / "report.json"
    every = ["--dataset", str(out), "--sample", "0", "--report", str(report_path)]
    assert check_rows.main(every) == 0
    report = json.loads(report_path.read_text())
    assert report["rows"] > 0 and report["rows_ok"] == report["rows"] and report["failures"] == []
    assert "(100.0%) build and run a test" in capsys.readouterr().out

    # The same rows over a copy of the repos in which one package no longer compiles.
    base = Path(tempfile.mkdtemp(prefix="check-rows-repos-"))
    base.chmod(0o755)  # the sandbox reads the repos as another user
    try:
        broken = base / "repos"
        shutil.copytree(repos, broken)
        lexer = broken / "gotest-sample" / "inilex" / "lexer.go"
        lexer.write_text(lexer.read_text() + "\nfunc broken() { return 1 }\n")
        args = ["--dataset", str(out), "--repos-dir", str(broken), "--sample", "0"]
        assert check_rows.main([*args, "--report", str(report_path)]) == 1
        report = json.loads(report_path.read_text())
        assert [(f["repo"], f["package"], f["status"]) for f in report["failures"]] == [
            ("gotest-sample/inilex", ".", "build_failed")
        ]
        inilex = report["failures"][0]["rows"]
        assert inilex > 0 and report["rows_ok"] == report["rows"] - inilex
        assert "build_failed" in capsys.readouterr().out
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_missing_dataset_is_one_line(tmp_path, capsys):
    assert check_rows.main(["--dataset", str(tmp_path / "none")]) == 2
    assert "not found" in capsys.readouterr().err
