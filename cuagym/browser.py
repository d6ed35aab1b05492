"""Where Chromium is and how to launch it headless on machines with a closed network.

The flags keep Chromium from phoning home (on a machine with no network every such attempt
floods the log with refused connections) and make rendering deterministic enough for
screenshots to be compared.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--font-render-hinting=none",
    "--force-color-profile=srgb", "--disable-features=Translate,MediaRouter,OptimizationHints",
]
SYSTEM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_executable() -> str | None:
    """$CUAGYM_CHROMIUM, else Playwright's own Chromium if installed, else a system Chromium.

    ``None`` means "let Playwright choose" (its bundled build); a RuntimeError says none exists.
    """
    env = os.environ.get("CUAGYM_CHROMIUM")
    if env:
        if not Path(env).exists():
            raise RuntimeError(f"CUAGYM_CHROMIUM={env} does not exist")
        return env
    bundled = _playwright_bundled()
    if bundled:
        return None
    for c in SYSTEM_CANDIDATES:
        if Path(c).exists():
            return c
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    raise RuntimeError("no Chromium found: run launch/setup_env.sh, `apt-get install chromium`, "
                       "or `playwright install chromium`, or set CUAGYM_CHROMIUM")


def _playwright_bundled() -> bool:
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache" / "ms-playwright"))
    return root.exists() and any(root.glob("chromium-*/chrome-linux*/chrome"))


def launch_kwargs(headless: bool = True) -> dict:
    """Keyword arguments for ``playwright.chromium.launch``."""
    kw: dict = {"headless": headless, "args": list(CHROMIUM_ARGS)}
    exe = chromium_executable()
    if exe:
        kw["executable_path"] = exe
    return kw
