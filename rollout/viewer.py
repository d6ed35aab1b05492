"""A static HTML report of a rollout run: what the policy saw, said and did, step by step.

    build_report("runs/rollout1")            # writes runs/rollout1/view/index.html

``index.html`` has a summary table per app and one row per trajectory (tuple, apps, group,
reward, steps, actions, invalid calls, termination). Each trajectory page shows the
instruction, then per step the screenshot the policy acted on with its actions drawn on top
(numbered click markers, drag paths, scroll arrows, typed text and keys), the raw model output,
the parsed actions with their results, errors and the feedback the model was shown; at the end
the final screenshot, the reward and the reward script's output. Screenshots are referenced
from the run directory, not copied, so the report is small and always matches the run.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Sequence

from PIL import Image

from cuagym.actions import Action, ActionError, Geometry, convert
from cuagym.rollout.trajectory import StepLog, Trajectory, iter_trajectories

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f6f7f9; }
h1 { font-size: 20px; margin: 0 0 12px; } h2 { font-size: 16px; margin: 20px 0 8px; }
a { color: #2456c7; } table { border-collapse: collapse; background: #fff; margin-bottom: 16px; }
th, td { border: 1px solid #d9dde5; padding: 4px 10px; text-align: left; }
th { background: #eef1f6; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.r1 { background: #dff3e4; } .r0 { background: #fbe3e1; } .rp { background: #fff4d6; } .renv { background: #e6e6e6; }
.card { background: #fff; border: 1px solid #d9dde5; border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
.meta span { margin-right: 18px; } .instruction { font-size: 15px; font-weight: 600; }
.step { display: grid; grid-template-columns: minmax(0, 3fr) minmax(280px, 2fr); gap: 16px; }
.shot { position: relative; display: inline-block; max-width: 100%; line-height: 0; border: 1px solid #c9ced8; }
.shot img { display: block; max-width: 100%; height: auto; }
.shot svg { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
pre { white-space: pre-wrap; word-break: break-word; background: #f3f4f7; padding: 8px; margin: 4px 0 10px;
      border-radius: 4px; font-size: 12px; line-height: 1.35; }
.errors li, .bad { color: #b3261e; } .ok { color: #1e7b34; }
.label { font-size: 12px; color: #5b6474; text-transform: uppercase; letter-spacing: .04em; margin-top: 6px; }
ol.actions { padding-left: 20px; margin: 4px 0; } ol.actions code { font-size: 12px; }
.card h2 { margin-top: 0; } .outcome .shot { max-width: 60%; }
.outcome.r1 { background: #dff3e4; } .outcome.r0 { background: #fbe3e1; } .outcome.rp { background: #fff4d6; }
.outcome.renv { background: #ececec; }
"""

COLORS = {"click": "#e0245e", "double_click": "#f5a623", "right_click": "#8e44ad", "move": "#1f7ae0",
          "scroll": "#0a9d8f", "drag": "#ff6f00"}


def _esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _page(title: str, body: str) -> str:
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_esc(title)}</title>"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{CSS}</style></head>"
            f"<body>{body}</body></html>\n")


def _reward_class(t: Trajectory) -> str:
    if t.termination == "env_failure" or t.reward is None:
        return "renv"
    return "r1" if t.reward >= 1.0 else ("r0" if t.reward <= 0.0 else "rp")


def _reward_text(t: Trajectory) -> str:
    if t.termination == "env_failure":
        return "env failure"
    return "-" if t.reward is None else f"{t.reward:g}"


def safe_name(traj_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", traj_id)


# ---- drawing actions -------------------------------------------------------------------------

def screen_points(action: dict[str, Any], size: tuple[int, int]) -> tuple[Action, list[tuple[float, float]]] | None:
    """The action and its points in pixels of the screenshot (None when it cannot be read)."""
    try:
        a = Action.from_dict(action)
        if a.has_coordinates:
            a = convert(a, "screen", Geometry(size, size))
        return a, a.points()
    except (ActionError, TypeError, ValueError):
        return None


def overlay_svg(actions: Sequence[dict[str, Any]], size: tuple[int, int]) -> str:
    """SVG in screenshot pixels drawing each action, numbered in execution order."""
    w, h = size
    unit = max(w, h) / 100.0  # marker scale: 1% of the larger side
    parts = [f'<svg viewBox="0 0 {w} {h}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="5" markerHeight="5" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>']
    last = (unit * 2, unit * 3)
    text_style = (f'font-size="{unit * 1.8:.1f}" font-family="sans-serif" font-weight="700" '
                  f'paint-order="stroke" stroke="#fff" stroke-width="{unit * 0.5:.1f}"')
    for n, d in enumerate(actions, start=1):
        got = screen_points(d, size)
        if got is None:
            continue
        a, pts = got
        color = COLORS.get(a.type, "#333")
        common = f'class="mark mark-{a.type}" data-index="{n}" stroke="{color}" stroke-width="{unit * 0.4:.1f}"'
        if a.type == "drag":
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            x0, y0 = pts[0]
            parts.append(f'<g {common} data-x="{pts[-1][0]:.1f}" data-y="{pts[-1][1]:.1f}" fill="none">'
                         f'<circle cx="{x0:.1f}" cy="{y0:.1f}" r="{unit:.1f}"/>'
                         f'<polyline points="{path}" marker-end="url(#arrow)"/></g>')
            x, y = x0, y0
        elif pts:
            x, y = pts[0]
            shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{unit * 1.4:.1f}" fill="{color}" fill-opacity="0.25"/>'
            if a.type == "double_click":
                shape += f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{unit * 2.2:.1f}" fill="none"/>'
            if a.type == "move":
                shape = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{unit * 1.4:.1f}" fill="none" '
                         f'stroke-dasharray="{unit * 0.6:.1f}"/>')
            if a.type == "scroll":
                norm = math.hypot(a.dx, a.dy) or 1.0
                ex, ey = x + a.dx / norm * unit * 6, y + a.dy / norm * unit * 6
                shape += (f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" '
                          f'marker-end="url(#arrow)"/>')
            parts.append(f'<g {common} data-x="{x:.1f}" data-y="{y:.1f}">{shape}</g>')
        else:
            x, y = last
            words = {"type": f"⌨ {a.text!r}", "keypress": "⌨ " + "+".join(a.keys), "wait": f"⏱ {a.seconds:g}s",
                     "terminate": f"■ terminate ({a.status})"}.get(a.type, a.type)
            if len(words) > 60:
                words = words[:57] + "..."
            parts.append(f'<text class="mark mark-{a.type}" data-index="{n}" x="{x + unit * 1.6:.1f}" '
                         f'y="{y + unit * 3.2:.1f}" fill="#111" {text_style}>{_esc(words)}</text>')
            last = (x, y + unit * 2.6)
            continue
        parts.append(f'<text x="{x + unit * 1.6:.1f}" y="{y - unit * 1.2:.1f}" fill="{color}" {text_style}>{n}</text>')
        last = (x, y)
    parts.append("</svg>")
    return "".join(parts)


# ---- pages ------------------------------------------------------------------------------------

def _image(path: Path, page_dir: Path, actions: Sequence[dict[str, Any]], alt: str) -> str:
    if not path.exists():
        return f'<p class="bad">screenshot {path.name} is missing</p>'
    with Image.open(path) as im:
        size = im.size
    src = os.path.relpath(path, page_dir).replace(os.sep, "/")
    return (f'<div class="shot"><img src="{_esc(src)}" width="{size[0]}" height="{size[1]}" alt="{_esc(alt)}">'
            f'{overlay_svg(actions, size)}</div>')


def _step_html(s: StepLog, traj_dir: Path, page_dir: Path) -> str:
    finite = [v for v in s.logprobs if isinstance(v, (int, float)) and math.isfinite(v)]
    lp = (f"mean log-prob {sum(finite) / len(finite):.3f}" if finite and len(finite) == len(s.logprobs)
          else "log-probs absent" if s.logprobs else "")
    items = []
    for i, a in enumerate(s.actions):
        res = s.results[i] if i < len(s.results) else None
        verdict = ("" if res is None else '<span class="ok">ok</span>' if res.get("ok")
                   else f'<span class="bad">failed: {_esc(res.get("error", ""))}</span>')
        items.append(f"<li><code>{_esc(json.dumps(a, ensure_ascii=False))}</code> {verdict}</li>")
    errors = "".join(f"<li>{_esc(e)}</li>" for e in s.errors)
    return (f'<section class="card" id="step-{s.index}"><h2>Step {s.index + 1}</h2><div class="step"><div>'
            + _image(traj_dir / f"obs_{s.index}.png", page_dir, s.actions, f"screenshot before step {s.index + 1}")
            + '</div><div><div class="meta">'
            f'<span>{len(s.gen_ids)} tokens</span><span>{_esc(lp)}</span>'
            f'<span>generate {s.seconds_generate:.2f}s</span><span>env {s.seconds_env:.2f}s</span></div>'
            f'<div class="label">model output</div><pre class="raw">{_esc(s.raw_output)}</pre>'
            f'<div class="label">actions ({len(s.actions)})</div>'
            + (f'<ol class="actions">{"".join(items)}</ol>' if items else "<p>none</p>")
            + (f'<div class="label">errors</div><ul class="errors">{errors}</ul>' if errors else "")
            + f'<div class="label">feedback shown next</div><pre class="feedback">{_esc(s.feedback)}</pre>'
            "</div></div></section>")


def trajectory_page(t: Trajectory, traj_dir: Path, page_dir: Path) -> str:
    final = traj_dir / f"obs_{len(t.steps)}.png"
    head = (f'<p><a href="../index.html">&larr; all trajectories</a></p><h1>{_esc(t.traj_id)}</h1>'
            f'<div class="card"><div class="instruction">{_esc(t.instruction)}</div><div class="meta">'
            f'<span>tuple <b>{_esc(t.tuple_id)}</b></span><span>apps {_esc(", ".join(t.apps))}</span>'
            f'<span>group {_esc(t.group_id)}</span><span>policy version {t.policy_version}</span>'
            f'<span>{len(t.steps)} steps, {t.num_actions} actions, {t.num_invalid} invalid calls</span>'
            f'<span>{t.seconds:.1f}s</span></div></div>')
    steps = "".join(_step_html(s, traj_dir, page_dir) for s in t.steps)
    outcome = (f'<section class="card outcome {_reward_class(t)}" id="outcome"><h2>Outcome</h2><div class="meta">'
               f'<span>reward <b class="reward">{_esc(_reward_text(t))}</b></span>'
               f'<span>termination <b>{_esc(t.termination or "unfinished")}</b></span></div>'
               + (f'<div class="label">environment failure</div><pre class="bad">{_esc(t.env_failure)}</pre>'
                  if t.env_failure else "")
               + f'<div class="label">reward output</div><pre class="reward-output">{_esc(t.reward_output or "-")}</pre>'
               + ('<div class="label">final screenshot</div>' + _image(final, page_dir, [], "final screenshot")
                  if final.exists() else "")
               + "</section>")
    return _page(t.traj_id, head + steps + outcome)


def _app_rows(trajs: Sequence[Trajectory]) -> str:
    rows = []
    for app in sorted({a for t in trajs for a in t.apps}):
        ts = [t for t in trajs if app in t.apps]
        scored = [t for t in ts if t.termination != "env_failure" and t.reward is not None]
        steps = sum(len(t.steps) for t in scored)
        cells = [len(ts), f"{sum(t.reward == 1.0 for t in scored) / len(scored):.2f}" if scored else "-",
                 f"{sum(t.reward for t in scored) / len(scored):.2f}" if scored else "-",
                 f"{steps / len(scored):.2f}" if scored else "-",
                 f"{sum(t.num_actions for t in scored) / steps:.2f}" if steps else "-",
                 sum(t.num_invalid for t in scored), len(ts) - len(scored)]
        rows.append(f"<tr><td>{_esc(app)}</td>" + "".join(f'<td class="num">{c}</td>' for c in cells) + "</tr>")
    return "".join(rows)


def index_page(trajs: Sequence[Trajectory], run_dir: Path) -> str:
    summary = ('<table class="apps"><tr><th>app</th><th>trajectories</th><th>success</th><th>mean reward</th>'
               "<th>steps / traj</th><th>actions / step</th><th>invalid calls</th><th>env failures</th></tr>"
               + _app_rows(trajs) + "</table>")
    rows = []
    for t in sorted(trajs, key=lambda t: (t.tuple_id, t.traj_id)):
        rows.append(f'<tr class="traj {_reward_class(t)}"><td><a href="t/{_esc(safe_name(t.traj_id))}.html">'
                    f"{_esc(t.traj_id)}</a></td><td>{_esc(t.tuple_id)}</td><td>{_esc(', '.join(t.apps))}</td>"
                    f'<td class="num reward">{_esc(_reward_text(t))}</td><td class="num">{len(t.steps)}</td>'
                    f'<td class="num">{t.num_actions}</td><td class="num">{t.num_invalid}</td>'
                    f"<td>{_esc(t.termination or 'unfinished')}</td><td>{_esc(t.instruction[:90])}</td></tr>")
    table = ('<table class="trajectories"><tr><th>trajectory</th><th>tuple</th><th>apps</th><th>reward</th>'
             "<th>steps</th><th>actions</th><th>invalid</th><th>termination</th><th>instruction</th></tr>"
             + "".join(rows) + "</table>")
    return _page(f"rollout {run_dir.name}", f"<h1>Rollout {_esc(run_dir.name)}: {len(trajs)} trajectories</h1>"
                 f"<h2>Per app</h2>{summary}<h2>Trajectories</h2>{table}")


def build_report(run_dir: str | Path, out_dir: str | Path | None = None) -> Path:
    """Write the report for ``run_dir`` into ``out_dir`` (default ``run_dir/view``); return index.html."""
    run = Path(run_dir)
    if not (run / "trajectories").is_dir():
        raise FileNotFoundError(f"{run} has no trajectories/ folder: expected a run directory written by "
                                "'cuagym rollout' or training")
    out = Path(out_dir) if out_dir is not None else run / "view"
    pages = out / "t"
    pages.mkdir(parents=True, exist_ok=True)
    trajs = list(iter_trajectories(run, with_images=False))
    for t in trajs:
        (pages / f"{safe_name(t.traj_id)}.html").write_text(
            trajectory_page(t, run / "trajectories" / t.traj_id, pages), encoding="utf-8")
    index = out / "index.html"
    index.write_text(index_page(trajs, run), encoding="utf-8")
    return index


def make_server(root: str | Path, port: int, host: str = "127.0.0.1") -> Any:
    """An HTTP server for ``root`` (the common folder of the report and the run's screenshots)."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *a: Any) -> None:
            pass

    return ThreadingHTTPServer((host, port), functools.partial(Quiet, directory=str(root)))
