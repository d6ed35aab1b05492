"""Export a learner checkpoint as a Hugging Face model folder.

The folder is what ``load_policy`` and a vLLM server read: safetensors shards with
``model.safetensors.index.json``, ``config.json``, ``generation_config.json``, the tokenizer
with its chat template, the processor and image-processor configs, and a ``README.md`` model
card with the run's config and final metrics.

The weights come from the DeepSpeed checkpoint: the fp32 master copy reassembled from the
ZeRO partitions (stages 1-3), or the module state itself without ZeRO.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from cuagym.train.checkpoint import CLIENT_KEY, list_checkpoints
from cuagym.train.logprobs import WRAPPED_PREFIX

MODEL_STATES = "mp_rank_00_model_states.pt"


def resolve_tag_dir(ckpt: str | Path, tag: str | None = None) -> Path:
    """A tag folder from either a checkpoint root (uses ``tag`` or ``latest``) or a tag folder."""
    ckpt = Path(ckpt)
    if (ckpt / MODEL_STATES).is_file():
        return ckpt
    if not ckpt.is_dir():
        raise FileNotFoundError(f"checkpoint {ckpt} does not exist; expected a checkpoint root or a step_N folder")
    if tag is None:
        latest = ckpt / "latest"
        if latest.is_file():
            tag = latest.read_text().strip()
        elif list_checkpoints(ckpt):
            tag = list_checkpoints(ckpt)[-1].name
        else:
            raise FileNotFoundError(f"{ckpt} holds no checkpoint (no 'latest' file, no step_N folders, no {MODEL_STATES})")
    out = ckpt / tag
    if not (out / MODEL_STATES).is_file():
        raise FileNotFoundError(f"checkpoint tag folder {out} has no {MODEL_STATES}")
    return out


def checkpoint_state_dict(tag_dir: Path) -> dict[str, torch.Tensor]:
    """Full fp32 parameters of the policy saved in ``tag_dir``, under the HF model's own names."""
    if any(tag_dir.glob("*optim_states.pt")) and any(tag_dir.glob("*zero_pp_rank_*")):
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint

        state = get_fp32_state_dict_from_zero_checkpoint(str(tag_dir.parent), tag=tag_dir.name)
    else:
        state = torch.load(tag_dir / MODEL_STATES, map_location="cpu", weights_only=False)["module"]
    # The engine wraps the policy (train.logprobs.PolicyLogprobs): drop the wrapper's prefix.
    return {k.removeprefix(WRAPPED_PREFIX): v for k, v in state.items()}


def client_state(tag_dir: Path) -> dict[str, Any]:
    state = torch.load(tag_dir / MODEL_STATES, map_location="cpu", weights_only=False)
    return state.get(CLIENT_KEY, {})


def model_card(name: str, run_config: dict | None, metrics: dict | None, step: int | None) -> str:
    lines = [f"# {name}", "",
             "A computer-use policy (Qwen3.5-MoE vision-language architecture) trained with GSPO by cuagym "
             "on verifiable-reward web tasks: it reads screenshots and answers with `computer_use` tool calls.", ""]
    if step is not None:
        lines += [f"Exported from training step {step}.", ""]
    lines += ["## Final metrics", ""]
    if metrics:
        lines += ["| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:.6g} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in sorted(metrics.items())]
    else:
        lines += ["(none recorded)"]
    lines += ["", "## Run config", "", "```json", json.dumps(run_config or {}, indent=2, sort_keys=True, default=str),
              "```", "", "## Loading", "", "```python", "from cuagym.modeling import load_policy",
              "policy = load_policy(\"PATH_TO_THIS_FOLDER\")", "```", ""]
    return "\n".join(lines)


def export_model(model: Any, processor: Any, out_dir: str | Path, *, max_shard_size: str | int = "2GB",
                 run_config: dict | None = None, metrics: dict | None = None, step: int | None = None,
                 state_dict: dict | None = None) -> Path:
    """Write ``model`` + ``processor`` (tokenizer, chat template, image processor) + model card;
    ``state_dict`` replaces the model's own tensors (e.g. parameters gathered from ZeRO-3 shards)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, max_shard_size=max_shard_size, state_dict=state_dict)
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.save_pretrained(out)
    processor.save_pretrained(out)
    (out / "README.md").write_text(model_card(out.name, run_config, metrics, step))
    return out


def export_checkpoint(ckpt: str | Path, out_dir: str | Path, *, tag: str | None = None,
                      max_shard_size: str | int = "2GB") -> Path:
    """Rebuild the model saved in a learner checkpoint and export it (see module docstring)."""
    from transformers import AutoConfig, AutoModelForImageTextToText, GenerationConfig

    from cuagym.modeling.processor import QwenImageTextProcessor

    tag_dir = resolve_tag_dir(ckpt, tag)
    policy_dir = tag_dir / "policy"
    if not (policy_dir / "config.json").is_file():
        raise FileNotFoundError(f"{policy_dir} has no config.json; expected a checkpoint written by "
                                "cuagym.train.checkpoint.save_checkpoint")
    config = AutoConfig.from_pretrained(policy_dir, local_files_only=True)
    model = AutoModelForImageTextToText.from_config(config)
    weights = checkpoint_state_dict(tag_dir)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    tied = set(getattr(model, "_tied_weights_keys", None) or [])
    missing = [k for k in missing if k not in tied]
    if missing or unexpected:
        raise ValueError(f"checkpoint {tag_dir} does not match its config: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    if (policy_dir / "generation_config.json").is_file():
        model.generation_config = GenerationConfig.from_pretrained(policy_dir)
    processor = QwenImageTextProcessor.from_pretrained(policy_dir, local_files_only=True)
    client = client_state(tag_dir)
    return export_model(model.eval(), processor, out_dir, max_shard_size=max_shard_size,
                        run_config=client.get("run_config"), metrics=client.get("metrics"), step=client.get("step"))
