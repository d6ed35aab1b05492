// Notes app: sidebar (notebook tree, views, tags), note list, editor with formatting toolbar.
//
// One state object (from the State API) drives everything: every user action mutates it,
// re-renders the page from it and saves it, so the server always holds what is on screen.
// Dates come from state.now and the notes' own timestamps, never from the real clock.
(function () {
  "use strict";

  const PAGE_SIZE = 8;
  const MAX_TAGS = 20;
  const root = document.getElementById("app");
  let state = null;

  // ---------- small helpers ----------

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  function numId(id) {
    const m = /(\d+)$/.exec(id);
    return m ? parseInt(m[1], 10) : 0;
  }

  // New ids continue from the highest number ever handed out (state.last_ids) or present in
  // the state, whichever is larger, so a deleted note's id never comes back.
  function nextId(items, prefix, kind) {
    let max = state.last_ids[kind];
    for (const it of items) if (it.id.startsWith(prefix) && /^\d+$/.test(it.id.slice(prefix.length))) max = Math.max(max, numId(it.id));
    state.last_ids[kind] = max + 1;
    return prefix + (max + 1);
  }

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // Timestamps are "YYYY-MM-DDTHH:MM:SS" strings; parse by hand so the browser's time zone
  // can never change what is shown.
  function parts(ts) {
    return { y: +ts.slice(0, 4), m: +ts.slice(5, 7), d: +ts.slice(8, 10), h: +ts.slice(11, 13), min: +ts.slice(14, 16) };
  }
  function dayNumber(p) { return Date.UTC(p.y, p.m - 1, p.d) / 86400000; }
  function clock(p) {
    const h12 = p.h % 12 === 0 ? 12 : p.h % 12;
    return h12 + ":" + String(p.min).padStart(2, "0") + " " + (p.h < 12 ? "AM" : "PM");
  }
  function shortDate(ts) {
    const p = parts(ts), now = parts(state.now);
    const diff = dayNumber(now) - dayNumber(p);
    if (diff === 0) return clock(p);
    if (diff === 1) return "Yesterday";
    if (p.y === now.y) return MONTHS[p.m - 1] + " " + p.d;
    return MONTHS[p.m - 1] + " " + p.d + ", " + p.y;
  }
  function longDate(ts) {
    const p = parts(ts), now = parts(state.now);
    const diff = dayNumber(now) - dayNumber(p);
    const day = diff === 0 ? "today" : diff === 1 ? "yesterday" : MONTHS[p.m - 1] + " " + p.d + ", " + p.y;
    return day + " at " + clock(p);
  }

  // ---------- derived data ----------

  function notebook(id) { return state.notebooks.find((b) => b.id === id) || null; }
  function note(id) { return state.notes.find((n) => n.id === id) || null; }
  function children(id) { return state.notebooks.filter((b) => b.parent_id === id); }

  function subtreeIds(id) {
    const out = new Set([id]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const b of state.notebooks) if (b.parent_id !== null && out.has(b.parent_id) && !out.has(b.id)) { out.add(b.id); grew = true; }
    }
    return out;
  }

  function liveNotes() { return state.notes.filter((n) => !n.trashed); }

  function notebookCount(id) {
    const ids = subtreeIds(id);
    return liveNotes().filter((n) => ids.has(n.notebook_id)).length;
  }

  function tagCounts() {
    const counts = new Map();
    for (const n of liveNotes()) for (const t of n.tags) counts.set(t, (counts.get(t) || 0) + 1);
    // Most used first, so the tags that matter show without scrolling the sidebar.
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  function matchesSearch(n, q) {
    if (!q) return true;
    q = q.toLowerCase();
    return n.title.toLowerCase().includes(q) || n.body.toLowerCase().includes(q) || n.tags.some((t) => t.includes(q));
  }

  function displayTitle(n) { return n.title.trim() || "Untitled"; }

  function compareNotes(a, b) {
    const ui = state.ui;
    if (ui.view === "trash") {
      if (a.trashed_at !== b.trashed_at) return a.trashed_at < b.trashed_at ? 1 : -1;
      return numId(b.id) - numId(a.id);
    }
    if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
    if (ui.sort === "title") {
      const ta = displayTitle(a).toLowerCase(), tb = displayTitle(b).toLowerCase();
      if (ta !== tb) return ta < tb ? -1 : 1;
      return numId(a.id) - numId(b.id);
    }
    const key = ui.sort === "created" ? "created_at" : "updated_at";
    if (a[key] !== b[key]) return a[key] < b[key] ? 1 : -1;
    return numId(b.id) - numId(a.id);
  }

  // The notes of the current view and search, in display order (all pages).
  function listNotes() {
    const ui = state.ui;
    let notes;
    if (ui.view === "trash") notes = state.notes.filter((n) => n.trashed);
    else if (ui.view === "pinned") notes = liveNotes().filter((n) => n.pinned);
    else if (ui.view === "notebook") { const ids = subtreeIds(ui.notebook_id); notes = liveNotes().filter((n) => ids.has(n.notebook_id)); }
    else if (ui.view === "tag") notes = liveNotes().filter((n) => n.tags.includes(ui.tag));
    else notes = liveNotes();
    return notes.filter((n) => matchesSearch(n, ui.search.trim())).sort(compareNotes);
  }

  function pageCount(total) { return Math.max(1, Math.ceil(total / PAGE_SIZE)); }
  function shownPage(total) { return Math.min(state.ui.page, pageCount(total)); }

  function viewTitle() {
    const ui = state.ui;
    if (ui.view === "pinned") return "Pinned";
    if (ui.view === "trash") return "Trash";
    if (ui.view === "notebook") return notebook(ui.notebook_id).name;
    if (ui.view === "tag") return "#" + ui.tag;
    return "All notes";
  }

  function notebookDeletable(id) {
    return children(id).length === 0 && !state.notes.some((n) => n.notebook_id === id);
  }

  // ---------- block formatting ----------
  // A block is one line of the body. Markers: "# " / "## " / "- " before the text, and
  // "**" (bold) and "_" (italic) around it.

  const PREFIXES = { h1: "# ", h2: "## ", bullet: "- " };

  function parseLine(line) {
    let prefix = "";
    for (const p of ["## ", "# ", "- "]) if (line.startsWith(p)) { prefix = p; break; }
    let text = line.slice(prefix.length), bold = false, italic = false, changed = true;
    while (changed) {
      changed = false;
      if (!bold && text.length >= 5 && text.startsWith("**") && text.endsWith("**")) { bold = true; text = text.slice(2, -2); changed = true; }
      else if (!italic && text.length >= 3 && text.startsWith("_") && text.endsWith("_")) { italic = true; text = text.slice(1, -1); changed = true; }
    }
    return { prefix, bold, italic, text };
  }

  function buildLine(p) {
    const b = p.bold ? "**" : "", i = p.italic ? "_" : "";
    return p.prefix + b + i + p.text + i + b;
  }

  function hasFormat(p, fmt) {
    if (fmt === "bold") return p.bold;
    if (fmt === "italic") return p.italic;
    return p.prefix === PREFIXES[fmt];
  }

  function withFormat(p, fmt, on) {
    const q = Object.assign({}, p);
    if (fmt === "bold") q.bold = on;
    else if (fmt === "italic") q.italic = on;
    else q.prefix = on ? PREFIXES[fmt] : (p.prefix === PREFIXES[fmt] ? "" : p.prefix);
    return q;
  }

  // Indices of the lines the selection [start, end] touches.
  function selectedLines(body, start, end) {
    const lines = body.split("\n");
    const out = [];
    let pos = 0;
    for (let i = 0; i < lines.length; i++) {
      const a = pos, b = pos + lines[i].length;
      const touches = start === end ? (start >= a && start <= b) : (start <= b && end > a);
      if (touches) out.push(i);
      pos = b + 1;
    }
    return { lines, picked: out };
  }

  function blockState(body, sel) {
    const { lines, picked } = selectedLines(body, Math.min(sel.start, body.length), Math.min(sel.end, body.length));
    const parsed = picked.map((i) => parseLine(lines[i])).filter((p) => p.text.trim() !== "");
    const on = {};
    for (const f of ["h1", "h2", "bold", "italic", "bullet"]) on[f] = parsed.length > 0 && parsed.every((p) => hasFormat(p, f));
    return on;
  }

  // Toggle one format on the selected blocks; returns {body, start, end} or null if nothing to do.
  function toggleFormat(body, sel, fmt) {
    const { lines, picked } = selectedLines(body, Math.min(sel.start, body.length), Math.min(sel.end, body.length));
    const targets = picked.filter((i) => parseLine(lines[i]).text.trim() !== "");
    if (targets.length === 0) return null;
    const turnOn = !targets.every((i) => hasFormat(parseLine(lines[i]), fmt));
    for (const i of targets) lines[i] = buildLine(withFormat(parseLine(lines[i]), fmt, turnOn));
    const first = picked[0], last = picked[picked.length - 1];
    let start = 0;
    for (let i = 0; i < first; i++) start += lines[i].length + 1;
    let end = start;
    for (let i = first; i <= last; i++) end += lines[i].length + (i < last ? 1 : 0);
    return { body: lines.join("\n"), start, end };
  }

  // ---------- icons (inline SVG, no external assets) ----------

  function icon(name, size) {
    const s = size || 16;
    const paths = {
      search: '<circle cx="7" cy="7" r="4.5"/><path d="M10.5 10.5 14 14"/>',
      plus: '<path d="M8 3v10M3 8h10"/>',
      pin: '<path d="M6 2h4l-.5 4 2.5 2.5H4L6.5 6 6 2zM8 8.5V14"/>',
      trash: '<path d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.6 8.5h5.8l.6-8.5"/>',
      notes: '<rect x="3" y="2" width="10" height="12" rx="1.5"/><path d="M5.5 5.5h5M5.5 8h5M5.5 10.5h3"/>',
      folder: '<path d="M2 4.5A1.5 1.5 0 0 1 3.5 3h3l1.5 1.5h4.5A1.5 1.5 0 0 1 14 6v5.5a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 11.5z"/>',
      chevronRight: '<path d="M6 4l4 4-4 4"/>',
      chevronDown: '<path d="M4 6l4 4 4-4"/>',
      chevronLeft: '<path d="M10 4 6 8l4 4"/>',
      sort: '<path d="M5 3v10M2.5 10.5 5 13l2.5-2.5M11 13V3M8.5 5.5 11 3l2.5 2.5"/>',
      move: '<path d="M2 4.5A1.5 1.5 0 0 1 3.5 3h3l1.5 1.5h4.5A1.5 1.5 0 0 1 14 6v5.5a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 11.5z"/><path d="M6 9h4M8.5 7.5 10 9l-1.5 1.5"/>',
      x: '<path d="M4 4l8 8M12 4l-8 8"/>',
      pencil: '<path d="M10.5 2.5l3 3L6 13H3v-3z"/>',
      restore: '<path d="M3 8a5 5 0 1 0 1.5-3.5M3 2.5V5h2.5"/>',
      tag: '<path d="M2.5 2.5h5l6 6-5 5-6-6z"/><circle cx="5.5" cy="5.5" r="1"/>',
      check: '<path d="M3 8.5 6.5 12 13 4.5"/>',
    };
    return '<svg class="ic" width="' + s + '" height="' + s + '" viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">' + paths[name] + "</svg>";
  }

  // ---------- rendering ----------

  function renderSidebar() {
    const ui = state.ui;
    const all = liveNotes().length, pinned = liveNotes().filter((n) => n.pinned).length;
    const trash = state.notes.filter((n) => n.trashed).length;
    const first = state.user.name.trim().charAt(0).toUpperCase();
    const viewRow = (view, label, ic, count) =>
      '<button class="nav-row' + (ui.view === view ? " active" : "") + '" data-act="view" data-arg="' + view + '" data-testid="view-' + view + '">' +
      icon(ic) + '<span class="nav-label">' + label + '</span><span class="count">' + count + "</span></button>";

    function tree(parent, depth) {
      let out = "";
      for (const b of children(parent)) {
        const kids = children(b.id).length > 0;
        const active = ui.view === "notebook" && ui.notebook_id === b.id;
        out += '<div class="nb-row' + (active ? " active" : "") + '" style="padding-left:' + (6 + depth * 16) + 'px">' +
          (kids
            ? '<button class="twisty" data-act="toggle-notebook" data-arg="' + esc(b.id) + '" data-testid="toggle-' + esc(b.id) + '" title="' + (b.expanded ? "Collapse" : "Expand") + '">' + icon(b.expanded ? "chevronDown" : "chevronRight", 12) + "</button>"
            : '<span class="twisty-space"></span>') +
          '<button class="nb-open" data-act="open-notebook" data-arg="' + esc(b.id) + '" data-testid="nb-' + esc(b.id) + '">' +
          '<span class="nb-icon c-' + b.color + '">' + icon("folder", 15) + '</span><span class="nav-label">' + esc(b.name) +
          '</span><span class="count">' + notebookCount(b.id) + "</span></button></div>";
        if (kids && b.expanded) out += tree(b.id, depth + 1);
      }
      return out;
    }

    const tags = tagCounts().map(([t, c]) =>
      '<button class="tag-chip side' + (ui.view === "tag" && ui.tag === t ? " active" : "") + '" data-act="open-tag" data-arg="' + esc(t) + '" data-testid="tag-' + esc(t) + '">#' + esc(t) + ' <span class="count">' + c + "</span></button>").join("");

    return '<aside id="sidebar">' +
      '<div class="ws"><div class="avatar">' + esc(first) + '</div><div class="ws-text"><div class="ws-name">' + esc(state.user.name) +
      '</div><div class="ws-mail">' + esc(state.user.email) + "</div></div></div>" +
      '<div class="search-box">' + icon("search", 14) +
      '<input id="search" type="text" maxlength="200" placeholder="Search notes" autocomplete="off" spellcheck="false" value="' + esc(ui.search) + '">' +
      (ui.search ? '<button id="search-clear" class="icon-btn small" data-act="clear-search" title="Clear search">' + icon("x", 12) + "</button>" : "") +
      "</div>" +
      '<button id="new-note" class="primary-btn" data-act="new-note">' + icon("plus", 14) + "<span>New note</span></button>" +
      '<nav class="views">' + viewRow("all", "All notes", "notes", all) + viewRow("pinned", "Pinned", "pin", pinned) + viewRow("trash", "Trash", "trash", trash) + "</nav>" +
      '<div id="side-scroll" class="side-scroll">' +
      '<div class="section-head"><span>Notebooks</span><button id="new-notebook" class="icon-btn small" data-act="new-notebook" title="New notebook">' + icon("plus", 13) + "</button></div>" +
      '<div class="tree">' + tree(null, 0) + "</div>" +
      '<div class="section-head"><span>Tags</span></div><div class="tag-cloud">' + (tags || '<div class="muted small-pad">No tags yet</div>') + "</div>" +
      "</div></aside>";
  }

  function snippet(n) {
    const lines = n.body.split("\n").map((l) => parseLine(l).text.trim()).filter((l) => l && l !== n.title.trim());
    return lines.join(" ").slice(0, 160);
  }

  function renderList() {
    const ui = state.ui;
    const notes = listNotes();
    const page = shownPage(notes.length), pages = pageCount(notes.length);
    const slice = notes.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    let actions = "";
    if (ui.view === "notebook") {
      const can = notebookDeletable(ui.notebook_id);
      actions += '<button id="rename-notebook" class="icon-btn" data-act="rename-notebook" title="Rename notebook">' + icon("pencil", 15) + "</button>";
      actions += '<button id="delete-notebook" class="icon-btn" data-act="delete-notebook" ' + (can ? 'title="Delete notebook"' : 'disabled title="Only an empty notebook without sub-notebooks can be deleted"') + ">" + icon("trash", 15) + "</button>";
    }
    if (ui.view === "trash") {
      actions += '<button id="empty-trash" class="text-btn danger" data-act="empty-trash"' + (notes.length || state.notes.some((n) => n.trashed) ? "" : " disabled") + ">Empty trash</button>";
    } else {
      const sortLabel = { updated: "Last edited", created: "Date created", title: "Title" }[ui.sort];
      actions += '<button id="sort-button" class="text-btn" data-act="menu-sort" title="Sort notes">' + icon("sort", 14) + "<span>" + sortLabel + "</span></button>";
    }
    const items = slice.map((n) => {
      const nb = notebook(n.notebook_id);
      const when = ui.view === "trash" ? n.trashed_at : ui.sort === "created" ? n.created_at : n.updated_at;
      const tags = n.tags.slice(0, 2).map((t) => '<span class="mini-tag">#' + esc(t) + "</span>").join("");
      return '<li><button class="note-item' + (n.id === ui.selected_note ? " selected" : "") + '" data-act="select-note" data-arg="' + esc(n.id) + '" data-testid="note-' + esc(n.id) + '">' +
        '<div class="ni-top"><span class="ni-title">' + esc(displayTitle(n)) + "</span>" + (n.pinned && !n.trashed ? '<span class="ni-pin" title="Pinned">' + icon("pin", 13) + "</span>" : "") + "</div>" +
        '<div class="ni-snippet"><span class="ni-date">' + esc(shortDate(when)) + "</span>" + esc(snippet(n) || "No additional text") + "</div>" +
        '<div class="ni-meta"><span class="nb-dot c-' + nb.color + '"></span><span class="ni-nb">' + esc(nb.name) + "</span>" + tags + "</div>" +
        "</button></li>";
    }).join("");
    const from = notes.length ? (page - 1) * PAGE_SIZE + 1 : 0, to = Math.min(page * PAGE_SIZE, notes.length);
    const empty = ui.search.trim()
      ? "No notes match \u201c" + esc(ui.search.trim()) + "\u201d"
      : ui.view === "trash" ? "Trash is empty" : ui.view === "pinned" ? "No pinned notes" : "No notes here yet";
    return '<section id="list">' +
      '<header class="list-head"><div class="lh-text"><h1 id="list-title">' + esc(viewTitle()) + '</h1><div id="list-count" class="muted">' +
      notes.length + (notes.length === 1 ? " note" : " notes") + (ui.search.trim() ? " matching \u201c" + esc(ui.search.trim()) + "\u201d" : "") + "</div></div>" +
      '<div class="lh-actions">' + actions + "</div></header>" +
      (ui.menu === "sort" ? renderSortMenu() : "") +
      '<ul id="note-list" class="note-list">' + (items || '<li class="empty-list">' + empty + "</li>") + "</ul>" +
      '<footer class="pager"><span id="page-info" class="muted">' + (notes.length ? from + "\u2013" + to + " of " + notes.length : "0 notes") + "</span>" +
      '<span class="pager-btns"><button id="page-prev" class="icon-btn" data-act="page-prev" title="Previous page"' + (page <= 1 ? " disabled" : "") + ">" + icon("chevronLeft", 14) + "</button>" +
      '<span class="muted">Page ' + page + " of " + pages + "</span>" +
      '<button id="page-next" class="icon-btn" data-act="page-next" title="Next page"' + (page >= pages ? " disabled" : "") + ">" + icon("chevronRight", 14) + "</button></span></footer>" +
      "</section>";
  }

  function renderSortMenu() {
    const opts = [["updated", "Last edited"], ["created", "Date created"], ["title", "Title"]];
    return '<div class="menu sort-menu" id="sort-menu"><div class="menu-head">Sort by</div>' + opts.map(([k, label]) =>
      '<button class="menu-item" data-act="sort" data-arg="' + k + '" data-testid="sort-' + k + '"><span class="mi-check">' + (state.ui.sort === k ? icon("check", 13) : "") + "</span>" + label + "</button>").join("") + "</div>";
  }

  function renderMoveMenu(n) {
    function items(parent, depth) {
      let out = "";
      for (const b of children(parent)) {
        out += '<button class="menu-item" data-act="move" data-arg="' + esc(b.id) + '" data-testid="move-' + esc(b.id) + '" style="padding-left:' + (10 + depth * 14) + 'px"' + (b.id === n.notebook_id ? " disabled" : "") + '>' +
          '<span class="nb-icon c-' + b.color + '">' + icon("folder", 14) + "</span>" + esc(b.name) + (b.id === n.notebook_id ? '<span class="mi-note">current</span>' : "") + "</button>";
        out += items(b.id, depth + 1);
      }
      return out;
    }
    return '<div class="menu move-menu" id="move-menu"><div class="menu-head">Move to notebook</div><div class="menu-scroll">' + items(null, 0) + "</div></div>";
  }

  function renderEditor() {
    const ui = state.ui;
    const n = ui.selected_note ? note(ui.selected_note) : null;
    if (!n) {
      return '<main id="editor" class="editor-empty"><div class="empty-editor">' + icon("notes", 40) +
        "<div>Select a note, or create a new one.</div>" +
        '<button id="empty-new-note" class="primary-btn inline" data-act="new-note">' + icon("plus", 14) + "<span>New note</span></button></div></main>";
    }
    const nb = notebook(n.notebook_id);
    const ro = n.trashed;
    const fmtOn = blockState(n.body, ui.selection);
    const fmtBtn = (f, label, title, cls) => '<button id="fmt-' + f + '" class="fmt-btn ' + (cls || "") + (fmtOn[f] ? " on" : "") + '" data-act="format" data-arg="' + f + '" title="' + title + '" aria-pressed="' + fmtOn[f] + '"' + (ro ? " disabled" : "") + ">" + label + "</button>";
    const words = n.body.split(/\s+/).filter(Boolean).length;
    const tagChips = n.tags.map((t) => '<span class="tag-chip">#' + esc(t) +
      (ro ? "" : '<button class="chip-x" data-act="remove-tag" data-arg="' + esc(t) + '" data-testid="remove-tag-' + esc(t) + '" title="Remove tag">' + icon("x", 10) + "</button>") + "</span>").join("");
    return '<main id="editor">' +
      '<div class="ed-top">' +
      '<div class="crumbs"><button id="crumb-notebook" class="crumb" data-act="open-notebook" data-arg="' + esc(nb.id) + '"><span class="nb-icon c-' + nb.color + '">' + icon("folder", 14) + "</span>" + esc(nb.name) + "</button>" +
      '<span class="crumb-sep">/</span><span class="crumb-title">' + esc(displayTitle(n)) + "</span></div>" +
      '<div class="ed-actions">' +
      (ro ? "" :
        '<button id="pin-note" class="text-btn' + (n.pinned ? " on" : "") + '" data-act="pin" title="' + (n.pinned ? "Unpin note" : "Pin note") + '">' + icon("pin", 14) + "<span>" + (n.pinned ? "Pinned" : "Pin") + "</span></button>" +
        '<button id="move-note" class="text-btn" data-act="menu-move" title="Move to another notebook">' + icon("move", 14) + "<span>Move</span></button>" +
        '<button id="trash-note" class="text-btn" data-act="trash" title="Move to Trash">' + icon("trash", 14) + "<span>Delete</span></button>") +
      "</div></div>" +
      (ui.menu === "move" && !ro ? renderMoveMenu(n) : "") +
      (ro ? '<div class="trash-banner" id="trash-banner">' + icon("trash", 15) + "<span>This note is in the Trash (deleted " + esc(longDate(n.trashed_at)) + ").</span>" +
        '<button id="restore-note" class="text-btn" data-act="restore">' + icon("restore", 14) + "<span>Restore</span></button>" +
        '<button id="delete-forever" class="text-btn danger" data-act="delete-forever">Delete forever</button></div>' : "") +
      '<div class="fmt-bar">' +
      fmtBtn("h1", "H1", "Heading 1 (# )", "") + fmtBtn("h2", "H2", "Heading 2 (## )", "") +
      '<span class="fmt-sep"></span>' +
      fmtBtn("bold", "B", "Bold (Ctrl+B)", "b") + fmtBtn("italic", "I", "Italic (Ctrl+I)", "i") +
      '<span class="fmt-sep"></span>' +
      fmtBtn("bullet", '<span class="bul">\u2022</span> List', "Bulleted list (- )", "") +
      '<span class="fmt-spacer"></span><span id="word-count" class="muted">' + words + (words === 1 ? " word" : " words") + "</span></div>" +
      '<div class="doc">' +
      '<input id="note-title" class="title-input" type="text" maxlength="200" placeholder="Untitled" autocomplete="off" spellcheck="false" value="' + esc(n.title) + '"' + (ro ? " readonly" : "") + ">" +
      '<div class="doc-meta muted">Edited ' + esc(longDate(n.updated_at)) + " \u00b7 Created " + esc(longDate(n.created_at)) + "</div>" +
      '<div class="tag-row">' + icon("tag", 14) + tagChips +
      (ro ? "" : (n.tags.length < MAX_TAGS ? '<input id="tag-input" class="tag-input" type="text" placeholder="Add tag" autocomplete="off" spellcheck="false" maxlength="40" value="' + esc(ui.tag_draft) + '">' : "")) +
      "</div>" +
      '<textarea id="note-body" class="body-input" maxlength="100000" placeholder="Start writing\u2026" spellcheck="false"' + (ro ? " readonly" : "") + ">" + esc(n.body) + "</textarea>" +
      "</div></main>";
  }

  function renderDialog() {
    const ui = state.ui;
    if (!ui.dialog) return "";
    let title = "", body = "", confirm = "", danger = false, disabled = false;
    if (ui.dialog === "new_notebook" || ui.dialog === "rename_notebook") {
      const isNew = ui.dialog === "new_notebook";
      title = isNew ? "New notebook" : "Rename notebook";
      confirm = isNew ? "Create" : "Rename";
      disabled = ui.dialog_name.trim() === "";
      body = '<label class="field-label" for="dialog-name">Name</label>' +
        '<input id="dialog-name" class="text-field" type="text" maxlength="80" autocomplete="off" spellcheck="false" placeholder="Notebook name" value="' + esc(ui.dialog_name) + '">';
      if (isNew) {
        const opt = (id, label, depth) => '<label class="radio-row" style="padding-left:' + (8 + depth * 16) + 'px" data-testid="parent-' + (id || "root") + '">' +
          '<input type="radio" name="dialog-parent" data-act="dialog-parent" data-arg="' + esc(id || "") + '"' + ((ui.dialog_parent || "") === (id || "") ? " checked" : "") + ">" + label + "</label>";
        let opts = opt(null, "Top level", 0);
        (function walk(parent, depth) {
          for (const b of children(parent)) { opts += opt(b.id, '<span class="nb-icon c-' + b.color + '">' + icon("folder", 13) + "</span>" + esc(b.name), depth); walk(b.id, depth + 1); }
        })(null, 1);
        body += '<div class="field-label">Location</div><div class="radio-list">' + opts + "</div>";
      }
    } else if (ui.dialog === "delete_notebook") {
      const b = notebook(ui.dialog_target);
      title = "Delete notebook?"; confirm = "Delete"; danger = true;
      body = "<p>The notebook \u201c" + esc(b ? b.name : "") + "\u201d will be deleted. It holds no notes.</p>";
    } else if (ui.dialog === "delete_forever") {
      const n = note(ui.dialog_target);
      title = "Delete forever?"; confirm = "Delete forever"; danger = true;
      body = "<p>\u201c" + esc(n ? displayTitle(n) : "") + "\u201d will be deleted permanently. This cannot be undone.</p>";
    } else if (ui.dialog === "empty_trash") {
      const k = state.notes.filter((n) => n.trashed).length;
      title = "Empty trash?"; confirm = "Empty trash"; danger = true;
      body = "<p>" + k + (k === 1 ? " note" : " notes") + " in the Trash will be deleted permanently. This cannot be undone.</p>";
    }
    return '<div id="dialog-backdrop" class="backdrop" data-act="dialog-cancel"><div id="dialog" class="dialog" role="dialog" data-testid="dialog-' + ui.dialog + '">' +
      '<div class="dialog-head"><h2>' + title + '</h2><button id="dialog-close" class="icon-btn" data-act="dialog-cancel" title="Close">' + icon("x", 14) + "</button></div>" +
      '<div class="dialog-body">' + body + "</div>" +
      '<div class="dialog-foot"><button id="dialog-cancel" class="text-btn boxed" data-act="dialog-cancel">Cancel</button>' +
      '<button id="dialog-confirm" class="primary-btn inline' + (danger ? " danger" : "") + '" data-act="dialog-confirm"' + (disabled ? " disabled" : "") + ">" + confirm + "</button></div>" +
      "</div></div>";
  }

  function renderToast() {
    const t = state.ui.toast;
    if (!t) return "";
    return '<div id="toast" class="toast"><span>' + esc(t.text) + '</span><button id="toast-close" class="icon-btn small inverse" data-act="toast-close" title="Dismiss">' + icon("x", 12) + "</button></div>";
  }

  const SCROLL_PANELS = ["side-scroll", "move-menu-scroll"];

  function render() {
    const active = document.activeElement;
    const focusId = active && active.id && root.contains(active) ? active.id : null;
    const sel = focusId && (active.tagName === "INPUT" || active.tagName === "TEXTAREA") && active.type !== "radio"
      ? [active.selectionStart, active.selectionEnd] : null;
    const scrolls = {};
    for (const id of SCROLL_PANELS) { const el = document.getElementById(id); if (el) scrolls[id] = el.scrollTop; }
    const bodyEl = document.getElementById("note-body");
    const bodyScroll = bodyEl ? { note: bodyEl.dataset.note, top: bodyEl.scrollTop } : null;

    root.innerHTML = renderSidebar() + renderList() + renderEditor() + renderDialog() + renderToast();

    for (const id in scrolls) { const el = document.getElementById(id); if (el) el.scrollTop = scrolls[id]; }
    const newBody = document.getElementById("note-body");
    if (newBody) {
      newBody.dataset.note = state.ui.selected_note;
      if (bodyScroll && bodyScroll.note === state.ui.selected_note) newBody.scrollTop = bodyScroll.top;
    }
    if (focusId) {
      const el = document.getElementById(focusId);
      if (el && !el.disabled) {
        el.focus({ preventScroll: true });
        if (sel && el.setSelectionRange) el.setSelectionRange(sel[0], sel[1]);
      }
    }
  }

  function commit() {
    render();
    CUA.save(state);
  }

  // ---------- actions ----------

  // Apply a new view: list page 1, the first note of the new list opens in the editor.
  function goToView(view, notebookId, tag) {
    const ui = state.ui;
    ui.view = view;
    ui.notebook_id = view === "notebook" ? notebookId : null;
    ui.tag = view === "tag" ? tag : null;
    ui.page = 1;
    const first = listNotes()[0];
    selectNote(first ? first.id : null);
  }

  function selectNote(id) {
    const ui = state.ui;
    if (ui.selected_note !== id) {
      ui.selected_note = id;
      ui.tag_draft = "";
      ui.selection = { start: 0, end: 0 };
    }
  }

  // After a note left the list (trashed, restored, deleted): select its neighbour.
  function selectNeighbour(oldOrder, goneId) {
    const list = listNotes();
    if (list.some((n) => n.id === goneId)) { clampPage(); return; }
    const idx = oldOrder.indexOf(goneId);
    let pick = null;
    for (let i = idx + 1; i < oldOrder.length && !pick; i++) if (list.some((n) => n.id === oldOrder[i])) pick = oldOrder[i];
    for (let i = idx - 1; i >= 0 && !pick; i--) if (list.some((n) => n.id === oldOrder[i])) pick = oldOrder[i];
    selectNote(pick);
    clampPage();
  }

  function clampPage() {
    const pages = pageCount(listNotes().length);
    if (state.ui.page > pages) state.ui.page = pages;
  }

  function toast(text) { state.ui.toast = { text: text }; }

  function touch(n) { n.updated_at = state.now; }

  function currentNote() {
    const n = state.ui.selected_note ? note(state.ui.selected_note) : null;
    return n && !n.trashed ? n : null;
  }

  function normaliseTag(raw) {
    return raw.trim().toLowerCase().replace(/^#+/, "").replace(/\s+/g, "-").replace(/[^a-z0-9_-]/g, "").replace(/^[-_]+/, "").slice(0, 32);
  }

  function focusLater(id, start, end) {
    const el = document.getElementById(id);
    if (!el) return;
    el.focus({ preventScroll: true });
    if (start !== undefined && el.setSelectionRange) el.setSelectionRange(start, end);
  }

  function applyFormat(fmt) {
    const n = currentNote();
    if (!n) return false;
    const res = toggleFormat(n.body, state.ui.selection, fmt);
    if (!res) return false;
    n.body = res.body;
    touch(n);
    state.ui.selection = { start: res.start, end: res.end };
    return true;
  }

  const actions = {
    view(arg) { goToView(arg, null, null); },
    "open-notebook"(arg) { goToView("notebook", arg, null); },
    "open-tag"(arg) { goToView("tag", null, arg); },
    "toggle-notebook"(arg) { const b = notebook(arg); b.expanded = !b.expanded; },
    "clear-search"() { state.ui.search = ""; state.ui.page = 1; return () => focusLater("search"); },
    "new-note"() {
      const ui = state.ui;
      const nbId = ui.view === "notebook" ? ui.notebook_id : state.notebooks[0].id;
      const id = nextId(state.notes, "n", "note");
      state.notes.push({
        id: id, notebook_id: nbId, title: "", body: "", tags: ui.view === "tag" ? [ui.tag] : [],
        pinned: ui.view === "pinned", trashed: false, created_at: state.now, updated_at: state.now, trashed_at: null,
      });
      if (ui.view === "trash") { ui.view = "all"; }
      ui.search = "";
      selectNote(id);
      const idx = listNotes().findIndex((n) => n.id === id);
      ui.page = Math.floor(Math.max(idx, 0) / PAGE_SIZE) + 1;
      return () => focusLater("note-title");
    },
    "new-notebook"() {
      const ui = state.ui;
      ui.dialog = "new_notebook";
      ui.dialog_name = "";
      ui.dialog_parent = ui.view === "notebook" ? ui.notebook_id : null;
      ui.dialog_target = null;
      return () => focusLater("dialog-name");
    },
    "rename-notebook"() {
      const ui = state.ui, b = notebook(ui.notebook_id);
      ui.dialog = "rename_notebook";
      ui.dialog_name = b.name;
      ui.dialog_parent = null;
      ui.dialog_target = b.id;
      return () => focusLater("dialog-name", 0, b.name.length);
    },
    "delete-notebook"() {
      const ui = state.ui;
      if (!notebookDeletable(ui.notebook_id)) return false;
      ui.dialog = "delete_notebook";
      ui.dialog_name = "";
      ui.dialog_parent = null;
      ui.dialog_target = ui.notebook_id;
    },
    "empty-trash"() {
      const ui = state.ui;
      if (!state.notes.some((n) => n.trashed)) return false;
      ui.dialog = "empty_trash";
      ui.dialog_name = "";
      ui.dialog_parent = null;
      ui.dialog_target = null;
    },
    "delete-forever"() {
      const ui = state.ui, n = note(ui.selected_note);
      if (!n || !n.trashed) return false;
      ui.dialog = "delete_forever";
      ui.dialog_name = "";
      ui.dialog_parent = null;
      ui.dialog_target = n.id;
    },
    "dialog-parent"(arg) { state.ui.dialog_parent = arg || null; },
    "dialog-cancel"() { closeDialog(); },
    "dialog-confirm"() { return confirmDialog(); },
    "menu-sort"(arg, openMenu) { state.ui.menu = openMenu === "sort" ? null : "sort"; },
    "menu-move"(arg, openMenu) { if (!currentNote()) return false; state.ui.menu = openMenu === "move" ? null : "move"; },
    "menu-close"() { },
    sort(arg) { state.ui.sort = arg; state.ui.page = 1; },
    move(arg) {
      const n = currentNote();
      if (!n || n.notebook_id === arg) return false;
      n.notebook_id = arg;
      toast("Moved to " + notebook(arg).name);
    },
    "select-note"(arg) { selectNote(arg); },
    "page-prev"() { const p = shownPage(listNotes().length); if (p <= 1) return false; state.ui.page = p - 1; },
    "page-next"() { const total = listNotes().length, p = shownPage(total); if (p >= pageCount(total)) return false; state.ui.page = p + 1; },
    pin() { const n = currentNote(); if (!n) return false; n.pinned = !n.pinned; },
    trash() {
      const n = currentNote();
      if (!n) return false;
      const order = listNotes().map((x) => x.id);
      n.trashed = true;
      n.trashed_at = state.now;
      selectNeighbour(order, n.id);
      toast("\u201c" + displayTitle(n) + "\u201d moved to Trash");
    },
    restore() {
      const n = note(state.ui.selected_note);
      if (!n || !n.trashed) return false;
      const order = listNotes().map((x) => x.id);
      n.trashed = false;
      n.trashed_at = null;
      selectNeighbour(order, n.id);
      toast("\u201c" + displayTitle(n) + "\u201d restored to " + notebook(n.notebook_id).name);
    },
    format(arg) { if (!applyFormat(arg)) return false; const s = state.ui.selection; return () => focusLater("note-body", s.start, s.end); },
    "remove-tag"(arg) {
      const n = currentNote();
      if (!n || !n.tags.includes(arg)) return false;
      n.tags = n.tags.filter((t) => t !== arg);
      touch(n);
    },
    "toast-close"() { },
  };

  function closeDialog() {
    const ui = state.ui;
    ui.dialog = null;
    ui.dialog_name = "";
    ui.dialog_parent = null;
    ui.dialog_target = null;
  }

  function confirmDialog() {
    const ui = state.ui;
    const kind = ui.dialog;
    if (kind === "new_notebook") {
      const name = ui.dialog_name.trim();
      if (!name) return false;
      const id = nextId(state.notebooks, "nb", "notebook");
      const colors = ["blue", "green", "orange", "purple", "teal", "red", "yellow", "pink", "gray"];
      const parent = ui.dialog_parent;
      state.notebooks.push({ id: id, name: name, parent_id: parent, color: colors[(numId(id) - 1) % colors.length], expanded: true });
      if (parent) notebook(parent).expanded = true;
      closeDialog();
      goToView("notebook", id, null);
      toast("Notebook \u201c" + name + "\u201d created");
    } else if (kind === "rename_notebook") {
      const name = ui.dialog_name.trim();
      if (!name) return false;
      notebook(ui.dialog_target).name = name;
      closeDialog();
    } else if (kind === "delete_notebook") {
      const id = ui.dialog_target;
      if (!notebookDeletable(id)) return false;
      state.notebooks = state.notebooks.filter((b) => b.id !== id);
      closeDialog();
      goToView("all", null, null);
      toast("Notebook deleted");
    } else if (kind === "delete_forever") {
      const id = ui.dialog_target;
      const order = listNotes().map((x) => x.id);
      state.notes = state.notes.filter((n) => n.id !== id);
      closeDialog();
      selectNeighbour(order, id);
      toast("Note deleted forever");
    } else if (kind === "empty_trash") {
      const k = state.notes.filter((n) => n.trashed).length;
      const selectedGone = ui.selected_note && note(ui.selected_note).trashed;
      state.notes = state.notes.filter((n) => !n.trashed);
      if (selectedGone) selectNote(null);
      ui.page = 1;
      closeDialog();
      toast(k + (k === 1 ? " note" : " notes") + " deleted forever");
    } else {
      return false;
    }
  }

  // Run one named action. Any action closes an open menu and the last toast first (a menu
  // button gets the menu that was open, to toggle it). A handler may return a function to
  // run after the re-render, to move keyboard focus; nothing is saved if nothing changed.
  function run(name, arg) {
    const before = JSON.stringify(state);
    const openMenu = state.ui.menu;
    state.ui.menu = null;
    state.ui.toast = null;
    const after = actions[name](arg, openMenu);
    if (JSON.stringify(state) !== before) commit();
    if (typeof after === "function") after();
  }

  // ---------- events ----------

  root.addEventListener("click", (e) => {
    const el = e.target.closest("[data-act]");
    if (el && el.tagName === "INPUT" && el.type === "radio") return; // handled on change
    if (!el || el.disabled) {
      // A click anywhere else closes an open menu.
      if (state.ui.menu && !e.target.closest(".menu")) run("menu-close");
      return;
    }
    if (el.id === "dialog-backdrop" && e.target !== el) return; // clicks inside the dialog box
    run(el.dataset.act, el.dataset.arg);
  });

  root.addEventListener("change", (e) => {
    const el = e.target;
    if (el.type === "radio" && el.dataset.act) run(el.dataset.act, el.dataset.arg);
  });

  root.addEventListener("input", (e) => {
    const el = e.target, ui = state.ui;
    const n = currentNote();
    if (el.id === "search") { ui.search = el.value; ui.page = 1; }
    else if (el.id === "dialog-name") ui.dialog_name = el.value;
    else if (el.id === "tag-input") ui.tag_draft = el.value;
    else if (el.id === "note-title" && n) { n.title = el.value; touch(n); }
    else if (el.id === "note-body" && n) {
      n.body = el.value;
      touch(n);
      ui.selection = { start: el.selectionStart, end: el.selectionEnd };
    } else return;
    ui.toast = null;
    ui.menu = null;
    commit();
  });

  // Track the caret in the body: the formatting toolbar acts on the block it is in. Only the
  // toolbar's pressed states change, so they are patched in place: rebuilding the textarea
  // under the mouse would break double-click and drag selection.
  function trackSelection(e) {
    const el = e.target;
    if (el.id !== "note-body" || !state) return;
    const s = state.ui.selection;
    if (s.start === el.selectionStart && s.end === el.selectionEnd) return;
    state.ui.selection = { start: el.selectionStart, end: el.selectionEnd };
    const n = note(state.ui.selected_note);
    if (n) {
      const on = blockState(n.body, state.ui.selection);
      for (const f in on) {
        const b = document.getElementById("fmt-" + f);
        if (b) { b.classList.toggle("on", on[f]); b.setAttribute("aria-pressed", String(on[f])); }
      }
    }
    CUA.save(state);
  }
  root.addEventListener("keyup", trackSelection);
  root.addEventListener("mouseup", trackSelection);
  root.addEventListener("select", trackSelection, true);

  root.addEventListener("keydown", (e) => {
    const el = e.target, ui = state.ui;
    if (e.key === "Escape") {
      if (ui.dialog) { e.preventDefault(); run("dialog-cancel"); }
      else if (ui.menu) { e.preventDefault(); run("menu-close"); }
      return;
    }
    if (e.key === "Enter" && !e.isComposing) {
      if (el.id === "dialog-name") { e.preventDefault(); run("dialog-confirm"); }
      else if (el.id === "tag-input") { e.preventDefault(); addTagFromDraft(); }
      else if (el.id === "note-title") { e.preventDefault(); focusLater("note-body", 0, 0); }
      return;
    }
    if (el.id === "note-body" && (e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey) {
      const k = e.key.toLowerCase();
      if (k === "b" || k === "i") {
        e.preventDefault();
        state.ui.selection = { start: el.selectionStart, end: el.selectionEnd };
        run("format", k === "b" ? "bold" : "italic");
      }
    }
  });

  function addTagFromDraft() {
    const ui = state.ui, n = currentNote();
    if (!n) return;
    const tag = normaliseTag(ui.tag_draft);
    ui.toast = null;
    if (tag && !n.tags.includes(tag) && n.tags.length < MAX_TAGS) {
      n.tags.push(tag);
      touch(n);
    } else if (tag && n.tags.includes(tag)) {
      toast("#" + tag + " is already on this note");
    }
    ui.tag_draft = "";
    commit();
    focusLater("tag-input");
  }

  // A click outside the app root (page margins) also closes menus.
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !root.contains(e.target) && state && (state.ui.dialog || state.ui.menu)) {
      run(state.ui.dialog ? "dialog-cancel" : "menu-close");
    }
  });

  // ---------- start ----------

  CUA.load().then((s) => {
    state = s;
    render();
    CUA.ready();
  }).catch((err) => {
    root.innerHTML = '<div class="load-error">Could not load notes: ' + esc(err.message) + "</div>";
    document.body.dataset.cuaReady = "1";
  });
})();
