"""Import tuples written in CUA-Gym's released pattern and run them here, unchanged in spirit.

The fixtures under ``fixtures_cuagym/hub`` follow their documented pattern, one tuple per
layout: ``task_config.json`` with their legacy keys (notes) and with ``id``/``instruction``
(mail), a ``config.json`` bundle (kanban) and a ``task.json`` row with placeholders (shop). Their
setups mint their own session, send no admin token and launch google-chrome / xdg-open.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cuagym.data.format import load_tuple
from cuagym.data.import_cuagym import REPORT_FILE, convert_script, import_dir
from cuagym.data.sandbox import HubAccess, run_script

pytestmark = pytest.mark.hub(["notes", "mail", "kanban", "shop"])

FIXTURES = Path(__file__).resolve().parent / "fixtures_cuagym"
HUB_FIXTURES = FIXTURES / "hub"
CLI = [sys.executable, "-m", "cuagym.cli"]


def test_convert_script_rewrites_urls_and_placeholders_in_every_string_form(monkeypatch):
    src = ('A = "https://cua-gym-mail.xlang.ai"\nB = f"https://cua-gym-mail.xlang.ai/go?sid={A}"\n'
           'C = \'https://cua-gym-calendar.xlang.ai/\' + "x"\nD = "see https://cua-gym-shop.xlang.ai/cart now"\n'
           'E = "__CUA_GYM_NOTES_URL__/go?sid=__CUA_GYM_SID__"\nF = f"__CUA_GYM_SHOP_URL__/x?n={len(A)}"\n')
    out, apps, changes = convert_script('"""Doc."""\nfrom __future__ import annotations\n' + src)
    assert apps == ["mail", "calendar", "shop", "notes"]
    assert "xlang.ai" not in out and "__CUA_GYM_" not in out
    assert out.index("from __future__") < out.index("def _cua_hub_url")  # still a valid module
    urls = {"mail": "http://127.0.0.1:1", "calendar": "http://127.0.0.1:2", "shop": "http://127.0.0.1:3",
            "notes": "http://127.0.0.1:4"}
    monkeypatch.setenv("CUA_HUB_URLS", json.dumps(urls))
    monkeypatch.setenv("CUA_SID", "s1")
    ns: dict = {}
    exec(compile(out, "<converted>", "exec"), ns)
    assert ns["A"] == "http://127.0.0.1:1"
    assert ns["B"] == "http://127.0.0.1:1/go?sid=http://127.0.0.1:1"
    assert ns["C"] == "http://127.0.0.1:2/x"
    assert ns["D"] == "see http://127.0.0.1:3/cart now"
    assert ns["E"] == "http://127.0.0.1:4/go?sid=s1"
    assert ns["F"] == f"http://127.0.0.1:3/x?n={len(ns['A'])}"
    assert any("hosted URL" in c for c in changes) and any("__CUA_GYM_SID__" in c for c in changes)
    # Nothing to rewrite: the script is kept byte for byte.
    plain = "import os\nprint(os.environ['CUA_SID'])\n"
    assert convert_script(plain)[0] == plain


@pytest.mark.usefixtures("sandbox")
def test_legacy_fixtures_import_validate_and_solve_through_the_ui(tmp_path, capsys):
    dst = tmp_path / "imported"
    r = subprocess.run([*CLI, "data", "import-cuagym", str(HUB_FIXTURES), str(dst)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "4 converted, 0 skipped" in r.stdout and "mints its own session id" in r.stdout
    ids = sorted(p.name for p in dst.iterdir())
    assert ids == ["cg-mail-spam-view", "kanban_label_filter_performance", "notes_0007", "shop-row-00042"]
    layouts = {i: json.loads((dst / i / REPORT_FILE).read_text())["layout"] for i in ids}
    assert layouts == {"cg-mail-spam-view": "task_config", "kanban_label_filter_performance": "bundle",
                       "notes_0007": "task_config", "shop-row-00042": "row"}
    # The sources are kept byte for byte for audit, beside the converted scripts.
    for src, out in ((HUB_FIXTURES / "notes" / "notes_0007", dst / "notes_0007"),
                     (HUB_FIXTURES / "kanban" / "bundle_perf", dst / "kanban_label_filter_performance"),
                     (HUB_FIXTURES / "shop" / "row_00042", dst / "shop-row-00042")):
        for f in src.rglob("*"):
            if f.is_file():
                assert (out / "original" / f.relative_to(src)).read_bytes() == f.read_bytes(), f
    notes = load_tuple(dst / "notes_0007")
    assert notes.apps == ["notes"] and notes.config.instruction.startswith("Add the tag")
    assert notes.config.provenance["original_fields"]["context"].startswith("The user keeps")
    assert load_tuple(dst / "cg-mail-spam-view").config.difficulty == "easy"  # "difficulty": 1
    assert load_tuple(dst / "kanban_label_filter_performance").apps == ["kanban"]
    # Setup scripts keep minting their own sid: only URLs changed.
    assert "uuid.uuid4()" in (dst / "notes_0007" / "initial_setup.py").read_text()

    # Validated against the hardened bundled hub: reward(initial)=0, reward(golden)=1, near misses < 1.
    r = subprocess.run([*CLI, "data", "validate", str(dst), "--no-ui", "-v"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "4/4 tuples passed" in r.stdout and r.stdout.count("near_miss:") == 4

    # The golden UI trajectories through the agent loop in Chromium score 1 on every tuple.
    from cuagym.commands.rollout_cli import main

    out = tmp_path / "golden"
    rc = main(["--config", "configs/tiny.yaml", "--tuples", str(dst), "--policy", "golden", "--group-size", "2",
               "--out", str(out), "rollout.max_turns=6"])
    assert rc == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["trajectories"] == 8 and summary["success_rate"] == 1.0 and summary["env_failures"] == 0
    assert sorted(summary["per_app"]) == ["kanban", "mail", "notes", "shop"]


@pytest.mark.usefixtures("sandbox")
def test_sessions_the_script_chose_are_private_to_each_episode(tmp_path, hub):
    """Each run has its own /tmp: parallel setups of one tuple mint two sessions, each golden patch
    and reward reads its own; the browser launch is recorded, not started; no token was sent."""
    rep = import_dir(HUB_FIXTURES / "notes", tmp_path, app_names=set(hub.urls))
    t = load_tuple(rep.converted[0])

    def episode(i: int) -> tuple[str, list[str], float | None]:
        access = HubAccess({"notes": hub.urls["notes"]}, f"given-{i}", hub.admin_token)
        setup = run_script(t.script("initial_setup.py"), access)
        assert setup.ok, setup.stderr
        access = access.adopt(setup)
        patch = run_script(t.script("golden_patch.py"), access)
        assert patch.ok, patch.stderr
        return access.sid, setup.opened, run_script(t.script("reward.py"), access, expect_reward=True).reward

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(episode, range(2)))
    sids = [s for s, _, _ in results]
    assert len(set(sids)) == 2 and not any(s.startswith("given-") for s in sids)
    for sid, opened, reward in results:
        assert reward == 1.0
        assert opened and opened[-1].endswith(f"/?sid={sid}")  # google-chrome was asked for the app, started nothing
    # A token-less request from outside the sandbox is refused by the hardened hub; the relay added it.
    import requests

    r = requests.get(f"{hub.urls['notes']}/go", params={"sid": sids[0]}, timeout=5)
    assert r.status_code == 401


def test_malformed_sources_are_reported_and_skipped(tmp_path):
    good = HUB_FIXTURES / "notes" / "notes_0007"
    src = tmp_path / "src"

    def clone(name: str) -> Path:
        d = src / name
        shutil.copytree(good, d)
        return d

    (clone("bad_json") / "task_config.json").write_text("{not json")
    os.remove(clone("no_reward") / "reward.py")
    (clone("bash_setup") / "initial_setup.py").write_text("#!/bin/bash\ncurl -X POST $URL/post?sid=$SID\n")
    (clone("binary_golden") / "golden_patch.py").write_bytes(b"\xff\xfe\x00bin")
    d = clone("unknown_app")
    for f in ("initial_setup.py", "golden_patch.py", "reward.py"):
        (d / f).write_text((d / f).read_text().replace("cua-gym-notes", "cua-gym-crm"))
    c = clone("constant_sid") / "initial_setup.py"
    c.write_text(c.read_text().replace("import uuid\n", "").replace("str(uuid.uuid4())", '"fixed-session"'))
    (clone("judge") / "reward.py").write_text("from reward_judge import call_llm_judge\nprint('REWARD: 1.0')\n")
    (clone("no_instruction") / "task_config.json").write_text(json.dumps({"task_id": "x", "domain": "notes"}))
    (clone("list_config") / "task_config.json").write_text("[1, 2]")
    b = clone("bundle_no_golden")
    os.remove(b / "task_config.json")
    os.remove(b / "golden_patch.py")
    (b / "config.json").write_text(json.dumps({"id": "b", "instruction": "x", "app_type": "notes",
                                               "config": [{"type": "execute", "command": ["python3", "initial_setup.py"]}],
                                               "evaluator": {"type": "python", "url": "reward.py"}}))
    s = clone("bundle_shell_step")
    os.remove(s / "task_config.json")
    (s / "config.json").write_text(json.dumps({"id": "s", "instruction": "x", "app_type": "notes",
                                               "config": [{"type": "execute", "command": ["bash", "-c", "echo"]}],
                                               "evaluator": {"type": "python", "url": "../../etc/passwd.py"}}))
    r_ = clone("row_missing_setup")
    os.remove(r_ / "task_config.json")
    os.remove(r_ / "initial_setup.py")
    (r_ / "task.json").write_text(json.dumps({"task_id": "r", "task_instruction": "x", "app": "notes"}))
    clone("ok")
    (src / "ok" / "task_config.json").write_text(json.dumps({"task_id": "fine_one", "domain": "notes",
                                                             "task_instruction": "Tag it."}))
    rep = import_dir(src, tmp_path / "dst", app_names={"notes", "mail"})
    assert [Path(p).name for p in rep.converted] == ["fine_one"]
    why = {Path(k).name: v for k, v in rep.skipped.items()}
    expected = {"bad_json": "task_config.json is not valid JSON", "no_reward": "missing reward.py",
                "bash_setup": "initial_setup.py is not Python", "binary_golden": "golden_patch.py is not UTF-8",
                "unknown_app": "uses app(s) crm that this hub does not have", "judge": "LLM judge",
                "constant_sid": "parallel episodes would share one session",
                "no_instruction": "no instruction", "list_config": "must hold a JSON object",
                "bundle_no_golden": "no golden_patch.py", "bundle_shell_step": "only Python scripts",
                "row_missing_setup": "missing initial_setup.py"}
    assert set(why) == set(expected)
    for name, fragment in expected.items():
        assert fragment in why[name], (name, why[name])
    assert not (tmp_path / "dst" / "x").exists()


def test_row_with_scripts_in_task_json_and_cli_errors(tmp_path):
    row = HUB_FIXTURES / "shop" / "row_00042"
    fields = json.loads((row / "task.json").read_text())
    for name in ("initial_setup.py", "golden_patch.py", "reward.py"):
        fields[name[:-3]] = (row / name).read_text()
    d = tmp_path / "src" / "row"
    d.mkdir(parents=True)
    (d / "task.json").write_text(json.dumps(fields))
    rep = import_dir(tmp_path / "src", tmp_path / "dst", app_names={"shop"})
    assert not rep.skipped, rep.skipped
    ref = import_dir(row, tmp_path / "ref", app_names={"shop"})
    for name in ("initial_setup.py", "golden_patch.py", "reward.py"):
        assert (Path(rep.converted[0]) / name).read_text() == (Path(ref.converted[0]) / name).read_text()
    r = subprocess.run([*CLI, "data", "import-cuagym", str(tmp_path / "nope"), "x"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "not a directory" in r.stderr
