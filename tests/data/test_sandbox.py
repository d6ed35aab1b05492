"""The tuple-script sandbox: every failure mode is a typed outcome and the caller survives."""

from __future__ import annotations

import ast
import socket
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from cuagym.data.sandbox import HubAccess, Limits, Outcome, run_script, using
from cuagym.data.warm_sandbox import WarmSandbox

pytestmark = [pytest.mark.usefixtures("sandbox"), pytest.mark.hub(["notes"])]


@pytest.fixture(scope="module")
def warm_sandbox():
    with WarmSandbox() as w:
        yield w


@pytest.fixture(autouse=True, params=["cold", "warm"])
def sandbox_path(request):
    """Every test here runs twice: a fresh sandbox per script (cold), and the module's warm
    sandbox (a zygote forks each script), with the same assertions."""
    if request.param == "cold":
        yield None
        return
    w = request.getfixturevalue("warm_sandbox")
    with using(w):
        yield w
    assert w.cold_runs == 0, w.cold_reason  # every script of the test ran in a zygote


@pytest.fixture()
def access(hub):
    return HubAccess(hub.urls, "sbx-test", hub.admin_token)


def write(tmp_path: Path, body: str, name: str = "script.py") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(body))
    return p


def test_reward_script_reads_the_hub_and_reports(tmp_path, access):
    s = write(tmp_path, """
        import os, requests
        base, sid = os.environ["CUA_HUB_URL"], os.environ["CUA_SID"]
        r = requests.get(f"{base}/go", params={"sid": sid},
                         headers={"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}, timeout=10)
        r.raise_for_status()
        print("state keys:", sorted(r.json()["current_state"])[:3])
        print("REWARD: 0.25")
    """)
    res = run_script(s, access, expect_reward=True)
    assert res.outcome is Outcome.OK, res.stderr
    assert res.reward == 0.25 and "state keys" in res.stdout


def test_hang_is_a_timeout(tmp_path, access):
    res = run_script(write(tmp_path, "import time\nwhile True: time.sleep(1)\n"), access,
                     limits=Limits(timeout_s=2))
    assert res.outcome is Outcome.TIMEOUT and res.seconds < 15


def test_memory_hog_is_a_memory_failure(tmp_path, access):
    res = run_script(write(tmp_path, "x = bytearray(2 * 1024**3)\nprint('REWARD: 1')\n"), access,
                     expect_reward=True, limits=Limits(memory_mb=512))
    assert res.outcome is Outcome.MEMORY, (res.outcome, res.stderr[-500:])
    assert res.reward is None


def _sandbox_uid_processes() -> int:
    """Live processes under this test process's sandbox uids (other runs use other blocks)."""
    from cuagym.data.sandbox import UID_BASE, UID_BLOCK

    n = 0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                n += UID_BASE <= d.stat().st_uid < UID_BASE + UID_BLOCK
            except OSError:
                pass
    return n


def test_fork_bomb_is_contained(tmp_path, access):
    res = run_script(write(tmp_path, """
        import os, time
        n = 0
        while True:
            try:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
            except OSError:
                print("fork refused after", n, flush=True)
                time.sleep(60)
    """), access, limits=Limits(timeout_s=4, max_procs=32))
    assert res.outcome is Outcome.TIMEOUT
    n = int(res.stdout.split("fork refused after")[1].split()[0])
    assert n < 32, n  # the process limit stopped it
    assert _sandbox_uid_processes() == 0  # the whole tree is gone


def test_network_is_only_the_hub(tmp_path, access):
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen()
    port = other.getsockname()[1]
    threading.Thread(target=lambda: other.accept(), daemon=True).start()
    s = write(tmp_path, f"""
        import os, socket
        def reach(host, port):
            try:
                socket.create_connection((host, port), timeout=2).close()
                return "open"
            except OSError as e:
                return type(e).__name__
        hub_port = int(os.environ["CUA_HUB_URL"].rsplit(":", 1)[1])
        print("hub", reach("127.0.0.1", hub_port))
        print("other-loopback", reach("127.0.0.1", {port}))
        print("internet", reach("93.184.216.34", 80))
        print("REWARD: 0")
    """)
    res = run_script(s, access, expect_reward=True)
    other.close()
    assert res.outcome is Outcome.OK, res.stderr
    lines = dict(line.split(" ", 1) for line in res.stdout.splitlines() if " " in line)
    assert lines["hub"] == "open"
    assert lines["other-loopback"] != "open" and lines["internet"] != "open"


def test_reward_script_cannot_see_its_siblings_or_secrets(tmp_path, access, monkeypatch):
    tuple_dir = tmp_path / "tuple"
    tuple_dir.mkdir()
    (tuple_dir / "golden_patch.py").write_text("SECRET_SOLUTION = 42\n")
    (tuple_dir / "initial_setup.py").write_text("print('setup')\n")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "should-not-leak")
    s = write(tuple_dir, f"""
        import os, glob
        found = []
        for p in ["golden_patch.py", "../golden_patch.py", "{tuple_dir}/golden_patch.py",
                  "{tuple_dir}/initial_setup.py"]:
            try:
                open(p).read()
                found.append(p)
            except OSError:
                pass
        print("found", found)
        print("listing", sorted(os.listdir(".")))
        print("env", sorted(k for k in os.environ if "SECRET" in k or "AWS" in k))
        print("repo", os.path.exists("{Path.cwd() / "data"}") or os.path.exists("{Path.cwd() / "setup.py"}"))
        print("REWARD: 0")
    """, name="reward.py")
    res = run_script(s, access, expect_reward=True)
    assert res.outcome is Outcome.OK, res.stderr
    assert "found []" in res.stdout
    assert "listing ['reward.py']" in res.stdout.replace('".relay", ', "").replace("'.relay', ", "").replace("'.runner.py', ", "")
    assert "env []" in res.stdout
    assert "repo False" in res.stdout


@pytest.mark.parametrize("body, outcome, fragment", [
    ("print('all done')\n", Outcome.NO_REWARD, "'all done'"),
    ("pass\n", Outcome.NO_REWARD, "printed nothing"),
    ("print('REWARD: 1')\nprint('trailing')\n", Outcome.NO_REWARD, "'trailing'"),
    ("print('REWARD: 1.5')\n", Outcome.BAD_REWARD, "'1.5'"),
    ("print('REWARD: -0.1')\n", Outcome.BAD_REWARD, "'-0.1'"),
    ("print('REWARD: nan')\n", Outcome.BAD_REWARD, "'nan'"),
    ("print('REWARD: high')\n", Outcome.BAD_REWARD, "'high'"),
    ("raise KeyError('emails')\n", Outcome.CRASHED, "KeyError"),
    ("import sys\nsys.exit(3)\n", Outcome.CRASHED, "exit code 3"),
    ("import sys\nsys.stdout.write('\\x00\\xff garbage ' * 2_000_000)\n", Outcome.NO_REWARD, "garbage"),
])
def test_bad_reward_output_is_typed(tmp_path, access, body, outcome, fragment):
    res = run_script(write(tmp_path, body), access, expect_reward=True)
    assert res.outcome is outcome, (res.outcome, res.message, res.stderr[-300:])
    assert fragment in res.message
    assert res.reward is None
    assert len(res.stdout) < 200_000  # output is capped


def test_missing_script_and_bad_hub_url_are_sandbox_errors(tmp_path, access):
    assert run_script(tmp_path / "nope.py", access).outcome is Outcome.SANDBOX_ERROR
    bad = HubAccess({"mail": "http://10.0.0.5:80"}, "s")
    res = run_script(write(tmp_path, "print(1)\n"), bad)
    assert res.outcome is Outcome.SANDBOX_ERROR and "loopback" in res.message


def test_the_sid_file_is_private_seeded_and_read_back_safely(tmp_path, access):
    res = run_script(write(tmp_path, """
        import os
        print(sorted(os.listdir("/tmp")), open("/tmp/task_web_sid").read())
    """), access)
    # Besides the seeded file, /tmp may hold only the mount point of the interpreter the cold path
    # binds read-only when it lives under /tmp (e.g. a checkout's venv in /tmp/ci/.venv).
    prefixes = (Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix))
    bound = {p.relative_to("/tmp").parts[0] for p in prefixes if p.is_relative_to("/tmp") and p != Path("/tmp")}
    listing, sid = res.stdout.strip().rsplit(" ", 1)
    assert res.ok and sid == access.sid and res.sid_file == access.sid
    assert "task_web_sid" in listing and set(ast.literal_eval(listing)) - bound == {"task_web_sid"}
    assert access.adopt(res) is access
    # A link planted in place of the file is not followed on the host side.
    res = run_script(write(tmp_path, """
        import os
        os.remove("/tmp/task_web_sid")
        os.symlink("/etc/hostname", "/tmp/task_web_sid")
    """), access)
    assert res.ok and res.sid_file is None and access.adopt(res) is access
    # A session id the hub cannot take is refused, naming the file.
    res = run_script(write(tmp_path, "open('/tmp/task_web_sid', 'w').write('../../etc x')\n"), access)
    with pytest.raises(ValueError, match="task_web_sid"):
        access.adopt(res)
