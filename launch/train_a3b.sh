#!/usr/bin/env bash
# Train Qwen3.5-35B-A3B on one GPU node: vLLM policy engines and the DeepSpeed learner are
# placed on the node's GPUs by the placement plan of the config (configs/a3b.yaml).
#
#   launch/train_a3b.sh --dry-run                       # print the plan and memory estimate, exit
#   launch/train_a3b.sh                                 # set up, check the plan, train
#   launch/train_a3b.sh --model /ckpt/Qwen3.5-35B-A3B train.steps=100
#   CUAGYM_MODEL=Qwen/Qwen3.5-35B-A3B launch/train_a3b.sh
#
# The model is a local checkpoint directory or a hub id already in the local HF cache
# (--model, $CUAGYM_MODEL or model.path of the config). Extra key.path=value arguments
# override the config. --dry-run exits 0 when the plan fits and 1 with the reasons when
# it does not; a run that would not fit is refused before anything starts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/launch/common.sh"
cg_usage() { sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

CONFIG="configs/a3b.yaml"
cg_parse_args "$@"

if [ "$DRY_RUN" = 1 ]; then
  cg_light_python
  cg_plan
  exit $?
fi

cg_full_setup
cd "$ROOT"
export WANDB_MODE="${WANDB_MODE:-}" HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" CUAGYM_CHROMIUM
cg_plan || cg_die "the placement plan was refused (see above); nothing was started" 1
cg_driver
