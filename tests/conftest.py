"""Shared pytest set-up: slow marker handling and offline defaults."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_policy_dir(tmp_path_factory):
    """A tiny random-weight Qwen3.5-MoE policy, built offline once per test session."""
    from cuagym.modeling.tiny import build_tiny_policy

    out = tmp_path_factory.mktemp("tiny_policy_shared")
    build_tiny_policy(out, seed=0, image_size=(256, 160))
    return out


@pytest.fixture(scope="session")
def shared_tiny_policy(tiny_policy_dir):
    from cuagym.modeling import load_policy

    return load_policy(tiny_policy_dir, dtype="float32", attn_implementation="sdpa")


@pytest.fixture(scope="session")
def sandbox():
    """Tests that run tuple scripts need bubblewrap. tests/run.sh installs it, so a machine without
    it fails these tests with the reason instead of skipping them."""
    from cuagym.data.sandbox import sandbox_available

    problem = sandbox_available()
    if problem:
        pytest.fail(f"tuple scripts run only in the sandbox: {problem} (tests/run.sh installs it)")
