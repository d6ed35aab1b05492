// Chat app UI: renders the server-side state and writes every user-visible change back.
//
// Flow: S = await CUA.load(); render(); on each action mutate S, render(), CUA.save(S).
// The page never reads the real clock: dates come from S.now and message timestamps.
// Regions are rebuilt from HTML strings only when their markup changed, and the focused
// input keeps its focus and caret across a rebuild, so typing is never interrupted.
(function () {
  "use strict";

  let S = null;

  // ---- emoji (named in state; glyphs the bundled DejaVu fonts can draw) ----
  const EMOJI = {
    check: "\u2714", heart: "\u2764", joy: "\u{1F602}", smile: "\u{1F60A}", wow: "\u{1F62E}", sad: "\u{1F622}",
    star: "\u2605", zap: "\u26A1", coffee: "\u2615", sun: "\u2600", plane: "\u2708", music: "\u266B",
  };
  const EMOJI_ORDER = ["check", "heart", "joy", "smile", "wow", "sad", "star", "zap", "coffee", "sun", "plane", "music"];
  const STATUS_PRESETS = [
    ["coffee", "In a meeting"], ["plane", "Commuting"], ["sad", "Out sick"],
    ["sun", "Vacationing"], ["smile", "Working remotely"],
  ];
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];
  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

  // ---- icons (inline SVG, no network) ----
  const svg = (d, size, extra) => `<svg class="ic" width="${size || 16}" height="${size || 16}" viewBox="0 0 20 20" aria-hidden="true" ${extra || ""}>${d}</svg>`;
  const I = {
    hash: svg('<path d="M8 3 6 17M14 3l-2 14M3.5 7.5h14M2.5 12.5h14" stroke="currentColor" stroke-width="1.7" fill="none" stroke-linecap="round"/>'),
    lock: svg('<rect x="4.5" y="9" width="11" height="8" rx="1.5" fill="currentColor"/><path d="M7 9V6.5a3 3 0 0 1 6 0V9" stroke="currentColor" stroke-width="1.7" fill="none"/>'),
    star: svg('<path d="m10 2.8 2.2 4.6 5 .6-3.7 3.4 1 5-4.5-2.5-4.5 2.5 1-5L2.8 8l5-.6z" stroke="currentColor" stroke-width="1.5" fill="none" stroke-linejoin="round"/>'),
    starFill: svg('<path d="m10 2.8 2.2 4.6 5 .6-3.7 3.4 1 5-4.5-2.5-4.5 2.5 1-5L2.8 8l5-.6z" fill="currentColor" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/>'),
    pin: svg('<path d="M7 2.5h6l-1 5 3 3v1.5H5V10.5l3-3z" fill="currentColor"/><path d="M10 12v6" stroke="currentColor" stroke-width="1.7" stroke-linecap="round"/>'),
    thread: svg('<path d="M3 4.5A1.5 1.5 0 0 1 4.5 3h11A1.5 1.5 0 0 1 17 4.5v8a1.5 1.5 0 0 1-1.5 1.5H9l-4 3.5V14h-.5A1.5 1.5 0 0 1 3 12.5z" stroke="currentColor" stroke-width="1.5" fill="none" stroke-linejoin="round"/>'),
    react: svg('<circle cx="9" cy="10" r="6.5" stroke="currentColor" stroke-width="1.5" fill="none"/><circle cx="6.8" cy="8.5" r="1" fill="currentColor"/><circle cx="11.2" cy="8.5" r="1" fill="currentColor"/><path d="M6.3 11.8c1.5 1.7 3.9 1.7 5.4 0" stroke="currentColor" stroke-width="1.4" fill="none" stroke-linecap="round"/><path d="M16.5 2v5M14 4.5h5" stroke="currentColor" stroke-width="1.5" stroke-linecap="round"/>'),
    bookmark: svg('<path d="M5.5 2.5h9v15L10 14l-4.5 3.5z" stroke="currentColor" stroke-width="1.5" fill="none" stroke-linejoin="round"/>'),
    bookmarkFill: svg('<path d="M5.5 2.5h9v15L10 14l-4.5 3.5z" fill="currentColor" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/>'),
    unread: svg('<circle cx="10" cy="10" r="7" stroke="currentColor" stroke-width="1.5" fill="none"/><circle cx="10" cy="10" r="3" fill="currentColor"/>'),
    edit: svg('<path d="m13.5 3.5 3 3L7 16H4v-3z" stroke="currentColor" stroke-width="1.5" fill="none" stroke-linejoin="round"/>'),
    trash: svg('<path d="M4 5.5h12M8 5.5V3.5h4v2M5.5 5.5l1 11h7l1-11" stroke="currentColor" stroke-width="1.5" fill="none" stroke-linejoin="round"/>'),
    people: svg('<circle cx="7.5" cy="7" r="3" stroke="currentColor" stroke-width="1.5" fill="none"/><path d="M2 16.5c.5-3 3-4.5 5.5-4.5s5 1.5 5.5 4.5" stroke="currentColor" stroke-width="1.5" fill="none"/><path d="M13 4.3a3 3 0 0 1 0 5.4M15 12.3c1.6.6 2.7 2 3 4.2" stroke="currentColor" stroke-width="1.5" fill="none" stroke-linecap="round"/>'),
    close: svg('<path d="m5 5 10 10M15 5 5 15" stroke="currentColor" stroke-width="1.7" stroke-linecap="round"/>'),
    caretDown: svg('<path d="m5.5 8 4.5 4.5L14.5 8" stroke="currentColor" stroke-width="1.8" fill="none" stroke-linecap="round" stroke-linejoin="round"/>', 12),
    caretRight: svg('<path d="m8 5.5 4.5 4.5L8 14.5" stroke="currentColor" stroke-width="1.8" fill="none" stroke-linecap="round" stroke-linejoin="round"/>', 12),
    plus: svg('<path d="M10 4v12M4 10h12" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>'),
    compose: svg('<path d="M9 4H4.5A1.5 1.5 0 0 0 3 5.5v10A1.5 1.5 0 0 0 4.5 17h10a1.5 1.5 0 0 0 1.5-1.5V11" stroke="currentColor" stroke-width="1.5" fill="none"/><path d="m14.5 2.5 3 3L10 13H7v-3z" stroke="currentColor" stroke-width="1.5" fill="none" stroke-linejoin="round"/>'),
    pencil: svg('<path d="m13.5 3.5 3 3L7 16H4v-3z" stroke="currentColor" stroke-width="1.7" fill="none" stroke-linejoin="round"/>', 12),
  };

  // ---- small helpers ----
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const me = () => user(S.current_user_id);
  const user = (id) => S.users.find((u) => u.id === id) || { id: id, name: id, title: "", presence: "away", status_emoji: null, status_text: "", color: "#888888" };
  const chan = (id) => S.channels.find((c) => c.id === id);
  const msg = (id) => S.messages.find((m) => m.id === id);
  const cur = () => chan(S.ui.channel_id);
  const idNum = (id) => parseInt(String(id).replace(/^\D+/, ""), 10) || 0;
  const byTime = (a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : idNum(a.id) - idNum(b.id));
  const topLevel = (cid) => S.messages.filter((m) => m.channel_id === cid && m.parent_id === null).sort(byTime);
  const repliesOf = (mid) => S.messages.filter((m) => m.parent_id === mid).sort(byTime);
  const dmPeer = (c) => user(c.members.find((u) => u !== S.current_user_id) || c.members[0]);
  const chanLabel = (c) => (c.kind === "dm" ? dmPeer(c).name : c.name);
  const initials = (name) => name.split(/\s+/).filter(Boolean).slice(0, 2).map((p) => p[0].toUpperCase()).join("");
  const emojiSpan = (name, cls) => (name ? `<span class="emo emo-${name} ${cls || ""}">${EMOJI[name]}</span>` : "");

  function nextMessageId() {
    let max = 0;
    for (const m of S.messages) { const mm = /^m(\d+)$/.exec(m.id); if (mm) max = Math.max(max, +mm[1]); }
    return "m" + (max + 1);
  }

  // ---- dates (from strings only) ----
  const dayNum = (ts) => { const [y, mo, d] = ts.slice(0, 10).split("-").map(Number); return Date.UTC(y, mo - 1, d) / 86400000; };
  function fmtTime(ts) {
    const h = +ts.slice(11, 13), mi = ts.slice(14, 16);
    return `${((h + 11) % 12) + 1}:${mi} ${h < 12 ? "AM" : "PM"}`;
  }
  function ordinal(n) { const s = ["th", "st", "nd", "rd"], v = n % 100; return n + (s[(v - 20) % 10] || s[v] || s[0]); }
  function fullDate(ts) {
    const [y, mo, d] = ts.slice(0, 10).split("-").map(Number);
    const wd = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
    return `${WEEKDAYS[wd]}, ${MONTHS[mo - 1]} ${ordinal(d)}`;
  }
  function dayLabel(ts) {
    const diff = dayNum(S.now) - dayNum(ts);
    return diff === 0 ? "Today" : diff === 1 ? "Yesterday" : fullDate(ts);
  }
  function shortDate(ts) { return `${MONTHS[+ts.slice(5, 7) - 1].slice(0, 3)} ${+ts.slice(8, 10)}`; }
  function relDay(ts) {
    const diff = dayNum(S.now) - dayNum(ts);
    return diff === 0 ? "today" : diff === 1 ? "yesterday" : "on " + shortDate(ts);
  }

  // ---- message text: escape, then highlight @mentions and #channels ----
  function richText(t) {
    return esc(t)
      .replace(/(^|\s)(@[A-Za-z][\w'-]*)/g, '$1<span class="mention">$2</span>')
      .replace(/(^|\s)(#[a-z][a-z0-9_-]*)/g, '$1<span class="chan-ref">$2</span>')
      .replace(/\n/g, "<br>");
  }

  function avatar(u, size) {
    return `<span class="avatar" style="background:${u.color};width:${size}px;height:${size}px;font-size:${Math.round(size * 0.42)}px">${esc(initials(u.name))}</span>`;
  }
  function presenceDot(u, cls) { return `<span class="presence ${u.presence} ${cls || ""}"></span>`; }

  // =====================================================================================
  // Rendering
  // =====================================================================================
  const lastHtml = {};
  function setRegion(id, html) {
    if (lastHtml[id] === html) return false;
    lastHtml[id] = html;
    $(id).innerHTML = html;
    return true;
  }
  function setVal(el, v) { if (el && el.value !== v) el.value = v; }

  let scrollToBottom = true;
  let lastView = null;
  let focusAfter = null;

  function render() {
    const active = document.activeElement;
    const activeId = active && active.id;
    const sel = active && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
    const mainScroll = $("main-body").scrollTop;
    const panelScroll = $("panel-content").querySelector(".panel-scroll");
    const panelTop = panelScroll ? panelScroll.scrollTop : 0;

    renderTopbar();
    setRegion("sidebar", sidebarHtml());
    setRegion("main-header", mainHeaderHtml());
    const mainRebuilt = setRegion("main-body", mainBodyHtml());
    renderComposer();
    const panelRebuilt = renderPanel();
    setVal($("edit-input"), S.ui.edit_text);
    renderDialogs();
    setRegion("overlay", overlayHtml());
    renderToast();

    const mb = $("main-body");
    if (scrollToBottom && S.ui.view === "channel") mb.scrollTop = mb.scrollHeight;
    else if (mainRebuilt && lastView !== S.ui.view) mb.scrollTop = 0;
    else if (mainRebuilt) mb.scrollTop = mainScroll;
    const ps = $("panel-content").querySelector(".panel-scroll");
    if (ps && panelRebuilt) ps.scrollTop = S.ui.panel === "thread" && scrollToBottom ? ps.scrollHeight : panelTop;
    scrollToBottom = false;
    lastView = S.ui.view;
    placePicker();

    // Keep typing uninterrupted: refocus an input that a rebuild replaced.
    if (activeId && document.activeElement !== active) {
      const again = $(activeId);
      if (again && !again.closest("[hidden]")) {
        again.focus();
        if (sel && "setSelectionRange" in again) { try { again.setSelectionRange(sel[0], sel[1]); } catch (e) { /* not a text input */ } }
      }
    }
    if (focusAfter) {
      const el = $(focusAfter);
      focusAfter = null;
      if (el && !el.closest("[hidden]")) { el.focus(); const n = el.value.length; try { el.setSelectionRange(n, n); } catch (e) { /* checkbox */ } }
    }
  }

  function renderTopbar() {
    const u = me();
    setVal($("search-input"), S.ui.search_text);
    $("search-clear").hidden = !(S.ui.search_text || S.ui.search_query);
    const html = `${avatar(u, 28)}${presenceDot(u, "on-avatar")}`;
    if (lastHtml.profile !== html) { lastHtml.profile = html; $("profile-btn").innerHTML = html; }
    $("profile-btn").classList.toggle("open", S.ui.menu === "profile");
  }

  // ---- sidebar ----
  function sbChannelItem(c) {
    const ui = S.ui;
    const active = ui.view === "channel" && ui.channel_id === c.id;
    const unread = c.unread_count > 0;
    const draft = ui.drafts[c.id] && !active;
    let icon, label, badge = "";
    if (c.kind === "dm") {
      const p = dmPeer(c);
      icon = `<span class="sb-av">${avatar(p, 20)}${presenceDot(p, "on-sb")}</span>`;
      label = `${esc(p.name)}${p.status_emoji ? " " + emojiSpan(p.status_emoji, "sb-emo") : ""}`;
      if (unread) badge = `<span class="badge" data-testid="badge-${c.id}">${c.unread_count}</span>`;
    } else {
      icon = `<span class="sb-icon">${c.is_private ? I.lock : I.hash}</span>`;
      label = esc(c.name);
    }
    const cls = ["sb-item", active ? "active" : "", unread ? "unread" : ""].join(" ");
    return `<button class="${cls}" data-act="open-channel" data-id="${c.id}" data-testid="sb-${c.id}">${icon}<span class="sb-label">${label}</span>${draft ? `<span class="sb-draft">${I.pencil}</span>` : ""}${badge}</button>`;
  }

  function sbSection(key, title, items, addBtn) {
    const collapsed = S.ui[key + "_collapsed"];
    // A collapsed section still shows the open conversation and unread ones, as chat apps do.
    const shown = collapsed ? items.filter((c) => c.unread_count > 0 || (S.ui.view === "channel" && c.id === S.ui.channel_id)) : items;
    return `<div class="sb-section">
      <div class="sb-sec-head">
        <button class="sb-sec-toggle" data-act="toggle-section" data-section="${key}" data-testid="toggle-${key}">${collapsed ? I.caretRight : I.caretDown}<span>${title}</span></button>
        ${addBtn || ""}
      </div>
      ${shown.map(sbChannelItem).join("")}
    </div>`;
  }

  function sidebarHtml() {
    const ui = S.ui;
    const mine = S.channels.filter((c) => c.members.includes(S.current_user_id));
    const byName = (a, b) => chanLabel(a).localeCompare(chanLabel(b));
    const starred = mine.filter((c) => c.starred).sort(byName);
    const channels = mine.filter((c) => !c.starred && c.kind === "channel").sort(byName);
    const dms = mine.filter((c) => !c.starred && c.kind === "dm").sort(byName);
    const nav = (view, icon, label) => `<button class="sb-item nav ${ui.view === view ? "active" : ""}" data-act="open-view" data-view="${view}" data-testid="nav-${view}"><span class="sb-icon">${icon}</span><span class="sb-label">${label}</span></button>`;
    return `<div class="ws-head">
        <button class="ws-btn ${ui.menu === "workspace" ? "open" : ""}" data-act="toggle-menu" data-menu="workspace" data-testid="workspace-btn"><span>${esc(S.workspace)}</span>${I.caretDown}</button>
        <button class="ws-compose" data-act="open-create-channel" data-testid="compose-btn" title="Create a channel">${I.compose}</button>
      </div>
      <div class="sb-scroll">
        <div class="sb-nav">${nav("threads", I.thread, "Threads")}${nav("saved", I.bookmark, "Saved items")}</div>
        ${starred.length ? sbSection("starred", "Starred", starred) : ""}
        ${sbSection("channels", "Channels", channels, `<button class="sb-add" data-act="open-create-channel" data-testid="add-channel-btn" title="Create a channel">${I.plus}</button>`)}
        ${sbSection("dms", "Direct messages", dms)}
      </div>`;
  }

  // ---- main header ----
  function mainHeaderHtml() {
    const ui = S.ui;
    if (ui.view === "threads") return `<div class="view-head"><h1>${I.thread} Threads</h1></div>`;
    if (ui.view === "saved") return `<div class="view-head"><h1>${I.bookmark} Saved items</h1></div>`;
    if (ui.view === "search") {
      const n = searchResults().length;
      return `<div class="view-head"><h1>Search results</h1><span class="muted">${n} result${n === 1 ? "" : "s"} for \u201c${esc(ui.search_query)}\u201d</span>
        <span class="spacer"></span><button class="btn" data-act="clear-search" data-testid="search-close">Close search</button></div>`;
    }
    const c = cur();
    const pins = topLevel(c.id).filter((m) => m.pinned).length + S.messages.filter((m) => m.channel_id === c.id && m.parent_id && m.pinned).length;
    const star = `<button class="icon-btn star-btn ${c.starred ? "on" : ""}" data-act="toggle-star" data-testid="star-btn" title="${c.starred ? "Remove from Starred" : "Add to Starred"}">${c.starred ? I.starFill : I.star}</button>`;
    const pinBtn = `<button class="tool-btn ${ui.panel === "pins" ? "on" : ""}" data-act="toggle-panel" data-panel="pins" data-testid="pins-btn" title="Pinned messages">${I.pin}<span>${pins}</span></button>`;
    if (c.kind === "dm") {
      const p = dmPeer(c);
      return `<div class="ch-head">
        <div class="ch-title dm">${avatar(p, 24)}<h1>${esc(p.name)}</h1>${presenceDot(p, "inline")}${p.status_emoji || p.status_text ? `<span class="muted dm-status">${emojiSpan(p.status_emoji)} ${esc(p.status_text)}</span>` : ""}${star}</div>
        <span class="spacer"></span><div class="ch-tools">${pinBtn}</div></div>`;
    }
    const faces = c.members.slice(0, 3).map((id) => avatar(user(id), 22)).join("");
    return `<div class="ch-head">
      <div class="ch-title"><h1>${c.is_private ? I.lock : I.hash}<span>${esc(c.name)}</span></h1>${star}</div>
      <button class="ch-topic ${c.topic ? "" : "empty"}" data-act="open-topic-dialog" data-testid="topic-btn" title="Edit topic">${c.topic ? esc(c.topic) : "Add a topic"}</button>
      <div class="ch-tools">
        <button class="tool-btn members ${ui.panel === "members" ? "on" : ""}" data-act="toggle-panel" data-panel="members" data-testid="members-btn" title="View all members"><span class="faces">${faces}</span><span>${c.members.length}</span></button>
        ${pinBtn}
      </div></div>`;
  }

  // ---- messages ----
  function reactionsHtml(m) {
    if (!m.reactions.length) return "";
    const mine = S.current_user_id;
    const chips = m.reactions.map((r) => {
      const names = r.users.map((u) => user(u).name).join(", ");
      return `<button class="reaction ${r.users.includes(mine) ? "mine" : ""}" data-act="toggle-reaction" data-mid="${m.id}" data-emoji="${r.id}" data-testid="reaction-${m.id}-${r.id}" title="${esc(names)}">${emojiSpan(r.id)}<span class="count">${r.users.length}</span></button>`;
    }).join("");
    return `<div class="reactions">${chips}<button class="reaction add" data-act="open-picker" data-mid="${m.id}" data-testid="reaction-add-${m.id}" title="Add reaction">${I.react}</button></div>`;
  }

  function threadRowHtml(m) {
    const reps = repliesOf(m.id);
    if (!reps.length) return "";
    const faces = [...new Set(reps.map((r) => r.user_id))].slice(0, 4).map((id) => avatar(user(id), 20)).join("");
    const last = reps[reps.length - 1];
    return `<button class="thread-row" data-act="open-thread" data-mid="${m.id}" data-testid="replies-${m.id}">${faces}<span class="link">${reps.length} ${reps.length === 1 ? "reply" : "replies"}</span><span class="muted">Last reply ${relDay(last.ts)} at ${fmtTime(last.ts)}</span></button>`;
  }

  function actionsHtml(m, where) {
    const mine = m.user_id === S.current_user_id;
    const b = (act, icon, title, tid) => `<button class="act-btn" data-act="${act}" data-mid="${m.id}" data-testid="act-${tid}-${m.id}" title="${title}">${icon}</button>`;
    return `<div class="msg-actions ${S.ui.emoji_picker_for === m.id ? "show" : ""}">
      ${b("open-picker", I.react, "Add reaction", "react")}
      ${m.parent_id === null && where === "main" ? b("open-thread", I.thread, "Reply in thread", "thread") : ""}
      ${b("toggle-pin", I.pin, m.pinned ? "Unpin from channel" : "Pin to channel", "pin")}
      ${b("toggle-save", m.saved ? I.bookmarkFill : I.bookmark, m.saved ? "Remove from saved items" : "Save for later", "save")}
      ${m.parent_id === null && where === "main" ? b("mark-unread", I.unread, "Mark unread", "unread") : ""}
      ${mine ? b("start-edit", I.edit, "Edit message", "edit") : ""}
      ${mine ? b("delete-message", I.trash, "Delete message", "delete") : ""}
    </div>`;
  }

  function messageHtml(m, grouped, where) {
    const u = user(m.user_id);
    // A thread parent shows in both panes; its inline editor lives in the main pane only (one #edit-input).
    const editing = S.ui.editing_id === m.id && (where === "main" || m.parent_id !== null);
    const labels = (m.pinned ? `<div class="msg-label pinned-label">${I.pin} Pinned</div>` : "") +
      (m.saved ? `<div class="msg-label saved-label">${I.bookmarkFill} Saved for later</div>` : "");
    const compact = grouped && !labels;
    const gutter = compact ? `<span class="hover-time">${fmtTime(m.ts).replace(/ [AP]M$/, "")}</span>` : avatar(u, 36);
    const head = compact ? "" : `<div class="msg-head"><span class="author">${esc(u.name)}</span>${u.status_emoji ? emojiSpan(u.status_emoji, "head-emo") : ""}<span class="time">${fmtTime(m.ts)}</span></div>`;
    const body = editing
      ? `<div class="edit-box"><textarea id="edit-input" data-testid="edit-input" rows="2" spellcheck="false"></textarea>
           <div class="edit-bar"><button class="btn" data-act="cancel-edit" data-testid="edit-cancel">Cancel</button><button class="btn primary" data-act="save-edit" data-testid="edit-save">Save</button></div></div>`
      : `<div class="msg-text">${richText(m.text)}${m.edited ? ' <span class="edited">(edited)</span>' : ""}</div>`;
    return `<div class="msg ${compact ? "grouped" : ""} ${m.pinned ? "pinned" : ""} ${editing ? "editing" : ""}" data-mid="${m.id}" data-testid="msg-${m.id}">
      ${labels ? `<div class="msg-labels">${labels}</div>` : ""}
      <div class="msg-row"><div class="msg-gutter">${gutter}</div>
      <div class="msg-main">${head}${body}${reactionsHtml(m)}${where === "main" ? threadRowHtml(m) : ""}</div></div>
      ${editing ? "" : actionsHtml(m, where)}
    </div>`;
  }

  function messageListHtml(list, where) {
    let out = "", prev = null;
    for (const m of list) {
      if (!prev || prev.ts.slice(0, 10) !== m.ts.slice(0, 10)) {
        out += `<div class="day-divider"><span>${dayLabel(m.ts)}</span></div>`;
        prev = null;
      }
      // Messages from one author within five minutes share one header, as in chat apps.
      const grouped = prev && prev.user_id === m.user_id && (dayNum(m.ts) === dayNum(prev.ts)) &&
        minutes(m.ts) - minutes(prev.ts) < 5 && !prev.pinned && !prev.saved;
      out += messageHtml(m, grouped, where);
      prev = m;
    }
    return out;
  }
  const minutes = (ts) => +ts.slice(11, 13) * 60 + +ts.slice(14, 16);

  function channelIntroHtml(c) {
    if (c.kind === "dm") {
      const p = dmPeer(c);
      return `<div class="intro">${avatar(p, 64)}<h2>${esc(p.name)}</h2><div class="muted">${esc(p.title)}</div>
        <p>This conversation is just between <b>${esc(p.name)}</b> and you.</p></div>`;
    }
    return `<div class="intro"><h2>${c.is_private ? I.lock : I.hash} ${esc(c.name)}</h2>
      <p>This is the very beginning of the <b>#${esc(c.name)}</b> channel. ${esc(c.description)}</p></div>`;
  }

  function contextLine(m) {
    const c = chan(m.channel_id);
    const where = c.kind === "dm" ? `Direct message with ${esc(dmPeer(c).name)}` : `${c.is_private ? I.lock : I.hash}${esc(c.name)}`;
    return `<div class="ctx-line"><span class="ctx-chan">${where}</span><span class="muted">${m.parent_id ? "Thread reply \u00b7 " : ""}${shortDate(m.ts)}</span></div>`;
  }

  function searchResults() {
    const q = S.ui.search_query.trim().toLowerCase();
    if (!q) return [];
    const mine = new Set(S.channels.filter((c) => c.members.includes(S.current_user_id)).map((c) => c.id));
    return S.messages.filter((m) => mine.has(m.channel_id) && m.text.toLowerCase().includes(q)).sort(byTime).reverse();
  }

  // Search hits: the query is marked in the escaped text, piece by piece, so markup never splits.
  function highlighted(text, query) {
    const q = query.trim().toLowerCase();
    if (!q) return richText(text);
    let out = "", i = 0;
    const low = text.toLowerCase();
    for (let j = low.indexOf(q); j >= 0; j = low.indexOf(q, i)) {
      out += esc(text.slice(i, j)) + `<mark>${esc(text.slice(j, j + q.length))}</mark>`;
      i = j + q.length;
    }
    return (out + esc(text.slice(i))).replace(/\n/g, "<br>");
  }

  function cardHtml(m, buttons, extra) {
    const u = user(m.user_id);
    return `<div class="card" data-testid="card-${m.id}">${contextLine(m)}
      <div class="card-body">${avatar(u, 36)}<div class="card-main"><div class="msg-head"><span class="author">${esc(u.name)}</span><span class="time">${fmtTime(m.ts)}</span></div>
      <div class="msg-text">${S.ui.view === "search" ? highlighted(m.text, S.ui.search_query) : richText(m.text)}</div></div><div class="card-btns">${buttons}</div></div>${extra || ""}</div>`;
  }

  function mainBodyHtml() {
    const ui = S.ui;
    if (ui.view === "search") {
      const res = searchResults();
      if (!res.length) return `<div class="empty-view"><h2>No results</h2><p class="muted">Try different keywords or check the spelling.</p></div>`;
      return `<div class="card-list">${res.map((m) => cardHtml(m, `<button class="btn" data-act="open-result" data-mid="${m.id}" data-testid="open-result-${m.id}">View in channel</button>`)).join("")}</div>`;
    }
    if (ui.view === "saved") {
      const saved = S.messages.filter((m) => m.saved).sort(byTime).reverse();
      if (!saved.length) return `<div class="empty-view"><h2>No saved items</h2><p class="muted">Save messages to find them here later.</p></div>`;
      return `<div class="card-list">${saved.map((m) => cardHtml(m,
        `<button class="btn" data-act="open-result" data-mid="${m.id}" data-testid="saved-open-${m.id}">View</button><button class="btn" data-act="toggle-save" data-mid="${m.id}" data-testid="saved-remove-${m.id}">Remove</button>`)).join("")}</div>`;
    }
    if (ui.view === "threads") {
      const mineId = S.current_user_id;
      const member = new Set(S.channels.filter((c) => c.members.includes(mineId)).map((c) => c.id));
      const threads = S.messages.filter((m) => m.parent_id === null && member.has(m.channel_id) && repliesOf(m.id).length &&
        (m.user_id === mineId || repliesOf(m.id).some((r) => r.user_id === mineId)));
      threads.sort((a, b) => byTime(repliesOf(b.id).slice(-1)[0], repliesOf(a.id).slice(-1)[0]));
      if (!threads.length) return `<div class="empty-view"><h2>No threads yet</h2><p class="muted">Threads you start or reply to show up here.</p></div>`;
      return `<div class="card-list">${threads.map((m) => {
        const reps = repliesOf(m.id), last = reps[reps.length - 1], lu = user(last.user_id);
        return cardHtml(m, `<button class="btn" data-act="open-thread-view" data-mid="${m.id}" data-testid="thread-open-${m.id}">View thread</button>`,
          `<div class="card-reply">${avatar(lu, 20)}<b>${esc(lu.name)}</b> <span class="muted">${fmtTime(last.ts)}</span> <span class="reply-text">${esc(last.text)}</span> <span class="link">\u00b7 ${reps.length} ${reps.length === 1 ? "reply" : "replies"}</span></div>`);
      }).join("")}</div>`;
    }
    const c = cur();
    return `<div class="msg-list">${channelIntroHtml(c)}${messageListHtml(topLevel(c.id), "main")}</div>`;
  }

  function renderComposer() {
    const onChannel = S.ui.view === "channel";
    $("composer-wrap").hidden = !onChannel;
    const c = cur();
    const ta = $("composer");
    ta.placeholder = c.kind === "dm" ? `Message ${dmPeer(c).name}` : `Message #${c.name}`;
    setVal(ta, S.ui.drafts[c.id] || "");
    ta.rows = Math.min(6, Math.max(1, ta.value.split("\n").length));
    $("send-btn").disabled = !(S.ui.drafts[c.id] || "").trim();
  }

  // ---- right panel ----
  function renderPanel() {
    const ui = S.ui;
    const panel = $("panel");
    panel.hidden = !ui.panel;
    $("app").classList.toggle("with-panel", !!ui.panel);
    $("thread-composer-wrap").hidden = ui.panel !== "thread";
    let html = "";
    const head = (title, sub) => `<div class="panel-head"><div><h2>${title}</h2>${sub ? `<div class="muted">${sub}</div>` : ""}</div>
      <button class="icon-btn" data-act="close-panel" data-testid="panel-close" title="Close">${I.close}</button></div>`;
    if (ui.panel === "thread") {
      const p = msg(ui.thread_id), c = chan(p.channel_id), reps = repliesOf(p.id);
      html = head("Thread", c.kind === "dm" ? esc(dmPeer(c).name) : "#" + esc(c.name)) +
        `<div class="panel-scroll thread">${messageHtml(p, false, "thread")}
          <div class="replies-divider"><span>${reps.length} ${reps.length === 1 ? "reply" : "replies"}</span></div>
          ${messageListHtml(reps, "thread").replace(/<div class="day-divider">.*?<\/div>/g, "")}</div>`;
      const ta = $("thread-composer");
      setVal(ta, ui.thread_draft);
      ta.rows = Math.min(5, Math.max(1, ta.value.split("\n").length));
      $("thread-send-btn").disabled = !ui.thread_draft.trim();
    } else if (ui.panel === "pins") {
      const c = cur();
      const pins = S.messages.filter((m) => m.channel_id === c.id && m.pinned).sort(byTime).reverse();
      html = head("Pinned messages", c.kind === "dm" ? esc(dmPeer(c).name) : "#" + esc(c.name)) +
        `<div class="panel-scroll">${pins.length ? pins.map((m) => {
          const u = user(m.user_id);
          return `<div class="pin-card" data-testid="pin-${m.id}"><div class="msg-head">${avatar(u, 24)}<span class="author">${esc(u.name)}</span><span class="time">${shortDate(m.ts)} at ${fmtTime(m.ts)}</span></div>
            <div class="msg-text">${richText(m.text)}</div><button class="btn small" data-act="toggle-pin" data-mid="${m.id}" data-testid="unpin-${m.id}">Unpin</button></div>`;
        }).join("") : `<div class="empty-panel">No pinned messages yet. Pin important messages from the message menu.</div>`}</div>`;
    } else if (ui.panel === "members") {
      const c = cur();
      const members = c.members.map(user).sort((a, b) => a.name.localeCompare(b.name));
      const q = ui.member_query.trim().toLowerCase();
      const cands = c.kind === "channel" && q ? S.users.filter((u) => !c.members.includes(u.id) && u.name.toLowerCase().includes(q)).slice(0, 5) : [];
      const adder = c.kind === "channel" ? `<div class="member-add"><input id="member-query" data-testid="member-query" type="text" autocomplete="off" spellcheck="false" placeholder="Add people by name">
          ${q ? `<div class="cands">${cands.length ? cands.map((u) => `<button class="cand" data-act="add-member" data-uid="${u.id}" data-testid="add-member-${u.id}">${avatar(u, 22)}<span>${esc(u.name)}</span><span class="muted">${esc(u.title)}</span><span class="spacer"></span><span class="link">Add</span></button>`).join("") : `<div class="muted cand-none">No one else matches \u201c${esc(ui.member_query.trim())}\u201d</div>`}</div>` : ""}</div>` : "";
      html = head(`Members \u00b7 ${members.length}`, c.kind === "dm" ? "" : "#" + esc(c.name)) + adder +
        `<div class="panel-scroll">${members.map((u) => `<div class="member-row" data-testid="member-${u.id}">${avatar(u, 32)}${presenceDot(u, "on-member")}
          <div class="member-main"><div><b>${esc(u.name)}</b>${u.id === S.current_user_id ? ' <span class="muted">(you)</span>' : ""} ${emojiSpan(u.status_emoji)}</div><div class="muted">${esc(u.title)}</div></div>
          ${c.kind === "channel" && u.id !== S.current_user_id ? `<button class="btn small" data-act="remove-member" data-uid="${u.id}" data-testid="remove-member-${u.id}">Remove</button>` : ""}</div>`).join("")}</div>`;
    }
    const rebuilt = setRegion("panel-content", html);
    setVal($("member-query"), ui.member_query);
    return rebuilt;
  }

  // ---- overlay: menus and the reaction picker ----
  function overlayHtml() {
    const ui = S.ui;
    if (!ui.menu && !ui.emoji_picker_for) return "";
    let html = `<div class="backdrop" data-act="close-popups" data-testid="popup-backdrop"></div>`;
    if (ui.menu === "profile") {
      const u = me();
      html += `<div class="menu profile-menu" data-testid="profile-menu">
        <div class="menu-user">${avatar(u, 36)}<div><b>${esc(u.name)}</b><div class="muted">${u.presence === "active" ? "Active" : "Away"}</div></div></div>
        ${u.status_emoji || u.status_text ? `<div class="menu-status">${emojiSpan(u.status_emoji)} ${esc(u.status_text)}</div>` : ""}
        <button class="menu-item" data-act="open-status-dialog" data-testid="menu-set-status">${u.status_emoji || u.status_text ? "Edit status" : "Update your status"}</button>
        ${u.status_emoji || u.status_text ? `<button class="menu-item" data-act="clear-status" data-testid="menu-clear-status">Clear status</button>` : ""}
        <button class="menu-item" data-act="toggle-presence" data-testid="menu-toggle-presence">Set yourself as <b>${u.presence === "active" ? "away" : "active"}</b></button>
      </div>`;
    } else if (ui.menu === "workspace") {
      html += `<div class="menu ws-menu" data-testid="workspace-menu">
        <div class="menu-user"><span class="ws-logo">${esc(S.workspace[0])}</span><div><b>${esc(S.workspace)}</b><div class="muted">${S.users.length} members</div></div></div>
        <button class="menu-item" data-act="open-create-channel" data-testid="menu-create-channel">Create a channel</button>
        <button class="menu-item" data-act="mark-all-read" data-testid="menu-mark-all-read">Mark all as read</button>
      </div>`;
    }
    if (ui.emoji_picker_for) {
      html += `<div class="menu picker" id="emoji-picker" data-testid="emoji-picker"><div class="picker-title">Add reaction</div><div class="emoji-grid">${EMOJI_ORDER.map((e) => `<button class="emoji-btn" data-act="pick-emoji" data-emoji="${e}" data-testid="pick-${e}" title="${e}">${emojiSpan(e)}</button>`).join("")}</div></div>`;
    }
    return html;
  }

  function placePicker() {
    const pk = $("emoji-picker");
    if (!pk) return;
    const mid = S.ui.emoji_picker_for;
    const host = (S.ui.panel === "thread" && $("panel-content").querySelector(`[data-mid="${mid}"]`)) ||
      $("main-body").querySelector(`[data-mid="${mid}"]`);
    let top = 120, left = 600;
    if (host) {
      const r = host.getBoundingClientRect();
      left = Math.max(8, Math.min(r.right - 290, 1280 - 290));
      top = r.top + 30;
      if (top + 150 > 790) top = Math.max(48, r.top - 150);
    }
    pk.style.left = left + "px";
    pk.style.top = top + "px";
  }

  // ---- dialogs ----
  function renderDialogs() {
    const ui = S.ui;
    $("dialog-backdrop").hidden = !ui.dialog;
    for (const d of ["create_channel", "edit_topic", "set_status"]) $("dlg-" + d).hidden = ui.dialog !== d;
    if (ui.dialog === "create_channel") {
      setVal($("new-channel-name"), ui.new_channel.name);
      setVal($("new-channel-desc"), ui.new_channel.description);
      $("new-channel-private").checked = ui.new_channel.is_private;
      const err = channelNameError(ui.new_channel.name);
      $("new-channel-error").textContent = ui.new_channel.name ? err || "" : "";
      $("create-channel-submit").disabled = !!err;
    } else if (ui.dialog === "edit_topic") {
      $("topic-channel-name").textContent = "#" + cur().name;
      setVal($("topic-input"), ui.topic_text);
    } else if (ui.dialog === "set_status") {
      const f = ui.status_form;
      setVal($("status-text"), f.text);
      const glyph = f.emoji ? emojiSpan(f.emoji) : I.react;
      if (lastHtml.statusCur !== glyph) { lastHtml.statusCur = glyph; $("status-emoji-current").innerHTML = glyph; }
      setRegion("status-emoji-row", EMOJI_ORDER.map((e) => `<button class="emoji-btn ${f.emoji === e ? "on" : ""}" data-act="status-pick-emoji" data-emoji="${e}" data-testid="status-emoji-${e}" title="${e}">${emojiSpan(e)}</button>`).join(""));
      setRegion("status-presets", STATUS_PRESETS.map(([e, t], i) => `<button class="preset" data-act="status-preset" data-index="${i}" data-testid="status-preset-${i}">${emojiSpan(e)}<span>${t}</span></button>`).join(""));
    }
  }

  function normalizeChannelName(raw) { return raw.trim().toLowerCase().replace(/\s+/g, "-"); }
  function channelNameError(raw) {
    const name = normalizeChannelName(raw);
    if (!name) return "Don't forget to name your channel.";
    if (!/^[a-z0-9][a-z0-9_-]{0,79}$/.test(name)) return "Channel names can only contain lowercase letters, numbers, hyphens and underscores.";
    if (S.channels.some((c) => c.kind === "channel" && c.name === name) || chan("c_" + name)) return "That name is already taken by a channel.";
    return null;
  }

  function renderToast() {
    const t = $("toast");
    t.hidden = !S.toast;
    t.textContent = S.toast || "";
  }

  // =====================================================================================
  // Actions: each mutates S; dispatch() then renders and saves.
  // =====================================================================================
  function openChannel(id) {
    const ui = S.ui, c = chan(id);
    ui.view = "channel";
    ui.channel_id = id;
    c.unread_count = 0;
    ui.emoji_picker_for = null;
    ui.editing_id = null;
    ui.edit_text = "";
    ui.member_query = "";
    scrollToBottom = true;
    focusAfter = "composer";
  }

  function openThread(mid) {
    const ui = S.ui;
    if (ui.thread_id !== mid) ui.thread_draft = "";
    ui.panel = "thread";
    ui.thread_id = mid;
    ui.emoji_picker_for = null;
    scrollToBottom = true;
    focusAfter = "thread-composer";
  }

  function closePanel() {
    const ui = S.ui;
    ui.panel = null;
    ui.thread_id = null;
    ui.thread_draft = "";
    ui.member_query = "";
  }

  function toggleReaction(mid, emoji) {
    const m = msg(mid), u = S.current_user_id;
    const r = m.reactions.find((x) => x.id === emoji);
    if (!r) m.reactions.push({ id: emoji, users: [u] });
    else if (r.users.includes(u)) {
      r.users = r.users.filter((x) => x !== u);
      if (!r.users.length) m.reactions = m.reactions.filter((x) => x !== r);
    } else r.users.push(u);
  }

  function sendMessage(channelId, text, parentId) {
    S.messages.push({
      id: nextMessageId(), channel_id: channelId, user_id: S.current_user_id, ts: S.now, text: text,
      parent_id: parentId, reactions: [], pinned: false, saved: false, edited: false,
    });
  }

  function closeDialog() {
    const ui = S.ui;
    ui.dialog = null;
    ui.new_channel = { name: "", description: "", is_private: false };
    ui.topic_text = "";
    ui.status_form = { emoji: null, text: "" };
  }

  const ACTIONS = {
    "open-channel": (d) => openChannel(d.id),
    "open-view": (d) => { S.ui.view = d.view; S.ui.emoji_picker_for = null; S.ui.editing_id = null; S.ui.edit_text = ""; },
    "toggle-section": (d) => { const k = d.section + "_collapsed"; S.ui[k] = !S.ui[k]; },
    "toggle-menu": (d) => { S.ui.menu = S.ui.menu === d.menu ? null : d.menu; S.ui.emoji_picker_for = null; },
    "close-popups": () => { S.ui.menu = null; S.ui.emoji_picker_for = null; },
    "open-create-channel": () => { S.ui.menu = null; S.ui.dialog = "create_channel"; focusAfter = "new-channel-name"; },
    "close-dialog": () => closeDialog(),
    "create-channel": () => {
      const f = S.ui.new_channel;
      if (channelNameError(f.name)) return;
      const name = normalizeChannelName(f.name);
      const id = "c_" + name;
      S.channels.push({
        id: id, kind: "channel", name: name, topic: "", description: f.description.trim(), is_private: f.is_private,
        members: [S.current_user_id], starred: false, unread_count: 0, created: S.now,
      });
      closeDialog();
      openChannel(id);
      S.toast = `#${name} was created`;
    },
    "mark-all-read": () => { for (const c of S.channels) c.unread_count = 0; S.ui.menu = null; S.toast = "All conversations marked as read"; },
    "open-status-dialog": () => {
      const u = me();
      S.ui.menu = null;
      S.ui.dialog = "set_status";
      S.ui.status_form = { emoji: u.status_emoji, text: u.status_text };
      focusAfter = "status-text";
    },
    "clear-status": () => { const u = me(); u.status_emoji = null; u.status_text = ""; S.ui.menu = null; },
    "toggle-presence": () => { const u = me(); u.presence = u.presence === "active" ? "away" : "active"; S.ui.menu = null; },
    "status-pick-emoji": (d) => { S.ui.status_form.emoji = d.emoji; },
    "status-preset": (d) => { const [e, t] = STATUS_PRESETS[+d.index]; S.ui.status_form = { emoji: e, text: t }; },
    "status-form-clear": () => { S.ui.status_form = { emoji: null, text: "" }; },
    "save-status": () => {
      const u = me(), f = S.ui.status_form;
      u.status_emoji = f.emoji;
      u.status_text = f.text.trim();
      closeDialog();
      S.toast = "Your status was updated";
    },
    "toggle-star": () => { const c = cur(); c.starred = !c.starred; },
    "open-topic-dialog": () => { S.ui.dialog = "edit_topic"; S.ui.topic_text = cur().topic; focusAfter = "topic-input"; },
    "save-topic": () => { cur().topic = S.ui.topic_text.trim(); closeDialog(); },
    "toggle-panel": (d) => {
      if (S.ui.panel === d.panel) closePanel();
      else { closePanel(); S.ui.panel = d.panel; if (d.panel === "members") focusAfter = "member-query"; }
    },
    "close-panel": () => closePanel(),
    "open-thread": (d) => openThread(d.mid),
    "open-picker": (d) => { S.ui.emoji_picker_for = S.ui.emoji_picker_for === d.mid ? null : d.mid; S.ui.menu = null; },
    "pick-emoji": (d) => { toggleReaction(S.ui.emoji_picker_for, d.emoji); S.ui.emoji_picker_for = null; },
    "toggle-reaction": (d) => toggleReaction(d.mid, d.emoji),
    "toggle-pin": (d) => { const m = msg(d.mid); m.pinned = !m.pinned; S.toast = m.pinned ? "Message pinned to this conversation" : "Message unpinned"; },
    "toggle-save": (d) => { const m = msg(d.mid); m.saved = !m.saved; S.toast = m.saved ? "Saved for later" : "Removed from saved items"; },
    "mark-unread": (d) => {
      const m = msg(d.mid), list = topLevel(m.channel_id);
      chan(m.channel_id).unread_count = list.length - list.findIndex((x) => x.id === m.id);
      S.toast = "Marked as unread";
    },
    "start-edit": (d) => { S.ui.editing_id = d.mid; S.ui.edit_text = msg(d.mid).text; S.ui.emoji_picker_for = null; focusAfter = "edit-input"; },
    "cancel-edit": () => { S.ui.editing_id = null; S.ui.edit_text = ""; },
    "save-edit": () => {
      const m = msg(S.ui.editing_id), text = S.ui.edit_text.trim();
      if (!text) return;
      if (text !== m.text) { m.text = text; m.edited = true; }
      S.ui.editing_id = null;
      S.ui.edit_text = "";
    },
    "delete-message": (d) => {
      const gone = new Set([d.mid, ...repliesOf(d.mid).map((r) => r.id)]);
      S.messages = S.messages.filter((m) => !gone.has(m.id));
      const ui = S.ui;
      if (gone.has(ui.thread_id)) closePanel();
      if (gone.has(ui.emoji_picker_for)) ui.emoji_picker_for = null;
      if (gone.has(ui.editing_id)) { ui.editing_id = null; ui.edit_text = ""; }
      S.toast = "Message deleted";
    },
    "send": () => {
      const c = cur(), text = (S.ui.drafts[c.id] || "").trim();
      if (!text) return;
      sendMessage(c.id, text, null);
      delete S.ui.drafts[c.id];
      scrollToBottom = true;
      focusAfter = "composer";
    },
    "send-reply": () => {
      const text = S.ui.thread_draft.trim();
      if (!text || !S.ui.thread_id) return;
      sendMessage(msg(S.ui.thread_id).channel_id, text, S.ui.thread_id);
      S.ui.thread_draft = "";
      scrollToBottom = true;
      focusAfter = "thread-composer";
    },
    "search": () => {
      const q = S.ui.search_text.trim();
      if (!q) return;
      S.ui.search_query = q;
      S.ui.view = "search";
      S.ui.emoji_picker_for = null;
      S.ui.editing_id = null;
      S.ui.edit_text = "";
    },
    "clear-search": () => {
      S.ui.search_text = "";
      S.ui.search_query = "";
      if (S.ui.view === "search") S.ui.view = "channel";
    },
    "open-result": (d) => {
      const m = msg(d.mid);
      openChannel(m.channel_id);
      if (m.parent_id) openThread(m.parent_id);
    },
    "open-thread-view": (d) => { const m = msg(d.mid); openChannel(m.channel_id); openThread(m.id); },
    "add-member": (d) => { cur().members.push(d.uid); S.ui.member_query = ""; focusAfter = "member-query"; },
    "remove-member": (d) => { const c = cur(); c.members = c.members.filter((u) => u !== d.uid); },
  };

  function dispatch(name, data) {
    const fn = ACTIONS[name];
    if (!fn) throw new Error("unknown action " + name);
    S.toast = null;
    fn(data || {});
    render();
    CUA.save(S);
  }

  // ---- typing: inputs write their field on every keystroke ----
  const FIELDS = {
    "search-input": (v) => { S.ui.search_text = v; },
    "composer": (v) => { const id = S.ui.channel_id; if (v) S.ui.drafts[id] = v; else delete S.ui.drafts[id]; },
    "thread-composer": (v) => { S.ui.thread_draft = v; },
    "new-channel-name": (v) => { S.ui.new_channel.name = v; },
    "new-channel-desc": (v) => { S.ui.new_channel.description = v; },
    "topic-input": (v) => { S.ui.topic_text = v; },
    "status-text": (v) => { S.ui.status_form.text = v; },
    "edit-input": (v) => { S.ui.edit_text = v; },
    "member-query": (v) => { S.ui.member_query = v; },
  };

  // Enter submits in these inputs (Shift+Enter keeps a new line in the composers).
  const ENTER = {
    "composer": "send", "thread-composer": "send-reply", "search-input": "search", "new-channel-name": "create-channel",
    "new-channel-desc": "create-channel", "topic-input": "save-topic", "status-text": "save-status", "edit-input": "save-edit",
  };

  function wire() {
    document.addEventListener("click", (ev) => {
      const el = ev.target.closest("[data-act]");
      if (!el || el.disabled) return;
      ev.preventDefault();
      dispatch(el.dataset.act, el.dataset);
    });
    $("profile-btn").addEventListener("click", () => dispatch("toggle-menu", { menu: "profile" }));
    $("search-clear").addEventListener("click", () => dispatch("clear-search"));
    $("send-btn").addEventListener("click", () => dispatch("send"));
    $("thread-send-btn").addEventListener("click", () => dispatch("send-reply"));
    $("new-channel-private").addEventListener("change", (ev) => {
      S.ui.new_channel.is_private = ev.target.checked;
      S.toast = null;
      render();
      CUA.save(S);
    });
    document.addEventListener("input", (ev) => {
      const f = FIELDS[ev.target.id];
      if (!f) return;
      S.toast = null;
      f(ev.target.value);
      render();
      CUA.save(S);
    });
    document.addEventListener("keydown", (ev) => {
      const id = ev.target && ev.target.id;
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ENTER[id]) {
        ev.preventDefault();
        dispatch(ENTER[id]);
        return;
      }
      if (ev.key === "Enter" && id === "member-query") {
        ev.preventDefault();
        const first = document.querySelector("#panel-content .cand");
        if (first) dispatch("add-member", first.dataset);
        return;
      }
      if (ev.key === "Escape") {
        const ui = S.ui;
        if (ui.menu || ui.emoji_picker_for) dispatch("close-popups");
        else if (ui.dialog) dispatch("close-dialog");
        else if (ui.editing_id) dispatch("cancel-edit");
      }
    });
  }

  async function main() {
    S = await CUA.load();
    wire();
    if (S.ui.view === "channel" && !S.ui.dialog && !S.ui.editing_id) focusAfter = "composer";
    render();
    CUA.ready();
  }
  main();
})();
