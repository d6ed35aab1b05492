#!/usr/bin/env bash
# Shared helpers of launch/train_a3b.sh and launch/train_a17b.sh (sourced, not run).
#
#   cg_parse_args "$@"   -> DRY_RUN, CONFIG, OVERRIDES (array); --model / $CUAGYM_MODEL -> model.path
#   cg_light_python      -> PY for commands that only need the project importable (the dry run)
#   cg_full_setup        -> PY after launch/setup_env.sh (+ the GPU extras on a GPU machine);
#                           CUAGYM_SKIP_SETUP=1 takes $CUAGYM_PYTHON as installed
#   cg_driver            -> runs the training driver with the config and overrides

CG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

cg_die() {  # message, [exit status]
  echo "error: $1" >&2
  exit "${2:-2}"
}

cg_log() { echo "[launch] $*" >&2; }

# Options every launch script takes; anything of the form key.path=value is a config override.
cg_parse_args() {
  DRY_RUN=0
  OVERRIDES=()
  local model="${CUAGYM_MODEL:-}"
  while [ $# -gt 0 ]; do
    case "$1" in
      --dry-run) DRY_RUN=1 ;;
      --config) [ $# -ge 2 ] || cg_die "--config needs a file, e.g. --config configs/a3b.yaml"; CONFIG="$2"; shift ;;
      --config=*) CONFIG="${1#--config=}" ;;
      --model) [ $# -ge 2 ] || cg_die "--model needs a local path or hub id, e.g. --model Qwen/Qwen3.5-35B-A3B"; model="$2"; shift ;;
      --model=*) model="${1#--model=}" ;;
      -h|--help) cg_usage; exit 0 ;;
      -*) cg_die "unknown option $1; options: --dry-run, --config FILE, --model PATH_OR_ID, --help, key.path=value overrides" ;;
      *=*) OVERRIDES+=("$1") ;;
      *) cg_die "unexpected argument '$1': expected an option or a key.path=value config override" ;;
    esac
    shift
  done
  [ -f "$CONFIG" ] || [ -f "$CG_ROOT/$CONFIG" ] || cg_die "config file not found: $CONFIG"
  [ -f "$CONFIG" ] || CONFIG="$CG_ROOT/$CONFIG"
  if [ -n "$model" ]; then OVERRIDES+=("model.path=$model"); fi
}

# The dry run only imports the project: reuse an environment that has it, set up otherwise.
cg_light_python() {
  local candidate
  for candidate in "${CUAGYM_PYTHON:-}" "$CG_ROOT/.venv/bin/python"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c "import cuagym.train.placement" 2>/dev/null; then
      PY="$candidate"
      return
    fi
  done
  cg_full_setup
}

cg_full_setup() {
  if [ "${CUAGYM_SKIP_SETUP:-0}" = 1 ]; then
    # The environment is managed elsewhere (a container image, a shared venv).
    PY="${CUAGYM_PYTHON:-}"
    [ -n "$PY" ] && "$PY" -c "import cuagym" 2>/dev/null \
      || cg_die "CUAGYM_SKIP_SETUP=1 needs CUAGYM_PYTHON pointing at a Python with cuagym installed"
    return
  fi
  # shellcheck source=launch/setup_env.sh
  source "$CG_ROOT/launch/setup_env.sh"
  PY="$CUAGYM_PYTHON"
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 \
      && ! "$PY" -c "import vllm" 2>/dev/null; then
    cg_log "GPU machine: installing the GPU extras (pip install -e .[gpu]: vLLM, flash-attn)"
    ( cd "$CG_ROOT" && "$PY" -m pip install --quiet -e ".[gpu]" ) || cg_die "installing the GPU extras failed" 1
  fi
}

cg_plan() {  # extra plan arguments...
  "$PY" -m cuagym.commands.plan_cli --config "$CONFIG" "${OVERRIDES[@]}" "$@"
}

# The training driver; CUAGYM_DRIVER replaces it (e.g. an evaluation entry point).
cg_driver() {
  if [ -n "${CUAGYM_DRIVER:-}" ]; then
    # shellcheck disable=SC2086
    $CUAGYM_DRIVER --config "$CONFIG" "${OVERRIDES[@]}"
  else
    "$PY" -m cuagym.cli train --config "$CONFIG" "${OVERRIDES[@]}"
  fi
}
