#!/usr/bin/env bash
# Train Qwen3.5-397B-A17B on several GPU nodes (configs/a17b.yaml). Run the SAME command on
# every node: rank 0 starts the Ray head, waits until all nodes have joined, runs the
# training driver and tears its Ray node down on exit or signal; the other ranks join the
# head as Ray workers and block until it is gone.
#
#   srun --nodes=16 --ntasks-per-node=1 launch/train_a17b.sh            # SLURM
#   NODE_RANK=0 NNODES=16 MASTER_ADDR=10.0.0.1 launch/train_a17b.sh     # any launcher
#   NODE_RANK=0 NNODES=16 MASTER_ADDR=10.0.0.1 launch/train_a17b.sh --dry-run
#
# Cluster variables: SLURM's (SLURM_NODEID or SLURM_PROCID, SLURM_NNODES, and the head is
# the first host of SLURM_JOB_NODELIST via scontrol) or NODE_RANK, NNODES, MASTER_ADDR;
# MASTER_PORT (default 6379) is the Ray head's port. Options: --dry-run (print the plan
# and exit 0, or 1 when it does not fit), --config FILE, --model PATH_OR_ID, key.path=value
# overrides. CUAGYM_RAY_START_ARGS adds arguments to `ray start` (e.g. --num-cpus 64),
# CUAGYM_RAY_TEMP_DIR sets Ray's temp dir, CUAGYM_JOIN_TIMEOUT_S overrides
# cluster.join_timeout_s, CUAGYM_SKIP_SETUP=1 uses $CUAGYM_PYTHON as installed (e.g. an image).
# Ray starts clusters with token authentication: give every node the same RAY_AUTH_TOKEN (or
# RAY_AUTH_MODE=disabled on a trusted network). The driver runs the ray runtime on the cluster.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/launch/common.sh"
cg_usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

CONFIG="configs/a17b.yaml"
cg_parse_args "$@"

# ---- who am I: SLURM first, then the generic variables ----------------------------------
if [ -n "${SLURM_NNODES:-}" ]; then
  NODE_RANK="${NODE_RANK:-${SLURM_NODEID:-${SLURM_PROCID:-}}}"
  NNODES="${NNODES:-$SLURM_NNODES}"
  if [ -z "${MASTER_ADDR:-}" ] && [ -n "${SLURM_JOB_NODELIST:-}" ]; then
    command -v scontrol >/dev/null 2>&1 \
      || cg_die "SLURM_JOB_NODELIST is set but scontrol is not on PATH to expand it; set MASTER_ADDR to the first node's address"
    # Whole output first: `| head -n 1` could kill scontrol with SIGPIPE under pipefail.
    HOSTS="$(scontrol show hostnames "$SLURM_JOB_NODELIST")" \
      || cg_die "scontrol could not expand SLURM_JOB_NODELIST='$SLURM_JOB_NODELIST'; set MASTER_ADDR"
    MASTER_ADDR="${HOSTS%%$'\n'*}"
  fi
fi
missing=()
for var in NODE_RANK NNODES MASTER_ADDR; do
  [ -n "${!var:-}" ] || missing+=("$var")
done
if [ ${#missing[@]} -gt 0 ]; then
  cg_die "missing cluster variable(s): ${missing[*]}. Run under SLURM (srun sets SLURM_NODEID, SLURM_NNODES, SLURM_JOB_NODELIST) or set NODE_RANK (0..NNODES-1, 0 = head), NNODES (number of nodes) and MASTER_ADDR (address of node 0) on every node"
fi
MASTER_PORT="${MASTER_PORT:-6379}"
for var in NODE_RANK NNODES MASTER_PORT; do
  [[ "${!var}" =~ ^[0-9]+$ ]] || cg_die "$var must be a non-negative integer, got '${!var}'"
done
[ "$NNODES" -ge 1 ] || cg_die "NNODES must be >= 1, got $NNODES"
[ "$NODE_RANK" -lt "$NNODES" ] || cg_die "NODE_RANK ($NODE_RANK) must be below NNODES ($NNODES)"
ROLE=$([ "$NODE_RANK" = 0 ] && echo "Ray head (runs the driver)" || echo "Ray worker")
echo "node $NODE_RANK of $NNODES: $ROLE, head at $MASTER_ADDR:$MASTER_PORT"

if [ "$DRY_RUN" = 1 ]; then
  cg_light_python
  cg_plan --nodes "$NNODES"
  exit $?
fi

cg_full_setup
cd "$ROOT"
export WANDB_MODE="${WANDB_MODE:-}" HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" CUAGYM_CHROMIUM
if ! PLAN_TEXT="$(cg_plan --nodes "$NNODES")"; then
  echo "$PLAN_TEXT"
  cg_die "the placement plan was refused (see above); nothing was started" 1
fi
[ "$NODE_RANK" != 0 ] || echo "$PLAN_TEXT"
RAY="$(dirname "$PY")/ray"
[ -x "$RAY" ] || RAY="$(command -v ray || true)"
[ -n "$RAY" ] || cg_die "the ray command was not found next to $PY or on PATH" 1
JOIN_TIMEOUT="${CUAGYM_JOIN_TIMEOUT_S:-$("$PY" -c 'import sys; from cuagym.config import load_config; print(load_config(sys.argv[1], sys.argv[2:]).cluster.join_timeout_s)' "$CONFIG" "${OVERRIDES[@]}")}"
# The marker resource ties this machine to plan node $NODE_RANK (see cuagym.train.ray_cluster).
RAY_ARGS=(--resources "{\"cuagym_node_$NODE_RANK\": 1}" --disable-usage-stats --block)
[ -z "${CUAGYM_RAY_TEMP_DIR:-}" ] || RAY_ARGS+=(--temp-dir "$CUAGYM_RAY_TEMP_DIR")
# shellcheck disable=SC2206
[ -z "${CUAGYM_RAY_START_ARGS:-}" ] || RAY_ARGS+=($CUAGYM_RAY_START_ARGS)
export RAY_USAGE_STATS_ENABLED=0

# `ray start --block` owns the Ray processes of this node: stopping it stops exactly them
# (unlike `ray stop`, which would also stop unrelated Ray sessions on a shared machine).
RAY_PID=""
teardown() {
  if [ -n "$RAY_PID" ] && kill -0 "$RAY_PID" 2>/dev/null; then
    cg_log "stopping the Ray node of rank $NODE_RANK"
    kill -TERM "$RAY_PID" 2>/dev/null || true
    wait "$RAY_PID" 2>/dev/null || true
  fi
  RAY_PID=""
}
trap teardown EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

head_reachable() { (exec 3<>"/dev/tcp/$MASTER_ADDR/$MASTER_PORT") 2>/dev/null; }

if [ "$NODE_RANK" = 0 ]; then
  "$RAY" start --head --port="$MASTER_PORT" --include-dashboard=false "${RAY_ARGS[@]}" &
  RAY_PID=$!
  "$PY" -m cuagym.train.ray_cluster wait --address "$MASTER_ADDR:$MASTER_PORT" --nodes "$NNODES" \
    --timeout "$JOIN_TIMEOUT" || cg_die "not all nodes joined; stopping" 1
  export RAY_ADDRESS="$MASTER_ADDR:$MASTER_PORT"
  set +e
  cg_driver
  status=$?
  set -e
  exit "$status"
else
  deadline=$(( $(date +%s) + ${JOIN_TIMEOUT%.*} ))
  until head_reachable; do
    [ "$(date +%s)" -lt "$deadline" ] || cg_die "the Ray head at $MASTER_ADDR:$MASTER_PORT did not come up within ${JOIN_TIMEOUT}s" 1
    sleep 2
  done
  "$RAY" start --address="$MASTER_ADDR:$MASTER_PORT" "${RAY_ARGS[@]}" &
  RAY_PID=$!
  set +e
  wait "$RAY_PID"
  status=$?
  set -e
  RAY_PID=""
  if head_reachable; then exit "$status"; fi
  cg_log "the Ray head is gone; worker $NODE_RANK exits"
  exit 0
fi
