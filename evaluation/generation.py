"""Completions for chat prompts: transformers anywhere, vLLM when it is installed and a GPU is here.

    generator = load_generator(spec, Sampling(max_new_tokens=512), backend="auto")
    generations = generator.generate(conversations, seeds)
    generator.close()

Both backends apply the model's chat template with the generation prompt, and stop at the
model's end-of-sequence token or after max_new_tokens (the completion is then `truncated`).
"""

from __future__ import annotations

import gc
import importlib.util
from dataclasses import dataclass
from typing import Protocol

from common.errors import UserError, first_line
from common.prerequisites import hub_hint
from evaluation.model_specs import ModelSpec

BACKENDS = ("auto", "transformers", "vllm")


class ModelLoadError(UserError, RuntimeError):
    """A model or tokenizer that would not load; the message is one line."""


@dataclass(frozen=True)
class Sampling:
    max_new_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    greedy: bool = True


@dataclass(frozen=True)
class Generation:
    text: str
    tokens: int
    truncated: bool


class Generator(Protocol):
    def generate(self, conversations: list[list[dict]], seeds: list[int]) -> list[Generation]: ...

    def close(self) -> None: ...


def vllm_usable() -> bool:
    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return torch.cuda.is_available()


def choose_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "vllm" and not vllm_usable():
        raise ModelLoadError("backend vllm needs the vllm package and a CUDA GPU")
    if backend == "auto":
        return "vllm" if vllm_usable() else "transformers"
    return backend


def load_generator(
    spec: ModelSpec,
    sampling: Sampling,
    *,
    backend: str = "auto",
    dtype: str = "auto",
    trust_remote_code: bool = False,
    gpu_memory_utilization: float = 0.9,
) -> Generator:
    if choose_backend(backend) == "vllm":
        return VLLMGenerator(spec, sampling, dtype, trust_remote_code, gpu_memory_utilization)
    return TransformersGenerator(spec, sampling, dtype, trust_remote_code)


def _release_memory() -> None:
    """Frees a closed model's memory now, so that the next model of the run has it."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _first_tokenizer(paths: list[str], trust_remote_code: bool):
    from transformers import AutoTokenizer

    for path in paths[:-1]:
        try:
            return AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
        except (OSError, ValueError):
            continue
    return AutoTokenizer.from_pretrained(paths[-1], trust_remote_code=trust_remote_code)


# transformers ------------------------------------------------------------------------------------


class TransformersGenerator:
    """Batched `generate` with left padding, so that every prompt's answer starts at one column."""

    def __init__(self, spec: ModelSpec, sampling: Sampling, dtype: str, trust_remote_code: bool):
        import torch
        from transformers import AutoModelForCausalLM

        self.sampling = sampling
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        if dtype == "auto":
            torch_dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        else:
            torch_dtype = getattr(torch, dtype)
        weights = spec.base_path or spec.path
        # An adapter folder from train.py holds the tokenizer it trained with; else the base's.
        tokenizer_paths = [spec.path, weights] if spec.is_adapter else [spec.path]
        try:
            self.tokenizer = _first_tokenizer(tokenizer_paths, trust_remote_code)
            model = AutoModelForCausalLM.from_pretrained(
                weights, dtype=torch_dtype, trust_remote_code=trust_remote_code
            )
            if spec.is_adapter:
                from peft import PeftModel

                # Merged once here: generation then runs at the plain model's speed.
                model = PeftModel.from_pretrained(model, spec.path).merge_and_unload()
        except (OSError, ValueError) as err:
            raise ModelLoadError(
                f"cannot load model {spec.path}: {first_line(err)}{hub_hint(spec.path)}"
            ) from err
        if self.tokenizer.chat_template is None:
            raise ModelLoadError(f"the tokenizer of {spec.path} has no chat template")
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = model.to(self.device).eval()
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos])

    def generate(self, conversations: list[list[dict]], seeds: list[int]) -> list[Generation]:
        import torch

        texts = [
            self.tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False)
            for c in conversations
        ]
        # The template already holds any BOS token the model wants.
        inputs = self.tokenizer(
            texts, return_tensors="pt", padding=True, add_special_tokens=False
        ).to(self.device)
        options: dict = {"max_new_tokens": self.sampling.max_new_tokens}
        if self.sampling.greedy:
            options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            options.update(
                do_sample=True, temperature=self.sampling.temperature, top_p=self.sampling.top_p
            )
            # One batch shares one random stream: the batch's first seed starts it.
            torch.manual_seed(seeds[0])
        with torch.inference_mode():
            output = self.model.generate(
                **inputs, **options, pad_token_id=self.tokenizer.pad_token_id
            )
        new_tokens = output[:, inputs["input_ids"].shape[1] :].tolist()
        return [self._generation(tokens) for tokens in new_tokens]

    def _generation(self, tokens: list[int]) -> Generation:
        end = next((i for i, t in enumerate(tokens) if t in self.eos_ids), None)
        kept = tokens if end is None else tokens[:end]
        text = self.tokenizer.decode(kept, skip_special_tokens=True)
        return Generation(text=text, tokens=len(kept), truncated=end is None)

    def close(self) -> None:
        del self.model
        _release_memory()


# vLLM --------------------------------------------------------------------------------------------


class VLLMGenerator:
    """vLLM's offline engine; a LoRA adapter is served on its base model with a LoRARequest."""

    def __init__(
        self,
        spec: ModelSpec,
        sampling: Sampling,
        dtype: str,
        trust_remote_code: bool,
        gpu_memory_utilization: float,
    ):
        from vllm import LLM

        self.sampling = sampling
        self.lora_request = None
        options: dict = {}
        if spec.is_adapter:
            import json
            from pathlib import Path

            from vllm.lora.request import LoRARequest

            rank = json.loads((Path(spec.path) / "adapter_config.json").read_text()).get("r", 16)
            options.update(enable_lora=True, max_lora_rank=max(16, int(rank)))
            self.lora_request = LoRARequest(spec.name, 1, spec.path)
        try:
            self.llm = LLM(
                model=spec.base_path or spec.path,
                tokenizer=spec.path if spec.is_adapter else None,
                dtype=dtype,
                trust_remote_code=trust_remote_code,
                gpu_memory_utilization=gpu_memory_utilization,
                **options,
            )
        except (OSError, ValueError) as err:
            raise ModelLoadError(
                f"cannot load model {spec.path}: {first_line(err)}{hub_hint(spec.path)}"
            ) from err

    def generate(self, conversations: list[list[dict]], seeds: list[int]) -> list[Generation]:
        from vllm import SamplingParams

        # A seed per request: a sample is the same whichever batch it falls in, and the k
        # samples of one prompt still differ (their seeds do).
        params = [
            SamplingParams(
                max_tokens=self.sampling.max_new_tokens,
                temperature=0.0 if self.sampling.greedy else self.sampling.temperature,
                top_p=1.0 if self.sampling.greedy else self.sampling.top_p,
                seed=seed,
            )
            for seed in seeds
        ]
        outputs = self.llm.chat(
            conversations, params, use_tqdm=False, lora_request=self.lora_request
        )
        return [
            Generation(
                text=o.outputs[0].text,
                tokens=len(o.outputs[0].token_ids),
                truncated=o.outputs[0].finish_reason == "length",
            )
            for o in outputs
        ]

    def close(self) -> None:
        del self.llm
        _release_memory()
