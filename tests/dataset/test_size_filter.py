"""A package with more Go source than a scored build can compile is dropped as `too_large`."""

from __future__ import annotations

from dataset.filters import MAX_PACKAGE_SOURCE_BYTES, judge_files
from tests.dataset.builds import all_rows, build_repo, decisions_of

SMALL = """package table

var rows = []int{1, 2, 3}

// Size is the table's size.
func Size() int { return len(rows) }
"""


def padded(name: str, size: int) -> str:
    """A Go file of the package, exactly size bytes, padded with comment lines (cheap to parse)."""
    head = f"package {name}\n\n"
    line = "// " + "x" * 76 + "\n"
    body = line * ((size - len(head)) // len(line))
    return head + body + " " * (size - len(head) - len(body))


def test_the_source_size_limit_counts_the_built_files_only(tmp_path):
    (tmp_path / "table.go").write_text(SMALL)
    rest = MAX_PACKAGE_SOURCE_BYTES - len(SMALL)
    (tmp_path / "data.go").write_text(padded("table", rest))
    # The package's own tests are left out of a scored build: their size does not count.
    (tmp_path / "data_test.go").write_text(padded("table", 1 << 20))
    assert judge_files(str(tmp_path)).problem is None  # exactly at the limit

    (tmp_path / "more.go").write_text("package table\n")
    reason, detail = judge_files(str(tmp_path)).problem
    assert reason == "too_large"
    assert detail == f"16.0 MB of Go source, over {MAX_PACKAGE_SOURCE_BYTES >> 20} MB"


def test_a_build_drops_a_too_large_package_and_keeps_the_others(tmp_path):
    files = {
        "go.mod": "module example.com/tables\n\ngo 1.22\n",
        "small/table.go": SMALL,
        "huge/table.go": SMALL.replace("package table", "package huge"),
        "huge/data.go": padded("huge", MAX_PACKAGE_SOURCE_BYTES),
    }
    out = build_repo(tmp_path, "owner/tables", files).out
    decisions = decisions_of(out)
    packages = {d["name"]: d["reason"] for d in decisions if d["stage"] == "packages"}
    assert packages == {"small": None, "huge": "too_large"}
    files_decided = {d["name"]: d["reason"] for d in decisions if d["stage"] == "files"}
    assert files_decided["huge/data.go"] == "package_too_large"
    assert {r["package"] for r in all_rows(out)} == {"small"}
