#!/usr/bin/env bash
# GPU smoke run of the ray runtime with one vLLM engine actor and a 1-rank learner: two GSPO
# steps with weight sync on the tiny policy; prints the rollout/learner log-prob gap before and
# after each sync and the sync time (see bench/gpu_smoke.py). Needs one CUDA GPU; under 10 min.
#
#   bash bench/gpu_smoke.sh [--json bench/results/gpu_smoke.json]
#
# Set CUAGYM_PYTHON to a Python with cuagym and the GPU extras installed (pip install -e .[gpu]);
# otherwise the project's set-up script builds .venv with a CUDA torch (CUAGYM_TORCH_SPEC).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${CUAGYM_PYTHON:-}" ]; then
  source "$ROOT/launch/setup_env.sh"
  "$CUAGYM_PYTHON" -c "import vllm" 2>/dev/null || "$CUAGYM_PYTHON" -m pip install --quiet -e "$ROOT[gpu]"
fi
export RAY_USAGE_STATS_ENABLED=0 RAY_AUTH_MODE="${RAY_AUTH_MODE:-disabled}" HF_HUB_OFFLINE=1 WANDB_MODE=offline
exec timeout 600 "$CUAGYM_PYTHON" "$ROOT/bench/gpu_smoke.py" "$@"
