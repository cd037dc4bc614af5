"""Resuming a run: the same command finds the same run folder, and refuses to mix evaluations.

A run's folder keeps the arguments it started with (arguments.json). Running again with the same
settings resumes it: what samples.jsonl holds is not generated again. Settings that decide what a
sample is, or a model whose files changed since, would put two evaluations in one log: refused.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

from common.errors import UserError
from evaluation.arguments import EvalArguments
from evaluation.model_specs import ModelSpec, fingerprint

# Arguments that decide what a sample is: a run resumed with other values would mix two
# evaluations in one log.
FIXED_ARGUMENTS = (
    "dataset_name",
    "dataset_config",
    "dataset_split",
    "num_samples",
    "temperature",
    "top_p",
    "max_new_tokens",
    "seed",
    "reward_formula",
    "measure_mutation",
)


# Arguments added since runs were first logged: an older run's arguments.json lacks them.
ADDED_LATER = ("reward_formula", "measure_mutation")


def default_run_name(args: EvalArguments, model_names: list[str]) -> str:
    dataset = Path(args.dataset_name.rstrip("/")).name
    name = f"{'-vs-'.join(model_names)}_{dataset}_{args.dataset_split}_k{args.num_samples}"
    return re.sub(r"[^\w.=+-]", "_", name)


def check_resumable(saved: dict | None, args: EvalArguments, models: list[ModelSpec]) -> dict:
    """The run's arguments, its models in order; refuses a resume that would mix evaluations.

    A model whose files changed since the run started (rebuilt, trained again) would be compared
    on samples from two different models: refused too, as is any other generation setting.
    """
    current = {
        **asdict(args),
        "models": {m.name: m.path for m in models},
        "model_fingerprints": {m.name: fingerprint(m) for m in models},
    }
    if saved is None:
        return current
    changed = [
        f"{name}={saved.get(name)!r}, not {current[name]!r}"
        for name in FIXED_ARGUMENTS
        # A run saved before an argument existed ran with its default.
        if saved.get(name, current[name] if name in ADDED_LATER else None) != current[name]
        and not (name == "temperature" and args.num_samples == 1)  # greedy: unused
    ]
    saved_prints = saved.get("model_fingerprints", {})
    for model in models:
        if saved["models"].get(model.name, model.path) != model.path:
            changed.append(f"model {model.name} was {saved['models'][model.name]!r}")
        elif (
            saved_prints.get(model.name, current["model_fingerprints"][model.name])
            != (current["model_fingerprints"][model.name])
        ):
            changed.append(f"model {model.name} as it was then ({model.path} changed since)")
    if changed:
        raise UserError(
            f"this run was started with {'; '.join(changed)}: give another --run_name, "
            "--overwrite to start it again, or the same settings to resume it"
        )
    # Models added to a run are evaluated beside the earlier ones; none is forgotten.
    return {
        **current,
        "models": {**saved["models"], **current["models"]},
        "model_fingerprints": {**saved_prints, **current["model_fingerprints"]},
    }
