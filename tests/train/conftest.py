"""Shared fixtures of the learner tests: a recorded group of tiny-model trajectories."""

from __future__ import annotations

import pytest
import torch

from cuagym.gspo import group_advantages
from tests.train.trajlib import record, to_samples


@pytest.fixture(scope="session")
def recorded_group(shared_tiny_policy):
    """4 trajectories of 5 steps (image_max 4, fold 2: 2 slices each) and their advantages."""
    trajs = record(shared_tiny_policy, num_traj=4, num_steps=5, seed=0)
    adv, _ = group_advantages(torch.tensor([1.0, 0.0, 0.0, 0.5]), torch.zeros(4, dtype=torch.long))
    return trajs, adv.tolist()


@pytest.fixture(scope="session")
def group_samples(shared_tiny_policy, recorded_group):
    trajs, adv = recorded_group
    return to_samples(shared_tiny_policy, trajs, adv)
