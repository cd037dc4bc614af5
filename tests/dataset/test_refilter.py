"""dataset.refilter drops, in place, the rows of packages that this version's filters drop."""

from __future__ import annotations

import json
import shutil

import pytest

from dataset import refilter
from dataset.filters import MAX_PACKAGE_SOURCE_BYTES
from tests.dataset.builds import all_rows, build_repo, decisions_of
from tests.dataset.test_size_filter import padded


def small(name: str) -> str:
    return f"package {name}\n\n// Twice doubles n.\nfunc Twice(n int) int {{ return 2 * n }}\n"


FILES = {
    "go.mod": "module example.com/three\n\ngo 1.22\n",
    "keep/keep.go": small("keep"),
    "huge/huge.go": small("huge"),
    "gone/gone.go": small("gone"),
}


@pytest.fixture
def built(tmp_path):
    built = build_repo(tmp_path, "owner/three", FILES)
    return built.out, built.repo


def test_rows_of_packages_that_fail_now_are_dropped_with_their_reason(built, capsys):
    out, repo = built
    before = all_rows(out)
    assert {r["package"] for r in before} == {"keep", "huge", "gone"}
    # After the build: one package grows past the size limit, one folder disappears.
    (repo / "huge" / "table.go").write_text(padded("huge", MAX_PACKAGE_SOURCE_BYTES))
    shutil.rmtree(repo / "gone")

    assert refilter.main(["--dataset", str(out)]) == 0
    assert "3 packages checked" in capsys.readouterr().out
    after = all_rows(out)
    assert {r["package"] for r in after} == {"keep"}
    assert after == [r for r in before if r["package"] == "keep"]
    counts = json.loads((out / "counts.json").read_text())
    assert sum(counts["splits"].values()) == len(after)
    (report,) = counts["refilter"]
    per_package = {p: sum(r["package"] == p for r in before) for p in ("huge", "gone")}
    assert report["rows_dropped"] == {
        "too_large": per_package["huge"],
        "not_on_disk": per_package["gone"],
    }
    assert report["packages_dropped"] == {"too_large": 1, "not_on_disk": 1}
    dropped = {d["name"]: d for d in decisions_of(out) if d.get("refilter")}
    assert {name: d["reason"] for name, d in dropped.items()} == {
        "huge": "too_large",
        "gone": "not_on_disk",
    }
    assert dropped["huge"]["detail"].endswith(f"over {MAX_PACKAGE_SOURCE_BYTES >> 20} MB")

    # A second run finds nothing more and leaves the dataset as it is.
    written = {p: p.read_bytes() for p in (out / "counts.json", out / "decisions.jsonl")}
    assert refilter.main(["--dataset", str(out)]) == 0
    assert "0 of" in capsys.readouterr().out
    assert all_rows(out) == after
    assert {p: p.read_bytes() for p in written} == written


def test_a_folder_that_is_not_a_dataset_is_one_line(tmp_path, capsys):
    assert refilter.main(["--dataset", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("refilter: error:") and err.count("\n") == 1
