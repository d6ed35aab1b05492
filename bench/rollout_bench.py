"""Rollout fleet benchmark: env steps/s against the machine's ceiling, reset and score latency,
memory per slot at 1-32 concurrent slots on the Ray env pool, and the overhead of our env step
over bare Playwright.

    .venv/bin/python bench/rollout_bench.py --slots 1 4 16     # writes bench/results/rollout.{json,md}
    .venv/bin/python bench/rollout_bench.py --slots 1 4 --steps 20 --out /tmp/bench

What is measured (one bundled notes tuple, 1280x800 viewport, PNG screenshots), all in one run:

- ceiling: N bare Playwright pages (2 browsers, as the pool's 2 workers) on the same app page,
  each doing click + PNG screenshot as fast as it can, all in parallel (async Playwright in a
  thread of this process): the steps/s this machine can give at that concurrency, with no
  environment around it.
- per slot count N (W workers x S slots): all N episodes reset at once (reset latency = from
  submit to that episode's first screenshot arriving in the driver), then rounds in which
  every episode steps once (one click), all concurrently; env steps/s = steps / wall time and
  its ratio to the ceiling at N; then every episode scores at once (score latency likewise).
  The tuple's setup is cached (``rollout/setup_cache.py``) before the slot counts run; the
  first reset of the tuple, which runs the setup for real and proves it deterministic, is
  reported on its own.
- memory per slot: summed RSS and PSS (which splits shared pages) of the workers' Chromium
  processes with all N contexts open, divided by N.
- overhead: in this process, on the same page, a bare Playwright ``mouse.click`` +
  ``screenshot`` against our ``EpisodeSlot.step`` (which also waits until the app has settled)
  and against a full pool step through a Ray worker (PNG shipped and decoded); interleaved so
  both see the same machine load. Also sequential resets and scores with one slot.
- score (``--parts score`` runs only this and merges it into an existing rollout.json/md):
  ``score()`` through a pool worker (whose scripts run in its warm sandbox, data/warm_sandbox.py),
  and, in this process on one page, ``EpisodeSlot.score()`` on the cold path (a fresh bubblewrap +
  Python per script) against the warm path, interleaved; and where a reward script's time goes:
  sandbox start (an empty script) against the whole reward script, cold and warm.
- the machine's 1-minute load average at start and end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUPLE = ROOT / "data" / "tuples" / "notes" / "notes.pin.hiring_plan"
SHAPES = {1: (1, 1), 2: (2, 1), 4: (2, 2), 8: (2, 4), 16: (2, 8), 32: (2, 16)}
CLICK = (640, 760)  # the note body's empty lower part: a click that changes no state


def machine() -> dict:
    import psutil
    import ray
    from importlib.metadata import version

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "kernel": platform.release(), "python": platform.python_version(), "ray": ray.__version__,
            "playwright": version("playwright"), "chromium": chromium_version()}


def chromium_version() -> str:
    import subprocess

    from cuagym.browser import chromium_executable

    exe = chromium_executable()
    if exe is None:
        return "Playwright's bundled Chromium"
    return subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))]


def ready_times(calls, t0: float) -> list[float]:
    """Seconds from ``t0`` until each call's result was ready (in completion order)."""
    import ray

    pending = {c.fut: c for c in calls}
    out = []
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1, timeout=600)
        if not done:
            raise TimeoutError("a worker call did not finish in 600 s")
        out.append(time.monotonic() - t0)
        for ref in done:
            pending.pop(ref).result()  # raise any failure
    return out


def run_shape(hub, t, n: int, steps_target: int, cache_dir: str) -> dict:
    from cuagym.actions import Action
    from cuagym.rollout.pool import EnvPool

    workers, slots = SHAPES[n]
    row: dict = {"slots": n, "workers": workers, "slots_per_worker": slots}
    t0 = time.monotonic()
    with EnvPool(hub.urls, hub.admin_token, workers=workers, slots_per_worker=slots, cpus_per_worker=1.0,
                 call_timeout_s=900, failure_retries=0, setup_cache=cache_dir) as pool:
        row["pool_start_s"] = time.monotonic() - t0
        envs = [pool.acquire() for _ in range(n)]
        t0 = time.monotonic()
        lat = ready_times([e.submit_reset(t) for e in envs], t0)
        row.update(reset_all_s=lat[-1], reset_latency_mean_s=statistics.mean(lat),
                   reset_latency_p50_s=pct(lat, 0.5), reset_latency_max_s=lat[-1])
        mem = [pool.call(w, "chromium_memory") for w in range(workers)]
        row["chromium_rss_mib_per_slot"] = sum(m["rss"] for m in mem) / n / 2**20
        row["chromium_pss_mib_per_slot"] = sum(m["pss"] for m in mem) / n / 2**20
        row["chromium_processes"] = sum(m["processes"] for m in mem)
        rounds = max(3, math.ceil(steps_target / n))
        click = [Action("click", x=CLICK[0], y=CLICK[1], frame="screen")]
        lat = []
        t0 = time.monotonic()
        for _ in range(rounds):
            r0 = time.monotonic()
            lat += ready_times([e.submit_step(click) for e in envs], r0)
        wall = time.monotonic() - t0
        row.update(env_steps=rounds * n, steps_wall_s=wall, env_steps_per_s=rounds * n / wall,
                   step_latency_mean_s=statistics.mean(lat), step_latency_p50_s=pct(lat, 0.5))
        t0 = time.monotonic()
        lat = ready_times([e.submit_score() for e in envs], t0)
        row.update(score_latency_p50_s=pct(lat, 0.5), score_latency_max_s=lat[-1])
        # The next episodes: all N reset at once again (contexts reused, setup cached).
        t0 = time.monotonic()
        lat = ready_times([e.submit_reset(t) for e in envs], t0)
        row.update(next_reset_latency_p50_s=pct(lat, 0.5), next_reset_latency_max_s=lat[-1])
        # One episode resets while the other N-1 step (their steps already in flight), as when
        # an episode ends in the middle of a batch.
        busy = []
        for r in range(4):
            e = envs[r % n]
            others = [x.submit_step(click) for x in envs if x is not e]
            t0 = time.monotonic()
            fut = e.submit_reset(t)
            fut.result()
            busy.append(time.monotonic() - t0)
            for f in others:
                f.result()
        row.update(busy_reset_latency_p50_s=pct(busy, 0.5), busy_reset_latency_max_s=max(busy))
        row["setup_cache"] = [pool.call(w, "ping")["setup_cache"] for w in range(workers)]
        for e in envs:
            pool.release(e)
    return row


def overhead(hub, t, reps: int, cache_dir: str) -> dict:
    """Bare Playwright click+screenshot vs our slot step vs a pool step, on the same page, interleaved."""
    from playwright.sync_api import sync_playwright

    from cuagym.actions import Action
    from cuagym.browser import launch_kwargs
    from cuagym.rollout.pool import EnvPool
    from cuagym.rollout.slot import EpisodeSlot

    click = [Action("click", x=CLICK[0], y=CLICK[1], frame="screen")]
    bare, ours, remote = [], [], []
    resets, scores = [], []
    with sync_playwright() as p, EnvPool(hub.urls, hub.admin_token, workers=1, slots_per_worker=1,
                                         call_timeout_s=300, failure_retries=0, setup_cache=cache_dir) as pool:
        browser = p.chromium.launch(**launch_kwargs())
        slot = EpisodeSlot(browser, hub.urls, hub.admin_token)
        slot.reset(t)
        env = pool.acquire()
        t0 = time.monotonic()
        env.reset(t)  # the cache is empty: the setup runs, and once more to prove it deterministic
        first_reset = time.monotonic() - t0
        for _ in range(reps):
            t0 = time.monotonic()
            env.reset(t)
            resets.append(time.monotonic() - t0)
            t0 = time.monotonic()
            env.score()
            scores.append(time.monotonic() - t0)
        for i in range(reps + 1):
            t0 = time.monotonic()
            slot.page.mouse.click(*CLICK)
            slot.page.screenshot(type="png")
            t1 = time.monotonic()
            slot.step(click)
            t2 = time.monotonic()
            env.step(click)
            t3 = time.monotonic()
            if i:  # the first round warms caches
                bare.append(t1 - t0)
                ours.append(t2 - t1)
                remote.append(t3 - t2)
        pool.release(env)
        slot.close_context()
        browser.close()
    b, o, r = statistics.median(bare), statistics.median(ours), statistics.median(remote)
    return {"reps": reps, "bare_click_screenshot_s": b, "slot_step_s": o, "pool_step_s": r,
            "slot_over_bare": o / b, "pool_over_bare": r / b, "first_reset_s": first_reset,
            "cached_reset_p50_s": pct(resets, 0.5), "cached_reset_max_s": max(resets),
            "score_p50_s": pct(scores, 0.5), "score_max_s": max(scores)}


def profile(hub, t, reps: int, cache_dir: str) -> dict:
    """Where one slot's reset, step and score spend their time: each part timed on its own, in
    this process, on one page (medians in ms). The reset here reuses the page as the pool does."""
    import tempfile as _tf

    from playwright.sync_api import sync_playwright

    from cuagym.browser import launch_kwargs
    from cuagym.data.sandbox import HubAccess, run_script
    from cuagym.rollout.context_reuse import recycle
    from cuagym.rollout.setup_cache import SetupCache
    from cuagym.rollout.slot import Observation
    from cuagym.rollout.task_page import launch_urls, wait_settled

    parts = ["setup_restored", "setup_script", "recycle_page", "new_context_and_page", "launch_url", "goto_app",
             "settle", "screenshot_png", "screenshot_jpeg_q80", "decode_png", "click", "step_settle", "reward_script"]
    ms: dict[str, list[float]] = {k: [] for k in parts}

    def timed(name: str, fn):
        t0 = time.perf_counter()
        out = fn()
        ms[name].append(1000 * (time.perf_counter() - t0))
        return out

    cache = SetupCache(cache_dir or _tf.mkdtemp())
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_kwargs())
        ctx = page = None
        for i in range(reps):
            acc = HubAccess({a: hub.urls[a] for a in t.apps}, f"bench-prof-{i}", hub.admin_token)
            timed("setup_script", lambda: run_script(t.script("initial_setup.py"), acc))
            timed("setup_restored", lambda: cache.setup(t, acc))
            if page is None or i % 2:
                if ctx is not None:
                    ctx.close()
                ctx, page = timed("new_context_and_page", lambda: (lambda c: (c, c.new_page()))(
                    browser.new_context(viewport={"width": 1280, "height": 800})))
            else:
                timed("recycle_page", lambda: recycle(ctx, page, hub.urls))
            url = timed("launch_url", lambda: launch_urls(acc.urls, t.apps, acc.sid, hub.admin_token))[0][1]
            timed("goto_app", lambda: page.goto(url, wait_until="load"))
            timed("settle", lambda: wait_settled(page))
            png = timed("screenshot_png", lambda: page.screenshot(type="png"))
            timed("screenshot_jpeg_q80", lambda: page.screenshot(type="jpeg", quality=80))
            timed("decode_png", lambda: Observation(None, png, 0.0).screenshot)
            timed("click", lambda: page.mouse.click(*CLICK))
            timed("step_settle", lambda: wait_settled(page))
            timed("reward_script", lambda: run_script(t.script("reward.py"), acc, expect_reward=True))
        browser.close()
    return {k: round(statistics.median(v), 1) for k, v in ms.items() if v}


def score_bench(hub, t, reps: int, cache_dir: str) -> dict:
    """score() latency: a pool worker (warm sandbox), and one slot in this process cold vs warm
    (interleaved); the reward script's sandbox start vs script time on both paths."""
    from playwright.sync_api import sync_playwright

    from cuagym.browser import launch_kwargs
    from cuagym.data.sandbox import run_script
    from cuagym.data.warm_sandbox import WarmSandbox
    from cuagym.rollout.pool import EnvPool
    from cuagym.rollout.slot import EpisodeSlot

    out: dict = {"reps": reps, "load_start": os.getloadavg()[0]}
    pool_scores = []
    with EnvPool(hub.urls, hub.admin_token, workers=1, slots_per_worker=1, call_timeout_s=300, failure_retries=0,
                 setup_cache=cache_dir) as pool:
        env = pool.acquire()
        env.reset(t)
        env.score()  # the worker's zygote was started with the worker; this one warms caches
        for _ in range(reps):
            env.reset(t)
            t0 = time.monotonic()
            env.score()
            pool_scores.append(time.monotonic() - t0)
        out["pool_sandbox"] = pool.call(0, "ping").get("sandbox")
        pool.release(env)
    empty = Path(tempfile.mkdtemp()) / "empty.py"
    empty.write_text("")
    cold, warm_ = [], []
    ms: dict[str, list[float]] = {k: [] for k in ("cold_sandbox_start", "cold_reward_script", "warm_sandbox_start",
                                                  "warm_reward_script")}
    with sync_playwright() as p, WarmSandbox() as warm:
        browser = p.chromium.launch(**launch_kwargs())
        slot = EpisodeSlot(browser, hub.urls, hub.admin_token)
        slot.reset(t)
        acc = slot.access
        slot.sandbox = warm
        slot.score()  # starts the zygote
        for i in range(reps + 1):
            for mode, sink in (("cold", cold), ("warm", warm_)):
                slot.sandbox = warm if mode == "warm" else None
                t0 = time.monotonic()
                slot.score()
                if i:
                    sink.append(time.monotonic() - t0)
                for name, script, kw in (("sandbox_start", empty, {}),
                                         ("reward_script", t.script("reward.py"), {"expect_reward": True})):
                    t0 = time.perf_counter()
                    res = run_script(script, acc, warm=slot.sandbox, **kw)
                    if i:
                        ms[f"{mode}_{name}"].append(1000 * (time.perf_counter() - t0))
                    assert res.ok, res.summary()
        out["slot_warm_sandbox"] = warm.stats()
        slot.close_context()
        browser.close()
    out.update(pool_score_p50_s=pct(pool_scores, 0.5), pool_score_max_s=max(pool_scores),
               slot_cold_score_p50_s=pct(cold, 0.5), slot_cold_score_max_s=max(cold),
               slot_warm_score_p50_s=pct(warm_, 0.5), slot_warm_score_max_s=max(warm_),
               profile_ms={k: round(statistics.median(v), 1) for k, v in ms.items()})
    pm = out["profile_ms"]
    for mode in ("cold", "warm"):
        pm[f"{mode}_script_only"] = round(pm[f"{mode}_reward_script"] - pm[f"{mode}_sandbox_start"], 1)
    out["load_end"] = os.getloadavg()[0]
    return out


def score_md(sc: dict) -> list[str]:
    pm = sc["profile_ms"]
    return [
        "## score(): warm sandbox", "",
        f"Measured {sc.get('date', '')} (`{sc.get('command', '')}`), load average (1 min) at start / end "
        f"{sc['load_start']:.1f} / {sc['load_end']:.1f}; p50 / max over {sc['reps']} scores each.", "",
        "| score() | p50 (s) | max (s) |", "|---|---:|---:|",
        f"| through a pool worker (its scripts run in its warm sandbox) | {sc['pool_score_p50_s']:.3f} | "
        f"{sc['pool_score_max_s']:.3f} |",
        f"| EpisodeSlot.score() in this process, cold path (fresh bubblewrap + Python per script) | "
        f"{sc['slot_cold_score_p50_s']:.3f} | {sc['slot_cold_score_max_s']:.3f} |",
        f"| EpisodeSlot.score() in this process, warm path (interleaved with the cold one) | "
        f"{sc['slot_warm_score_p50_s']:.3f} | {sc['slot_warm_score_max_s']:.3f} |", "",
        "Where a reward script's time goes (medians in ms, same run): sandbox start = an empty script; "
        "script only = reward script minus sandbox start.", "",
        "| path | sandbox start | reward script | script only |", "|---|---:|---:|---:|",
        f"| cold | {pm['cold_sandbox_start']:.1f} | {pm['cold_reward_script']:.1f} | {pm['cold_script_only']:.1f} |",
        f"| warm | {pm['warm_sandbox_start']:.1f} | {pm['warm_reward_script']:.1f} | {pm['warm_script_only']:.1f} |",
        "",
    ]


def ceiling(hub, n: int, seconds: float, browsers: int = 2) -> dict:
    """Steps/s of ``n`` bare pages (over ``browsers`` Chromiums) doing click + PNG screenshot in parallel."""
    import asyncio

    from playwright.async_api import async_playwright

    from cuagym.browser import launch_kwargs
    from cuagym.hub.client import HubClient

    client = HubClient(hub.urls["notes"], hub.admin_token)
    seed = client.seed("bench-ceiling-seed")
    urls = [client.set(f"bench-ceiling-{n}-{i}", seed)["launch_url"] for i in range(n)]
    out: dict = {}

    async def main() -> None:
        async with async_playwright() as p:
            bs = [await p.chromium.launch(**launch_kwargs()) for _ in range(browsers)]
            pages = []
            for i, url in enumerate(urls):
                ctx = await bs[i % browsers].new_context(viewport={"width": 1280, "height": 800})
                page = await ctx.new_page()
                await page.goto(url)
                await page.wait_for_selector("body[data-cua-ready='1']")
                pages.append(page)
            counts = [0] * n
            stop = time.monotonic() + seconds

            async def loop(i: int, page) -> None:
                await page.mouse.click(*CLICK)
                await page.screenshot(type="png")  # warm
                while time.monotonic() < stop:
                    await page.mouse.click(*CLICK)
                    await page.screenshot(type="png")
                    counts[i] += 1
            t0 = time.monotonic()
            await asyncio.gather(*(loop(i, pg) for i, pg in enumerate(pages)))
            wall = time.monotonic() - t0
            out.update(pages=n, browsers=browsers, steps=sum(counts), wall_s=wall, steps_per_s=sum(counts) / wall)
            for b in bs:
                await b.close()

    th = threading.Thread(target=lambda: asyncio.run(main()))
    th.start()
    th.join()
    client.close()
    return out


def score_target(res: dict) -> str:
    sc = res.get("score")
    if not sc:
        return f"{res['overhead']['score_p50_s']:.3f} s"
    return (f"{sc['pool_score_p50_s']:.3f} s (warm sandbox; cold path {sc['slot_cold_score_p50_s']:.3f} s, "
            "see \"score(): warm sandbox\")")


def write_md(res: dict, path: Path, notes: str = "") -> None:
    m, o = res["machine"], res["overhead"]
    rows = {r["slots"]: r for r in res["rows"]}
    lines = [
        "# Rollout fleet benchmark", "",
        f"- date: {res['date']}", f"- command: `{res['command']}`",
        f"- machine: {m['cpus']} x {m['cpu_model']}, {m['ram_gib']} GiB RAM, kernel {m['kernel']}, "
        f"Python {m['python']}, Ray {m['ray']}, Playwright {m['playwright']}, {m['chromium']}",
        f"- load average (1 min) at start / end: {res['load_start']:.1f} / {res['load_end']:.1f} "
        "(a shared machine; compare figures within this run)",
        f"- tuple: `{res['tuple']}`, viewport 1280x800, PNG screenshots, step = one click + settle + screenshot; "
        "setup cached (`rollout/setup_cache.py`) except for the first reset", "",
        "## Targets", "",
        "| target | goal | this run |", "|---|---|---|",
    ]
    tgt = [("reset p50, 1 slot, setup cached", "<= 0.150 s", f"{o['cached_reset_p50_s']:.3f} s"),
           ("first reset of the tuple (setup run twice, proven deterministic)", "reported",
            f"{o['first_reset_s']:.3f} s")]
    if 16 in rows:
        r = rows[16]
        tgt += [("reset p50, one slot resetting while the other 15 step", "<= 0.400 s",
                 f"{r['busy_reset_latency_p50_s']:.3f} s (max {r['busy_reset_latency_max_s']:.3f} s)"),
                ("reset p50, all 16 next episodes reset at once", "(<= 0.400 s)",
                 f"{r['next_reset_latency_p50_s']:.3f} s (max {r['next_reset_latency_max_s']:.3f} s); first episodes "
                 f"(new contexts) {r['reset_latency_p50_s']:.3f} s"),
                ("env steps/s at 16 slots / bare ceiling at 16 pages", ">= 0.8",
                 f"{r['steps_over_ceiling']:.2f} ({r['env_steps_per_s']:.1f} / {r['ceiling_steps_per_s']:.1f})"),
                ("PSS per slot at 16 slots", "<= 98 MiB", f"{r['chromium_pss_mib_per_slot']:.0f} MiB")]
    tgt += [("pool step / bare click + screenshot (interleaved)", "<= 1.25", f"{o['pool_over_bare']:.2f}"),
            ("score() p50, 1 slot", "<= 0.060 s", score_target(res))]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in tgt]
    lines += [
        "", "## Per slot count", "",
        "| slots | workers x slots | env steps/s | bare ceiling (steps/s) | ratio | step latency p50 (s) "
        "| reset p50 / max (s): first episodes, all at once | next episodes, all at once | one while the others step "
        "| score latency p50 / max (s) | Chromium RSS / slot (MiB) | PSS / slot (MiB) |",
        "|---:|---|---:|---:|---:|---:|---|---|---|---|---:|---:|",
    ]
    for r in res["rows"]:
        lines.append(f"| {r['slots']} | {r['workers']} x {r['slots_per_worker']} | {r['env_steps_per_s']:.2f} | "
                     f"{r['ceiling_steps_per_s']:.2f} | {r['steps_over_ceiling']:.2f} | {r['step_latency_p50_s']:.3f} | "
                     f"{r['reset_latency_p50_s']:.3f} / {r['reset_latency_max_s']:.3f} | "
                     f"{r['next_reset_latency_p50_s']:.3f} / {r['next_reset_latency_max_s']:.3f} | "
                     f"{r['busy_reset_latency_p50_s']:.3f} / {r['busy_reset_latency_max_s']:.3f} | "
                     f"{r['score_latency_p50_s']:.3f} / {r['score_latency_max_s']:.3f} | "
                     f"{r['chromium_rss_mib_per_slot']:.0f} | {r['chromium_pss_mib_per_slot']:.0f} |")
    lines += [
        "", "## One slot: overhead over bare Playwright, resets and scores (same page, same run, medians of "
        f"{o['reps']} interleaved repetitions)", "",
        "| bare click + screenshot (s) | EpisodeSlot.step (s) | pool step via Ray (s) | slot / bare | pool / bare "
        "| first reset (s) | cached reset p50 / max (s) | score p50 / max (s) |",
        "|---:|---:|---:|---:|---:|---:|---|---|",
        f"| {o['bare_click_screenshot_s']:.3f} | {o['slot_step_s']:.3f} | {o['pool_step_s']:.3f} | "
        f"{o['slot_over_bare']:.2f} | {o['pool_over_bare']:.2f} | {o['first_reset_s']:.3f} | "
        f"{o['cached_reset_p50_s']:.3f} / {o['cached_reset_max_s']:.3f} | {o['score_p50_s']:.3f} / {o['score_max_s']:.3f} |",
        "",
    ]
    if res.get("profile_ms"):
        pm = res["profile_ms"]
        lines += ["## Where one slot's time goes (each part timed on its own, medians in ms, same run)", "",
                  "| " + " | ".join(pm) + " |", "|" + "---:|" * len(pm), "| " + " | ".join(f"{v:.1f}" for v in pm.values())
                  + " |", ""]
    if res.get("score"):
        lines += score_md(res["score"])
    if notes:
        lines += [notes.rstrip(), ""]
    path.write_text("\n".join(lines))


def merge_score_md(res: dict, path: Path) -> None:
    """Put this run's score rows into an existing rollout.md, keeping everything else in it."""
    text = path.read_text()
    lines = text.split("\n")
    lines = [f"| score() p50, 1 slot | <= 0.060 s | {score_target(res)} |" if ln.startswith("| score() p50, 1 slot |")
             else ln for ln in lines]
    text = "\n".join(lines)
    section = "\n".join(score_md(res["score"]))
    start = text.find("## score(): warm sandbox")
    if start >= 0:
        end = text.find("\n## ", start + 3)
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    else:  # before the notes on what changed, after the tables
        at = text.find("## What changed")
        text = text[:at] + section + "\n" + text[at:] if at >= 0 else text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slots", type=int, nargs="+", default=[1, 4, 8, 16, 32], choices=sorted(SHAPES))
    ap.add_argument("--steps", type=int, default=48, help="env steps per slot count (at least 3 rounds)")
    ap.add_argument("--reps", type=int, default=15, help="repetitions of the overhead comparison")
    ap.add_argument("--ceiling-s", type=float, default=8.0, help="seconds of bare parallel stepping per slot count")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--notes", type=Path, default=None, help="a Markdown file appended to rollout.md (the profile)")
    ap.add_argument("--parts", choices=["all", "score"], default="all",
                    help="score: only the score() figures, merged into the existing rollout.json/md")
    args = ap.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    import ray

    from cuagym.data.format import load_tuple
    from cuagym.hub.launcher import HubProcess

    t = load_tuple(TUPLE)
    res: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 "command": " ".join([Path(sys.executable).name, *sys.argv]), "machine": machine(),
                 "load_start": os.getloadavg()[0], "tuple": t.id, "rows": []}
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=1 << 30, log_to_driver=False)
    cache_dir = tempfile.mkdtemp(prefix="cuagym-setup-cache-")  # empty: the first reset runs the setup
    if args.parts == "score":
        try:
            with HubProcess(["notes"]) as hub:
                sc = score_bench(hub, t, args.reps, cache_dir)
        finally:
            ray.shutdown()
        sc.update(date=res["date"], command=res["command"])
        print(json.dumps(sc), flush=True)
        old = json.loads((args.out / "rollout.json").read_text())
        old["score"] = sc
        (args.out / "rollout.json").write_text(json.dumps(old, indent=1))
        merge_score_md(old, args.out / "rollout.md")
        print(f"merged the score figures into {args.out / 'rollout.json'} and {args.out / 'rollout.md'}")
        return
    try:
        with HubProcess(["notes"]) as hub:
            res["overhead"] = overhead(hub, t, args.reps, cache_dir)
            print(json.dumps(res["overhead"]), flush=True)
            res["profile_ms"] = profile(hub, t, max(6, args.reps // 2), cache_dir)
            print(json.dumps({"profile_ms": res["profile_ms"]}), flush=True)
            res["score"] = score_bench(hub, t, args.reps, cache_dir)
            res["score"].update(date=res["date"], command=res["command"])
            print(json.dumps({"score": res["score"]}), flush=True)
            for n in args.slots:
                c = ceiling(hub, n, args.ceiling_s)
                print(json.dumps({"ceiling": c}), flush=True)
                row = run_shape(hub, t, n, args.steps, cache_dir)
                row["ceiling_steps_per_s"] = c["steps_per_s"]
                row["steps_over_ceiling"] = row["env_steps_per_s"] / c["steps_per_s"]
                print(json.dumps(row), flush=True)
                res["rows"].append(row)
    finally:
        ray.shutdown()
    res["load_end"] = os.getloadavg()[0]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "rollout.json").write_text(json.dumps(res, indent=1))
    write_md(res, args.out / "rollout.md", args.notes.read_text() if args.notes else "")
    print(f"wrote {args.out / 'rollout.json'} and {args.out / 'rollout.md'}")


if __name__ == "__main__":
    main()
