"""Discover the hub's apps: every sub-package of ``cuagym.hub`` with an ``app.py`` exposing ``SPEC``."""

from __future__ import annotations

import importlib
from pathlib import Path

from cuagym.hub.core.spec import AppSpec

HUB_DIR = Path(__file__).resolve().parent.parent


def app_names() -> list[str]:
    return sorted(p.name for p in HUB_DIR.iterdir()
                  if p.is_dir() and (p / "app.py").exists() and (p / "__init__.py").exists())


def load_spec(name: str) -> AppSpec:
    names = app_names()
    if name not in names:
        raise KeyError(f"unknown hub app {name!r}; valid apps: {', '.join(names) or '(none)'}")
    spec = importlib.import_module(f"cuagym.hub.{name}.app").SPEC
    if not isinstance(spec, AppSpec):
        raise TypeError(f"cuagym.hub.{name}.app.SPEC must be an AppSpec, got {type(spec).__name__}")
    return spec


def parse_app_list(value: str) -> list[str]:
    """``all`` or a comma-separated list of app names -> validated names."""
    names = app_names()
    if value.strip() == "all":
        return names
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    if not chosen:
        raise ValueError(f"no apps given: use 'all' or a comma-separated list of {', '.join(names)}")
    unknown = [c for c in chosen if c not in names]
    if unknown:
        raise ValueError(f"unknown hub app(s) {', '.join(unknown)}; valid apps: {', '.join(names)}")
    return chosen
