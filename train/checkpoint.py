"""Save and resume everything a run needs to continue exactly where it stopped.

Layout under the checkpoint root (one tag folder per save)::

    ROOT/latest                      name of the newest tag (written by DeepSpeed)
    ROOT/step_00000004/              DeepSpeed engine state: model, optimizer, scheduler
    ROOT/step_00000004/policy/       HF config, generation config, tokenizer, processor
                                     (what ``cuagym export`` needs to rebuild the model)

The client state carries the run step, the learner's counters, every RNG state (python,
numpy, torch, CUDA), the data cursor, the W&B run id, and optionally the run config and
the last metrics (for the exported model card). ``keep`` newest tags stay on disk.
"""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from cuagym.train import distributed as D

TAG_PATTERN = re.compile(r"^step_(\d+)$")
CLIENT_KEY = "cuagym"


def tag_for(step: int) -> str:
    return f"step_{int(step):08d}"


def list_checkpoints(root: str | Path) -> list[Path]:
    """Tag folders under ``root``, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    tags = [p for p in root.iterdir() if p.is_dir() and TAG_PATTERN.match(p.name)]
    return sorted(tags, key=lambda p: int(TAG_PATTERN.match(p.name).group(1)))


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    try:
        import numpy as np
        state["numpy"] = np.random.get_state()
    except ImportError:  # numpy is optional here
        pass
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "numpy" in state:
        import numpy as np
        np.random.set_state(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@dataclass
class ResumeState:
    """What a resumed run reads back besides the engine state."""

    step: int
    data_cursor: dict = field(default_factory=dict)
    wandb_run_id: str | None = None
    run_config: dict | None = None
    metrics: dict | None = None
    path: Path | None = None


def save_checkpoint(learner: Any, root: str | Path, step: int, *, data_cursor: dict | None = None,
                    wandb_run_id: str | None = None, run_config: dict | None = None,
                    metrics: dict | None = None, keep: int = 2) -> Path:
    """Save on every rank (DeepSpeed writes each rank's optimizer shard); returns the tag folder."""
    if keep < 1:
        raise ValueError(f"keep must be >= 1 (checkpoints kept on disk), got {keep}")
    root = Path(root)
    tag = tag_for(step)
    client = {CLIENT_KEY: {
        "step": int(step), "learner": learner.state_dict(), "rng": rng_state(),
        "data_cursor": dict(data_cursor or {}), "wandb_run_id": wandb_run_id,
        "run_config": run_config, "metrics": metrics,
    }}
    learner.engine.save_checkpoint(str(root), tag=tag, client_state=client)
    if D.rank() == 0:
        policy = learner.policy
        out = root / tag / "policy"
        learner.model.config.save_pretrained(out)
        generation = getattr(learner.model, "generation_config", None)
        if generation is not None:
            generation.save_pretrained(out)
        policy.processor.save_pretrained(out)
        for old in list_checkpoints(root)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    D.barrier()
    return root / tag


def load_checkpoint(learner: Any, root: str | Path, tag: str | None = None) -> ResumeState:
    """Restore engine, optimizer, scheduler, learner counters and RNG states (``tag``: default latest)."""
    root = Path(root)
    if not list_checkpoints(root):
        raise FileNotFoundError(f"no checkpoint under {root}; expected folders named step_NNNNNNNN")
    path, client = learner.engine.load_checkpoint(str(root), tag=tag, load_optimizer_states=True,
                                                  load_lr_scheduler_states=True)
    if path is None or CLIENT_KEY not in (client or {}):
        raise FileNotFoundError(f"checkpoint {root} (tag {tag or 'latest'}) could not be loaded or holds no "
                                "cuagym client state")
    state = client[CLIENT_KEY]
    learner.load_state_dict(state["learner"])
    set_rng_state(state["rng"])
    return ResumeState(step=int(state["step"]), data_cursor=state["data_cursor"],
                       wandb_run_id=state["wandb_run_id"], run_config=state.get("run_config"),
                       metrics=state.get("metrics"), path=Path(path).parent if Path(path).is_file() else Path(path))
