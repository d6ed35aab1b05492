"""PNG curves of a run from its ``metrics.jsonl`` (no W&B needed): ``cuagym plot RUN_DIR``.

One figure with four panels on the step axis: success rate (training rollouts, a moving
average, and held-out evaluations as markers), actions per model turn, turns per
trajectory, and the GSPO loss with the reward mean. Each panel states the first and last
values, so the numbers can be read off the image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from cuagym.train.tracking import read_metrics

PLOT_FILE = "curves.png"


def series(records: Sequence[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of every record that has ``key``; a step logged twice keeps its last value."""
    by_step: dict[int, float] = {}
    for r in records:
        if key in r:
            by_step[int(r["step"])] = float(r[key])
    steps = sorted(by_step)
    return steps, [by_step[s] for s in steps]


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """Trailing mean over up to ``window`` values (shorter at the start)."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def first_last_mean(values: Sequence[float], k: int = 3) -> tuple[float, float]:
    """Mean of the first ``k`` and of the last ``k`` values (the learning criterion's numbers)."""
    if not values:
        raise ValueError("no values")
    return sum(values[:k]) / len(values[:k]), sum(values[-k:]) / len(values[-k:])


def plot_run(run_dir: str | Path, out: str | Path | None = None, window: int = 3) -> Path:
    """Write the curves of ``run_dir`` to ``out`` (default RUN_DIR/curves.png) and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run_dir = Path(run_dir)
    records = read_metrics(run_dir)
    s_steps, s_vals = series(records, "rollout/success_rate")
    if not s_steps:
        raise ValueError(f"{run_dir}/metrics.jsonl has no rollout/success_rate records; nothing to plot")
    scaffold = bool(series(records, "scaffold/slices_per_trajectory")[0])
    rows = 3 if scaffold else 2  # multi-turn runs add the scaffold and ratio/consistency panels
    fig, axes = plt.subplots(rows, 2, figsize=(12, 4 * rows), dpi=100)
    ax = axes[0][0]
    ax.plot(s_steps, [100 * v for v in s_vals], "o-", color="tab:blue", alpha=0.35, label="train rollouts")
    ax.plot(s_steps, [100 * v for v in moving_average(s_vals, window)], "-", color="tab:blue", lw=2.5,
            label=f"train, mean of last {window}")
    e_steps, e_vals = series(records, "eval/success_rate")
    if e_steps:
        ax.plot(e_steps, [100 * v for v in e_vals], "s--", color="tab:red", ms=9, lw=2, label="held-out eval")
    first, last = first_last_mean(s_vals)
    title = f"Success rate: train first 3 {100 * first:.0f}% -> last 3 {100 * last:.0f}%"
    if len(e_vals) >= 2:
        title += f"\nheld-out {100 * e_vals[0]:.0f}% (step {e_steps[0]}) -> {100 * e_vals[-1]:.0f}% (step {e_steps[-1]})"
    ax.set_title(title, fontsize=11)
    ax.set_ylim(-5, 105)
    ax.set_ylabel("% of episodes with reward 1")
    ax.legend(loc="lower right", fontsize=9)
    for ax, key, label in ((axes[0][1], "rollout/actions_per_step", "actions per model turn"),
                           (axes[1][0], "rollout/steps_per_trajectory", "model turns per trajectory")):
        steps, vals = series(records, key)
        ax.plot(steps, vals, "o-", color="tab:green")
        if vals:
            ax.set_title(f"{label}: {vals[0]:.2f} -> {vals[-1]:.2f}", fontsize=11)
        ax.set_ylim(bottom=0)
    ax = axes[1][1]
    steps, vals = series(records, "rollout/reward_mean")
    ax.plot(steps, vals, "o-", color="tab:purple", label="reward mean")
    l_steps, l_vals = series(records, "train/loss")
    if l_steps:
        twin = ax.twinx()
        twin.plot(l_steps, l_vals, "x:", color="tab:gray", label="GSPO loss")
        twin.set_ylabel("loss")
    ax.set_title("reward mean (and loss, dotted)", fontsize=11)
    if scaffold:
        ax = axes[2][0]
        for key, label, color in (("scaffold/slices_per_trajectory", "slices per episode", "tab:orange"),
                                  ("scaffold/folded_per_trajectory", "folded screenshots per episode", "tab:brown"),
                                  ("scaffold/multi_slice_frac", "share of episodes with 2+ slices", "tab:olive")):
            steps, vals = series(records, key)
            ax.plot(steps, vals, "o-", color=color, label=label)
        ax.set_title("scaffold: folding and slicing of the episodes", fontsize=11)
        ax.set_ylim(bottom=0)
        ax.legend(loc="lower right", fontsize=9)
        ax = axes[2][1]
        for key, label, style in (("train/seq_ratio_min", "sequence ratio min", "v-"),
                                  ("train/seq_ratio_max", "sequence ratio max", "^-"),
                                  ("train/clip_frac", "clip fraction", "o:")):
            steps, vals = series(records, key)
            ax.plot(steps, vals, style, label=label)
        g_steps, g_vals = series(records, "consistency/logprob_gap_max")
        title = "GSPO sequence ratios and clipping"
        if g_vals:
            title += f"; max learner-rollout log-prob gap {max(g_vals):.1e}"
        ax.set_title(title, fontsize=11)
        ax.legend(loc="best", fontsize=9)
    for row in axes:
        for a in row:
            a.set_xlabel("training step")
            a.grid(alpha=0.3)
    fig.suptitle(f"cuagym run {run_dir.name}", fontsize=13)
    fig.tight_layout()
    out = Path(out) if out else run_dir / PLOT_FILE
    fig.savefig(out)
    plt.close(fig)
    return out
