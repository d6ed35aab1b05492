// Client side of the State API, shared by every hub app.
//
//   const state = await CUA.load();   // current state of this page's session
//   CUA.save(state);                  // writes it back (set_current), in order
//   CUA.ready();                      // after the first render: the page is ready
//
// The page addresses its session by the sid in its URL: the real sid in legacy mode, or
// "__cua_session__" in hardened mode, where the HttpOnly launch cookie names the session.
// Env workers wait for body[data-cua-ready="1"] and CUA.pending === 0 before they take a
// screenshot or score, so every user-visible change has reached the server by then.
(function () {
  "use strict";
  const sid = new URLSearchParams(location.search).get("sid") || "";
  const q = "sid=" + encodeURIComponent(sid);
  let chain = Promise.resolve();
  const api = {
    sid: sid,
    pending: 0,
    lastError: null,
    async load() {
      const r = await fetch("/state?" + q, { credentials: "same-origin", cache: "no-store" });
      if (!r.ok) throw new Error("could not load state: HTTP " + r.status);
      return r.json();
    },
    save(state) {
      const body = JSON.stringify({ action: "set_current", state: state });
      api.pending += 1;
      chain = chain
        .then(() => fetch("/post?" + q, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json" }, body: body,
        }))
        .then(async (r) => {
          if (!r.ok) { api.lastError = (await r.text()); console.error("save failed", api.lastError); }
        })
        .catch((e) => { api.lastError = String(e); console.error(e); })
        .finally(() => { api.pending -= 1; });
      return chain;
    },
    async upload(files) {
      const form = new FormData();
      for (const f of files) form.append("file", f, f.name);
      api.pending += 1;
      try {
        const r = await fetch("/upload?" + q, { method: "POST", credentials: "same-origin", body: form });
        if (!r.ok) throw new Error("upload failed: HTTP " + r.status);
        return (await r.json()).files;
      } finally { api.pending -= 1; }
    },
    fileUrl(name) { return "/files/" + encodeURIComponent(sid) + "/" + encodeURIComponent(name); },
    ready() { document.body.dataset.cuaReady = "1"; },
    idle() { return api.pending === 0; },
  };
  window.CUA = api;
})();
