"""The README's layout names every top-level file and folder of the repo, and only those."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def layout() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def test_the_layout_names_every_top_level_entry():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    top = {path.split("/")[0] for path in tracked} - {".gitignore", "README.md"}
    text = layout()
    missing = [name for name in sorted(top) if not re.search(rf"(^|\s){re.escape(name)}\b", text)]
    assert not missing, f"not in the README's layout: {missing}"


def test_every_entry_of_the_layout_exists():
    names = re.findall(r"^    (\S+)", layout(), flags=re.MULTILINE)
    names += ["requirements.txt", "pyproject.toml"]  # beside the Makefile on the first line
    gone = [name for name in names if not (ROOT / name).exists()]
    assert not gone, f"the README's layout names what is not there: {gone}"
