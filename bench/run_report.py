"""Write a training run's results as markdown: the before/after table, the per-step series,
the scaffold and consistency figures, and the golden-sequence counts of its tuple sets.

    python bench/run_report.py runs/tiny_multiturn --config configs/tiny_multiturn.yaml \
        --wall-s 2400 --out bench/results/tiny_multiturn.md [--curves bench/results/tiny_multiturn_curves.png]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

from cuagym.config import load_config
from cuagym.data.dataset import Dataset
from cuagym.train.plot import first_last_mean, plot_run, series
from cuagym.train.tracking import read_metrics

SERIES = (
    ("rollout/success_rate", "train success %", 100, "{:.0f}"),
    ("rollout/reward_mean", "train reward mean", 1, "{:.2f}"),
    ("rollout/steps_per_trajectory", "turns / episode", 1, "{:.2f}"),
    ("rollout/actions_per_step", "actions / turn", 1, "{:.2f}"),
    ("rollout/invalid_tool_calls_per_step", "invalid calls / turn", 1, "{:.2f}"),
    ("scaffold/slices_per_trajectory", "slices / episode", 1, "{:.2f}"),
    ("scaffold/folded_per_trajectory", "folded screenshots / episode", 1, "{:.2f}"),
    ("scaffold/multi_slice_frac", "episodes with 2+ slices %", 100, "{:.0f}"),
    ("rollout/groups_trained", "groups with signal", 1, "{:.0f}"),
    ("train/clip_frac", "clip fraction", 1, "{:.2f}"),
    ("train/seq_ratio_min", "sequence ratio min", 1, "{:.3f}"),
    ("train/seq_ratio_max", "sequence ratio max", 1, "{:.3f}"),
    ("consistency/logprob_gap_max", "log-prob gap max", 1, "{:.1e}"),
    ("timing_s/step", "step seconds", 1, "{:.0f}"),
)


def golden_sequences(root: str, prefixes: list[str]) -> set[str]:
    """The distinct golden UI action sequences of the tuples under ``prefixes``."""
    out = set()
    for t in Dataset(root, prefixes=prefixes):
        g = t.golden_actions()
        if g is not None:
            out.add(json.dumps(g.steps, sort_keys=True))
    return out


def same_action(done: dict, golden: dict, tol: float) -> bool:
    """Whether an executed action is the golden one: same type (and status), and for pointer
    actions the same point within ``tol`` units of the shared frame (relative_999 here)."""
    if done.get("type") != golden.get("type") or done.get("status") != golden.get("status"):
        return False
    if "x" in golden:
        return (done.get("frame") == golden.get("frame") and abs(float(done["x"]) - golden["x"]) <= tol
                and abs(float(done["y"]) - golden["y"]) <= tol)
    return True


def golden_agreement(run_dir: str, step: int, root: str, prefixes: list[str], tol: float = 15.0) -> list[float]:
    """For the evaluation at ``step``: the share of episodes whose first k turns did exactly what
    the tuple's golden trajectory does, for k = 1 .. the longest golden trajectory. Turn 1 of
    notes.pin_nth is the click on the named notebook: its share measures grounding, not format."""
    golden = {t.id: t.golden_actions().steps for t in Dataset(root, prefixes=prefixes) if t.golden_actions()}
    depth = max((len(g) for g in golden.values()), default=0)
    hits, total = [0] * depth, 0
    for traj in sorted((Path(run_dir) / "eval" / f"step_{step:06d}" / "trajectories").glob("*")):
        meta = json.loads((traj / "meta.json").read_text())
        if meta["tuple_id"] not in golden:
            continue
        total += 1
        turns = [json.loads(line)["actions"] for line in (traj / "steps.jsonl").read_text().splitlines() if line]
        for k, want in enumerate(golden[meta["tuple_id"]]):
            got = turns[k] if k < len(turns) else []
            if len(got) != len(want) or not all(same_action(d, g, tol) for d, g in zip(got, want)):
                break
            hits[k] += 1
    return [h / total for h in hits] if total else []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--config", required=True)
    ap.add_argument("--wall-s", type=float, required=True, help="wall time of the whole launch, in seconds")
    ap.add_argument("--out", required=True)
    ap.add_argument("--curves", default=None, help="copy the run's curves PNG here")
    ap.add_argument("--note", default="", help="a line about the machine and its load")
    args = ap.parse_args()
    cfg = load_config(args.config)
    recs = read_metrics(args.run_dir)
    _, train = series(recs, "rollout/success_rate")
    e_steps, held = series(recs, "eval/success_rate")
    first, last = first_last_mean(train)
    train_seqs = golden_sequences(cfg.train.tuples, list(cfg.train.task_filter))
    held_seqs = golden_sequences(cfg.train.eval_tuples, list(cfg.train.eval_task_filter))
    _, gaps = series(recs, "consistency/logprob_gap_max")
    _, multi = series(recs, "scaffold/multi_slice_frac")
    lines = [f"# `launch/train_tiny.sh --multiturn` ({args.config})", ""]
    if args.note:
        lines += [f"- {args.note}"]
    lines += [
        f"- wall time of the launch (SFT, GSPO, two evaluations, plot): {args.wall_s / 60:.1f} min",
        f"- GSPO steps: {len(train)}; held-out evaluations at steps {e_steps}",
        f"- distinct golden action sequences: {len(train_seqs)} in the training tuples, {len(held_seqs)} in the "
        f"held-out tuples, {len(train_seqs & held_seqs)} shared",
        f"- max learner-rollout log-prob gap over the run: {max(gaps):.2e} (limit {cfg.train.max_logprob_gap:g})"
        if gaps else "- no update ran",
        f"- training episodes with 2 or more slices: {100 * sum(multi) / len(multi):.0f}% (mean over steps)"
        if multi else "",
        "",
        "| | before | after |",
        "|---|---:|---:|",
        f"| training tuples, success (mean of first 3 steps -> last 3 steps) | {100 * first:.1f}% | {100 * last:.1f}% |",
    ]
    if len(held) >= 2:
        lines.append(f"| held-out tuples, success (step {e_steps[0]} -> step {e_steps[-1]}) | {100 * held[0]:.1f}% "
                     f"| {100 * held[-1]:.1f}% |")
    if len(held) >= 2:
        first_eval, last_eval = (golden_agreement(args.run_dir, s, cfg.train.eval_tuples,
                                                  list(cfg.train.eval_task_filter)) for s in (e_steps[0], e_steps[-1]))
        if first_eval and last_eval:
            lines += ["", "Held-out episodes whose first k turns match the golden trajectory (clicks within 15 "
                      "units of 999; turn 1 is the click on the named notebook, turn 2 the row):", "",
                      "| first k turns | " + " | ".join(str(k + 1) for k in range(len(first_eval))) + " |",
                      "|---|" + "---:|" * len(first_eval),
                      f"| step {e_steps[0]} | " + " | ".join(f"{100 * v:.1f}%" for v in first_eval) + " |",
                      f"| step {e_steps[-1]} | " + " | ".join(f"{100 * v:.1f}%" for v in last_eval) + " |"]
    steps, _ = series(recs, "rollout/success_rate")
    lines += ["", "Per step:", "", "| metric | " + " | ".join(str(s) for s in steps) + " |",
              "|---|" + "---:|" * len(steps)]
    for key, label, scale, fmt in SERIES:
        st, vals = series(recs, key)
        by = dict(zip(st, vals))
        lines.append(f"| {label} | " + " | ".join(fmt.format(scale * by[s]) if s in by else "" for s in steps) + " |")
    png = plot_run(args.run_dir)
    if args.curves:
        shutil.copy(png, args.curves)
        lines += ["", f"Curves: `{os.path.basename(args.curves)}` (written by `cuagym plot`)."]
    Path(args.out).write_text("\n".join(line for line in lines if line is not None) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
