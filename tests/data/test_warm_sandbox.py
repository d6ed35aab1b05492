"""The warm sandbox's own guarantees: consecutive scripts in one zygote see nothing the previous
one left (files, /tmp, environment, module state, processes), concurrent scripts cannot see each
other, and the zygote is replaced after a broken limit, on new hub targets and when it dies. The
hostile-script cases run against both paths in test_sandbox.py."""

from __future__ import annotations

import os
import textwrap
import threading
import time
from pathlib import Path

import pytest

from cuagym.data.sandbox import HubAccess, Limits, Outcome, run_script
from cuagym.data.warm_sandbox import ENV, WarmSandbox

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]


@pytest.fixture()
def warm():
    with WarmSandbox() as w:
        yield w


def write(tmp_path: Path, body: str, name: str = "script.py") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(body))
    return p


def test_a_script_sees_nothing_the_previous_one_left(tmp_path, hub, warm):
    access = HubAccess(hub.urls, "warm-seq", hub.admin_token)
    first = write(tmp_path, """
        import json, os, subprocess, sys, requests
        open("/tmp/left.txt", "w").write("x")
        open("/sandbox/left.txt", "w").write("x")
        open("/tmp/task_web_sid", "w").write("changed-by-first")
        os.environ["LEFT"] = "x"
        os.putenv("LEFT_PUT", "x")
        requests.get = lambda *a, **k: "patched"
        requests.LEFT = True
        json.LEFT = True
        sys.modules["left_module"] = json
        sys.path.append("/tmp")
        subprocess.Popen(["sleep", "60"], start_new_session=True)  # outlives the script, not the job
        print("REWARD: 1")
    """, "first.py")
    second = write(tmp_path, """
        import json, os, sys, requests
        seen = []
        for p in ("/tmp/left.txt", "/sandbox/left.txt", "/sandbox/first.py"):
            seen += [p] if os.path.exists(p) else []
        seen += ["sid"] if open("/tmp/task_web_sid").read() != os.environ["CUA_SID"] else []
        seen += [k for k in ("LEFT", "LEFT_PUT") if k in os.environ]
        seen += ["requests.get"] if requests.get("{base}/health", timeout=10) == "patched" else []
        seen += [m for m in ("requests", "json") if hasattr(sys.modules[m], "LEFT")]
        seen += ["left_module"] if "left_module" in sys.modules else []
        seen += ["sys.path"] if "/tmp" in sys.path else []
        procs = [p for p in os.listdir("/proc") if p.isdigit()]
        seen += ["processes"] if any("sleep" in open(f"/proc/{p}/cmdline").read() for p in procs) else []
        print("seen", seen, "listing", sorted(os.listdir(".")), sorted(os.listdir("/tmp")))
        print("REWARD: 0")
    """.replace("{base}", hub.urls["notes"]), "second.py")
    res = run_script(first, access, expect_reward=True, warm=warm)
    assert res.outcome is Outcome.OK and res.sid_file == "changed-by-first", (res.outcome, res.stderr[-500:])
    zygote = warm.zygote_serial
    res = run_script(second, access, expect_reward=True, warm=warm)
    assert res.outcome is Outcome.OK, res.stderr[-500:]
    assert warm.zygote_serial == zygote == 1 and warm.warm_runs == 2 and warm.cold_runs == 0  # the same zygote
    assert res.stdout.splitlines()[0] == "seen [] listing ['second.py'] ['task_web_sid']"
    assert res.sid_file == "warm-seq"


def test_concurrent_scripts_cannot_see_each_other(tmp_path, hub, warm):
    """Two scripts meet through the hub (so both are known to be running at once), then each
    looks for the other: files, /tmp, processes, a loopback port, an abstract Unix socket."""
    body = """
        import os, socket, time, requests
        me, other = os.environ["ME"], os.environ["OTHER"]
        base, sid = os.environ["CUA_HUB_URL"], os.environ["CUA_SID"]
        open(f"/tmp/mark-{me}", "w").write(me)
        open(f"/sandbox/mark-{me}", "w").write(me)
        port = 47000 + (me == "b")
        tcp = socket.socket()
        tcp.bind(("127.0.0.1", port))
        tcp.listen()
        uds = socket.socket(socket.AF_UNIX)
        uds.bind(f"\\0cuagym-probe-{me}")
        uds.listen()
        st = requests.get(f"{base}/go", params={"sid": sid}, timeout=10).json()["current_state"]
        st["notes"][0]["title"] = f"running-{me}"
        requests.post(f"{base}/post", params={"sid": sid}, json={"action": "set_current", "state": st},
                      timeout=10).raise_for_status()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            cur = requests.get(f"{base}/go", params={"sid": os.environ["OTHER_SID"]}, timeout=10).json()
            if cur["current_state"]["notes"][0]["title"] == f"running-{other}":
                break
            time.sleep(0.1)
        else:
            raise SystemExit("the other script never ran")
        seen = [p for p in (f"/tmp/mark-{other}", f"/sandbox/mark-{other}") if os.path.exists(p)]
        def reach(fam, addr):
            s = socket.socket(fam)
            try:
                s.connect(addr)
                return True
            except OSError:
                return False
            finally:
                s.close()
        seen += ["tcp"] if reach(socket.AF_INET, ("127.0.0.1", 47000 + (other == "b"))) else []
        seen += ["unix"] if reach(socket.AF_UNIX, f"\\0cuagym-probe-{other}") else []
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        print("seen", seen, "pids", pids)
        print("REWARD: 1")
    """
    script = write(tmp_path, body)
    sids = {"a": "warm-conc-a", "b": "warm-conc-b"}
    results = {}

    def run(me: str, other: str) -> None:
        acc = HubAccess(hub.urls, sids[me], hub.admin_token, {"ME": me, "OTHER": other, "OTHER_SID": sids[other]})
        results[me] = run_script(script, acc, expect_reward=True, limits=Limits(timeout_s=90), warm=warm)

    threads = [threading.Thread(target=run, args=p) for p in (("a", "b"), ("b", "a"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for me in "ab":
        res = results[me]
        assert res.outcome is Outcome.OK, (me, res.outcome, res.stderr[-500:])
        assert res.stdout.startswith("seen [] pids [1, 2]"), (me, res.stdout)
    assert warm.starts == 1 and warm.warm_runs == 2


def test_the_zygote_is_replaced_after_a_broken_limit_new_targets_or_its_death(tmp_path, hub, warm):
    access = HubAccess(hub.urls, "warm-restart", hub.admin_token)
    ok = write(tmp_path, "print('REWARD: 1')\n")
    assert run_script(ok, access, expect_reward=True, warm=warm).reward == 1 and warm.zygote_serial == 1
    assert run_script(ok, access, expect_reward=True, warm=warm).ok and warm.zygote_serial == 1
    hang = write(tmp_path, "import time\nwhile True: time.sleep(1)\n", "hang.py")
    assert run_script(hang, access, limits=Limits(timeout_s=1), warm=warm).outcome is Outcome.TIMEOUT
    assert run_script(ok, access, expect_reward=True, warm=warm).ok and warm.zygote_serial == 2
    # A script killed by a signal (here its own) also retires the zygote.
    kill = write(tmp_path, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", "kill.py")
    res = run_script(kill, access, warm=warm)
    assert res.returncode == 137 and res.outcome is Outcome.MEMORY  # classified as the cold path does
    assert run_script(ok, access, expect_reward=True, warm=warm).ok and warm.zygote_serial == 3
    # Another admin token (or hub address) gets a zygote whose relays carry it.
    other = HubAccess(hub.urls, "warm-restart", "another-token")
    assert run_script(ok, other, expect_reward=True, warm=warm).ok and warm.zygote_serial == 4
    # A zygote that died is replaced; the next script runs warm.
    warm._zygote.kill()
    assert run_script(ok, other, expect_reward=True, warm=warm).ok and warm.zygote_serial == 5
    # Also when it died behind our back and nothing noticed before the script came.
    import psutil

    os.kill(warm._zygote.proc.pid, 9)
    psutil.Process(warm._zygote.proc.pid).wait(10)
    assert run_script(ok, other, expect_reward=True, warm=warm).ok and warm.zygote_serial == 6
    assert warm.cold_runs == 0


def test_the_switch_sends_scripts_to_the_cold_path(tmp_path, hub, warm, monkeypatch):
    access = HubAccess(hub.urls, "warm-off", hub.admin_token)
    monkeypatch.setenv(ENV, "0")
    res = run_script(write(tmp_path, "import os\nprint(sorted(os.listdir('.')))\n"), access, warm=warm)
    assert res.ok and ".runner.py" in res.stdout  # the cold sandbox's directory
    assert warm.cold_runs == 1 and warm.warm_runs == 0 and ENV in warm.cold_reason and warm.starts == 0


def test_cuagym_legacy_scripts_run_warm(tmp_path, hub, warm):
    """A tuple in CUA-Gym's pattern, in the warm sandbox: the setup mints its own session into
    /tmp/task_web_sid and launches google-chrome (recorded, not started), nothing sends the
    admin token (the relay adds it); two episodes at once keep their sessions apart."""
    from concurrent.futures import ThreadPoolExecutor

    from cuagym.data.format import load_tuple
    from cuagym.data.import_cuagym import import_dir

    fixtures = Path(__file__).resolve().parent / "fixtures_cuagym" / "hub" / "notes"
    t = load_tuple(import_dir(fixtures, tmp_path, app_names=set(hub.urls)).converted[0])

    def episode(i: int) -> tuple[str, list[str], float | None]:
        access = HubAccess({"notes": hub.urls["notes"]}, f"given-{i}", hub.admin_token)
        setup = run_script(t.script("initial_setup.py"), access, warm=warm)
        assert setup.ok, setup.stderr
        access = access.adopt(setup)
        assert run_script(t.script("golden_patch.py"), access, warm=warm).ok
        return access.sid, setup.opened, run_script(t.script("reward.py"), access, expect_reward=True, warm=warm).reward

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(episode, range(2)))
    sids = [s for s, _, _ in results]
    assert len(set(sids)) == 2 and not any(s.startswith("given-") for s in sids)
    for sid, opened, reward in results:
        assert reward == 1.0 and opened and opened[-1].endswith(f"/?sid={sid}")
    assert warm.warm_runs == 6 and warm.cold_runs == 0


@pytest.mark.parametrize("body", [
    "print('REWARD: 1')\n",
    "import sys\nprint('out')\nsys.exit('a message')\n",
    "import sys\nsys.exit(3)\n",
    "import sys\nsys.exit(None)\n",
    "raise KeyError('emails')\n",
    "import atexit\natexit.register(lambda: print('REWARD: 0.5'))\n",
    "import threading, time\n"
    "threading.Thread(target=lambda: (time.sleep(0.3), print('REWARD: 0.25', flush=True))).start()\n",
    "f = open('/tmp/task_web_sid', 'w')\nf.write('kept-open')\n",
    "import sys\nsys.stdout.write('no newline at the end, REWARD: 1')\n",
    "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n",
    "import sys\nfor i in range(30000):\n    sys.stdout.write(f'{i:07d}\\n')\n",  # over the output cap: same head and tail
])
def test_warm_ends_a_script_as_the_cold_path_does(tmp_path, hub, warm, body):
    """Exit codes, output, atexit functions, non-daemon threads, files left open: the same result."""
    access = HubAccess(hub.urls, "warm-exit", hub.admin_token)
    script = write(tmp_path, body)
    cold = run_script(script, access, expect_reward=True)
    hot = run_script(script, access, expect_reward=True, warm=warm)
    assert warm.warm_runs == 1
    assert (hot.outcome, hot.returncode, hot.reward, hot.stdout, hot.sid_file) == \
        (cold.outcome, cold.returncode, cold.reward, cold.stdout, cold.sid_file)
    assert hot.message == cold.message


def test_a_spare_supervisor_that_died_is_replaced(tmp_path, hub, warm):
    """The zygote keeps the next job's supervisor ready; when that one is gone, the job gets a new
    one from the same zygote."""
    import psutil

    access = HubAccess(hub.urls, "warm-spare", hub.admin_token)
    ok = write(tmp_path, "print('REWARD: 1')\n")
    assert run_script(ok, access, expect_reward=True, warm=warm).ok
    zygote = next(p for p in psutil.Process(warm._zygote.proc.pid).children(recursive=True)
                  if "--zygote" in p.cmdline() and p.name() != "bwrap" and p.parent().name() == "bwrap")
    spares = zygote.children()
    deadline = time.monotonic() + 30
    while len(spares) > 1 and time.monotonic() < deadline:  # the last job's supervisor is still exiting
        time.sleep(0.05)
        spares = zygote.children()
    assert len(spares) == 1  # one supervisor waits for the next job
    spares[0].kill()
    spares[0].wait(10)
    assert run_script(ok, access, expect_reward=True, warm=warm).reward == 1
    assert warm.zygote_serial == 1 and warm.cold_runs == 0
