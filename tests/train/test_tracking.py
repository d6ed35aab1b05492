"""Tracking and plots: W&B mode resolution, the metrics JSONL and the real W&B offline run
(scalars and a sample table with screenshots), truncation on resume, and the PNG curves."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from cuagym.config import WandbConfig
from cuagym.rollout.trajectory import StepLog, Trajectory
from cuagym.train.plot import first_last_mean, moving_average, plot_run, series
from cuagym.train.tracking import METRICS_FILE, Tracker, read_metrics, truncate_metrics, wandb_mode


def test_wandb_mode_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("NETRC", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    assert wandb_mode("auto") == "offline"            # not logged in
    assert wandb_mode("disabled") == "disabled"        # an explicit choice wins
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert wandb_mode("auto") == "online"
    monkeypatch.setenv("WANDB_MODE", "offline")        # the environment beats a key
    assert wandb_mode("auto") == "offline"
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.delenv("WANDB_API_KEY")
    (tmp_path / ".netrc").write_text("machine api.wandb.ai\n  login user\n  password abc\n")
    assert wandb_mode("auto") == "online"


def traj(tid: str, reward: float | None, color) -> Trajectory:
    t = Trajectory(f"{tid}-g-0", tid, f"{tid}-g", ["notes"], "Pin it.", reward=reward, termination="terminate")
    t.steps.append(StepLog(0, "<tool_call>...", [1, 2], [-0.1, -0.2],
                           [{"type": "click", "x": 858.0, "y": 30.0, "frame": "relative_999"}], [], [], "OK"))
    t.screenshots = [Image.new("RGB", (64, 40), (9, 9, 9)), Image.new("RGB", (64, 40), color)]
    return t


def test_tracker_writes_jsonl_and_a_real_wandb_offline_run(tmp_path):
    run = tmp_path / "run"
    tr = Tracker(run, WandbConfig(mode="offline", project="cuagym-test"), run_config={"a": 1}, total_steps=3,
                 progress_bar=False)
    tr.log(1, {"rollout/success_rate": 0.25, "train/loss": -0.5}, advance=True)
    tr.log(2, {"rollout/success_rate": 0.75, "rollout/success_rate/notes": 1.0})
    rows = tr.log_samples(2, [traj("a", 1.0, (255, 0, 0)), traj("b", 0.0, (0, 255, 0)), traj("c", None, 0)], rows=4)
    assert rows == 2                                   # the environment failure (reward None) is left out
    with pytest.raises(ValueError, match="not finite"):
        tr.log(3, {"train/loss": float("nan")})
    with pytest.raises(TypeError, match="must be a number"):
        tr.log(3, {"train/loss": "low"})
    wdir = tr.wandb_dir
    run_id = tr.wandb_run_id
    tr.finish()
    recs = read_metrics(run)
    assert [r["step"] for r in recs] == [1, 2]
    assert recs[0]["rollout/success_rate"] == 0.25 and recs[0]["train/loss"] == -0.5
    assert recs[1]["rollout/success_rate/notes"] == 1.0
    # The real wandb package wrote an offline run under the run directory.
    assert wdir is not None and wdir.parent == run / "wandb" and wdir.name.startswith("offline-run-")
    assert run_id and (wdir / f"run-{run_id}.wandb").stat().st_size > 0
    # The sample table and the captioned last screenshots are among the run's media files.
    media = list((wdir / "files" / "media").rglob("*"))
    tables = [p for p in media if p.name.endswith(".table.json")]
    assert len(tables) == 1 and [r[1] for r in json.loads(tables[0].read_text())["data"]] == ["a", "b"]
    shots = [Image.open(p) for p in media if p.suffix == ".png"]
    assert sorted(im.getpixel((0, 0)) for im in shots) == [(0, 255, 0), (255, 0, 0)]  # the last screens


def test_truncate_drops_steps_after_the_checkpoint(tmp_path):
    lines = [{"step": s, "x": float(s)} for s in (0, 1, 2, 3, 4)]
    (tmp_path / METRICS_FILE).write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert truncate_metrics(tmp_path, 2) == 2
    assert [r["step"] for r in read_metrics(tmp_path)] == [0, 1, 2]
    with pytest.raises(FileNotFoundError, match="metrics.jsonl"):
        read_metrics(tmp_path / "nowhere")


def test_moving_average_and_series_by_hand():
    assert moving_average([0.0, 1.0, 1.0, 0.0], 2) == [0.0, 0.5, 1.0, 0.5]
    assert moving_average([3.0], 5) == [3.0]
    with pytest.raises(ValueError):
        moving_average([1.0], 0)
    recs = [{"step": 1, "k": 0.1}, {"step": 2, "j": 5}, {"step": 1, "k": 0.3}, {"step": 3, "k": 0.9}]
    assert series(recs, "k") == ([1, 3], [0.3, 0.9])   # a step logged twice keeps its last value
    assert first_last_mean([0.0, 0.0, 0.3, 0.6, 0.9, 0.9], 3) == pytest.approx((0.1, 0.8))


def test_plot_writes_a_readable_png(tmp_path):
    recs = [{"step": 0, "eval/success_rate": 0.1}]
    for s in range(1, 11):
        recs.append({"step": s, "rollout/success_rate": s / 10, "rollout/actions_per_step": 1.0,
                     "rollout/steps_per_trajectory": 2.0 - s / 20, "rollout/reward_mean": s / 10,
                     "train/loss": 0.01 * s})
    recs.append({"step": 10, "eval/success_rate": 0.8})
    (tmp_path / METRICS_FILE).write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = plot_run(tmp_path)
    img = Image.open(out)
    assert out.name == "curves.png" and img.size == (1200, 800)
    # Not a blank canvas: the curves put many distinct colours on it.
    assert len(set(img.convert("RGB").getdata())) > 50
    (tmp_path / METRICS_FILE).write_text(json.dumps({"step": 1, "train/loss": 0.1}) + "\n")
    with pytest.raises(ValueError, match="rollout/success_rate"):
        plot_run(tmp_path)
