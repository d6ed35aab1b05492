"""Properties every hub app must have, checked in real Chromium against one hub serving all
apps in hardened mode: the page cannot reach what it is graded on, sessions of the same app
stay isolated when driven in parallel, and the main view fits 1280x800 without scrollbars."""

from __future__ import annotations

import pytest

from cuagym.hub.core.registry import app_names

from .conftest import open_app, wait_idle

APPS = app_names()
pytestmark = pytest.mark.hub("all")


@pytest.mark.parametrize("app", APPS)
def test_page_cannot_read_or_write_the_graded_state(browser, hub, app):
    sid = f"hard-{app}"
    ctx, page, client = open_app(browser, hub, app, sid)
    try:
        probes = page.evaluate("""async (sid) => {
          const s = (u, body) => fetch(u, body ? {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                  body: JSON.stringify(body)} : {}).then(r => r.status);
          return [await s('/go?sid=__cua_session__'), await s('/go?sid=' + sid), await s('/state?sid=' + sid),
                  await s('/post?sid=__cua_session__', {action: 'set', state: {}}),
                  await s('/post?sid=__cua_session__', {action: 'reset'}),
                  await s('/post?sid=' + sid, {action: 'set_current', state: {}}),
                  await s('/state?sid=seed-probe'), await s('/files/' + sid + '/x')];
        }""", sid)
        assert all(code in (401, 403) for code in probes), probes
        visible = page.url + page.content()
        assert sid not in visible and hub.admin_token not in visible
        assert page.evaluate("document.cookie") == ""
    finally:
        ctx.close()


@pytest.mark.parametrize("app", APPS)
def test_two_sessions_driven_in_parallel_stay_isolated(browser, hub, app):
    a = open_app(browser, hub, app, f"iso-a-{app}")
    b = open_app(browser, hub, app, f"iso-b-{app}")
    try:
        seed = a[2].state(f"iso-a-{app}")
        # Each page writes its own session through its own cookie, interleaved: a renames an
        # item, b writes its state back unchanged.
        edit = """async (tag) => {
          const s = await CUA.load();
          if (tag) {
            outer: for (const v of Object.values(s)) {
              if (!Array.isArray(v)) continue;
              for (const item of v) {
                for (const k of ['title', 'name', 'subject', 'text', 'body']) {
                  if (item && typeof item[k] === 'string') { item[k] = item[k] + tag; break outer; }
                }
              }
            }
          }
          await CUA.save(s);
        }"""
        for i in range(3):
            a[1].evaluate(edit, f" [{i}]")
            b[1].evaluate(edit, "")
        wait_idle(a[1])
        wait_idle(b[1])
        ga = a[2].go(f"iso-a-{app}")
        assert any(str(v["new"]).endswith(" [0] [1] [2]") for v in ga["state_diff"].values()), ga["state_diff"]
        # Drive real input in one page: keyboard and clicks land only in that page's session.
        a[1].mouse.click(640, 400)
        a[1].keyboard.press("Tab")
        wait_idle(a[1])
        ga, gb = a[2].go(f"iso-a-{app}"), b[2].go(f"iso-b-{app}")
        assert gb["state_diff"] == {}, f"session b changed although only a was driven: {sorted(gb['state_diff'])}"
        assert gb["current_state"] == seed
        assert a[2].state(f"iso-a-{app}") == ga["current_state"]
        assert b[2].state(f"iso-b-{app}") == seed
    finally:
        a[0].close()
        b[0].close()


@pytest.mark.parametrize("app", APPS)
def test_main_view_fills_the_viewport_without_scrollbars(browser, hub, app):
    ctx, page, _ = open_app(browser, hub, app, f"fit-{app}")
    try:
        dims = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
                             " window.innerWidth, window.innerHeight]")
        assert dims[0] <= dims[2] and dims[1] <= dims[3], dims
        shot = page.screenshot()
        assert len(shot) > 20_000  # a rendered page, not a blank one
    finally:
        ctx.close()
