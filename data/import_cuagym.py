"""Convert tuples in CUA-Gym's released layout into this project's layout.

CUA-Gym scripts talk to hosted apps at ``https://cua-gym-<app>.xlang.ai``, read the session id
from ``/tmp/task_web_sid`` and the admin token from ``CUA_GYM_ADMIN_TOKEN``. The converted
scripts:

- get every hosted base URL rewritten (in plain strings and f-strings) to a lookup of the
  sandbox's ``CUA_HUB_URLS`` for that app, so they run against this hub — or theirs, when
  ``CUA_HUB_URLS`` points there;
- start with a short prelude that writes ``CUA_SID`` to ``/tmp/task_web_sid`` (the sandbox's
  /tmp is private to each run, so parallel episodes never share it);
- keep reading the admin token from ``CUA_GYM_ADMIN_TOKEN``, which the sandbox sets.

A script that writes its own sid into ``/tmp/task_web_sid`` cannot be converted faithfully
(the episode's session would be lost), so such tuples are reported and skipped.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from cuagym.data.format import SCRIPTS, TASK_FILE, TaskConfig, TupleError, load_tuple

HOSTED = re.compile(r"https?://cua-gym-([a-z0-9][a-z0-9-]*)\.xlang\.ai/?")
SID_FILE = "/tmp/task_web_sid"
PRELUDE = '''# --- converted from CUA-Gym's layout: hub URLs and session come from the sandbox ---
import json as _cua_json, os as _cua_os


def _cua_hub_url(app):
    urls = _cua_json.loads(_cua_os.environ.get("CUA_HUB_URLS", "{}"))
    if app not in urls:
        raise SystemExit(f"this tuple needs the {app!r} app; the sandbox gave {sorted(urls)}")
    return urls[app].rstrip("/")


with open("/tmp/task_web_sid", "w") as _cua_f:
    _cua_f.write(_cua_os.environ["CUA_SID"])
# --- end of prelude ---
'''
WRITES_SID = re.compile(r"open\(\s*['\"]/tmp/task_web_sid['\"]\s*,\s*['\"][wa]")


class ImportError_(ValueError):
    pass


def _rewrite_string_token(tok: str) -> str:
    """Rewrite one STRING token that contains a hosted base URL."""
    m = re.match(r"^([rRbBuUfF]*)('''|\"\"\"|'|\")", tok)
    assert m is not None
    prefix, quote = m.group(1), m.group(2)
    body = tok[len(prefix) + len(quote): -len(quote)]
    if "f" in prefix.lower():
        inner_q = "'" if quote.startswith('"') else '"'
        return prefix + quote + HOSTED.sub(lambda mm: "{_cua_hub_url(%s%s%s)}/" % (inner_q, mm.group(1), inner_q)
                                           if mm.group(0).endswith("/") else
                                           "{_cua_hub_url(%s%s%s)}" % (inner_q, mm.group(1), inner_q), body) + quote
    # A plain literal: split it into a concatenation of literals and lookups.
    parts, pos = [], 0
    for mm in HOSTED.finditer(body):
        if mm.start() > pos:
            parts.append(prefix + quote + body[pos:mm.start()] + quote)
        parts.append(f"_cua_hub_url({mm.group(1)!r})" + (" + '/'" if mm.group(0).endswith("/") else ""))
        pos = mm.end()
    if pos < len(body):
        parts.append(prefix + quote + body[pos:] + quote)
    return "(" + " + ".join(parts) + ")"


def convert_script(source: str) -> tuple[str, set[str]]:
    """Return the converted script and the apps whose hosted URLs it used."""
    apps = set(HOSTED.findall(source))
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    out = []
    for tok in tokens:
        if tok.type == tokenize.STRING and HOSTED.search(tok.string):
            tok = tok._replace(string=_rewrite_string_token(tok.string))
        out.append(tok)
    converted = tokenize.untokenize(out)
    # Keep a leading shebang / encoding line / __future__ imports before the prelude.
    lines = converted.splitlines(keepends=True)
    head = 0
    while head < len(lines) and (lines[head].startswith("#!") or "coding" in lines[head][:30]
                                 or lines[head].startswith("from __future__")):
        head += 1
    return "".join(lines[:head]) + PRELUDE + "".join(lines[head:]), apps


@dataclass
class ImportReport:
    converted: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def _task_config(raw: dict, fallback_id: str, apps_seen: set[str], src: Path) -> TaskConfig:
    tid = str(raw.get("id") or raw.get("task_id") or fallback_id).lower()
    tid = re.sub(r"[^a-z0-9_.-]+", "-", tid).strip("-") or fallback_id
    instruction = raw.get("instruction") or raw.get("task") or raw.get("intent") or raw.get("goal")
    if not instruction:
        raise ImportError_("task_config.json has no instruction (looked for instruction, task, intent, goal)")
    apps = raw.get("apps") or raw.get("app") or raw.get("website") or raw.get("websites") or sorted(apps_seen)
    apps = [apps] if isinstance(apps, str) else list(apps)
    apps = [a.lower() for a in apps]
    for a in sorted(apps_seen):
        if a not in apps:
            apps.append(a)
    criteria = raw.get("success_criteria") or raw.get("criteria") or []
    if isinstance(criteria, str):
        criteria = [criteria]
    difficulty = str(raw.get("difficulty", "medium")).lower()
    if difficulty not in ("easy", "medium", "hard"):
        difficulty = "medium"
    known = {"id", "task_id", "instruction", "task", "intent", "goal", "apps", "app", "website", "websites",
             "success_criteria", "criteria", "difficulty"}
    return TaskConfig(id=tid, apps=apps, instruction=str(instruction), success_criteria=list(criteria),
                      difficulty=difficulty, family=str(raw.get("family", "")),
                      provenance={"source": "cua-gym", "original_id": raw.get("id") or raw.get("task_id"),
                                  "imported_from": str(src),
                                  "original_fields": {k: v for k, v in raw.items() if k not in known}})


def import_tuple(src: Path, dst_root: Path, app_names: set[str] | None = None) -> Path:
    cfg_path = src / TASK_FILE
    if not cfg_path.exists():
        raise ImportError_(f"missing {TASK_FILE}")
    try:
        raw = json.loads(cfg_path.read_text())
    except json.JSONDecodeError as e:
        raise ImportError_(f"{TASK_FILE} is not valid JSON: {e}") from None
    converted, apps_seen = {}, set()
    for name in SCRIPTS:
        p = src / name
        if not p.exists():
            raise ImportError_(f"missing {name}")
        text = p.read_text()
        if WRITES_SID.search(text):
            raise ImportError_(f"{name} writes its own sid to {SID_FILE}; the episode's session would be lost")
        try:
            converted[name], apps = convert_script(text)
        except (tokenize.TokenError, SyntaxError, IndentationError) as e:
            raise ImportError_(f"{name} could not be parsed: {e}") from None
        apps_seen |= apps
    cfg = _task_config(raw, src.name, apps_seen, src)
    if app_names is not None:
        unknown = [a for a in cfg.apps if a not in app_names]
        if unknown:
            raise ImportError_(f"uses app(s) {', '.join(unknown)} that this hub does not have "
                               f"(available: {', '.join(sorted(app_names))})")
    out = dst_root / cfg.id
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / TASK_FILE).write_text(json.dumps(cfg.model_dump(), indent=2) + "\n")
    for name, text in converted.items():
        (out / name).write_text(text)
    try:
        load_tuple(out)
    except TupleError as e:
        shutil.rmtree(out)
        raise ImportError_(f"converted tuple is invalid: {e}") from None
    return out


def import_dir(src_root: str | Path, dst_root: str | Path, app_names: set[str] | None = None) -> ImportReport:
    src_root, dst_root = Path(src_root), Path(dst_root)
    if not src_root.is_dir():
        raise ImportError_(f"source {src_root} is not a directory")
    rep = ImportReport()
    sources = [src_root] if (src_root / TASK_FILE).exists() else \
        sorted(p.parent for p in src_root.rglob(TASK_FILE))
    for src in sources:
        try:
            rep.converted.append(str(import_tuple(src, dst_root, app_names)))
        except ImportError_ as e:
            rep.skipped[str(src)] = str(e)
    return rep
