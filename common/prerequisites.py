"""What the real runs need before they start, each missing piece named with the command that
makes it.

`python train.py` and `python eval.py` with no arguments run the real recipes (the design card's
bare commands). They need the real repos' dataset built, a GPU (and vLLM for training), a scorer
(checked in the scripts, before any model loads) and the hub for the base model; where one is
missing they stop with one line that names it and how to make it, instead of a traceback from
deep inside a library.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

from common.errors import UserError
from dataset.real import LISTING

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def build_dataset_command(out: str) -> str:
    return (
        f"python -m dataset.build --listing {LISTING} --source goproxy "
        f"--out {out} --repos-dir data/repos --workers 2"
    )


def is_hub_id(name: str) -> bool:
    """`owner/name` that is not a local path (`data/run` matches too, when `data/` exists)."""
    return bool(HUB_ID.match(name)) and not Path(name.split("/")[0]).exists()


def hub_hint(name: str) -> str:
    """What to add to a model's load failure when the model was to come from the hub."""
    if not is_hub_id(name):
        return ""
    return (
        f" (it comes from the hub: where the hub is reachable, fetch it with `hf download {name}`)"
    )


def read_recipe(recipe: Path) -> dict:
    return yaml.safe_load(recipe.read_text()) or {}


def require_dataset(name: str) -> None:
    if not Path(name).exists():
        raise UserError(
            f"no dataset at {name} (the real repos' rows): build it with "
            f"`{build_dataset_command(name)}`"
        )


def require_gpu(recipe: Path) -> None:
    import torch

    if not torch.cuda.is_available():
        raise UserError(
            f"no CUDA GPU here, and {recipe.name} runs on GPUs: run it on a GPU machine, or the "
            "whole job on the CPU with `make demo`"
        )


def check_real_training(recipe: Path) -> None:
    """What `python train.py` needs before its recipe is even parsed (it asks for bf16 on GPUs)."""
    config = read_recipe(recipe)
    require_dataset(config["dataset_name"])
    require_gpu(recipe)
    if config.get("use_vllm") and importlib.util.find_spec("vllm") is None:
        raise UserError(
            f"vllm is not installed, and {recipe.name} generates with it: "
            "`pip install vllm deepspeed` on the GPU machine"
        )


def check_real_evaluation(recipe: Path) -> None:
    """What `python eval.py` needs: the dataset, train.py's model, a GPU."""
    config = read_recipe(recipe)
    require_dataset(config["dataset_name"])
    for spec in config["models"]:
        path = spec.split("=", 1)[-1]
        if not is_hub_id(path) and not Path(path).exists():
            raise UserError(f"no trained model at {path}: train it with `python train.py`")
    require_gpu(recipe)
