"""A Gymnasium environment over one episode slot, registered as ``cuagym/Hub-v0``.

    import gymnasium as gym, cuagym.rollout.gym_env  # registers the id
    env = gym.make("cuagym/Hub-v0", tuple_dir="data/tuples/notes/notes.pin.x")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step({"type": "click", "x": 100, "y": 40})

Observations are RGB screenshots ``uint8[H, W, 3]``. An action is one internal action as a
dict (or an :class:`~cuagym.actions.Action`, or a list of them for a multi-action turn). The
reward is 0 until the episode ends (a ``terminate`` action or ``max_steps``), when the tuple's
reward script scores the final state. The env starts its own hub and Chromium unless given
``hub_urls`` and ``admin_token`` of a running hub.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from cuagym.actions import Action, ActionError
from cuagym.data.dataset import Dataset
from cuagym.data.format import TaskTuple, load_tuple

ENV_ID = "cuagym/Hub-v0"


class ActionSpace(gym.Space):
    """Any internal action, given as a dict, an Action, or a list of them."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(shape=None, dtype=None, seed=seed)

    def contains(self, x: Any) -> bool:
        try:
            _to_actions(x)
            return True
        except ActionError:
            return False

    def sample(self, mask: Any = None, probability: Any = None) -> dict:
        w, h = 1280, 800
        kind = self.np_random.choice(["click", "move", "wait"])
        if kind == "wait":
            return {"type": "wait", "seconds": 0.0}
        return {"type": str(kind), "x": int(self.np_random.integers(0, w)), "y": int(self.np_random.integers(0, h)),
                "frame": "screen"}

    @property
    def is_np_flattenable(self) -> bool:
        return False


def _to_actions(x: Any) -> list[Action]:
    if isinstance(x, Action):
        x.check()
        return [x]
    if isinstance(x, dict):
        return [Action.from_dict(x)]
    if isinstance(x, (list, tuple)) and x:
        return [a for item in x for a in _to_actions(item)]
    raise ActionError(f"an action must be a dict, an Action or a non-empty list of them, got {type(x).__name__}")


class HubEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 2}

    def __init__(self, tuple_dir: str | None = None, *, tuples: str | None = None, viewport: tuple[int, int] = (1280, 800),
                 max_steps: int = 15, hub_urls: dict[str, str] | None = None, admin_token: str | None = None,
                 render_mode: str | None = None) -> None:
        if (tuple_dir is None) == (tuples is None):
            raise ValueError("pass exactly one of tuple_dir (one tuple) or tuples (a dataset folder)")
        self._fixed: TaskTuple | None = load_tuple(tuple_dir) if tuple_dir else None
        self._entries = list(Dataset(tuples).entries()) if tuples else []
        self._dataset = Dataset(tuples) if tuples else None
        self.viewport, self.max_steps, self.render_mode = viewport, max_steps, render_mode
        w, h = viewport
        self.observation_space = spaces.Box(0, 255, shape=(h, w, 3), dtype=np.uint8)
        self.action_space = ActionSpace()
        self._hub_urls, self._token = hub_urls, admin_token
        self._hub = None
        self._pw = self._browser = self._slot = None
        self._steps = 0
        self._last: np.ndarray | None = None

    def _ensure_started(self, apps: list[str]) -> None:
        if self._slot is not None:
            return
        from playwright.sync_api import sync_playwright

        from cuagym.browser import launch_kwargs
        from cuagym.hub.launcher import HubProcess
        from cuagym.rollout.slot import EpisodeSlot

        if self._hub_urls is None:
            self._hub = HubProcess("all").start()
            self._hub_urls, self._token = self._hub.urls, self._hub.admin_token
        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(**launch_kwargs())
        self._slot = EpisodeSlot(self._browser, self._hub_urls, self._token or "", viewport=self.viewport)

    def _pick(self) -> TaskTuple:
        if self._fixed is not None:
            return self._fixed
        assert self._dataset is not None
        e = self._entries[int(self.np_random.integers(len(self._entries)))]
        return self._dataset.load(e)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        t = load_tuple(options["tuple_dir"]) if options and "tuple_dir" in options else self._pick()
        self._ensure_started(t.apps)
        obs = self._slot.reset(t)
        self._steps = 0
        self._last = np.asarray(obs.screenshot, dtype=np.uint8)
        return self._last, {"tuple_id": t.id, "instruction": t.config.instruction, "apps": t.apps}

    def step(self, action: Any):
        if self._slot is None or self._slot.tuple is None:
            raise RuntimeError("call reset() before step()")
        info: dict[str, Any] = {}
        try:
            actions = _to_actions(action)
        except ActionError as e:
            actions, info["error"] = [], str(e)
        obs, results = self._slot.step(actions) if actions else (self._slot.observe(), [])
        self._steps += 1
        # Timings stay out of info: the same seed and actions must give the same info.
        info["action_results"] = [{"action": r.action, "ok": r.ok, "error": r.error} for r in results]
        info["errors"] = [r.error for r in results if not r.ok] + ([info["error"]] if "error" in info else [])
        terminated = any(a.type == "terminate" for a in actions)
        truncated = not terminated and self._steps >= self.max_steps
        reward = 0.0
        if terminated or truncated:
            res = self._slot.score()
            reward = float(res.reward)
            info["reward_output"] = res.stdout[-2000:]
        self._last = np.asarray(obs.screenshot, dtype=np.uint8)
        return self._last, reward, terminated, truncated, info

    def render(self):
        return self._last

    def close(self):
        if self._slot is not None:
            self._slot.close_context()
        if self._browser is not None or self._pw is not None:
            from cuagym.rollout.worker import close_browser

            close_browser(self._browser, self._pw)
        if self._hub is not None:
            self._hub.stop()
        self._slot = self._browser = self._pw = self._hub = None
        super().close()


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="cuagym.rollout.gym_env:HubEnv")
