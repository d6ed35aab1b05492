"""The trajectory viewer: trajectories written by the real writer, the report opened in Chromium,
its content and the drawn actions checked where a user sees them."""

from __future__ import annotations

import threading
import urllib.request

import pytest
from PIL import Image

from cuagym.commands.view_cli import main as view_main
from cuagym.rollout.trajectory import StepLog, Trajectory, TrajectoryWriter
from cuagym.rollout.viewer import build_report, make_server, overlay_svg

W, H = 400, 200


def write_run(root):
    """Two trajectories through TrajectoryWriter: a solved one with every kind of drawn action, and an
    environment failure."""
    ok = Trajectory("grp-0", "notes.pin.demo", "grp", ["notes"], "Pin the note <Groceries>")
    w = TrajectoryWriter(root, ok)
    w.observation(0, Image.new("RGB", (W, H), (240, 240, 240)))
    w.step(StepLog(0, '<tool_call>{"name": "computer_use", ...}</tool_call> <script>alert(1)</script>',
                   [1, 2, 3], [-0.5, -0.25, -0.75],
                   [{"type": "click", "x": 499.5, "y": 499.5, "frame": "relative_999", "button": "left"},
                    {"type": "drag", "path": [[0, 0], [999, 999]], "frame": "relative_999"},
                    {"type": "type", "text": "milk"}],
                   [{"action": {}, "ok": True, "error": ""}, {"action": {}, "ok": False, "error": "drag went nowhere"},
                    {"action": {}, "ok": True, "error": ""}],
                   ["tool call 4: unknown tool 'browser'"], "Error: tool call 4: unknown tool 'browser'", 0.5, 0.25))
    w.observation(1, Image.new("RGB", (W, H), (200, 220, 240)))
    w.step(StepLog(1, "<tool_call>terminate</tool_call>", [4, 5], [float("nan"), float("nan")],
                   [{"type": "terminate", "status": "success"}], [{"action": {}, "ok": True, "error": ""}], [], "OK"))
    w.observation(2, Image.new("RGB", (W, H), (180, 240, 180)))
    ok.reward, ok.termination, ok.reward_output = 1.0, "terminate", "guard ok  pinned\nREWARD: 1.0"
    w.finish()
    bad = Trajectory("grp-1", "notes.pin.demo", "grp", ["notes"], "Pin the note <Groceries>")
    wb = TrajectoryWriter(root, bad)
    bad.termination, bad.env_failure = "env_failure", "notes.pin.demo: initial_setup.py failed: exit 3"
    wb.finish()


@pytest.fixture(scope="module")
def page(browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 900})
    yield pg
    pg.close()


def test_report_in_chromium_shows_the_run(tmp_path, page):
    run = tmp_path / "run"
    write_run(run)
    index = build_report(run)
    assert index == run / "view" / "index.html"
    page.goto(index.as_uri())
    rows = page.locator("table.trajectories tr.traj")
    assert rows.count() == 2
    assert rows.nth(0).locator("td.reward").inner_text() == "1"
    assert rows.nth(1).locator("td.reward").inner_text() == "env failure"
    assert page.locator("table.apps td").all_inner_texts()[:8] == ["notes", "2", "1.00", "1.00", "2.00", "2.00",
                                                                   "1", "1"]
    rows.nth(0).locator("a").click()
    page.wait_for_load_state()
    assert page.locator(".instruction").inner_text() == "Pin the note <Groceries>"
    raw = page.locator("pre.raw").first.inner_text()
    assert raw.endswith("<script>alert(1)</script>") and page.locator("script").count() == 0  # shown, not run
    assert page.locator("#step-0 .errors li").inner_text() == "tool call 4: unknown tool 'browser'"
    assert "failed: drag went nowhere" in page.locator("#step-0 ol.actions").inner_text()
    assert "mean log-prob -0.500" in page.locator("#step-0 .meta").inner_text()
    assert "log-probs absent" in page.locator("#step-1 .meta").inner_text()
    assert page.locator("#outcome .reward").inner_text() == "1"
    assert "REWARD: 1.0" in page.locator("#outcome pre.reward-output").inner_text()
    # Every screenshot loaded (naturalWidth > 0): the relative links into the run directory resolve.
    widths = page.eval_on_selector_all("img", "els => els.map(e => e.complete && e.naturalWidth)")
    assert widths == [W, W, W]
    # The click at the centre of the 0..999 grid is drawn at the centre of the displayed screenshot.
    img = page.locator("#step-0 .shot img").bounding_box()
    mark = page.locator("#step-0 .mark-click circle").bounding_box()
    cx, cy = mark["x"] + mark["width"] / 2, mark["y"] + mark["height"] / 2
    assert abs(cx - (img["x"] + img["width"] * (W - 1) / 2 / W)) < 1.5
    assert abs(cy - (img["y"] + img["height"] * (H - 1) / 2 / H)) < 1.5
    # The drag runs corner to corner; the typed text is written on the screenshot.
    drag = page.locator("#step-0 .mark-drag polyline").bounding_box()
    assert abs(drag["x"] - img["x"]) < 3 and abs(drag["x"] + drag["width"] - (img["x"] + img["width"])) < 6
    assert page.locator("#step-0 text.mark-type").text_content() == "⌨ 'milk'"
    assert page.locator("#step-1 text.mark-terminate").text_content() == "■ terminate (success)"
    page.locator("a", has_text="all trajectories").click()
    page.locator("tr.traj").nth(1).locator("a").click()
    assert "initial_setup.py failed: exit 3" in page.locator("#outcome").inner_text()
    assert page.locator("#outcome .reward").inner_text() == "env failure"


def test_overlay_converts_each_frame_to_screenshot_pixels():
    svg = overlay_svg([{"type": "click", "x": 100, "y": 50, "frame": "image"},
                       {"type": "right_click", "x": 999, "y": 0, "frame": "relative_999"},
                       {"type": "scroll", "x": 0, "y": 0, "dx": 0, "dy": 300, "frame": "screen"},
                       {"type": "click", "x": "oops"}], (W, H))
    assert 'class="mark mark-click" data-index="1"' in svg and 'data-x="100.0" data-y="50.0"' in svg
    assert 'data-index="2"' in svg and f'data-x="{W - 1:.1f}" data-y="0.0"' in svg
    assert 'class="mark mark-scroll" data-index="3"' in svg and "<line" in svg
    assert 'data-index="4"' not in svg  # an unreadable action is listed, never drawn


def test_view_cli_writes_elsewhere_serves_and_refuses_bad_paths(tmp_path, capsys):
    run = tmp_path / "run"
    write_run(run)
    out = tmp_path / "report"
    assert view_main([str(run), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out and (out / "t" / "grp-0.html").exists()
    server = make_server(tmp_path, 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        page = urllib.request.urlopen(f"{base}/report/t/grp-0.html", timeout=10).read().decode()
        assert "../../run/trajectories/grp-0/obs_0.png" in page
        png = urllib.request.urlopen(f"{base}/run/trajectories/grp-0/obs_0.png", timeout=10).read()
        assert png.startswith(b"\x89PNG")
    finally:
        server.shutdown()
        server.server_close()
    assert view_main([str(tmp_path / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert view_main([str(tmp_path / "empty")]) == 2
    assert "has no trajectories/ folder" in capsys.readouterr().err
    assert view_main([str(run), "--serve", "70000"]) == 2
    assert view_main([str(run), "--bogus"]) == 2
