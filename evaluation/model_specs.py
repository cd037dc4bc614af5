"""Which models an evaluation compares: `name=path` specs, checked before any model loads.

A path is a folder that `save_pretrained` wrote (config.json), a LoRA adapter folder that PEFT
wrote (adapter_config.json; its base model is read from it), or a hub id (`owner/name`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from common.errors import UserError
from common.prerequisites import is_hub_id


class ModelSpecError(UserError, ValueError):
    """A model that cannot be evaluated: the message says which and why, in one line."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    path: str
    # For a LoRA adapter: the model it adapts (from adapter_config.json); None for a full model.
    base_path: str | None = None

    @property
    def is_adapter(self) -> bool:
        return self.base_path is not None


def _check_full_model(path: str, what: str) -> None:
    folder = Path(path)
    if folder.exists():
        if not (folder / "config.json").is_file():
            raise ModelSpecError(f"{what} {path} is not a model folder (no config.json)")
    elif not is_hub_id(path):
        raise ModelSpecError(f"{what} {path} does not exist")


def resolve(spec: str) -> ModelSpec:
    """`name=path` or `path` (named after its folder) → a checked ModelSpec."""
    name, path = spec.split("=", 1) if "=" in spec else ("", spec)
    path = path.strip()
    name = name.strip() or Path(path.rstrip("/")).name
    if not path:
        raise ModelSpecError(f"model {spec!r} has no path (expected name=path or path)")
    folder = Path(path)
    adapter_config = folder / "adapter_config.json"
    if adapter_config.is_file():
        base = json.loads(adapter_config.read_text()).get("base_model_name_or_path")
        if not base:
            raise ModelSpecError(f"adapter {path} does not name its base model")
        _check_full_model(base, f"the base model of adapter {path},")
        return ModelSpec(name=name, path=path, base_path=base)
    _check_full_model(path, "model")
    return ModelSpec(name=name, path=path)


def resolve_all(specs: list[str]) -> list[ModelSpec]:
    models = [resolve(spec) for spec in specs]
    names = [m.name for m in models]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ModelSpecError(
            f"two models are named {', '.join(duplicates)}: name them, as name=path"
        )
    return models


def fingerprint(spec: ModelSpec) -> str | None:
    """Names, sizes and modification times of a local model's files (an adapter's and its base's).

    Cheap to take however large the weights, and it changes when a folder is rebuilt or trained
    again; None for a hub id, which names its weights.
    """
    digest = hashlib.sha256()
    local = False
    for path in filter(None, [spec.path, spec.base_path]):
        folder = Path(path)
        if not folder.is_dir():
            continue
        local = True
        for file in sorted(f for f in folder.iterdir() if f.is_file()):
            stat = file.stat()
            digest.update(f"{file.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest() if local else None
