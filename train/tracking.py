"""Run tracking: W&B (offline unless logged in), a local ``metrics.jsonl``, and a progress bar.

Every scalar goes to both sinks under the same ``section/name`` key on one step axis, so a
run can be plotted without W&B (``cuagym plot RUN_DIR`` reads the JSONL). The W&B run lives
under the run directory (``RUN_DIR/wandb/offline-run-*`` when offline) and its id is kept in
checkpoints, so a resumed run continues the same W&B run. Only rank 0 tracks.

    tracker = Tracker(run_dir, cfg.wandb, run_config=to_dict(cfg), resume_step=None)
    tracker.log(step, {"rollout/success_rate": 0.5, ...})
    tracker.log_samples(step, trajectories)
    tracker.finish()
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

from cuagym.config import WandbConfig

METRICS_FILE = "metrics.jsonl"

# Scalars every training step logs (per-app success rates come on top, one key per app).
STEP_METRICS = (
    "rollout/success_rate", "rollout/reward_mean", "rollout/actions_per_step", "rollout/steps_per_trajectory",
    "rollout/invalid_tool_calls_per_step", "rollout/env_failures", "rollout/trajectories",
    "rollout/zero_variance_groups", "rollout/groups_trained",
    "train/loss", "train/clip_frac", "train/grad_norm", "train/seq_ratio_mean", "train/seq_ratio_min",
    "train/seq_ratio_max", "train/lr", "train/policy_tokens", "train/staleness", "train/policy_version",
    "timing_s/rollout", "timing_s/train", "timing_s/sync", "timing_s/step",
    "perf/env_steps_per_s", "perf/tokens_per_s", "perf/sync_bytes",
    "consistency/logprob_gap_max", "consistency/logprob_gap_mean",
)
# Sample table columns (one row per trajectory).
TABLE_COLUMNS = ("step", "tuple_id", "app", "reward", "termination", "num_steps", "actions", "first_screen",
                 "last_screen")


def wandb_mode(configured: str) -> str:
    """The W&B mode to use: an explicit config value wins, then ``WANDB_MODE``; ``auto``
    means online only when an API key is available (login or ``WANDB_API_KEY``)."""
    if configured != "auto":
        return configured
    env = os.environ.get("WANDB_MODE", "").strip().lower()
    if env in ("offline", "online", "disabled", "dryrun"):
        return "offline" if env == "dryrun" else env
    if os.environ.get("WANDB_API_KEY"):
        return "online"
    netrc = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    try:
        if "api.wandb.ai" in netrc.read_text():
            return "online"
    except OSError:
        pass
    return "offline"


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """Every record of ``RUN_DIR/metrics.jsonl`` in file order (an unreadable line is an error)."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; expected a run directory written by `cuagym train`")
    out = []
    for i, line in enumerate(path.read_text().splitlines()):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{i + 1}: not a JSON line ({err})") from None
    return out


def truncate_metrics(run_dir: str | Path, after_step: int) -> int:
    """Drop records of steps later than ``after_step`` (logged by a run that stopped before its
    next checkpoint; the resumed run logs those steps again). Returns how many were dropped."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return 0
    keep, dropped = [], 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        if json.loads(line).get("step", -1) > after_step:
            dropped += 1
        else:
            keep.append(line)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(k + "\n" for k in keep))
    tmp.replace(path)
    return dropped


def _clean(metrics: dict[str, Any]) -> dict[str, float]:
    out = {}
    for k, v in metrics.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"metric {k!r} must be a number, got {type(v).__name__}")
        out[k] = float(v)
    return out


class Tracker:
    """The sinks of one run (rank 0); other ranks pass ``enabled=False`` and log nothing."""

    def __init__(self, run_dir: str | Path, wandb_cfg: WandbConfig, *, run_config: dict | None = None,
                 total_steps: int | None = None, start_step: int = 0, wandb_run_id: str | None = None,
                 progress_bar: bool = True, enabled: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.enabled = enabled
        self.cfg = wandb_cfg
        self.run = None
        self.bar = None
        self.last: dict[str, float] = {}
        if not enabled:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        truncate_metrics(self.run_dir, start_step - 1)
        self._file = open(self.run_dir / METRICS_FILE, "a", buffering=1)
        self.mode = wandb_mode(wandb_cfg.mode)
        if self.mode != "disabled":
            import wandb

            self.run = wandb.init(
                project=wandb_cfg.project, entity=wandb_cfg.entity or None, mode=self.mode,
                name=wandb_cfg.name or f"{self.run_dir.name}-{time.strftime('%Y%m%d-%H%M%S')}",
                dir=str(self.run_dir), config=run_config or {}, id=wandb_run_id,
                resume="allow" if wandb_run_id else None,
                settings=wandb.Settings(silent=True, console="off", x_disable_stats=True))
        if progress_bar and total_steps:
            from tqdm import tqdm

            self.bar = tqdm(total=total_steps, initial=start_step, desc="train", unit="step", dynamic_ncols=True)

    @property
    def wandb_run_id(self) -> str | None:
        return self.run.id if self.run is not None else None

    @property
    def wandb_dir(self) -> Path | None:
        """The W&B run's own folder (``.../wandb/offline-run-...``), or None."""
        return Path(self.run.dir).parent if self.run is not None else None

    def log(self, step: int, metrics: dict[str, Any], *, advance: bool = False) -> None:
        """Write one record for ``step`` to both sinks (``advance`` moves the progress bar)."""
        if not self.enabled:
            return
        values = _clean(metrics)
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            raise ValueError(f"step {step}: metrics {bad} are not finite")
        self._file.write(json.dumps({"step": int(step), "time": time.time(), **values}) + "\n")
        self._file.flush()
        if self.run is not None:
            self.run.log(values, step=int(step))
        self.last.update(values)
        if self.bar is not None:
            if advance:
                self.bar.update(1)
            shown = {k.split("/", 1)[1]: f"{values[k]:.3g}" for k in
                     ("rollout/success_rate", "rollout/reward_mean", "train/loss", "timing_s/step") if k in values}
            if shown:
                self.bar.set_postfix(shown, refresh=True)

    def log_samples(self, step: int, trajectories: Sequence[Any], rows: int | None = None) -> int:
        """A W&B table of sample trajectories with their first and last screenshots (the best
        and the worst rewards first, so a viewer sees both). Returns the rows written."""
        if not self.enabled or self.run is None:
            return 0
        import wandb

        done = [t for t in trajectories if t.reward is not None]
        done.sort(key=lambda t: -t.reward)
        n = rows or self.cfg.table_rows
        picked = done[: (n + 1) // 2] + done[::-1][: n // 2] if len(done) > n else done
        table = wandb.Table(columns=list(TABLE_COLUMNS))
        for t in picked:
            actions = " | ".join(",".join(_action_text(a) for a in s.actions) or "(none)" for s in t.steps)
            shots = t.screenshots or []
            table.add_data(step, t.tuple_id, ",".join(t.apps), float(t.reward), t.termination, len(t.steps),
                           actions, wandb.Image(shots[0]) if shots else None,
                           wandb.Image(shots[-1]) if shots else None)
        # Offline runs store a table's image cells as the word "Image" (a known W&B
        # limitation), so the last screenshots are also logged as an image list, captioned.
        images = [wandb.Image(t.screenshots[-1], caption=f"{t.tuple_id} reward {t.reward:g}")
                  for t in picked if t.screenshots]
        self.run.log({"samples/trajectories": table, "samples/last_screens": images}, step=int(step))
        return len(picked)

    def write(self, message: str) -> None:
        """Print a line without breaking the progress bar."""
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.write(message)
        else:
            print(message, flush=True)

    def finish(self) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.close()
        self._file.close()
        if self.run is not None:
            self.run.finish()
            self.run = None


def _action_text(a: dict) -> str:
    kind = a.get("type", "?")
    if "x" in a and "y" in a:
        return f"{kind}({a['x']:.0f},{a['y']:.0f})"
    return kind


def per_app(trajectories: Iterable[Any], prefix: str) -> dict[str, float]:
    """``{prefix}/<app>``: success rate of the finished trajectories of each app."""
    counts: dict[str, list[int]] = {}
    for t in trajectories:
        if t.reward is None:
            continue
        for app in t.apps:
            c = counts.setdefault(app, [0, 0])
            c[0] += int(t.reward == 1.0)
            c[1] += 1
    return {f"{prefix}/{app}": ok / n for app, (ok, n) in sorted(counts.items())}
