"""dataset/dataset.ipynb runs from top to bottom, as Jupyter would run it, on the sample."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from tests.sample import ROOT

NOTEBOOK = ROOT / "dataset" / "dataset.ipynb"


@pytest.mark.slow
def test_the_dataset_notebook_runs_top_to_bottom(tmp_path, monkeypatch):
    monkeypatch.setenv("DATASET_NOTEBOOK_OUT", str(tmp_path / "notebook"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    # Jupyter starts a notebook in its own folder; a failing cell raises CellExecutionError.
    client = NotebookClient(notebook, timeout=300, kernel_name="python3")
    client.execute(cwd=str(NOTEBOOK.parent))
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "refused: path_escape" in text
    assert "no_go_mod" in text
    assert "----- user -----" in text and "File.Bool" in text
    # The prompt over a smaller budget: the target whole, a function by its signature.
    assert "// body omitted" in text and "left out" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the plot was not drawn"
    assert (tmp_path / "notebook" / "dataset" / "dataset_dict.json").exists()
