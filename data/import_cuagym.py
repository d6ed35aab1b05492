"""Convert tuples written in CUA-Gym's released layouts into this project's layout.

Three source layouts are read (each a folder; ``import_dir`` finds them at any depth):

- ``task_config.json`` with either key set: ``{task_id, domain, task_instruction, context,
  difficulty}`` (their legacy tuples) or ``{id, instruction, app(s)|website, ...}``;
- a final bundle, ``config.json`` = ``{id, instruction, app_type, config: [{type: execute,
  command: [python3, initial_setup.py]}], evaluator: {type: python, url: reward.py}}``;
- a data-set row, ``task.json``, whose scripts (files beside it, or strings in it) hold the
  placeholders ``__CUA_GYM_SID__`` and ``__CUA_GYM_<APP>_URL__``.

Their scripts talk to ``https://cua-gym-<app>.xlang.ai`` without a token, read (or, in
``initial_setup.py``, mint and write) the session id in ``/tmp/task_web_sid`` and may launch
``google-chrome``. What the conversion changes, and only where a script needs it:

- hosted base URLs and URL placeholders become a lookup of the sandbox's ``CUA_HUB_URLS``,
  so the scripts run against this hub, or theirs when ``hub.urls`` points there;
- ``__CUA_GYM_SID__`` becomes the episode's session id (``CUA_SID``).

What stays as it is, because the sandbox and the env provide it: the sid file (each run has a
private /tmp seeded with the episode's sid; a sid the setup mints is read back and adopted by
the episode), token-less requests (the sandbox's relay adds the admin token for a hardened
hub) and browser launch lines (shims that record the URL; the env opens the app itself).

Every converted tuple keeps its source files byte for byte under ``original/`` and lists what
was changed and why in ``import_report.json``. A source that cannot be converted is reported
with the reason and skipped.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import shlex
import shutil
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cuagym.data.format import GOLDEN_ACTIONS, NEAR_MISS_DIR, SCRIPTS, TASK_FILE, TaskConfig, TupleError, load_tuple

HOSTED = re.compile(r"https?://cua-gym-([a-z0-9][a-z0-9-]*)\.xlang\.ai(/?)")
SID_PLACEHOLDER = "__CUA_GYM_SID__"
URL_PLACEHOLDER = re.compile(r"__CUA_GYM_([A-Z0-9_]+?)_URL__")
ANY_MARK = re.compile(HOSTED.pattern + "|" + re.escape(SID_PLACEHOLDER) + "|" + URL_PLACEHOLDER.pattern)
SID_FILE = "/tmp/task_web_sid"
WRITES_SID = re.compile(r"open\(\s*['\"]/tmp/task_web_sid['\"]\s*,\s*['\"][wa]|task_web_sid['\"]\)?\.write_text")
READS_SID = re.compile(r"/tmp/task_web_sid")
RANDOM_SID = re.compile(r"\buuid\d?\b|\bsecrets\.|\brandom\.|token_hex|token_urlsafe|os\.urandom")
READS_SID_FILE = re.compile(r"open\(\s*['\"]/tmp/task_web_sid['\"]\s*(,\s*['\"]r\w*['\"]\s*)?\)|"
                            r"task_web_sid['\"]\)?\.read_text")
LAUNCHES_BROWSER = re.compile(r"google-chrome|chromium|xdg-open|webbrowser\.open|['\"]firefox['\"]")
ADMIN_TOKEN = re.compile(r"CUA_GYM_ADMIN_TOKEN|X-CUA-Admin-Token", re.I)
LLM_JUDGE = re.compile(r"\breward_judge\b|call_llm_judge")
SOURCE_FILES = (TASK_FILE, "config.json", "task.json")
ROLES = {"setup": "initial_setup.py", "golden": "golden_patch.py", "reward": "reward.py"}
ORIGINAL_DIR = "original"
REPORT_FILE = "import_report.json"

PRELUDE = '''# --- converted from CUA-Gym's layout: hub URLs and session come from the sandbox ---
import json as _cua_json, os as _cua_os


def _cua_hub_url(app):
    urls = _cua_json.loads(_cua_os.environ.get("CUA_HUB_URLS", "{}"))
    if app not in urls:
        raise SystemExit(f"this tuple needs the {app!r} app; the sandbox gave {sorted(urls)}")
    return urls[app].rstrip("/")


def _cua_sid():
    return _cua_os.environ["CUA_SID"]
# --- end of prelude ---
'''


class ImportError_(ValueError):
    """A source that cannot be converted; the message says why."""


def _app_of_placeholder(name: str) -> str:
    return name.lower().replace("_", "-")


def _expr(m: re.Match) -> tuple[str, str]:
    """(Python expression, literal text that follows it) for one hosted URL or placeholder."""
    text = m.group(0)
    if text == SID_PLACEHOLDER:
        return "_cua_sid()", ""
    hosted = HOSTED.fullmatch(text)
    if hosted:
        return f"_cua_hub_url({hosted.group(1)!r})", hosted.group(2)
    return f"_cua_hub_url({_app_of_placeholder(URL_PLACEHOLDER.fullmatch(text).group(1))!r})", ""


def _rewrite_string_token(tok: str) -> str:
    """Rewrite one STRING token that holds hosted base URLs or placeholders."""
    m = re.match(r"^([rRbBuUfF]*)('''|\"\"\"|'|\")", tok)
    assert m is not None
    prefix, quote = m.group(1), m.group(2)
    body = tok[len(prefix) + len(quote): -len(quote)]
    if "b" in prefix.lower():
        return tok  # bytes literals carry no URL the scripts call
    if "f" in prefix.lower():
        inner = "'" if quote.startswith('"') else '"'

        def sub(mm: re.Match) -> str:
            expr, tail = _expr(mm)
            return "{" + expr.replace("'", inner) + "}" + tail
        return prefix + quote + ANY_MARK.sub(sub, body) + quote
    # A plain literal: split it into a concatenation of literals and lookups.
    parts, pos = [], 0
    for mm in ANY_MARK.finditer(body):
        if mm.start() > pos:
            parts.append(prefix + quote + body[pos:mm.start()] + quote)
        expr, tail = _expr(mm)
        parts.append(expr + (f" + {tail!r}" if tail else ""))
        pos = mm.end()
    if pos < len(body):
        parts.append(prefix + quote + body[pos:] + quote)
    return "(" + " + ".join(parts) + ")"


def _prelude_line(source: str) -> int:
    """Line after which the prelude goes: past a module docstring and ``from __future__`` imports."""
    end = 0
    for node in ast.parse(source).body:
        docstring = isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant) \
            and isinstance(node.value.value, str)
        if docstring or (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            end = node.end_lineno or end
        else:
            break
    return end


def convert_script(source: str, name: str = "script.py") -> tuple[str, list[str], list[str]]:
    """Return the converted script, the apps whose URLs it uses (in order) and what was changed and why.

    A script with nothing to rewrite is returned unchanged. Raises ImportError_ for a script
    that is not Python."""
    try:
        compile(source, name, "exec")
    except (SyntaxError, ValueError) as e:
        where = f" at line {e.lineno}" if getattr(e, "lineno", None) else ""
        raise ImportError_(f"{name} is not Python: {getattr(e, 'msg', e)}{where}") from None
    apps: list[str] = []
    for m in ANY_MARK.finditer(source):
        hosted_m, ph = HOSTED.fullmatch(m.group(0)), URL_PLACEHOLDER.fullmatch(m.group(0))
        app = hosted_m.group(1) if hosted_m else _app_of_placeholder(ph.group(1)) if ph else None
        if app and app not in apps:
            apps.append(app)
    changes: list[str] = []
    hosted = len(HOSTED.findall(source))
    url_ph = len(URL_PLACEHOLDER.findall(source))
    sid_ph = source.count(SID_PLACEHOLDER)
    out, rewrote = [], 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING and ANY_MARK.search(tok.string):
                tok = tok._replace(string=_rewrite_string_token(tok.string))
                rewrote += 1
            elif tok.type == tokenize.NAME and tok.string == SID_PLACEHOLDER:
                tok = tok._replace(string="_cua_sid()")
                rewrote += 1
            out.append(tok)
    except (tokenize.TokenError, IndentationError, SyntaxError) as e:
        raise ImportError_(f"{name} could not be tokenised: {e}") from None
    if hosted:
        changes.append(f"{name}: {hosted} hosted URL(s) of {', '.join(sorted(set(a for a, _ in HOSTED.findall(source))))}"
                       " -> this hub's URL for the app (CUA_HUB_URLS)")
    if url_ph:
        changes.append(f"{name}: {url_ph} __CUA_GYM_<APP>_URL__ placeholder(s) -> this hub's URL for the app")
    if sid_ph:
        changes.append(f"{name}: {sid_ph} {SID_PLACEHOLDER} placeholder(s) -> the episode's session id (CUA_SID)")
    if not rewrote:
        return source, apps, changes
    converted = tokenize.untokenize(out)
    lines = converted.splitlines(keepends=True)
    head = _prelude_line(converted)
    if head and not lines[head - 1].endswith("\n"):
        lines[head - 1] += "\n"
    return "".join(lines[:head]) + PRELUDE + "".join(lines[head:]), apps, changes


def notes_on(name: str, source: str) -> list[str]:
    """What a script does that the sandbox or the env takes care of, unchanged."""
    notes = []
    if name == "initial_setup.py" and WRITES_SID.search(source):
        notes.append(f"{name} mints its own session id and writes it to {SID_FILE}: kept; the episode adopts "
                     "that session (the sandbox reads the file back after setup)")

    elif READS_SID.search(source):
        notes.append(f"{name} reads the session id from {SID_FILE}: kept; the sandbox writes the episode's sid there")
    if LAUNCHES_BROWSER.search(source):
        notes.append(f"{name} launches a browser: kept; in the sandbox the launch only records the URL and the "
                     "env opens the app itself")
    if (HOSTED.search(source) or URL_PLACEHOLDER.search(source)) and not ADMIN_TOKEN.search(source):
        notes.append(f"{name} sends no admin token: kept; the sandbox's relay adds it for a hardened hub")
    return notes


# ---------------------------------------------------------------------------- sources
@dataclass
class Source:
    """One tuple in a CUA-Gym layout, read but not yet converted."""

    path: Path
    kind: str                                   # task_config | bundle | row
    raw: dict[str, Any]
    scripts: dict[str, str]                     # our script name -> source text
    near_misses: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)   # source files kept under original/
    notes: list[str] = field(default_factory=list)


def _read_text(p: Path, what: str) -> str:
    try:
        return p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ImportError_(f"{what} is not UTF-8 text") from None
    except OSError as e:
        raise ImportError_(f"{what} could not be read: {e}") from None


def _read_json(p: Path) -> dict[str, Any]:
    try:
        raw = json.loads(_read_text(p, p.name))
    except json.JSONDecodeError as e:
        raise ImportError_(f"{p.name} is not valid JSON: {e}") from None
    if not isinstance(raw, dict):
        raise ImportError_(f"{p.name} must hold a JSON object, got {type(raw).__name__}")
    return raw


def _script_file(src: Path, rel: Any, role: str) -> Path:
    if not isinstance(rel, str) or not rel.endswith(".py"):
        raise ImportError_(f"config.json names {rel!r} as the {role} script; expected a .py file in the bundle")
    p = (src / rel).resolve()
    if src.resolve() not in p.parents:
        raise ImportError_(f"config.json names {rel!r} as the {role} script, outside the bundle folder")
    if not p.is_file():
        raise ImportError_(f"config.json names {rel!r} as the {role} script; the bundle has no such file")
    return p


def _bundle_scripts(src: Path, raw: dict[str, Any]) -> tuple[dict[str, Path], list[str]]:
    steps = raw.get("config")
    if not isinstance(steps, list):
        raise ImportError_('config.json has no "config" list of set-up steps')
    setup, notes = [], []
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            raise ImportError_(f"config.json config[{i}] must be an object, got {type(step).__name__}")
        if step.get("type") != "execute":
            notes.append(f"config.json step {i} ({step.get('type')!r}) ignored: the env prepares the browser itself")
            continue
        cmd = step.get("command")
        cmd = shlex.split(cmd) if isinstance(cmd, str) else cmd
        py = [c for c in (cmd or []) if isinstance(c, str) and c.endswith(".py")]
        if not py:
            raise ImportError_(f"config.json config[{i}] executes {cmd!r}; only Python scripts can run in the sandbox")
        setup.append(py[0])
    if len(setup) != 1:
        raise ImportError_(f"config.json runs {len(setup)} set-up scripts; expected exactly one (initial_setup.py)")
    ev = raw.get("evaluator")
    if not isinstance(ev, dict) or ev.get("type") != "python":
        raise ImportError_('config.json needs "evaluator": {"type": "python", "url": "reward.py"}')
    paths = {"initial_setup.py": _script_file(src, setup[0], "set-up"),
             "reward.py": _script_file(src, ev.get("url"), "reward")}
    golden = src / "golden_patch.py"
    if not golden.is_file():
        raise ImportError_("the bundle has no golden_patch.py: a tuple is valid only when its golden state scores 1")
    paths["golden_patch.py"] = golden
    return paths, notes


def read_source(src: Path) -> Source:
    """Read one source folder in any of the layouts; raises ImportError_ naming what is wrong."""
    if (src / TASK_FILE).is_file():
        kind, cfg_file = "task_config", src / TASK_FILE
    elif (src / "config.json").is_file():
        kind, cfg_file = "bundle", src / "config.json"
    elif (src / "task.json").is_file():
        kind, cfg_file = "row", src / "task.json"
    else:
        raise ImportError_(f"no {', '.join(SOURCE_FILES)} in {src}")
    raw = _read_json(cfg_file)
    files, notes = [cfg_file], []
    scripts: dict[str, str] = {}
    if kind == "bundle":
        paths, notes = _bundle_scripts(src, raw)
        for name, p in paths.items():
            scripts[name] = _read_text(p, p.name)
            files.append(p)
        if paths["initial_setup.py"].name != "initial_setup.py" or paths["reward.py"].name != "reward.py":
            notes.append(f"scripts renamed: {paths['initial_setup.py'].name} -> initial_setup.py, "
                         f"{paths['reward.py'].name} -> reward.py")
    else:
        embedded = raw.get("scripts") if isinstance(raw.get("scripts"), dict) else raw
        for role, name in ROLES.items():
            p = src / name
            if p.is_file():
                scripts[name] = _read_text(p, name)
                files.append(p)
                continue
            text = next((embedded.get(k) for k in (name, name[:-3], role) if isinstance(embedded.get(k), str)), None)
            if text is None:
                raise ImportError_(f"missing {name}" + (" (neither a file nor a string in task.json)"
                                                        if kind == "row" else ""))
            scripts[name] = text
            notes.append(f"{name} taken from the {cfg_file.name} field")
    near: dict[str, str] = {}
    nm_dir = src / NEAR_MISS_DIR
    if nm_dir.is_dir():
        for p in sorted(nm_dir.glob("*.py")):
            near[p.name] = _read_text(p, f"{NEAR_MISS_DIR}/{p.name}")
            files.append(p)
    if (src / GOLDEN_ACTIONS).is_file():
        files.append(src / GOLDEN_ACTIONS)
    return Source(src, kind, raw, scripts, near, files, notes)


# ---------------------------------------------------------------------------- config
_ID_KEYS = ("id", "task_id")
_INSTRUCTION_KEYS = ("instruction", "task_instruction", "task", "intent", "goal")
_APP_KEYS = ("apps", "app", "app_type", "domain", "website", "websites")
_KNOWN = {*_ID_KEYS, *_INSTRUCTION_KEYS, *_APP_KEYS, "success_criteria", "criteria", "difficulty", "config",
          "evaluator", "scripts", *ROLES.values(), *(n[:-3] for n in ROLES.values()), *ROLES}
_LEVELS = {1: "easy", 2: "medium", 3: "hard"}


def _norm_app(a: Any) -> str:
    a = str(a).strip().lower()
    m = HOSTED.match(a)
    return m.group(1) if m else a.removeprefix("cua-gym-")


def task_config(raw: dict[str, Any], fallback_id: str, apps_seen: list[str], src: Path,
                notes: list[str]) -> TaskConfig:
    """Our task_config from either of their key sets (and the bundle's)."""
    tid_raw = next((raw[k] for k in _ID_KEYS if raw.get(k) not in (None, "")), fallback_id)
    tid = re.sub(r"[^a-z0-9_.-]+", "-", str(tid_raw).lower()).strip("-.") or fallback_id
    if tid != str(tid_raw):
        notes.append(f"id {tid_raw!r} -> {tid!r} (lowercase letters, digits, '.', '_', '-')")
    instruction = next((raw[k] for k in _INSTRUCTION_KEYS if isinstance(raw.get(k), str) and raw[k].strip()), None)
    if not instruction:
        raise ImportError_(f"no instruction (looked for {', '.join(_INSTRUCTION_KEYS)})")
    declared: list[str] = []
    for k in _APP_KEYS:
        v = raw.get(k)
        if v:
            declared += [_norm_app(a) for a in ([v] if isinstance(v, str) else v if isinstance(v, list) else [])]
    apps = list(apps_seen)
    if not apps:
        apps = declared
    elif declared and not set(declared) & set(apps):
        notes.append(f"declared app(s) {declared} differ from the apps the scripts call {apps}: the scripts win")
    if not apps:
        raise ImportError_(f"no app: the scripts call no hosted app and the config names none ({', '.join(_APP_KEYS)})")
    criteria = raw.get("success_criteria") or raw.get("criteria") or []
    criteria = [criteria] if isinstance(criteria, str) else [str(c) for c in criteria]
    level = raw.get("difficulty", "medium")
    difficulty = _LEVELS.get(level) if isinstance(level, int) else str(level).lower()
    if difficulty not in ("easy", "medium", "hard"):
        notes.append(f"difficulty {level!r} -> 'medium'")
        difficulty = "medium"
    return TaskConfig(id=tid, apps=apps, instruction=instruction.strip(), success_criteria=criteria,
                      difficulty=difficulty, family=str(raw.get("family", "")),
                      provenance={"source": "cua-gym", "original_id": raw.get("id") or raw.get("task_id"),
                                  "imported_from": str(src),
                                  "original_fields": {k: v for k, v in raw.items() if k not in _KNOWN}})


# ---------------------------------------------------------------------------- import
@dataclass
class ImportReport:
    converted: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)       # source folder -> reason
    changes: dict[str, list[str]] = field(default_factory=dict)  # converted folder -> what changed and why


def import_tuple(src: Path, dst_root: Path, app_names: set[str] | None = None,
                 taken: dict[str, str] | None = None) -> tuple[Path, list[str]]:
    """Convert one source folder; returns the tuple folder and what was changed and why."""
    source = read_source(src)
    converted: dict[str, str] = {}
    apps_seen: list[str] = []
    changes = [f"layout: {source.kind} ({', '.join(p.name for p in source.files[:1])})", *source.notes]
    setup = source.scripts["initial_setup.py"]
    if WRITES_SID.search(setup) and not RANDOM_SID.search(setup) and not READS_SID_FILE.search(setup):
        raise ImportError_("initial_setup.py writes a session id to /tmp/task_web_sid that it neither reads there "
                           "nor draws at random (uuid, secrets, random): parallel episodes would share one session")
    if LLM_JUDGE.search(source.scripts["reward.py"]):
        raise ImportError_("reward.py calls an LLM judge (reward_judge), which the sandbox does not provide")
    for name in SCRIPTS:
        text, apps, what = convert_script(source.scripts[name], name)
        converted[name] = text
        apps_seen += [a for a in apps if a not in apps_seen]
        changes += what + notes_on(name, source.scripts[name])
    near = {}
    for name, text in source.near_misses.items():
        near[name], apps, what = convert_script(text, f"{NEAR_MISS_DIR}/{name}")
        changes += what
    cfg = task_config(source.raw, re.sub(r"[^a-z0-9_.-]+", "-", src.name.lower()).strip("-.") or "tuple",
                      apps_seen, src, changes)
    if app_names is not None:
        unknown = [a for a in cfg.apps if a not in app_names]
        if unknown:
            raise ImportError_(f"uses app(s) {', '.join(unknown)} that this hub does not have "
                               f"(available: {', '.join(sorted(app_names))}; --any-app keeps it for hub.urls)")
    if taken is not None:
        if cfg.id in taken:
            raise ImportError_(f"id {cfg.id!r} was already imported from {taken[cfg.id]}")
        taken[cfg.id] = str(src)
    out = dst_root / cfg.id
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / TASK_FILE).write_text(json.dumps(cfg.model_dump(), indent=2) + "\n")
    for name, text in converted.items():
        (out / name).write_text(text)
    if near:
        (out / NEAR_MISS_DIR).mkdir()
        for name, text in near.items():
            (out / NEAR_MISS_DIR / name).write_text(text)
    if (src / GOLDEN_ACTIONS).is_file():
        shutil.copyfile(src / GOLDEN_ACTIONS, out / GOLDEN_ACTIONS)
    orig = out / ORIGINAL_DIR
    for p in source.files:
        rel = Path(os.path.relpath(p.resolve(), src.resolve()))
        (orig / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, orig / rel)  # byte for byte, for audit
    unchanged = [n for n in SCRIPTS if converted[n] == source.scripts[n]]
    if unchanged:
        changes.append(f"unchanged: {', '.join(unchanged)}")
    (out / REPORT_FILE).write_text(json.dumps({"source": str(src), "layout": source.kind, "id": cfg.id,
                                               "apps": cfg.apps, "changes": changes,
                                               "original": ORIGINAL_DIR + "/"}, indent=2) + "\n")
    try:
        load_tuple(out)
    except TupleError as e:
        shutil.rmtree(out)
        raise ImportError_(f"converted tuple is invalid: {e}") from None
    return out, changes


def find_sources(root: Path) -> list[Path]:
    """Folders under ``root`` (or ``root`` itself) holding a tuple in any of the layouts."""
    if any((root / f).is_file() for f in SOURCE_FILES):
        return [root]
    found: set[Path] = set()
    for f in SOURCE_FILES:
        for p in root.rglob(f):
            rel = p.parent.relative_to(root).parts
            if not any(part.startswith((".", "_")) or part in (ORIGINAL_DIR, NEAR_MISS_DIR) for part in rel):
                found.add(p.parent)
    # A folder inside another source folder is part of it (e.g. a bundle's assets), not a tuple.
    return sorted(d for d in found if not any(o in d.parents for o in found))


def import_dir(src_root: str | Path, dst_root: str | Path, app_names: set[str] | None = None) -> ImportReport:
    src_root, dst_root = Path(src_root), Path(dst_root)
    if not src_root.is_dir():
        raise ImportError_(f"source {src_root} is not a directory")
    rep = ImportReport()
    taken: dict[str, str] = {}
    for src in find_sources(src_root):
        try:
            out, changes = import_tuple(src, dst_root, app_names, taken)
        except ImportError_ as e:
            rep.skipped[str(src)] = str(e)
        except (OSError, ValueError) as e:  # a malformed source must never stop the others
            rep.skipped[str(src)] = f"{type(e).__name__}: {e}"
        else:
            rep.converted.append(str(out))
            rep.changes[str(out)] = changes
    return rep
