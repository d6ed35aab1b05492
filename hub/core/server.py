"""The ASGI app of one hub app: the State API around a :class:`SessionStore`, plus the UI.

Endpoints (wire-compatible with the CUA-Gym-Hub suite):
  POST /post?sid=S   {"action": "set"|"set_current"|"reset"|"launch", "state": {...}, "merge": bool}
                     ("launch", an extension: a fresh launch URL for the session as it stands)
  GET  /go?sid=S     {"initial_state", "current_state", "state_diff"}
  GET  /state?sid=S  the current state
  POST /upload?sid=S multipart files -> file records
  GET  /files/S/NAME an uploaded file
  GET  /launch/TOKEN one-time launch URL (hardened mode) -> HttpOnly cookie + redirect
  GET  /health, GET /schema, GET / (the app's page), GET /static/..., GET /_cua/cua.js
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from cuagym.hub.core.auth import COOKIE_ALIAS, LaunchRegistry, token_matches
from cuagym.hub.core.diff import encode_json, join_encoded, state_diff_encoded
from cuagym.hub.core.sessions import SessionStore, SidError, StoredFile, check_sid
from cuagym.hub.core.spec import AppSpec

CORE_STATIC = Path(__file__).parent / "static"
ACTIONS = ("set", "set_current", "reset", "launch")
MAX_STATE_BYTES = 16 << 20
MAX_UPLOAD_BYTES = 32 << 20
MAX_FILES_PER_SESSION = 256


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def deep_merge(base: Any, patch: Any) -> Any:
    """Merge ``patch`` into a copy of ``base``: dicts merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            out[k] = deep_merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(patch)


def _validation_message(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:8]:
        loc = ".".join(str(x) for x in e.get("loc", ())) or "<root>"
        parts.append(f"{loc}: {e.get('msg')}")
    more = f" (+{err.error_count() - 8} more)" if err.error_count() > 8 else ""
    return "state does not match the app schema: " + "; ".join(parts) + more


def create_app(spec: AppSpec, *, admin_token: str, hardened: bool = True,
               max_state_bytes: int = MAX_STATE_BYTES, max_sessions: int = 4096) -> FastAPI:
    app = FastAPI(title=spec.title, docs_url=None, redoc_url=None, openapi_url=None)
    store = SessionStore(spec.seed_state, max_sessions=max_sessions)
    launches = LaunchRegistry()
    cookie_name = f"cua_session_{spec.name}"  # cookies ignore ports: one name per app
    app.state.spec, app.state.store, app.state.hardened = spec, store, hardened

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message, **exc.extra}, status_code=exc.status,
                            headers={"Cache-Control": "no-store"})

    def is_admin(request: Request) -> bool:
        given = request.headers.get("x-cua-admin-token")
        auth = request.headers.get("authorization", "")
        if not given and auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if given and not token_matches(given, admin_token):
            raise ApiError(403, "admin token rejected")
        return bool(given)

    def resolve(request: Request, sid: str | None, *, admin_only: bool) -> str:
        """Return the real sid this caller may act on, or raise 401/403/400."""
        admin = is_admin(request)
        if sid == COOKIE_ALIAS:
            real = launches.sid_for_cookie(request.cookies.get(cookie_name))
            if real is None:
                raise ApiError(403, f"{COOKIE_ALIAS} needs the session cookie set by a launch URL")
            if admin_only and hardened and not admin:
                raise ApiError(401, "this action needs the admin token (X-CUA-Admin-Token or Authorization: Bearer)")
            return real
        try:
            real = check_sid(sid)
        except SidError as e:
            raise ApiError(400, str(e)) from None
        if hardened and not admin:
            if admin_only:
                raise ApiError(401, "this action needs the admin token (X-CUA-Admin-Token or Authorization: Bearer)")
            raise ApiError(403, f"in hardened mode a page addresses its session only as {COOKIE_ALIAS} "
                                "through its launch cookie; other callers need the admin token")
        return real

    async def read_body(request: Request, limit: int) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise ApiError(413, f"request body of {declared} bytes exceeds the limit of {limit} bytes")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise ApiError(413, f"request body exceeds the limit of {limit} bytes")
        request._body = body  # later readers (form parsing) reuse it instead of the drained stream
        return body

    def launch_url(request: Request, sid: str) -> str:
        base = str(request.base_url).rstrip("/")
        if hardened:
            return f"{base}/launch/{launches.mint(sid)}"
        return f"{base}/?sid={sid}"

    @app.get("/health")
    async def health() -> dict:
        return {"ok": True, "app": spec.name, "hardened": hardened, "sessions": len(store)}

    @app.get("/schema")
    async def schema() -> dict:
        return {"app": spec.name, "json_schema": spec.state_model.model_json_schema(),
                "transient_keys": list(spec.transient_keys)}

    @app.post("/post")
    async def post(request: Request, sid: str | None = None) -> JSONResponse:
        body = await read_body(request, max_state_bytes)
        try:
            payload = json.loads(body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ApiError(400, f"malformed JSON body: {e}") from None
        if not isinstance(payload, dict) or "action" not in payload:
            raise ApiError(400, 'expected a JSON object {"action": ..., "state": {...}}',
                           valid_actions=list(ACTIONS))
        action = payload["action"]
        if action not in ACTIONS:
            raise ApiError(400, f"unknown action {action!r}", valid_actions=list(ACTIONS))
        real = resolve(request, sid, admin_only=action != "set_current")
        session = store.get(real)
        if action == "launch":
            # Mint a launch URL for the session as it is (the state was written by a script).
            return JSONResponse({"ok": True, "version": session.version, "launch_url": launch_url(request, real)})
        if action == "reset":
            with store.lock:
                session.current = copy.deepcopy(session.initial)
                session.version += 1
            return JSONResponse({"ok": True, "version": session.version})
        state = payload.get("state")
        if not isinstance(state, dict):
            raise ApiError(400, f"action {action!r} needs \"state\": a JSON object")
        merge = payload.get("merge", False)
        if not isinstance(merge, bool):
            raise ApiError(400, "\"merge\" must be true or false")
        with store.lock:
            base = session.initial if action == "set" else session.current
            candidate = deep_merge(base, state) if merge else state
            try:
                clean = spec.validate(candidate)
            except ValidationError as e:
                raise ApiError(422, _validation_message(e)) from None
            if action == "set":
                session.initial, session.current = clean, copy.deepcopy(clean)
                launches.forget(real)  # a new episode: earlier launch links and cookies stop working
            else:
                session.current = clean
            session.version += 1
            version = session.version
        out: dict[str, Any] = {"ok": True, "version": version}
        if action == "set":
            out["launch_url"] = launch_url(request, real)
        return JSONResponse(out)

    @app.get("/go")
    async def go(request: Request, sid: str | None = None) -> JSONResponse:
        real = resolve(request, sid, admin_only=True)
        s = store.get(real)
        with store.lock:
            # The initial state's encoding is kept until the next set; the current state is
            # encoded per member, and only members whose text changed are diffed leaf by leaf.
            initial, current = s.initial, s.current
            init_enc = s.encoded_state("initial", initial)
            cur_enc = init_enc if current is initial else s.encoded_state("current", current)
            diff = state_diff_encoded(initial, current, init_enc, cur_enc, spec.transient_keys)
            body = ('{"initial_state":' + join_encoded(init_enc) + ',"current_state":' + join_encoded(cur_enc)
                    + ',"state_diff":' + encode_json(diff) + "}")
        return Response(body.encode("utf-8"), media_type="application/json", headers={"Cache-Control": "no-store"})

    @app.get("/state")
    async def state(request: Request, sid: str | None = None) -> JSONResponse:
        real = resolve(request, sid, admin_only=False)
        return JSONResponse(store.get(real).current, headers={"Cache-Control": "no-store"})

    @app.post("/upload")
    async def upload(request: Request, sid: str | None = None) -> JSONResponse:
        real = resolve(request, sid, admin_only=False)
        await read_body(request, MAX_UPLOAD_BYTES)  # enforces the size limit before parsing
        try:
            form = await request.form()
        except Exception as e:  # starlette raises several types for broken multipart
            raise ApiError(400, f"expected a multipart/form-data body with files: {e}") from None
        uploads = [v for _, v in form.multi_items() if hasattr(v, "filename")]
        if not uploads:
            raise ApiError(400, "no files in the multipart body (use any field name with a file part)")
        session = store.get(real)
        records = []
        public_sid = sid if sid == COOKIE_ALIAS else real
        for up in uploads:
            name = Path(up.filename or "").name
            if not name or name.startswith(".") or not check_file_name(name):
                raise ApiError(400, f"invalid file name {up.filename!r}: expected a plain name like report.pdf")
            data = await up.read()
            with store.lock:
                if name not in session.files and len(session.files) >= MAX_FILES_PER_SESSION:
                    raise ApiError(413, f"a session holds at most {MAX_FILES_PER_SESSION} files")
                session.files[name] = StoredFile(name, up.content_type or "application/octet-stream", data)
            records.append(session.files[name].record(f"/files/{public_sid}"))
        return JSONResponse({"ok": True, "files": records})

    @app.get("/files/{sid}/{name}")
    async def files(request: Request, sid: str, name: str) -> Response:
        real = resolve(request, sid, admin_only=False)
        f = store.get(real).files.get(name)
        if f is None:
            raise ApiError(404, f"no file {name!r} in this session")
        return Response(f.data, media_type=f.content_type, headers={"Cache-Control": "no-store"})

    @app.get("/launch/{token}")
    async def launch(token: str) -> Response:
        redeemed = launches.redeem(token)
        if redeemed is None:
            raise ApiError(403, "launch URL unknown or already used")
        _, secret = redeemed
        resp = RedirectResponse(f"/?sid={COOKIE_ALIAS}", status_code=303)
        resp.set_cookie(cookie_name, secret, httponly=True, samesite="strict", path="/")
        return resp

    @app.get("/_cua/cua.js")
    async def cua_js() -> FileResponse:
        return FileResponse(CORE_STATIC / "cua.js", media_type="text/javascript")

    @app.get("/_cua/workspace")
    async def workspace(tabs: str = "") -> Response:
        return Response(workspace_html(tabs), media_type="text/html", headers={"Cache-Control": "no-store"})

    @app.get("/_cua/base.css")
    async def base_css() -> FileResponse:
        return FileResponse(CORE_STATIC / "base.css", media_type="text/css")

    @app.get("/")
    async def index() -> FileResponse:
        return FileResponse(spec.static_dir / "index.html", media_type="text/html",
                            headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=spec.static_dir), name="static")
    return app


def workspace_html(tabs_param: str) -> str:
    """A shell page with one tab per app (each an iframe), for tasks that span several apps.

    ``tabs`` is URL-safe base64 of a JSON list of ``{"title": ..., "url": launch URL}``.
    """
    import base64
    import html

    try:
        tabs = json.loads(base64.urlsafe_b64decode(tabs_param.encode() + b"==="))
        assert isinstance(tabs, list) and tabs and all(isinstance(t, dict) and "url" in t for t in tabs)
    except Exception:
        raise ApiError(400, "tabs must be URL-safe base64 of a JSON list of {title, url}") from None
    buttons, frames = [], []
    for i, t in enumerate(tabs):
        title = html.escape(str(t.get("title", f"App {i + 1}")))
        buttons.append(f'<button class="tab{" on" if i == 0 else ""}" data-i="{i}">{title}</button>')
        frames.append(f'<iframe data-i="{i}" src="{html.escape(str(t["url"]))}"'
                      f'{"" if i == 0 else " hidden"}></iframe>')
    return WORKSPACE_TEMPLATE.replace("{buttons}", "".join(buttons)).replace("{frames}", "".join(frames))


WORKSPACE_TEMPLATE = """<!doctype html><html><head><meta charset="utf-8"><title>Workspace</title>
<style>
*{box-sizing:border-box;animation:none!important;transition:none!important}
html,body{margin:0;height:100%;overflow:hidden;font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px}
#bar{height:32px;display:flex;gap:2px;padding:3px 6px 0;background:#dfe1e5;border-bottom:1px solid #c4c7cc}
.tab{border:0;border-radius:8px 8px 0 0;padding:0 18px;background:transparent;color:#3c4043;cursor:pointer;font:inherit}
.tab.on{background:#fff;color:#202124;font-weight:bold}
iframe{display:block;border:0;width:100%;height:calc(100% - 32px)}
iframe[hidden]{display:block;visibility:hidden;position:absolute;left:-100000px;top:32px}
</style></head><body>
<div id="bar">{buttons}</div>{frames}
<script>
for (const b of document.querySelectorAll('.tab')) b.onclick = () => {
  for (const x of document.querySelectorAll('.tab')) x.classList.toggle('on', x === b);
  for (const f of document.querySelectorAll('iframe')) f.hidden = f.dataset.i !== b.dataset.i;
};
document.body.dataset.cuaReady = "1";
</script></body></html>"""


def check_file_name(name: str) -> bool:
    return len(name) <= 128 and all(c.isalnum() or c in "._- " for c in name)
