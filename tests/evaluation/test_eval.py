"""eval.py end to end on the shared small run (conftest.py): what it logs, prints and summarises,
and the analyzer notebook on its logs.
"""

from __future__ import annotations

import json

from datasets import load_from_disk

from evaluation import logs
from evaluation.fix_turn import needs_fix
from tests.evaluation.eval_run import arguments, copy_run, eval_script, lines
from tests.sample import ROOT

SAMPLE_FIELDS = {"model", "id", "repo", "package", "sample", "turn", "completion", "reward",
                 "status", "tests", "coverage", "assertions", "duration_s", "detail"}  # fmt: skip


# The run -----------------------------------------------------------------------------------------


def test_every_sample_is_logged_scored_and_summarised(small_run):
    _, run_dir, summary, spy = small_run
    records = lines(run_dir)
    first = [r for r in records if r["turn"] == 1]
    assert len({logs.record_key(r) for r in records}) == len(records), "a sample logged twice"
    assert sorted((r["model"], r["sample"]) for r in first) == sorted(
        [(m, s) for m in ("base", "tuned") for s in (0, 1)] * 3
    )
    assert len({r["id"] for r in first}) == 3
    for r in records:
        assert set(r) >= SAMPLE_FIELDS
        assert r["status"] != "error", r["detail"]
        assert isinstance(r["reward"], float) and r["completion_tokens"] <= 48
    assert spy.loads == ["base", "tuned"]
    assert json.loads((run_dir / logs.SUMMARY).read_text()) == json.loads(json.dumps(summary))
    for model in ("base", "tuned"):
        m = summary["metrics"]["turn1"][model]
        assert (m["n"], m["targets"], m["k"], m["errors"]) == (6, 3, 2, 0)
        assert sum(m["status_counts"].values()) == 6
    (pair,) = summary["paired"]["turn1"]
    assert (pair["baseline"], pair["candidate"], pair["targets"]) == ("base", "tuned", 3)


def test_the_two_models_answer_differently(small_run):
    records = lines(small_run[1])
    completions = {
        m: [r["completion"] for r in records if r["model"] == m] for m in ("base", "tuned")
    }
    assert completions["base"] != completions["tuned"]


def test_the_fix_turn_sends_back_what_the_scorer_said(small_run):
    _, run_dir, summary, spy = small_run
    records = lines(run_dir)
    first = {(r["model"], r["id"], r["sample"]): r for r in records if r["turn"] == 1}
    second = [r for r in records if r["turn"] == 2]
    to_fix = [k for k, r in first.items() if needs_fix(r)]
    assert to_fix, "the tiny random model should fail somewhere"
    assert sorted((r["model"], r["id"], r["sample"]) for r in second) == sorted(to_fix)
    fix_prompts = [c for _, c in spy.conversations if len(c) == 4]
    assert len(fix_prompts) == len(second)
    for conversation in fix_prompts:
        answer, verdict = conversation[2]["content"], conversation[3]["content"]
        (earlier,) = [r for r in first.values() if r["completion"] == answer]
        assert earlier["detail"].strip()[:200] in verdict
    assert set(summary["metrics"]) == {"turn1", "after_fix"}
    assert summary["fix_turn"]["base"]["attempted"] == sum(k[0] == "base" for k in to_fix)


def test_the_printed_table(small_run, capsys, tmp_path):
    args, _ = copy_run(small_run, tmp_path)
    eval_script.main(args)
    out = capsys.readouterr().out
    assert "== first answers" in out and "== after the fix turn" in out
    assert "tuned - base: reward" in out and "on 3 shared targets" in out
    header = next(line for line in out.splitlines() if line.startswith("model"))
    for column in ("reward", "95% CI", "build", "run", "all passed", "coverage", "ok@k"):
        assert column in header


def test_a_greedy_answer_does_not_depend_on_its_batch(
    sample_dataset, sample_scorer, tiny_model, tmp_path
):
    # Left padding: with right padding the shorter prompts of a batch would be answered after
    # pad tokens, and differ from the same prompt generated alone.
    answers = {}
    for batch_size in (1, 3):
        args = arguments(sample_dataset[0], sample_scorer, tmp_path, [f"m={tiny_model}"],
                         num_samples=1, max_new_tokens=24, batch_size=batch_size,
                         fix_turn=False, run_name=f"greedy-{batch_size}")  # fmt: skip
        eval_script.main(args)
        answers[batch_size] = [r["completion"] for r in lines(tmp_path / args.run_name)]
    assert len(answers[1]) == 3 and answers[1] == answers[3]
    rows = load_from_disk(str(sample_dataset[0]))["test"].select(range(3))
    assert len(set(rows["prompt_tokens"])) > 1, "the batch needs prompts of different lengths"


# The notebook ------------------------------------------------------------------------------------


def test_the_analyzer_notebook_runs_top_to_bottom_on_the_run(small_run, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    _, run_dir, _, _ = small_run
    monkeypatch.setenv("EVAL_RUN_DIR", str(run_dir))
    notebook = nbformat.read(ROOT / "eval_analyzer.ipynb", as_version=4)
    # A failing cell raises CellExecutionError; Jupyter starts the notebook in the repo root.
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute(cwd=str(ROOT))
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert f"run small: {len(lines(run_dir))} samples of base, tuned" in text
    assert "comparing tuned against base" in text
    assert "summary.json agrees with the samples: True" in text
    for column in ("reward base", "reward tuned", "ratio", "uplift", "all passed tuned"):
        assert column in html
    assert "gotest-sample/inilex" in html  # the per-repo differences
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2, "the distributions, statuses, coverage and per-repo plots"
