"""The agent loop end to end on CPU: the tiny policy (random weights) and a scripted golden
policy drive real Chromium through the hub; trajectories land on disk with token ids and
log-probs; malformed model output never breaks the loop."""

from __future__ import annotations

import json

import pytest
import torch

from cuagym.data.format import load_tuple
from cuagym.rollout.agent_loop import LoopConfig, group_metrics, rollout_group
from cuagym.rollout.engines.base import SamplingParams
from cuagym.rollout.engines.hf import HFEngine
from cuagym.rollout.scripted import GoldenEngine
from cuagym.rollout.slot import EpisodeSlot
from cuagym.rollout.trajectory import iter_trajectories
from cuagym.scaffold import ContextBuilder
from cuagym.scaffold.prompt import system_prompt

from ..data.tuplelib import write_tuple

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]


def builder_for(policy):
    return ContextBuilder(policy.tokenizer, policy.processor.image_processor,
                          system=system_prompt("relative_999", (256, 160), 3), image_max=20, fold_size=10)


def test_tiny_policy_group_of_four_through_chromium(tmp_path, hub, browser, shared_tiny_policy):
    pol = shared_tiny_policy
    t = load_tuple(write_tuple(tmp_path / "tuples", near={}))
    builder = builder_for(pol)
    engine = HFEngine(pol.model, eos_token_ids=[builder.im_end], pad_token_id=pol.tokenizer.pad_token_id)
    envs = [EpisodeSlot(browser, hub.urls, hub.admin_token) for _ in range(4)]
    torch.manual_seed(0)
    cfg = LoopConfig(max_turns=2, sampling=SamplingParams(max_new_tokens=12))
    trajs = rollout_group(t, envs, engine, builder, pol.tokenizer, cfg, run_dir=tmp_path / "run", group_id="g0")
    assert len(trajs) == 4 and all(tr.termination in ("max_turns", "terminate") for tr in trajs)
    assert all(tr.reward is not None and 0.0 <= tr.reward <= 1.0 for tr in trajs)
    on_disk = list(iter_trajectories(tmp_path / "run"))
    assert sorted(tr.traj_id for tr in on_disk) == [f"g0-{i}" for i in range(4)]
    for tr in on_disk:
        assert tr.steps and all(len(s.gen_ids) == len(s.logprobs) > 0 for s in tr.steps)
        assert all(lp <= 0.0 for s in tr.steps for lp in s.logprobs)
        # Random weights write no valid tool call: each turn records the error and goes on.
        assert all(s.errors or s.actions for s in tr.steps)
    d = tmp_path / "run" / "trajectories" / "g0-0"
    assert (d / "obs_0.png").exists() and json.loads((d / "meta.json").read_text())["tuple_id"] == t.id
    m = group_metrics(trajs)
    assert m["rollout/env_failures"] == 0 and m["rollout/steps_per_trajectory"] == 2.0


def test_scripted_golden_policy_scores_one_through_the_same_loop(tmp_path, hub, browser, shared_tiny_policy):
    pol = shared_tiny_policy
    d = write_tuple(tmp_path / "tuples", near={})
    # Where the Pin button is, as the tuple author found it.
    slot = EpisodeSlot(browser, hub.urls, hub.admin_token)
    slot.reset(load_tuple(d))
    box = next(el.bounding_box() for el in slot.page.query_selector_all("button")
               if (el.text_content() or "").strip() == "Pin")
    slot.close_context()
    x, y = round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2)
    write_tuple(tmp_path / "tuples", near={}, golden_actions={"viewport": [1280, 800], "steps": [
        [{"type": "click", "x": x, "y": y, "frame": "screen"}], [{"type": "terminate", "status": "success"}]]})
    t = load_tuple(d)
    builder = builder_for(pol)
    engine = GoldenEngine([t], pol.tokenizer)
    envs = [EpisodeSlot(browser, hub.urls, hub.admin_token) for _ in range(2)]
    trajs = rollout_group(t, envs, engine, builder, pol.tokenizer, LoopConfig(max_turns=4), run_dir=tmp_path / "r")
    assert [tr.reward for tr in trajs] == [1.0, 1.0]
    assert all(tr.termination == "terminate" and len(tr.steps) == 2 for tr in trajs)
    assert group_metrics(trajs)["rollout/success_rate"] == 1.0


def test_environment_failure_is_not_a_policy_failure(tmp_path, hub, browser, shared_tiny_policy):
    pol = shared_tiny_policy
    t = load_tuple(write_tuple(tmp_path / "tuples", "notes.broken", setup="raise SystemExit(3)\n", near={}))
    builder = builder_for(pol)
    trajs = rollout_group(t, [EpisodeSlot(browser, hub.urls, hub.admin_token)], GoldenEngine([t], pol.tokenizer),
                          builder, pol.tokenizer, LoopConfig(max_turns=2))
    assert trajs[0].termination == "env_failure" and trajs[0].reward is None
    assert "initial_setup.py failed" in trajs[0].env_failure
    m = group_metrics(trajs)
    assert m["rollout/env_failures"] == 1 and "rollout/success_rate" not in m
