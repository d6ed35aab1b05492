"""The Gymnasium wrapper: gymnasium's own checker passes, and an episode scores through reward.py."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import cuagym  # noqa: F401  (registers cuagym/Hub-v0)

from ..data.tuplelib import write_tuple

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]


def test_registered_and_passes_the_env_checker(tmp_path, hub):
    d = write_tuple(tmp_path, near={})
    env = gym.make("cuagym/Hub-v0", tuple_dir=str(d), hub_urls=hub.urls, admin_token=hub.admin_token, max_steps=3)
    try:
        check_env(env.unwrapped, skip_render_check=True)
        obs, info = env.reset(seed=1)
        assert obs.shape == (800, 1280, 3) and obs.dtype == np.uint8
        assert info["tuple_id"] == "notes.pin.first" and "Pin" in info["instruction"]
    finally:
        env.close()


def test_episode_reward_comes_from_the_reward_script(tmp_path, hub):
    d = write_tuple(tmp_path, near={})
    env = gym.make("cuagym/Hub-v0", tuple_dir=str(d), hub_urls=hub.urls, admin_token=hub.admin_token, max_steps=3)
    try:
        env.reset(seed=0)
        page = env.unwrapped._slot.page
        box = next(el.bounding_box() for el in page.query_selector_all("button")
                   if (el.text_content() or "").strip() == "Pin")
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        obs, reward, terminated, truncated, info = env.step({"type": "click", "x": x, "y": y, "frame": "screen"})
        assert (reward, terminated, truncated) == (0.0, False, False) and info["errors"] == []
        obs, reward, terminated, truncated, info = env.step([{"type": "terminate", "status": "success"}])
        assert terminated and reward == 1.0
        env.reset(seed=0)
        obs, reward, terminated, truncated, info = env.step({"type": "teleport"})
        assert "unknown action type 'teleport'" in info["errors"][0] and reward == 0.0
        for _ in range(2):
            obs, reward, terminated, truncated, info = env.step({"type": "wait", "seconds": 0})
        assert truncated and not terminated and reward == 0.0  # step limit: scored, nothing was done
    finally:
        env.close()
