#!/usr/bin/env bash
# The embedded default, end to end on a CPU: set up on first run (.venv with CPU torch, the
# project, Chromium), build the tiny Qwen3.5-MoE policy if it is missing, warm-start it on
# golden UI trajectories (cuagym sft), train it with GSPO on the bundled apps and tuples
# (cuagym train, which evaluates the held-out tuples before and after), and plot the curves.
# Extra arguments are config overrides for every stage:
#
#   launch/train_tiny.sh                       # defaults (configs/tiny.yaml): one-click tasks
#   launch/train_tiny.sh train.steps=10        # dotted overrides
#   launch/train_tiny.sh --multiturn           # configs/tiny_multiturn.yaml: four-turn tasks with
#                                              # screenshot folding and trajectory slicing active
set -euo pipefail
CONFIG=configs/tiny.yaml
if [ "${1:-}" = "--multiturn" ]; then
  CONFIG=configs/tiny_multiturn.yaml
  shift
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/launch/setup_env.sh"
cd "$ROOT"
export CUAGYM_CHROMIUM WANDB_MODE="${WANDB_MODE:-offline}" HF_HUB_OFFLINE=1 OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
PY="$CUAGYM_PYTHON"
START=$(date +%s)

"$PY" -m cuagym.config_cli check --config "$CONFIG" "$@"
read -r POLICY SFT_OUT RUN_DIR < <("$PY" -c '
import sys
from cuagym.config import load_config
c = load_config(sys.argv[1], sys.argv[2:])
print(c.model.path, c.sft.out_dir, c.train.run_dir)' "$CONFIG" "$@")

if [ ! -f "$POLICY/config.json" ]; then
  # Two text layers (one linear-attention, one full-attention): the same hybrid architecture,
  # half the CPU time of the default four.
  "$PY" -m cuagym.modeling.tiny "$POLICY" --layers 2
fi
echo "== supervised warm start (cuagym sft) =="
"$PY" -m cuagym.commands.sft_cli --config "$CONFIG" "$@"
echo "== GSPO training (cuagym train) =="
rm -rf "$RUN_DIR"
"$PY" -m cuagym.commands.train_cli --config "$CONFIG" train.init_from="$SFT_OUT" "$@"
echo "== plot (cuagym plot) =="
"$PY" -m cuagym.commands.plot_cli "$RUN_DIR"
END=$(date +%s)

"$PY" - "$RUN_DIR" "$((END - START))" <<'PYEOF'
import json, sys
from pathlib import Path
from cuagym.train.plot import first_last_mean, series
from cuagym.train.tracking import read_metrics
run, seconds = Path(sys.argv[1]), int(sys.argv[2])
recs = read_metrics(run)
_, train = series(recs, "rollout/success_rate")
e_steps, held = series(recs, "eval/success_rate")
first, last = first_last_mean(train)
print("\n== launch/train_tiny.sh: results ==")
print(f"  training tuples: success rate {100 * first:.1f}% (first 3 steps) -> {100 * last:.1f}% (last 3 steps)")
if len(held) >= 2:
    print(f"  held-out tuples: success rate {100 * held[0]:.1f}% (step {e_steps[0]}) -> {100 * held[-1]:.1f}% (step {e_steps[-1]})")
print(f"  per step (train): {' '.join(f'{100 * v:.0f}' for v in train)}")
_, gaps = series(recs, "consistency/logprob_gap_max")
if gaps:
    print(f"  learner vs rollout log-prob gap: max {max(gaps):.2e} over {len(gaps)} steps")
_, multi = series(recs, "scaffold/multi_slice_frac")
if multi and max(multi) > 0:
    _, slices = series(recs, "scaffold/slices_per_trajectory")
    print(f"  episodes with 2+ slices: {100 * sum(multi) / len(multi):.0f}% (mean over steps); "
          f"slices per trajectory {sum(slices) / len(slices):.2f}")
print(f"  wall time after set-up: {seconds // 60} min {seconds % 60} s")
print(f"  run directory:  {run}  (metrics.jsonl, rollouts/, eval/, summary.json)")
print(f"  checkpoints:    {run / 'checkpoints'}")
print(f"  final policy:   {run / 'policy'}")
print(f"  W&B offline:    {next((run / 'wandb').glob('offline-run-*'), 'none')}")
print(f"  plot:           {run / 'curves.png'}")
PYEOF
