"""eval.py's arguments: one dataclass, every field with its help, checked when parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from evaluation.formulas import DEFAULT_FORMULA, check_formula
from evaluation.generation import BACKENDS
from scoring.client import scorer_urls

DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass
class EvalArguments:
    # Models
    models: list[str] = field(
        default_factory=list,
        metadata={
            "help": "Models to compare, base first: name=path or path (named after the folder). "
            "A save_pretrained folder, a LoRA adapter folder, or a hub id."
        },
    )
    backend: str = field(
        default="auto",
        metadata={"help": "auto (vLLM if installed and a GPU is present), transformers, vllm."},
    )
    dtype: str = field(
        default="auto",
        metadata={"help": "Weights' dtype: auto (bfloat16 on GPU, float32 on CPU), float32, ..."},
    )
    trust_remote_code: bool = field(
        default=False, metadata={"help": "Let transformers run the model's own code."}
    )
    vllm_gpu_memory_utilization: float = field(
        default=0.9, metadata={"help": "Share of GPU memory vLLM may take."}
    )
    # Data
    dataset_name: str | None = field(
        default=None,
        metadata={"help": "A folder from `python -m dataset.build` (save_to_disk) or a hub id."},
    )
    dataset_config: str | None = field(
        default=None, metadata={"help": "The hub dataset's configuration, if it has several."}
    )
    dataset_split: str = field(default="test", metadata={"help": "The split to evaluate on."})
    max_targets: int | None = field(
        default=None, metadata={"help": "Evaluate the first N rows of the split only."}
    )
    # Generation
    num_samples: int = field(
        default=1, metadata={"help": "Samples per target, k (1: greedy decoding)."}
    )
    temperature: float = field(
        default=0.8, metadata={"help": "Sampling temperature when num_samples > 1."}
    )
    top_p: float = field(default=1.0, metadata={"help": "Nucleus sampling when num_samples > 1."})
    max_new_tokens: int = field(default=512, metadata={"help": "Longest completion, in tokens."})
    batch_size: int = field(
        default=8, metadata={"help": "Prompts generated at once (and scored per request)."}
    )
    fix_turn: bool = field(
        default=False,
        metadata={
            "help": "Send tests that did not build or failed back to the model with the "
            "scorer's output, and score its second answer too (reported separately)."
        },
    )
    # Scoring
    scorer_urls: list[str] = field(
        default_factory=lambda: scorer_urls(),
        metadata={"help": "Scoring servers, checked before any model loads. Env: SCORING_URLS."},
    )
    reward_formula: str = field(
        default=DEFAULT_FORMULA,
        metadata={
            "help": "The formula of the reported reward (its interval, the paired differences): "
            "coverage, coverage_mutation or mutation (scoring/reward.py)."
        },
    )
    measure_mutation: bool = field(
        default=True,
        metadata={
            "help": "Have the scorer measure each sample's mutation score (its mutants run), "
            "so that the report gives it and the reward under every formula."
        },
    )
    # Logs and report
    run_name: str | None = field(
        default=None,
        metadata={
            "help": "The run's folder under logs_dir (default: from the models, dataset, split "
            "and k, so that the same command resumes the same run)."
        },
    )
    logs_dir: str = field(default="logs/eval", metadata={"help": "Runs go to LOGS_DIR/<run>/."})
    overwrite: bool = field(
        default=False,
        metadata={"help": "Start the run afresh: its logs are removed once the inputs check out."},
    )
    seed: int = field(default=0, metadata={"help": "Seed of sampling and of the bootstrap."})
    bootstrap_resamples: int = field(
        default=2000, metadata={"help": "Resamples of the bootstrap intervals."}
    )

    def __post_init__(self):
        if isinstance(self.models, str):
            self.models = [self.models]
        if not self.models:
            raise ValueError("models is empty: give at least one, e.g. --models base=path/to/model")
        if self.dataset_name is None:
            raise ValueError("dataset_name is required: a folder from `python -m dataset.build`")
        self.scorer_urls = scorer_urls(self.scorer_urls)
        check_formula(self.reward_formula)
        if self.num_samples < 1:
            raise ValueError(f"num_samples must be 1 or more, not {self.num_samples}")
        if self.num_samples > 1 and self.temperature <= 0:
            raise ValueError("temperature must be above 0 to draw several samples (num_samples)")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], not {self.top_p}")
        for name in ("max_new_tokens", "batch_size", "bootstrap_resamples"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be 1 or more, not {getattr(self, name)}")
        if self.max_targets is not None and self.max_targets < 1:
            raise ValueError(f"max_targets must be 1 or more, not {self.max_targets}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if self.run_name is not None and not re.fullmatch(r"[\w.=+-]+", self.run_name):
            raise ValueError(f"run_name {self.run_name!r} must be a plain folder name")
