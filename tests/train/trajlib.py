"""Recorded tiny-model trajectories for the learner tests (sampled by the HF engine under the
scaffold, as in tests/scaffold/test_fold_and_slices.py)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from cuagym.rollout.engines.base import GenRequest, SamplingParams
from cuagym.rollout.engines.hf import HFEngine
from cuagym.scaffold import ContextBuilder, StepRecord
from cuagym.scaffold.prompt import system_prompt
from cuagym.train.samples import samples_from_trajectory
from tests.screens import shot  # noqa: F401  (the learner tests take their screenshots from here)

INSTRUCTION = "Archive the newest email."


def make_builder(policy, image_max: int = 4, fold_size: int = 2) -> ContextBuilder:
    return ContextBuilder(policy.tokenizer, policy.processor.image_processor,
                          system=system_prompt("relative_999", (256, 160), 3), image_max=image_max,
                          fold_size=fold_size)


@dataclass
class Recorded:
    traj_id: str
    shots: list
    steps: list[StepRecord]


def record(policy, num_traj: int, num_steps: int, *, seed: int = 0, max_new_tokens: int = 6,
           image_max: int = 4, fold_size: int = 2, temperature: float = 1.0,
           never_generate: tuple[int, ...] = ()) -> list[Recorded]:
    """``num_traj`` trajectories of ``num_steps`` steps sampled from ``policy``."""
    builder = make_builder(policy, image_max, fold_size)
    engine = HFEngine(policy.model, eos_token_ids=[builder.im_end], pad_token_id=policy.tokenizer.pad_token_id,
                      never_generate=never_generate)
    out = []
    torch.manual_seed(seed)
    for n in range(num_traj):
        shots, steps = [shot(100 * n)], []
        for t in range(num_steps):
            ctx = builder.build(INSTRUCTION, shots, steps)
            res = engine.generate([GenRequest(builder.model_inputs(ctx, shots),
                                              SamplingParams(temperature=temperature,
                                                             max_new_tokens=max_new_tokens))])[0]
            steps.append(StepRecord(res.token_ids, res.logprobs, feedback=f"step {t} done"))
            shots.append(shot(100 * n + t + 1))
        out.append(Recorded(f"traj{n}", shots, steps))
    return out


def to_samples(policy, trajs: list[Recorded], advantages, *, image_max: int = 4, fold_size: int = 2):
    builder = make_builder(policy, image_max, fold_size)
    samples = []
    for tr, adv in zip(trajs, advantages):
        samples += samples_from_trajectory(builder, INSTRUCTION, tr.shots, tr.steps, float(adv), tr.traj_id)
    return samples
