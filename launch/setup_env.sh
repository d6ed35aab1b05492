#!/usr/bin/env bash
# Create or reuse the project's virtual environment at <repo>/.venv and make a Chromium
# available. Sourced by launch/train_tiny.sh and tests/run.sh; safe to run again (it only
# reinstalls when setup.py changed). Exports CUAGYM_PYTHON and CUAGYM_CHROMIUM.
#
#   source launch/setup_env.sh          # or: bash launch/setup_env.sh
#
# Torch is installed first and pinned to its CPU build on machines without a GPU: an
# unpinned `pip install torch` pulls a multi-GB CUDA build. Set CUAGYM_TORCH_SPEC to
# choose another build (for example "torch==2.13.0" from a CUDA index on a GPU node).
set -euo pipefail

CUAGYM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CUAGYM_VENV:-$CUAGYM_ROOT/.venv}"
PY_BOOT="${CUAGYM_BOOT_PYTHON:-python3}"
TORCH_SPEC="${CUAGYM_TORCH_SPEC:-torch==2.13.0}"
log() { echo "[setup] $*" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment $VENV"
  "$PY_BOOT" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip setuptools wheel
fi
PY="$VENV/bin/python"

if ! "$PY" -c "import torch" 2>/dev/null; then
  log "installing $TORCH_SPEC (CPU build where no GPU is present)"
  "$PY" -m pip install --quiet "$TORCH_SPEC"
fi

STAMP="$VENV/.cuagym-installed"
WANT="$(sha256sum "$CUAGYM_ROOT/setup.py" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  log "installing cuagym and its dependencies (pip install -e .[test])"
  ( cd "$CUAGYM_ROOT" && "$PY" -m pip install --quiet -e ".[test]" )
  echo "$WANT" > "$STAMP"
else
  log "reusing $VENV (dependencies up to date)"
fi

# Chromium: Playwright's own build if installed, else the system one, else apt-get.
find_chromium() {
  "$PY" - <<'PYEOF' 2>/dev/null || true
import os
try:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        path = p.chromium.executable_path
        if path and os.path.exists(path):
            print(path)
except Exception:
    pass
PYEOF
}
CHROMIUM="${CUAGYM_CHROMIUM:-}"
if [ -z "$CHROMIUM" ]; then CHROMIUM="$(find_chromium)"; fi
if [ -z "$CHROMIUM" ]; then
  for c in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
    if [ -x "$c" ]; then CHROMIUM="$c"; break; fi
  done
fi
if [ -z "$CHROMIUM" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    log "installing Debian's chromium with apt-get"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    CHROMIUM=/usr/bin/chromium
  else
    log "no Chromium found: install one (apt-get install chromium, or playwright install chromium) or set CUAGYM_CHROMIUM"
    exit 1
  fi
fi
# bubblewrap: the sandbox for tuple scripts (namespaces, no network but the hub).
if ! command -v bwrap >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    log "installing bubblewrap (the tuple-script sandbox) with apt-get"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
  else
    log "warning: bubblewrap (bwrap) not found; tuple scripts cannot run until it is installed"
  fi
fi
log "python: $PY ($("$PY" -c 'import torch,sys; print(f"torch {torch.__version__}, python {sys.version.split()[0]}")'))"
log "chromium: $CHROMIUM"
export CUAGYM_PYTHON="$PY" CUAGYM_CHROMIUM="$CHROMIUM" CUAGYM_ROOT
