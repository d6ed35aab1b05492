"""Write the ``notes.pin_nth`` tuples: open a notebook, open its n-th note, pin it (four turns).

The multi-turn learning demo (configs/tiny_multiturn.yaml) trains on them. Every tuple starts
from the app's seed with no note pinned and no note open; the golden UI trajectory is

    click the notebook in the sidebar -> click the n-th row of its list -> click Pin -> terminate

so each turn's right action depends on what the earlier turns did to the screen, and where to
click depends on the notebook and the position named in the task. Held-out tuples (``HELD_OUT``)
pair a notebook with a position that no training tuple pairs it with: their golden action
sequences occur in no training tuple, while every notebook and every position is seen in training.

    python data/templates/notes_pin_nth.py   # (re)write data/tuples/notes/notes.pin_nth.{train,held_out}.*
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cuagym.hub.notes.seed import seed_state  # noqa: E402

OUT = ROOT / "data" / "tuples" / "notes"
FAMILY = "notes.pin_nth"
# Click targets in the policy's relative_999 frame (0..999 across the 1280x800 viewport), on
# round numbers so a target is two or three digit tokens: the sidebar row of each leaf notebook
# with three or more notes, the list rows, and the Pin button of the editor header.
NOTEBOOK_Y = {"Personal": 350, "Recipes": 390, "Travel": 420, "Work": 460, "Meetings": 490, "Projects": 530,
              "Q2 Launch": 560, "Reading": 600, "Journal": 630, "Learning": 670}
SIDEBAR_X, LIST_X, ROW_Y, PIN = 100, 300, {2: 240, 3: 340, 4: 450}, (860, 30)
POSITIONS = {2: "second", 3: "third", 4: "fourth"}
HELD_OUT = {("Personal", 2), ("Recipes", 3), ("Travel", 2), ("Work", 4), ("Meetings", 3), ("Projects", 2),
            ("Reading", 4), ("Learning", 3)}
WORDINGS = (
    "Open the {nb} notebook and pin the {nth} note in its list.",
    "In my {nb} notebook, pin the {nth} note from the top.",
    "Go to {nb} and pin its {nth} note.",
)

HEADER = '''import os

import requests

BASE = os.environ["CUA_HUB_URL_NOTES"]
SID = os.environ["CUA_SID"]
H = {"X-CUA-Admin-Token": os.environ["CUA_GYM_ADMIN_TOKEN"]}

r = requests.get(f"{BASE}/go", params={"sid": SID}, headers=H, timeout=10)
r.raise_for_status()
'''.replace("{", "{{").replace("}", "}}")  # literal inside the templates below

SETUP = '''"""Initial state for {tid}.

The app's seed with no note pinned and no note open, on "All notes".
"""

''' + HEADER + '''state = r.json()["initial_state"]  # a fresh session starts from the app's seed

for n in state["notes"]:
    n["pinned"] = False
state["ui"].update(view="all", notebook_id=None, tag=None, page=1, selected_note=None)

r = requests.post(f"{{BASE}}/post", params={{"sid": SID}}, json={{"action": "set", "state": state}}, headers=H, timeout=10)
r.raise_for_status()
'''

PATCH = '''"""{doc}"""

''' + HEADER + '''state = r.json()["current_state"]
notes = {{n["id"]: n for n in state["notes"]}}

{pins}
{ui}
r = requests.post(f"{{BASE}}/post", params={{"sid": SID}}, json={{"action": "set_current", "state": state}}, headers=H,
                  timeout=10)
r.raise_for_status()
'''

REWARD = '''"""Reward for {tid}.

Goals, as the task says them: the {nb} notebook is open (1 point), its {nth} note ({title!r},
{nid}) is the open note (1 point) and that note is pinned (2 points). The score is the share of
points earned, halved when anything else changed (another note, the notebooks). The last line
printed is REWARD: x.
"""

''' + HEADER + '''g = r.json()
init, cur = g["initial_state"], g["current_state"]
before = {{n["id"]: n for n in init["notes"]}}
after = {{n["id"]: n for n in cur["notes"]}}
CONTENT = ("notebook_id", "title", "body", "tags", "pinned", "trashed", "created_at")
TARGET, NOTEBOOK = "{nid}", "{nbid}"


def changed(a, b, allowed=()):
    return [k for k in CONTENT if k not in allowed and a[k] != b[k]]


ui, now = cur["ui"], after.get(TARGET)
goals = [
    ("the {nb} notebook is open", ui.get("view") == "notebook" and ui.get("notebook_id") == NOTEBOOK, 1),
    (f"{{TARGET}} is the open note", ui.get("selected_note") == TARGET, 1),
    (f"{{TARGET}} is pinned", now is not None and now["pinned"] is True, 2),
]
guards = {{
    "the note is otherwise unchanged": now is not None and not changed(before[TARGET], now, allowed=("pinned",)),
    "no other note changed, was added or was removed":
        set(after) == set(before) and all(not changed(n, after[i]) for i, n in before.items() if i != TARGET),
    "the notebooks are unchanged": sorted(map(str, init["notebooks"])) == sorted(map(str, cur["notebooks"])),
}}
for name, ok, points in goals:
    print(f"goal  {{'ok' if ok else 'NO'}}  {{name}} ({{points}}/4)")
for name, ok in guards.items():
    print(f"guard {{'ok' if ok else 'NO'}}  {{name}}")
score = sum(p for _, ok, p in goals if ok) / 4 * (1.0 if all(guards.values()) else 0.5)
print(f"REWARD: {{score}}")
'''


def notebook_lists(state: dict) -> dict[str, list[dict]]:
    """Each notebook's notes (its sub-notebooks' included, as the app lists them) in list order
    once nothing is pinned: last edited first."""
    parent = {b["id"]: b["parent_id"] for b in state["notebooks"]}
    names = {b["id"]: b["name"] for b in state["notebooks"]}

    def ancestors(nb: str | None):
        while nb is not None:
            yield nb
            nb = parent[nb]

    out: dict[str, list[dict]] = {}
    for n in state["notes"]:
        if not n["trashed"]:
            for nb in ancestors(n["notebook_id"]):
                out.setdefault(names[nb], []).append(n)
    for notes in out.values():
        notes.sort(key=lambda n: (n["updated_at"], int(n["id"][1:])), reverse=True)
    return out


def open_note(nbid: str, note: dict) -> str:
    return (f'state["ui"].update(view="notebook", notebook_id="{nbid}", tag=None, page=1, '
            f'selected_note="{note["id"]}")\n')


def pin(note: dict) -> str:
    return f'notes["{note["id"]}"]["pinned"] = True'


def slug(name: str) -> str:
    return name.lower().replace(" ", "_")


def write_tuple(nb: str, nbid: str, k: int, variant: str, wording: str, lists: dict[str, list[dict]]) -> str:
    held = (nb, k) in HELD_OUT
    tid = f"{FAMILY}.{'held_out' if held else 'train'}.{slug(nb)}_{k}{variant}"
    note, neighbour = lists[nb][k - 1], lists[nb][k - 2]
    d = OUT / tid
    shutil.rmtree(d, ignore_errors=True)
    (d / "near_miss").mkdir(parents=True)
    nth = POSITIONS[k]
    config = {
        "id": tid, "apps": ["notes"], "instruction": wording.format(nb=nb, nth=nth),
        "success_criteria": [f"The {nth} note listed in {nb} (\"{note['title']}\") is pinned.",
                             "Its title, body, tags and notebook are unchanged.",
                             "No other note is pinned, edited, added or deleted."],
        "difficulty": "medium", "family": FAMILY,
        "provenance": {"source": "template", "method": "data/templates/notes_pin_nth.py",
                       "split": "held_out" if held else "train"},
    }
    (d / "task_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    (d / "initial_setup.py").write_text(SETUP.format(tid=tid))
    ui = open_note(nbid, note)
    (d / "golden_patch.py").write_text(PATCH.format(
        doc=f"Golden patch for {tid}: open {nb}, open {note['id']}, pin it.", pins=pin(note), ui=ui))
    (d / "reward.py").write_text(REWARD.format(tid=tid, nth=nth, nb=nb, nbid=nbid, title=note["title"], nid=note["id"]))
    (d / "near_miss" / "pin_previous_row.py").write_text(PATCH.format(
        doc=f"Near miss for {tid}: opens {nb} and pins the note one row above the right one.", pins=pin(neighbour),
        ui=open_note(nbid, neighbour)))
    (d / "near_miss" / "pin_both_rows.py").write_text(PATCH.format(
        doc=f"Near miss for {tid}: pins the right note and the one above it.", pins=pin(note) + "\n" + pin(neighbour),
        ui=ui))
    steps = [[{"type": "click", "x": SIDEBAR_X, "y": NOTEBOOK_Y[nb], "frame": "relative_999"}],
             [{"type": "click", "x": LIST_X, "y": ROW_Y[k], "frame": "relative_999"}],
             [{"type": "click", "x": PIN[0], "y": PIN[1], "frame": "relative_999"}],
             [{"type": "terminate", "status": "success"}]]
    golden = {"viewport": [1280, 800], "steps": steps,
              "notes": f"Open {nb}, open row {k} of its list, click Pin in the editor header."}
    (d / "golden_actions.json").write_text(json.dumps(golden, indent=1) + "\n")
    return tid


def main() -> None:
    state = seed_state()
    ids = {b["name"]: b["id"] for b in state["notebooks"]}
    lists = notebook_lists(state)
    combos = [(nb, k) for nb in NOTEBOOK_Y for k in POSITIONS if k <= len(lists[nb])]
    for old in OUT.glob(f"{FAMILY}.*"):
        shutil.rmtree(old)
    train, held = [], []
    for i, (nb, k) in enumerate(combos):
        if (nb, k) in HELD_OUT:
            held.append(write_tuple(nb, ids[nb], k, "", WORDINGS[i % len(WORDINGS)], lists))
        else:  # two wordings of each training pair, so the words that matter are the names
            for j in (0, 1):
                train.append(write_tuple(nb, ids[nb], k, "abc"[j], WORDINGS[(i + j) % len(WORDINGS)], lists))
    print(f"train ({len(train)}): {' '.join(train)}")
    print(f"held out ({len(held)}): {' '.join(held)}")


if __name__ == "__main__":
    main()
