"""One tiny policy per test session, built through the CLI entry point, and loaded once."""

from __future__ import annotations

import pytest

from cuagym.modeling import load_policy
from cuagym.modeling.tiny import main as build_tiny_cli


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny_policy")
    assert build_tiny_cli([str(out), "--seed", "0"]) == 0
    return out


@pytest.fixture(scope="session")
def tiny_policy(tiny_dir):
    return load_policy(tiny_dir, dtype="float32", attn_implementation="sdpa")
