"""Episodes on an app behind a legacy CUA-Gym-Hub server (``hub.urls`` + ``hub.protocol: legacy``):
a tuple in CUA-Gym's own pattern (it mints its sid, sends no token, launches google-chrome) is
imported, rolled out in Chromium against the legacy stand-in server and scored by its reward.py."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import requests

from cuagym.commands.data_cli import main as data_main
from cuagym.commands.rollout_cli import main
from cuagym.config import ConfigError, load_config
from cuagym.data.import_cuagym import import_dir
from cuagym.rollout.trajectory import iter_trajectories

from ..legacy_hub import LegacyHub

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures_cuagym" / "external"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.mark.usefixtures("sandbox")
def test_golden_rollout_on_a_legacy_hub_scores_with_the_tuples_reward(tmp_path, capsys):
    rep = import_dir(FIXTURES, tmp_path / "tuples")  # no app list: the app lives on hub.urls only
    assert [Path(p).name for p in rep.converted] == ["todo_0001"] and not rep.skipped
    out = tmp_path / "run"
    with LegacyHub() as hub:
        rc = main(["--config", "configs/tiny.yaml", "--tuples", str(tmp_path / "tuples"), "--policy", "golden",
                   "--group-size", "2", "--out", str(out), "rollout.max_turns=4",
                   f"hub.urls={{todo: '{hub.url}'}}", "hub.protocol={todo: legacy}"])
        err = capsys.readouterr().err
        assert rc == 0, err
        opened = [p.split("=", 1)[1] for m, p, _ in hub.requests if m == "GET" and p.startswith("/?sid=")]
        files = copy.deepcopy(hub.files)
        # The validator takes the same legacy hub: reward(initial)=0, golden=1, near miss<1, UI replay=1.
        assert data_main(["validate", str(tmp_path / "tuples"), "--legacy-hub", f"todo={hub.url}", "-v"]) == 0
        printed = capsys.readouterr().out
        assert "1/1 tuples passed" in printed and "near_miss:wrong_item<1" in printed
        assert "golden_ui_replay=1" in printed and "reward 1" in printed
        assert not any("X-CUA-Admin-Token" in h or "Authorization" in h for _, _, h in hub.requests)
        # reset in the legacy protocol deletes the session's state (the env never relies on it).
        requests.post(f"{hub.url}/post", params={"sid": opened[0]}, json={"action": "reset"}, timeout=5)
        assert requests.get(f"{hub.url}/go", params={"sid": opened[0]}, timeout=5).json()["initial_state"] is None
    summary = json.loads((out / "summary.json").read_text())
    assert summary["trajectories"] == 2 and summary["success_rate"] == 1.0 and summary["env_failures"] == 0
    trajs = list(iter_trajectories(out, with_images=True))
    assert all(t.reward == 1.0 and t.termination == "terminate" for t in trajs)
    for t in trajs:  # the first screenshot is the rendered app (it renders late), not its "Loading..." page
        first = t.screenshots[0]
        assert first.getpixel((5, 5)) == (0x3F, 0x51, 0xB5) and first.getpixel((40, 133)) != first.getpixel((5, 5))
    # Each episode used the session its setup minted: two fresh uuid4 sessions, each opened once
    # in the browser as BASE/?sid=SID, each edited through the page (Pay rent ticked), nothing else.
    assert len(opened) == 2 and len(set(opened)) == 2 and all(UUID.match(s) for s in opened)
    assert sorted(files) == sorted(opened)
    for sid in opened:
        assert [i["done"] for i in files[sid]["current"]["items"]] == [False, True, False]
        assert not any(i["done"] for i in files[sid]["initial"]["items"])


def test_hub_protocol_is_checked_per_app():
    cfg = load_config(None, ["hub.urls={todo: 'http://127.0.0.1:5173'}", "hub.protocol={todo: legacy}"])
    assert cfg.hub.protocol == {"todo": "legacy"}
    with pytest.raises(ConfigError, match=r"hub.protocol.todo must be hardened or legacy, got 'old'"):
        load_config(None, ["hub.urls={todo: 'http://127.0.0.1:5173'}", "hub.protocol={todo: old}"])
    with pytest.raises(ConfigError, match=r"hub.protocol names mail, which hub.urls does not list"):
        load_config(None, ["hub.protocol={mail: legacy}"])
