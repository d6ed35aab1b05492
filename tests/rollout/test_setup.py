"""The shared rollout set-up (cuagym.rollout.setup): what train, eval, SFT, `cuagym rollout` and the
synthesis teacher all build from a Config."""

from __future__ import annotations

from pathlib import Path

import pytest

from cuagym.config import load_config
from cuagym.rollout.batch import rollout_batch
from cuagym.rollout.setup import (SetupError, apps_of, environment, load_tuples, loop_config, loop_frame,
                                  make_engine, policy_side)

ROOT = Path(__file__).resolve().parents[2]
TUPLES = ROOT / "data" / "tuples"


def test_tuple_filters_are_dotted_and_errors_name_the_filter():
    pins = load_tuples(TUPLES, ["notes.pin"])
    assert pins and all(t.id.startswith("notes.pin.") for t in pins)
    assert [t.id for t in load_tuples(TUPLES, ["notes.pin"], limit=2)] == [t.id for t in pins[:2]]
    assert apps_of(pins) == ["notes"]
    with pytest.raises(SetupError, match=r"no tuples under .* match the filter \['notes.pi'\]"):
        load_tuples(TUPLES, ["notes.pi"])        # a dotted family, not a character prefix
    with pytest.raises(SetupError, match="no such directory"):
        load_tuples(TUPLES / "nope")


def test_loop_frame_maps_the_config_frame_to_the_parsers():
    cfg = load_config(ROOT / "configs" / "tiny.yaml", ["rollout.coordinate_frame=absolute"])
    assert loop_frame("absolute") == "image" and loop_frame("relative_999") == "relative_999"
    assert loop_config(cfg.rollout).frame == "image"
    assert loop_config(cfg.rollout, 0.0).sampling.temperature == 0.0
    assert loop_config(cfg.rollout, -1.0).sampling.temperature == cfg.rollout.temperature
    with pytest.raises(SetupError, match="needs a loaded policy"):
        make_engine(cfg)


@pytest.mark.usefixtures("sandbox")
def test_absolute_coordinate_frame_clicks_land(tmp_path):
    """With rollout.coordinate_frame=absolute every click once failed with "unknown coordinate frame
    'absolute'" in train, eval and SFT (the loop got the config's name, not the parser's frame)."""
    cfg = load_config(ROOT / "configs" / "tiny.yaml", [
        "rollout.coordinate_frame=absolute", "rollout.env_workers=1", "rollout.slots_per_worker=2",
        "rollout.max_turns=2"])
    tuples = load_tuples(TUPLES, ["notes.pin.hiring_plan"])
    side = policy_side(cfg, "golden", tuples)        # golden clicks rendered in screenshot pixels
    assert "absolute" in side.builder.system.lower() or "pixel" in side.builder.system.lower()
    with environment(cfg, apps_of(tuples)) as pool:
        (group,) = rollout_batch(tuples, 2, pool, side.engine, side.builder, side.tokenizer,
                                 loop_config(cfg.rollout), tmp_path)
    for t in group:
        errors = [e for s in t.steps for e in s.errors]
        assert errors == [] and t.reward == 1.0, (errors, [s.raw_output for s in t.steps])
        click = t.steps[0].actions[0]
        assert click["type"] == "click" and click["frame"] == "image"
        # The Pin button at (1099, 24) of the 1280x800 viewport, in pixels of the 256x160 screenshot.
        assert click["x"] == pytest.approx(1099 * 256 / 1280, abs=0.6)
        assert click["y"] == pytest.approx(24 * 160 / 800, abs=0.6)
