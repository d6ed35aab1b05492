"""Import tuples written in CUA-Gym's released layout and validate them against this hub."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cuagym.data.format import load_tuple
from cuagym.data.import_cuagym import convert_script, import_dir
from cuagym.data.validate import iter_tuple_dirs, validate_all

pytestmark = pytest.mark.hub(["notes"])  # started only by the test that validates

# Their style: hosted base URL, sid from /tmp/task_web_sid, token from CUA_GYM_ADMIN_TOKEN,
# reward components summing to a score, "REWARD:" as the last line.
THEIR_SETUP = '''
import os, requests
BASE_URL = "https://cua-gym-notes.xlang.ai"
sid = open("/tmp/task_web_sid").read().strip()
headers = {"Authorization": f"Bearer {os.environ['CUA_GYM_ADMIN_TOKEN']}"}
state = requests.get(f"{BASE_URL}/go?sid={sid}", headers=headers).json()["initial_state"]
note = next(n for n in state["notes"] if not n["trashed"] and not n["pinned"])
note["title"] = "Quarterly planning"
note["tags"] = []
state["ui"]["selected_note"] = note["id"]
requests.post(BASE_URL + "/post?sid=" + sid, json={"action": "set", "state": state}, headers=headers).raise_for_status()
'''
THEIR_GOLDEN = '''
import os, requests
sid = open("/tmp/task_web_sid").read().strip()
headers = {"Authorization": f"Bearer {os.environ['CUA_GYM_ADMIN_TOKEN']}"}
state = requests.get(f"https://cua-gym-notes.xlang.ai/go?sid={sid}", headers=headers).json()["current_state"]
for n in state["notes"]:
    if n["title"] == "Quarterly planning":
        n["pinned"] = True
        n["tags"] = n["tags"] + ["planning"]
requests.post(f"https://cua-gym-notes.xlang.ai/post?sid={sid}", json={"action": "set_current", "state": state},
              headers=headers).raise_for_status()
'''
THEIR_REWARD = '''
import os
import requests

BASE_URL = 'https://cua-gym-notes.xlang.ai/'
sid = open("/tmp/task_web_sid").read().strip()
headers = {"Authorization": f"Bearer {os.environ.get('CUA_GYM_ADMIN_TOKEN', '')}"}
data = requests.get(f"{BASE_URL}go?sid={sid}", headers=headers).json()
notes = [n for n in data["current_state"]["notes"] if n["title"] == "Quarterly planning"]
score = 0.0
if notes and notes[0]["pinned"]:
    score += 0.5
if notes and "planning" in notes[0]["tags"]:
    score += 0.5
print(f"REWARD: {score}")
'''


def write_theirs(root: Path, name: str, config: dict, setup=THEIR_SETUP, golden=THEIR_GOLDEN, reward=THEIR_REWARD):
    d = root / name
    d.mkdir(parents=True)
    (d / "task_config.json").write_text(json.dumps(config))
    for fname, text in (("initial_setup.py", setup), ("golden_patch.py", golden), ("reward.py", reward)):
        (d / fname).write_text(textwrap.dedent(text))
    return d


def test_convert_script_rewrites_urls_in_every_string_form():
    src = ('A = "https://cua-gym-mail.xlang.ai"\nB = f"https://cua-gym-mail.xlang.ai/go?sid={A}"\n'
           'C = \'https://cua-gym-calendar.xlang.ai/\' + "x"\nD = "see https://cua-gym-shop.xlang.ai/cart now"\n')
    out, apps = convert_script(src)
    assert apps == {"mail", "calendar", "shop"}
    assert "xlang.ai" not in out
    ns = {}
    import os
    os.environ["CUA_SID"] = "s"
    code = out.replace('with open("/tmp/task_web_sid", "w") as _cua_f:\n    _cua_f.write(_cua_os.environ["CUA_SID"])',
                       "pass")
    urls = {"mail": "http://127.0.0.1:1", "calendar": "http://127.0.0.1:2", "shop": "http://127.0.0.1:3"}
    os.environ["CUA_HUB_URLS"] = json.dumps(urls)
    exec(compile(code, "<converted>", "exec"), ns)
    assert ns["A"] == "http://127.0.0.1:1"
    assert ns["B"] == "http://127.0.0.1:1/go?sid=http://127.0.0.1:1"
    assert ns["C"] == "http://127.0.0.1:2/x"
    assert ns["D"] == "see http://127.0.0.1:3/cart now"


@pytest.mark.usefixtures("sandbox")
def test_imported_tuples_validate_against_the_hub(tmp_path, hub_endpoints):
    src, dst = tmp_path / "cuagym_release", tmp_path / "ours"
    write_theirs(src / "notes", "task_0001", {"task_id": "cg-notes-0001", "website": "notes",
                                              "task": "Pin the note 'Quarterly planning' and tag it planning.",
                                              "level": 2})
    write_theirs(src / "notes", "task_0002", {"id": "cg-notes-0002", "instruction": "Same, minted sid."},
                 setup=THEIR_SETUP.replace('open("/tmp/task_web_sid").read().strip()',
                                           'str(__import__("uuid").uuid4())\nopen("/tmp/task_web_sid", "w")'
                                           '.write(sid)'))
    write_theirs(src / "other", "task_0003", {"id": "cg-crm-1", "instruction": "Close the deal.", "app": "crm"},
                 reward=THEIR_REWARD.replace("cua-gym-notes", "cua-gym-crm"))
    rep = import_dir(src, dst, app_names={"notes", "mail"})
    assert [Path(p).name for p in rep.converted] == ["cg-notes-0001"]
    assert any("writes its own sid" in why for why in rep.skipped.values())
    assert any("crm" in why and "does not have" in why for why in rep.skipped.values())
    t = load_tuple(dst / "cg-notes-0001")
    assert t.apps == ["notes"] and t.config.provenance["source"] == "cua-gym"
    assert t.config.provenance["original_fields"] == {"level": 2}
    for name in ("initial_setup.py", "golden_patch.py", "reward.py"):
        assert "xlang.ai" not in (t.path / name).read_text()
    reports = validate_all(iter_tuple_dirs(dst), hub_endpoints, jobs=1)
    assert len(reports) == 1 and reports[0].ok, [(c.name, c.detail) for c in reports[0].failures]


def test_cli_import(tmp_path):
    src = tmp_path / "src"
    write_theirs(src, "t1", {"id": "cg-1", "instruction": "Pin it.", "app": "notes"})
    r = subprocess.run([sys.executable, "-m", "cuagym.cli", "data", "import-cuagym", str(src), str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "1 converted, 0 skipped" in r.stdout and (tmp_path / "d" / "cg-1" / "reward.py").exists()
    r = subprocess.run([sys.executable, "-m", "cuagym.cli", "data", "import-cuagym", str(tmp_path / "nope"), "x"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "not a directory" in r.stderr
