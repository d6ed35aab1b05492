"""Benchmark the hub on this machine: reset latency, click + screenshot, /go on a large state,
and how many concurrent sessions one hub process serves before latency doubles.

    .venv/bin/python bench/hub_bench.py [--app mail] [--items 2000] [--out bench/results/hub.json]

Figures are medians and 95th percentiles of wall-clock times measured in one run; the
machine is shared and noisy, so compare ratios within a run rather than across runs. The
concurrency load comes from threads in this process, which share the machine's cores with
the hub server: the knee it finds is for "client and hub on one box".
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

from cuagym.browser import launch_kwargs
from cuagym.hub.client import HubClient
from cuagym.hub.launcher import HubProcess
from cuagym.rollout.task_page import wait_settled


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def summary(xs: list[float]) -> dict:
    return {"n": len(xs), "median_ms": round(1000 * statistics.median(xs), 1), "p95_ms": round(1000 * pct(xs, 0.95), 1)}


def largest_list(state: dict) -> tuple[str, list]:
    best = ("", [])
    for k, v in state.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) and "id" in x for x in v) and len(v) > len(best[1]):
            best = (k, v)
    return best


def blow_up(state: dict, n: int) -> tuple[dict, str]:
    """Copy the state and grow its largest id-keyed list to ``n`` items (new ids)."""
    s = copy.deepcopy(state)
    key, items = largest_list(s)
    grown = []
    for i in range(n):
        x = copy.deepcopy(items[i % len(items)])
        if i >= len(items):
            x["id"] = f"{x['id']}-b{i}"
        grown.append(x)
    s[key] = grown
    return s, key


def bench_browser(hub: HubProcess, app: str, rounds: int) -> dict:
    from playwright.sync_api import sync_playwright

    client = HubClient(hub.urls[app], hub.admin_token)
    seed = client.seed("bench-seed")
    resets, clicks, png, jpeg = [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_kwargs())
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        page = ctx.new_page()
        for i in range(rounds):
            t0 = time.perf_counter()
            url = client.set(f"bench-b{i}", seed)["launch_url"]
            page.goto(url)
            wait_settled(page)
            resets.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            page.mouse.click(640, 400)
            wait_settled(page)
            page.screenshot(type="png")
            clicks.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            page.screenshot(type="png")
            png.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            page.screenshot(type="jpeg", quality=80)
            jpeg.append(time.perf_counter() - t0)
        browser.close()
    return {"reset_set_plus_page_ready": summary(resets), "click_plus_settle_plus_png": summary(clicks),
            "screenshot_png_1280x800": summary(png), "screenshot_jpeg_q80_1280x800": summary(jpeg)}


def bench_go(hub: HubProcess, app: str, items: int, rounds: int) -> dict:
    """/go over HTTP on the app's seed state and on a state grown to ``items`` list items, with
    one item changed, and where the server's time goes (measured in this process on the same
    states with the hub's own functions)."""
    from cuagym.hub.core.diff import encode_json, encode_top, join_encoded, state_diff, state_diff_encoded
    from cuagym.hub.core.registry import load_spec

    spec = load_spec(app)
    client = HubClient(hub.urls[app], hub.admin_token)
    http = requests.Session()
    http.headers["X-CUA-Admin-Token"] = hub.admin_token
    seed = client.seed("bench-seed")
    big, key = blow_up(seed, items)
    changed = copy.deepcopy(big)
    item = changed[key][items // 2]
    flip = next((k for k, v in item.items() if isinstance(v, bool)), None)
    if flip is not None:
        item[flip] = not item[flip]  # one real change, so the diff has work to do
    else:
        item["id"] = f"{item['id']}-changed"
    out = {"list": key, "items": items}

    def timed(fn, n: int) -> list[float]:
        xs = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            xs.append(time.perf_counter() - t0)
        return xs

    for name, initial, current in (("seed", seed, seed), ("large", big, changed)):
        sid = f"bench-go-{name}"
        client.set(sid, initial)
        client.set_current(sid, current)
        url = f"{hub.urls[app]}/go"
        ienc, cenc = encode_top(initial), encode_top(current)
        diff = state_diff(initial, current, spec.transient_keys)
        prof = {
            "validate_current": summary(timed(lambda: spec.validate(current), 5)),
            "diff_full_walk": summary(timed(lambda: state_diff(initial, current, spec.transient_keys), 5)),
            "encode_current_members": summary(timed(lambda: encode_top(current), rounds)),
            "diff_changed_members": summary(timed(lambda: state_diff_encoded(
                initial, current, ienc, encode_top(current), spec.transient_keys), rounds)),
            "join_body": summary(timed(lambda: join_encoded(ienc) + join_encoded(cenc) + encode_json(diff), rounds)),
        }
        out[name] = {"state_bytes": len(json.dumps(initial)),
                     "go_http_bytes_only": summary(timed(lambda: http.get(url, params={"sid": sid}).content, rounds)),
                     "go_http_and_json_parse": summary(timed(lambda: client.go(sid), rounds)),
                     "server_parts_in_process": prof}
    return out


def bench_concurrency(hub: HubProcess, app: str, levels: list[int], seconds: float) -> dict:
    base = hub.urls[app]
    seed = HubClient(base, hub.admin_token).seed("bench-seed")
    results = []
    baseline = None
    for k in levels:
        lat: list[float] = []
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def worker(i: int) -> None:
            s = requests.Session()
            s.headers["X-CUA-Admin-Token"] = hub.admin_token
            sid = f"bench-c{k}-{i}"
            s.post(f"{base}/post", params={"sid": sid}, json={"action": "set", "state": seed}, timeout=30)
            mine = []
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                s.post(f"{base}/post", params={"sid": sid}, json={"action": "set_current", "state": seed}, timeout=30)
                s.get(f"{base}/go", params={"sid": sid}, timeout=30)
                mine.append(time.perf_counter() - t0)
            with lock:
                lat.extend(mine)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(k)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        med = statistics.median(lat)
        baseline = baseline or med
        row = {"sessions": k, "round_trips": len(lat), "median_ms": round(1000 * med, 1),
               "p95_ms": round(1000 * pct(lat, 0.95), 1), "round_trips_per_s": round(len(lat) / seconds, 1),
               "median_vs_1_session": round(med / baseline, 2)}
        results.append(row)
        print("  ", row, flush=True)
    knee = next((r["sessions"] for r in results if r["median_vs_1_session"] >= 2.0), None)
    return {"per_level": results, "sessions_before_latency_doubles": knee,
            "note": "each round trip = set_current + /go of the app's seed state; load from threads on the same box"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--app", default="mail")
    ap.add_argument("--items", type=int, default=2000, help="items in the large state for /go")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--levels", default="1,2,4,8,16,32,64,128")
    ap.add_argument("--seconds", type=float, default=4.0, help="load duration per concurrency level")
    ap.add_argument("--parts", default="browser,go,concurrency", help="comma-separated subset to run")
    ap.add_argument("--out", default="bench/results/hub.json")
    a = ap.parse_args()
    parts = set(a.parts.split(","))
    out = {"load_start": os.getloadavg()[0], "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                       "python": platform.python_version()},
           "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "app": a.app}
    with HubProcess([a.app]) as hub:
        if "browser" in parts:
            print("browser round trips ...", flush=True)
            out["browser"] = bench_browser(hub, a.app, a.rounds)
            print(json.dumps(out["browser"], indent=1))
        if "go" in parts:
            print(f"/go on the seed and on {a.items} items ...", flush=True)
            out["go"] = bench_go(hub, a.app, a.items, a.rounds * 2)
            print(json.dumps(out["go"], indent=1))
        if "concurrency" in parts:
            print("concurrency ...", flush=True)
            out["concurrency"] = bench_concurrency(hub, a.app, [int(x) for x in a.levels.split(",")], a.seconds)
    out["load_end"] = os.getloadavg()[0]
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
