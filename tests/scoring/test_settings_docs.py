"""docs/scoring-api.md's settings table names every SCORING_* setting with its real default."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import SecretStr

from scoring.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "scoring-api.md"
PREFIX = Settings.model_config["env_prefix"]


def documented() -> dict[str, str]:
    """variable -> its default cell, from the table under `## Settings`."""
    section = DOC.read_text(encoding="utf-8").split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(rf"`{PREFIX}\w+`", cells[0]):
            assert cells[0].strip("`") not in rows, f"{cells[0]} documented twice"
            rows[cells[0].strip("`")] = cells[-1]
    return rows


def code_default(name: str) -> str:
    """A field's default as the table writes it."""
    field = Settings.model_fields[name]
    if field.default_factory is not None:
        assert field.default_factory() == (os.cpu_count() or 1)
        return "CPU cores"
    value = field.default
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"{value:g}"
    return f"`{getattr(value, 'value', value)}`"


def test_every_setting_is_documented_once_and_nothing_else():
    variables = {f"{PREFIX}{name}".upper() for name in Settings.model_fields}
    assert set(documented()) == variables


def test_every_documented_default_is_the_code_default():
    rows = documented()
    for name in Settings.model_fields:
        variable = f"{PREFIX}{name}".upper()
        assert rows[variable] == code_default(name), variable
