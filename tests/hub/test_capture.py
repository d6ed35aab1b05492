"""Every app's reference-screenshot script has the same command and names views its app accepts,
one per committed screenshot (the browser run itself: tests/hub/test_calendar.py)."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from cuagym.hub.core.capture import default_out
from cuagym.hub.core.registry import app_names, load_spec

CAPTURED = [a for a in app_names() if importlib.util.find_spec(f"cuagym.hub.{a}.capture") is not None]


def test_the_apps_with_screenshot_scripts():
    # notes writes its screenshots from tests/hub/test_notes.py (CUAGYM_WRITE_SCREENSHOTS=1).
    assert set(app_names()) - set(CAPTURED) == {"notes"}


@pytest.mark.parametrize("app", CAPTURED)
def test_views_are_valid_states_one_per_committed_screenshot(app):
    mod = importlib.import_module(f"cuagym.hub.{app}.capture")
    views = mod.view_states()
    spec = load_spec(app)
    for name, state in views.items():
        spec.validate(state)  # raises on a state the app refuses
    assert sorted(views) == sorted(p.stem for p in default_out(app).glob("*.png"))


@pytest.mark.parametrize("app", CAPTURED)
def test_same_command_line_for_every_app(app, capsys):
    mod = importlib.import_module(f"cuagym.hub.{app}.capture")
    with pytest.raises(SystemExit) as done:
        mod.main(["--help"])
    assert done.value.code == 0
    usage = capsys.readouterr().out
    assert usage.startswith(f"usage: python -m cuagym.hub.{app}.capture [-h] [out_dir]")
    assert f"hub/{app}/screenshots" in usage and all(name in usage for name in mod.view_states())
