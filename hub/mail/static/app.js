// Mail client of the hub. Every user action mutates `state`, re-renders and saves the whole
// state to the server (CUA.save), so a reward script sees every visible change.
// Dates come from state.now only: identical states give identical pixels.
(function () {
  "use strict";

  const PAGE_SIZE = 12;
  const SYSTEM = [
    { id: "inbox", name: "Inbox", icon: "inbox" },
    { id: "starred", name: "Starred", icon: "star", view: "starred" },
    { id: "sent", name: "Sent", icon: "send" },
    { id: "drafts", name: "Drafts", icon: "draft" },
    { id: "archive", name: "Archive", icon: "archive" },
    { id: "spam", name: "Spam", icon: "spam" },
    { id: "trash", name: "Trash", icon: "trash" },
  ];
  const SYSTEM_IDS = ["inbox", "sent", "drafts", "archive", "spam", "trash"];
  const PALETTE = ["blue", "green", "orange", "purple", "red", "teal", "pink", "yellow", "gray"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const EMAIL_RE = /^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$/;

  const ICONS = {
    inbox: '<path d="M3 13h5l1.5 2.5h5L16 13h5"/><path d="M5.5 5h13L21 13v6H3v-6z"/>',
    star: '<path d="M12 2.8l2.8 6.1 6.6.7-4.9 4.5 1.4 6.5L12 17.3l-5.9 3.3 1.4-6.5-4.9-4.5 6.6-.7z"/>',
    send: '<path d="M3 11.5L21 3l-8.5 18-2.2-7.3z"/><path d="M10.3 13.7L21 3"/>',
    draft: '<path d="M6 3h8l4 4v14H6z"/><path d="M14 3v4h4"/>',
    archive: '<path d="M3 4h18v4H3z"/><path d="M5 8v12h14V8"/><path d="M10 12h4"/>',
    spam: '<path d="M8 3h8l5 5v8l-5 5H8l-5-5V8z"/><path d="M12 7.5v5.5"/><path d="M12 16v.6"/>',
    trash: '<path d="M4 7h16"/><path d="M9 7V4h6v3"/><path d="M6 7l1 13h10l1-13"/><path d="M10 11v6M14 11v6"/>',
    folder: '<path d="M3 6h6l2 2h10v11H3z"/>',
    label: '<path d="M3 11.5V4h7.5L21 14.5 14.5 21z"/><circle cx="7.5" cy="8.5" r="1.2"/>',
    search: '<circle cx="10.5" cy="10.5" r="6.5"/><path d="M15.5 15.5L21 21"/>',
    close: '<path d="M6 6l12 12M18 6L6 18"/>',
    reply: '<path d="M10 6l-6 6 6 6"/><path d="M4 12h10a6 6 0 0 1 6 6"/>',
    replyall: '<path d="M12 6l-6 6 6 6"/><path d="M7 6l-6 6 6 6"/><path d="M6 12h9a6 6 0 0 1 6 6"/>',
    forward: '<path d="M14 6l6 6-6 6"/><path d="M20 12H10a6 6 0 0 0-6 6"/>',
    mailread: '<path d="M3 10l9-6 9 6v10H3z"/><path d="M3 10l9 6 9-6"/>',
    mailunread: '<path d="M3 6h18v13H3z"/><path d="M3 6l9 7 9-7"/>',
    move: '<path d="M3 6h6l2 2h10v11H3z"/><path d="M9 13.5h7"/><path d="M13.5 11l2.5 2.5-2.5 2.5"/>',
    left: '<path d="M15 5l-7 7 7 7"/>',
    right: '<path d="M9 5l7 7-7 7"/>',
    caret: '<path d="M7 10l5 5 5-5"/>',
    pencil: '<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="M13 7l4 4"/>',
    clip: '<path d="M20 11.5l-8 8a5 5 0 0 1-7-7L13.5 4a3.3 3.3 0 0 1 4.7 4.7L9.6 17.3a1.7 1.7 0 0 1-2.4-2.4L15 7"/>',
    plus: '<path d="M12 5v14M5 12h14"/>',
    check: '<path d="M5 12.5l4.5 4.5L19 7.5"/>',
    file: '<path d="M6 3h8l4 4v14H6z"/><path d="M14 3v4h4"/><path d="M9 12h6M9 16h6"/>',
  };

  let state = null;
  let builtCompose = null;  // the ui.compose object the compose window was built from
  let builtDialog = null;   // the ui.dialog value the dialog was built for

  // ---------------------------------------------------------------- helpers
  function icon(name, cls) {
    return '<svg class="ic ' + (cls || "") + '" viewBox="0 0 24 24" aria-hidden="true">' + ICONS[name] + "</svg>";
  }
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function $(id) { return document.getElementById(id); }
  function byId(id) { return state.messages.find((m) => m.id === id) || null; }
  function labelById(id) { return state.labels.find((l) => l.id === id) || null; }
  function folderName(id) {
    const s = SYSTEM.find((f) => f.id === id && !f.view);
    if (s) return s.name;
    const f = state.folders.find((x) => x.id === id);
    return f ? f.name : id;
  }

  function parseTs(ts) {  // "2026-03-18T09:42:00" -> parts, never the real clock
    return { y: +ts.slice(0, 4), mo: +ts.slice(5, 7), d: +ts.slice(8, 10), h: +ts.slice(11, 13), mi: +ts.slice(14, 16) };
  }
  function clock(p) {
    const h12 = p.h % 12 === 0 ? 12 : p.h % 12;
    return h12 + ":" + String(p.mi).padStart(2, "0") + " " + (p.h < 12 ? "AM" : "PM");
  }
  function weekday(p) { return DAYS[new Date(Date.UTC(p.y, p.mo - 1, p.d)).getUTCDay()]; }
  function shortDate(ts) {
    const p = parseTs(ts), n = parseTs(state.now);
    if (p.y === n.y && p.mo === n.mo && p.d === n.d) return clock(p);
    if (p.y === n.y) return MONTHS[p.mo - 1] + " " + p.d;
    return MONTHS[p.mo - 1] + " " + p.d + ", " + p.y;
  }
  function longDate(ts) {
    const p = parseTs(ts);
    return weekday(p) + ", " + MONTHS[p.mo - 1] + " " + p.d + ", " + p.y + ", " + clock(p);
  }

  // Display names of known addresses, learnt from the senders in the mailbox.
  function contactName(email) {
    if (email === state.account.email) return "me";
    const m = state.messages.find((x) => x.from_email === email && x.from_name);
    return m ? m.from_name : email;
  }
  function initials(name) {
    const parts = name.replace(/[^A-Za-z0-9 ]/g, " ").trim().split(/\s+/).filter(Boolean);
    if (!parts.length) return "?";
    return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
  }
  function avatarColor(key) {
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
    const colors = ["#1a73e8", "#d93025", "#188038", "#e37400", "#9334e6", "#007b83", "#c5221f", "#5f6368", "#b06000", "#3367d6"];
    return colors[h % colors.length];
  }
  function avatar(name, email, size) {
    return '<span class="avatar" style="width:' + size + "px;height:" + size + "px;line-height:" + size +
      "px;background:" + avatarColor(email) + '">' + esc(initials(name || email)) + "</span>";
  }
  function snippet(body) { return body.replace(/\s+/g, " ").trim(); }

  function nextId(prefix, items) {
    // Messages get m<n> past the largest number in use; folders and labels a readable slug.
    let max = 0;
    for (const it of items) {
      const mm = /^m(\d+)$/.exec(it.id);
      if (mm) max = Math.max(max, +mm[1]);
    }
    return prefix + (max + 1);
  }
  function slugId(prefix, name, items) {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 30) || "item";
    let id = prefix + slug, n = 2;
    const taken = new Set(items.map((x) => x.id).concat(SYSTEM_IDS));
    while (taken.has(id)) id = prefix + slug + "-" + n++;
    return id;
  }

  // ---------------------------------------------------------------- what the list shows
  function searchTerms() { return state.ui.search.toLowerCase().split(/\s+/).filter(Boolean); }
  function matchesSearch(m, terms) {
    const labels = m.labels.map((id) => (labelById(id) || { name: "" }).name).join(" ");
    const hay = [m.from_name, m.from_email, m.to.join(" "), m.cc.join(" "), m.subject, m.body, labels].join(" ").toLowerCase();
    return terms.every((t) => hay.includes(t));
  }
  function inMailbox(m) { return m.folder !== "trash" && m.folder !== "spam"; }
  function visibleMessages() {
    const u = state.ui;
    let ms;
    if (u.search) {
      const terms = searchTerms();
      ms = state.messages.filter((m) => inMailbox(m) && matchesSearch(m, terms));
    } else if (u.view === "starred") {
      ms = state.messages.filter((m) => m.starred && inMailbox(m));
    } else if (u.view === "label") {
      ms = state.messages.filter((m) => m.labels.includes(u.label_id) && inMailbox(m));
    } else {
      ms = state.messages.filter((m) => m.folder === u.folder_id);
    }
    const order = new Map(state.messages.map((m, i) => [m.id, i]));
    // Newest first; equal times keep the later-written message on top.
    return ms.slice().sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : order.get(b.id) - order.get(a.id)));
  }
  function pageCount(n) { return Math.max(1, Math.ceil(n / PAGE_SIZE)); }
  function pageMessages() {
    const all = visibleMessages();
    const start = (state.ui.page - 1) * PAGE_SIZE;
    return { all: all, rows: all.slice(start, start + PAGE_SIZE), start: start };
  }
  function viewTitle() {
    const u = state.ui;
    if (u.search) return "Search results";
    if (u.view === "starred") return "Starred";
    if (u.view === "label") return (labelById(u.label_id) || { name: "Label" }).name;
    return folderName(u.folder_id);
  }
  function inFolderView(id) { return !state.ui.search && state.ui.view === "folder" && state.ui.folder_id === id; }
  function targets() {
    if (state.ui.checked.length) return state.ui.checked.slice();
    return state.ui.open_id ? [state.ui.open_id] : [];
  }

  // After messages move or vanish: keep the page in range and close a message that left the view.
  function settle() {
    const all = visibleMessages();
    const u = state.ui;
    u.checked = u.checked.filter((id) => byId(id));
    if (u.open_id && !all.some((m) => m.id === u.open_id)) u.open_id = null;
    u.page = Math.min(u.page, pageCount(all.length));
    if (u.compose && u.compose.source_id && !byId(u.compose.source_id)) u.compose.source_id = null;
  }

  // ---------------------------------------------------------------- rendering
  function renderAccount() {
    const a = state.account;
    $("account").innerHTML = '<div class="acct-text"><div class="acct-name">' + esc(a.name) + '</div><div class="acct-mail">' +
      esc(a.email) + "</div></div>" + avatar(a.name, a.email, 36);
  }

  function navItem(attrs, iconName, name, count, active, extraCls) {
    return '<button class="nav-item ' + (active ? "active " : "") + (extraCls || "") + '" ' + attrs + ">" +
      iconName + '<span class="nav-name">' + esc(name) + "</span>" +
      (count ? '<span class="nav-count">' + count + "</span>" : "") + "</button>";
  }

  function renderSidebar() {
    const u = state.ui;
    const searching = !!u.search;
    const unread = (fid) => state.messages.filter((m) => m.folder === fid && !m.read).length;
    let h = '<button class="compose-btn" data-action="compose" data-testid="compose">' + icon("pencil") + "<span>Compose</span></button>";
    h += '<div class="nav-group">';
    for (const f of SYSTEM) {
      let count = 0;
      if (f.id === "inbox" || f.id === "spam") count = unread(f.id);
      if (f.id === "drafts") count = state.messages.filter((m) => m.folder === "drafts").length;
      const active = !searching && (f.view ? u.view === f.view : u.view === "folder" && u.folder_id === f.id);
      const attrs = f.view ? 'data-action="nav-starred" data-testid="nav-starred"'
        : 'data-action="nav-folder" data-id="' + f.id + '" data-testid="nav-' + f.id + '"';
      h += navItem(attrs, icon(f.icon), f.name, count, active, count && f.id !== "drafts" ? "has-unread" : "");
    }
    h += "</div>";
    h += '<div class="nav-head"><span>Folders</span><button class="icon-btn small" data-action="new-folder" data-testid="new-folder" title="Create new folder">' + icon("plus") + "</button></div>";
    h += '<div class="nav-group">';
    for (const f of state.folders) {
      const active = !searching && u.view === "folder" && u.folder_id === f.id;
      const n = unread(f.id);
      h += navItem('data-action="nav-folder" data-id="' + esc(f.id) + '" data-testid="nav-' + esc(f.id) + '"', icon("folder"), f.name, n, active, n ? "has-unread" : "");
    }
    h += "</div>";
    h += '<div class="nav-head"><span>Labels</span><button class="icon-btn small" data-action="new-label" data-testid="new-label" title="Create new label">' + icon("plus") + "</button></div>";
    h += '<div class="nav-group">';
    for (const l of state.labels) {
      const active = !searching && u.view === "label" && u.label_id === l.id;
      h += navItem('data-action="nav-label" data-id="' + esc(l.id) + '" data-testid="nav-label-' + esc(l.id) + '"',
        '<span class="label-dot c-' + l.color + '"></span>', l.name, 0, active);
    }
    h += "</div>";
    $("sidebar").innerHTML = h;
  }

  function tbButton(action, iconName, text, enabled, extra) {
    return '<button class="tb-btn" data-action="' + action + '" data-testid="' + action + '"' + (enabled ? "" : " disabled") +
      (extra || "") + ">" + icon(iconName) + "<span>" + esc(text) + "</span></button>";
  }

  function moveDestinations() {
    const dests = [{ id: "inbox", name: "Inbox" }, { id: "archive", name: "Archive" }]
      .concat(state.folders.map((f) => ({ id: f.id, name: f.name })))
      .concat([{ id: "spam", name: "Spam" }, { id: "trash", name: "Trash" }]);
    return dests.filter((d) => !inFolderView(d.id));
  }

  function renderToolbar() {
    const t = targets();
    const on = t.length > 0;
    const inTrash = inFolderView("trash"), inSpam = inFolderView("spam"), inArchive = inFolderView("archive");
    let h = '<div class="tb-left">';
    h += tbButton(inArchive ? "tb-inbox" : "tb-archive", inArchive ? "inbox" : "archive", inArchive ? "Move to Inbox" : "Archive", on);
    h += tbButton("tb-delete", "trash", inTrash ? "Delete forever" : "Delete", on);
    h += tbButton("tb-spam", "spam", inSpam ? "Not spam" : "Spam", on);
    h += '<span class="tb-sep"></span>';
    h += tbButton("tb-read", "mailread", "Mark read", on);
    h += tbButton("tb-unread", "mailunread", "Mark unread", on);
    h += '<span class="tb-sep"></span>';
    h += '<div class="menu-wrap">' + tbButton("tb-move", "move", "Move to", on) + (state.ui.menu === "move" && on ? renderMoveMenu() : "") + "</div>";
    h += '<div class="menu-wrap">' + tbButton("tb-label", "label", "Labels", on) + (state.ui.menu === "label" && on ? renderLabelMenu(t) : "") + "</div>";
    h += "</div>";
    if (state.ui.checked.length) h += '<div class="tb-info">' + state.ui.checked.length + " selected</div>";
    $("toolbar").innerHTML = h;
  }

  function renderMoveMenu() {
    let h = '<div class="menu" data-testid="move-menu"><div class="menu-title">Move to</div>';
    for (const d of moveDestinations()) {
      const ic = SYSTEM.find((s) => s.id === d.id);
      h += '<button class="menu-item" data-action="move-to" data-id="' + esc(d.id) + '" data-testid="move-to-' + esc(d.id) + '">' +
        icon(ic ? ic.icon : "folder") + "<span>" + esc(d.name) + "</span></button>";
    }
    return h + "</div>";
  }

  function renderLabelMenu(t) {
    let h = '<div class="menu" data-testid="label-menu"><div class="menu-title">Label as</div>';
    if (!state.labels.length) h += '<div class="menu-empty">No labels yet</div>';
    for (const l of state.labels) {
      const have = t.filter((id) => byId(id) && byId(id).labels.includes(l.id)).length;
      const mark = have === t.length ? "all" : have ? "some" : "none";
      h += '<button class="menu-item" data-action="label-toggle" data-id="' + esc(l.id) + '" data-testid="label-toggle-' + esc(l.id) + '">' +
        '<span class="tick tick-' + mark + '">' + (mark === "all" ? icon("check") : mark === "some" ? "&ndash;" : "") + "</span>" +
        '<span class="label-dot c-' + l.color + '"></span><span>' + esc(l.name) + "</span></button>";
    }
    return h + "</div>";
  }

  function labelChips(m, skip) {
    return m.labels.filter((id) => id !== skip).map((id) => {
      const l = labelById(id);
      return l ? '<span class="chip c-' + l.color + '">' + esc(l.name) + "</span>" : "";
    }).join("");
  }

  function renderList() {
    const u = state.ui;
    const pm = pageMessages();
    const total = pm.all.length;
    const allChecked = pm.rows.length > 0 && pm.rows.every((m) => u.checked.includes(m.id));
    const someChecked = pm.rows.some((m) => u.checked.includes(m.id));
    let h = '<div class="list-head">';
    h += '<input type="checkbox" class="cb" data-action="check-all" data-testid="check-all" title="Select all on this page"' +
      (allChecked ? " checked" : "") + (pm.rows.length ? "" : " disabled") + ">";
    h += '<div class="list-title">' + esc(viewTitle()) + (u.search ? ' <span class="query">for &ldquo;' + esc(u.search) + "&rdquo;</span>" : "") + "</div>";
    // An injected page past the end shows as such; ‹ then leads back to the last real page.
    const range = pm.rows.length ? (pm.start + 1) + "&ndash;" + (pm.start + pm.rows.length) + " of " + total
      : total ? "Page " + u.page + " of " + pageCount(total) : "0 of 0";
    h += '<div class="pager"><span class="range" data-testid="range">' + range + "</span>";
    h += '<button class="icon-btn" data-action="page-prev" data-testid="page-prev" title="Newer"' + (u.page > 1 ? "" : " disabled") + ">" + icon("left") + "</button>";
    h += '<button class="icon-btn" data-action="page-next" data-testid="page-next" title="Older"' + (u.page < pageCount(total) ? "" : " disabled") + ">" + icon("right") + "</button>";
    h += "</div></div>";
    if (inFolderView("trash") && total) {
      h += '<div class="banner">Messages in Trash stay here until you delete them. <button class="link" data-action="empty-trash" data-testid="empty-trash">Empty Trash now</button></div>';
    }
    h += '<div class="rows" data-testid="rows">';
    if (!pm.rows.length) {
      h += '<div class="empty">' + (u.search ? "No messages matched your search." : "No messages in " + esc(viewTitle()) + ".") + "</div>";
    }
    const skipLabel = !u.search && u.view === "label" ? u.label_id : null;
    for (const m of pm.rows) {
      const isDraft = m.folder === "drafts";
      const fromMe = m.from_email === state.account.email;
      const who = fromMe ? "To: " + (m.to.map(contactName).join(", ") || "(no recipients)") : (m.from_name || m.from_email);
      const cls = ["row", m.read ? "read" : "unread", u.open_id === m.id ? "open" : "", u.checked.includes(m.id) ? "checked" : ""].join(" ");
      h += '<div class="' + cls + '" data-action="open" data-id="' + esc(m.id) + '" data-testid="row-' + esc(m.id) + '">';
      h += '<input type="checkbox" class="cb" data-action="check" data-id="' + esc(m.id) + '" data-testid="check-' + esc(m.id) + '"' + (u.checked.includes(m.id) ? " checked" : "") + ">";
      h += '<button class="star-btn ' + (m.starred ? "on" : "") + '" data-action="star" data-id="' + esc(m.id) + '" data-testid="star-' + esc(m.id) + '" title="' + (m.starred ? "Starred" : "Not starred") + '">' + icon("star") + "</button>";
      h += '<div class="row-body"><div class="row-top"><span class="from">' + (isDraft ? '<span class="draft-tag">Draft</span> ' : "") + esc(who) + "</span>";
      if (u.search || u.view !== "folder") h += '<span class="where">' + esc(folderName(m.folder)) + "</span>";
      h += (m.attachments.length ? icon("clip", "clip") : "") + '<span class="date">' + esc(shortDate(m.date)) + "</span></div>";
      h += '<div class="row-bottom">' + labelChips(m, skipLabel) + '<span class="subject">' + esc(m.subject || "(no subject)") + "</span>" +
        '<span class="snippet">&nbsp;&ndash; ' + esc(snippet(m.body)) + "</span></div></div></div>";
    }
    h += "</div>";
    $("list").innerHTML = h;
    const all = $("list").querySelector('[data-action="check-all"]');
    if (all) all.indeterminate = someChecked && !allChecked;
  }

  function renderReader() {
    const m = state.ui.open_id ? byId(state.ui.open_id) : null;
    if (!m) {
      const unread = state.messages.filter((x) => x.folder === "inbox" && !x.read).length;
      $("reader").innerHTML = '<div class="reader-empty">' + icon("mailunread", "big") + "<div>Select a message to read</div>" +
        '<div class="muted">' + (unread ? unread + " unread in Inbox" : "You're all caught up") + "</div></div>";
      return;
    }
    let h = '<div class="r-head"><h1 class="r-subject" data-testid="reader-subject">' + esc(m.subject || "(no subject)") + "</h1>";
    h += '<span class="r-folder">' + esc(folderName(m.folder)) + "</span>";
    h += '<button class="icon-btn" data-action="close-reader" data-testid="close-reader" title="Close">' + icon("close") + "</button></div>";
    if (m.labels.length) {
      h += '<div class="r-labels">';
      for (const id of m.labels) {
        const l = labelById(id);
        if (!l) continue;
        h += '<span class="chip c-' + l.color + '">' + esc(l.name) + '<button class="chip-x" data-action="remove-label" data-id="' + esc(id) +
          '" data-testid="remove-label-' + esc(id) + '" title="Remove label ' + esc(l.name) + '">' + icon("close") + "</button></span>";
      }
      h += "</div>";
    }
    const to = m.to.map(contactName).join(", ");
    const cc = m.cc.map(contactName).join(", ");
    h += '<div class="r-meta">' + avatar(m.from_name, m.from_email, 40) + '<div class="r-from"><div><b>' + esc(m.from_name || m.from_email) +
      '</b> <span class="muted">&lt;' + esc(m.from_email) + "&gt;</span></div>" +
      '<div class="muted small">to ' + esc(to || "(no recipients)") + (cc ? ", cc " + esc(cc) : "") + "</div></div>";
    h += '<div class="r-date">' + esc(longDate(m.date)) + "</div>";
    h += '<button class="star-btn ' + (m.starred ? "on" : "") + '" data-action="star" data-id="' + esc(m.id) + '" data-testid="reader-star" title="' + (m.starred ? "Starred" : "Not starred") + '">' + icon("star") + "</button></div>";
    h += '<div class="r-body" data-testid="reader-body">' + esc(m.body);
    if (m.attachments.length) {
      h += '<div class="atts"><div class="atts-head">' + m.attachments.length + " attachment" + (m.attachments.length > 1 ? "s" : "") + "</div>";
      for (const a of m.attachments) {
        const size = a.size_kb >= 1024 ? (a.size_kb / 1024).toFixed(1) + " MB" : a.size_kb + " KB";
        h += '<div class="att">' + icon("file") + '<div><div class="att-name">' + esc(a.name) + '</div><div class="muted small">' + size + "</div></div></div>";
      }
      h += "</div>";
    }
    h += "</div>";
    h += '<div class="r-actions">';
    h += '<button class="pill" data-action="reply" data-testid="reply">' + icon("reply") + "<span>Reply</span></button>";
    h += '<button class="pill" data-action="reply-all" data-testid="reply-all">' + icon("replyall") + "<span>Reply all</span></button>";
    h += '<button class="pill" data-action="forward" data-testid="forward">' + icon("forward") + "<span>Forward</span></button>";
    h += "</div>";
    $("reader").innerHTML = h;
  }

  function composeTitle(c) {
    if (c.subject.trim()) return c.subject.trim();
    return { new: "New Message", reply: "Reply", reply_all: "Reply all", forward: "Forward" }[c.mode];
  }

  function renderCompose() {
    const c = state.ui.compose;
    const layer = $("compose-layer");
    if (!c) { layer.innerHTML = ""; builtCompose = null; return; }
    if (builtCompose === c) { $("compose-title").textContent = composeTitle(c); return; }
    builtCompose = c;
    layer.innerHTML =
      '<div class="compose" data-testid="compose-window">' +
      '<div class="c-head"><span id="compose-title"></span><button class="icon-btn light" data-action="compose-close" data-testid="compose-close" title="Save &amp; close">' + icon("close") + "</button></div>" +
      '<label class="c-field"><span>To</span><input id="c-to" data-field="to" data-testid="compose-to" type="text" maxlength="2000" spellcheck="false" placeholder="Recipients"></label>' +
      '<label class="c-field"><span>Cc</span><input id="c-cc" data-field="cc" data-testid="compose-cc" type="text" maxlength="2000" spellcheck="false"></label>' +
      '<label class="c-field"><span>Subject</span><input id="c-subject" data-field="subject" data-testid="compose-subject" type="text" maxlength="300" spellcheck="false"></label>' +
      '<textarea id="c-body" data-field="body" data-testid="compose-body" maxlength="200000" spellcheck="false"></textarea>' +
      '<div class="c-foot"><button class="send-btn" data-action="compose-send" data-testid="compose-send">Send</button>' +
      '<button class="pill" data-action="compose-draft" data-testid="compose-draft">Save draft</button>' +
      '<span class="grow"></span><button class="pill danger" data-action="compose-discard" data-testid="compose-discard">' + icon("trash") + "<span>Discard</span></button></div></div>";
    $("compose-title").textContent = composeTitle(c);
    for (const f of ["to", "cc", "subject", "body"]) $("c-" + f).value = c[f];
    const focus = c.mode === "reply" || c.mode === "reply_all" ? $("c-body") : $("c-to");
    focus.focus();
    if (focus.tagName === "TEXTAREA") focus.setSelectionRange(0, 0);
  }

  function renderDialog() {
    const d = state.ui.dialog;
    const layer = $("dialog-layer");
    if (!d) { layer.innerHTML = ""; builtDialog = null; return; }
    if (builtDialog === d) return;
    builtDialog = d;
    if (d === "empty_trash") {
      const n = state.messages.filter((m) => m.folder === "trash").length;
      layer.innerHTML = '<div class="backdrop" data-action="dialog-cancel"></div><div class="dialog" role="dialog" data-testid="dialog">' +
        "<h2>Empty Trash?</h2><p>All " + n + " message" + (n === 1 ? "" : "s") + " in Trash will be deleted forever. This cannot be undone.</p>" +
        '<div class="d-foot"><button class="pill" data-action="dialog-cancel" data-testid="dialog-cancel">Cancel</button>' +
        '<button class="primary" data-action="dialog-ok" data-testid="dialog-ok">Empty Trash</button></div></div>';
      return;
    }
    const what = d === "new_folder" ? "folder" : "label";
    layer.innerHTML = '<div class="backdrop" data-action="dialog-cancel"></div><div class="dialog" role="dialog" data-testid="dialog">' +
      "<h2>New " + what + "</h2><label class=\"d-label\" for=\"d-name\">Please enter a new " + what + " name:</label>" +
      '<input id="d-name" data-testid="dialog-input" type="text" maxlength="40" spellcheck="false" autocomplete="off">' +
      '<div class="d-foot"><button class="pill" data-action="dialog-cancel" data-testid="dialog-cancel">Cancel</button>' +
      '<button class="primary" data-action="dialog-ok" data-testid="dialog-ok">Create</button></div></div>';
    const input = $("d-name");
    input.value = state.ui.dialog_text;
    input.focus();
  }

  function renderToast() {
    $("toast-layer").innerHTML = state.toast
      ? '<div class="toast" data-testid="toast"><span>' + esc(state.toast) + '</span><button class="icon-btn light" data-action="toast-close" data-testid="toast-close" title="Dismiss">' + icon("close") + "</button></div>"
      : "";
  }

  function render() {
    renderAccount();
    renderSidebar();
    renderToolbar();
    renderList();
    renderReader();
    renderCompose();
    renderDialog();
    renderToast();
    const input = $("search-input");
    if (input.value !== state.ui.search_text) input.value = state.ui.search_text;
    $("search-clear").style.visibility = state.ui.search || state.ui.search_text ? "visible" : "hidden";
  }

  function commit() {
    render();
    CUA.save(state);
  }

  // ---------------------------------------------------------------- actions
  function resetView() {
    const u = state.ui;
    u.page = 1; u.open_id = null; u.checked = []; u.search = ""; u.search_text = ""; u.menu = null;
  }

  function moveTo(ids, dest, toast) {
    for (const id of ids) { const m = byId(id); if (m) m.folder = dest; }
    state.ui.checked = [];
    settle();
    state.toast = toast;
  }

  function deleteForever(ids) {
    const gone = new Set(ids);
    state.messages = state.messages.filter((m) => !gone.has(m.id));
    state.ui.checked = [];
    settle();
    state.toast = ids.length === 1 ? "Message deleted forever" : ids.length + " messages deleted forever";
  }

  function moved(n, what) { return (n === 1 ? "Conversation " : n + " conversations ") + what; }

  function toggleLabel(labelId, ids) {
    const ms = ids.map(byId).filter(Boolean);
    const all = ms.every((m) => m.labels.includes(labelId));
    for (const m of ms) {
      if (all) m.labels = m.labels.filter((x) => x !== labelId);
      else if (!m.labels.includes(labelId)) m.labels.push(labelId);
    }
    const name = (labelById(labelId) || { name: labelId }).name;
    state.toast = (all ? 'Label "' + name + '" removed' : 'Label "' + name + '" added');
  }

  function parseAddresses(text) {
    const out = [];
    for (const raw of text.split(/[,;]/)) {
      const part = raw.trim();
      if (!part) continue;
      const angle = /<([^<>]+)>\s*$/.exec(part);
      const email = (angle ? angle[1] : part).trim();
      if (!EMAIL_RE.test(email)) return { error: 'The address "' + part + '" is not valid. Use name@example.com.' };
      out.push(email);
    }
    return { list: out };
  }

  function quoteHeader(m) {
    const p = parseTs(m.date);
    return "On " + weekday(p) + ", " + MONTHS[p.mo - 1] + " " + p.d + ", " + p.y + " at " + clock(p) + ", " +
      (m.from_name || m.from_email) + " <" + m.from_email + "> wrote:";
  }
  function prefixed(prefix, subject) {
    return new RegExp("^" + prefix + ":", "i").test(subject) ? subject : prefix + ": " + subject;
  }

  function startReply(mode) {
    const m = byId(state.ui.open_id);
    if (!m) return;
    const me = state.account.email;
    const fromMe = m.from_email === me;
    let to, cc = [];
    if (mode === "forward") {
      to = [];
    } else if (fromMe) {
      to = m.to.slice();  // replying to my own sent message goes to its recipients
      if (mode === "reply_all") cc = m.cc.slice();
    } else {
      to = [m.from_email];
      if (mode === "reply_all") {
        for (const a of m.to) if (a !== me && !to.includes(a)) to.push(a);
        cc = m.cc.filter((a) => a !== me && !to.includes(a));
      }
    }
    let subject, body;
    if (mode === "forward") {
      subject = prefixed("Fwd", m.subject);
      body = "\n\n---------- Forwarded message ----------\nFrom: " + (m.from_name || m.from_email) + " <" + m.from_email + ">\nDate: " +
        longDate(m.date) + "\nSubject: " + m.subject + "\nTo: " + m.to.join(", ") + (m.cc.length ? "\nCc: " + m.cc.join(", ") : "") + "\n\n" + m.body;
    } else {
      subject = prefixed("Re", m.subject);
      body = "\n\n" + quoteHeader(m) + "\n" + m.body.split("\n").map((l) => (l ? "> " + l : ">")).join("\n");
    }
    state.ui.compose = { mode: mode, to: to.join(", "), cc: cc.join(", "), subject: subject, body: body, source_id: m.id, draft_id: null };
  }

  function composeIsEmpty(c) {
    return !c.draft_id && c.mode === "new" && !c.to.trim() && !c.cc.trim() && !c.subject.trim() && !c.body.trim();
  }

  // Writes the compose window into a message in `folder` (sent or drafts); returns an error text or null.
  function writeComposed(folder) {
    const c = state.ui.compose;
    const to = parseAddresses(c.to);
    if (to.error) return to.error;
    const cc = parseAddresses(c.cc);
    if (cc.error) return cc.error;
    if (folder === "sent" && !to.list.length) return "Please specify at least one recipient.";
    const fields = { folder: folder, to: to.list, cc: cc.list, subject: c.subject, body: c.body, date: state.now };
    const draft = c.draft_id ? byId(c.draft_id) : null;
    if (draft) {
      Object.assign(draft, fields);
    } else {
      const src = c.source_id ? byId(c.source_id) : null;
      state.messages.push(Object.assign({
        id: nextId("m", state.messages), from_name: state.account.name, from_email: state.account.email,
      }, fields, {
        read: true, starred: false, labels: [],
        // A forward carries the original's attachments.
        attachments: c.mode === "forward" && src ? src.attachments.map((a) => Object.assign({}, a)) : [],
        in_reply_to: c.source_id,
      }));
    }
    state.ui.compose = null;
    settle();
    return null;
  }

  function submitDialog() {
    const d = state.ui.dialog;
    if (d === "empty_trash") {
      const ids = state.messages.filter((m) => m.folder === "trash").map((m) => m.id);
      state.ui.dialog = null;
      deleteForever(ids);
      state.toast = "Trash emptied";
      return;
    }
    const name = state.ui.dialog_text.trim();
    const what = d === "new_folder" ? "folder" : "label";
    if (!name) { state.toast = "Please enter a " + what + " name."; return; }
    const existing = d === "new_folder" ? state.folders.map((f) => f.name).concat(SYSTEM.map((s) => s.name)) : state.labels.map((l) => l.name);
    if (existing.some((n) => n.toLowerCase() === name.toLowerCase())) {
      state.toast = "A " + what + ' named "' + name + '" already exists.';
      return;
    }
    if (d === "new_folder") state.folders.push({ id: slugId("f-", name, state.folders), name: name });
    else state.labels.push({ id: slugId("l-", name, state.labels), name: name, color: PALETTE[state.labels.length % PALETTE.length] });
    state.ui.dialog = null;
    state.ui.dialog_text = "";
    state.toast = (what === "folder" ? "Folder" : "Label") + ' "' + name + '" created';
  }

  // One handler per data-action; each mutates `state`, and the caller re-renders and saves.
  const ACTIONS = {
    "compose"() { state.ui.compose = { mode: "new", to: "", cc: "", subject: "", body: "", source_id: null, draft_id: null }; },
    "nav-folder"(el) { resetView(); state.ui.view = "folder"; state.ui.folder_id = el.dataset.id; state.ui.label_id = null; },
    "nav-starred"() { resetView(); state.ui.view = "starred"; state.ui.label_id = null; },
    "nav-label"(el) { resetView(); state.ui.view = "label"; state.ui.label_id = el.dataset.id; },
    "new-folder"() { state.ui.dialog = "new_folder"; state.ui.dialog_text = ""; },
    "new-label"() { state.ui.dialog = "new_label"; state.ui.dialog_text = ""; },
    "open"(el) {
      const m = byId(el.dataset.id);
      if (!m) return;
      if (m.folder === "drafts") {
        state.ui.compose = { mode: "new", to: m.to.join(", "), cc: m.cc.join(", "), subject: m.subject, body: m.body,
          source_id: m.in_reply_to && byId(m.in_reply_to) ? m.in_reply_to : null, draft_id: m.id };
        return;
      }
      state.ui.open_id = m.id;
      m.read = true;
    },
    "close-reader"() { state.ui.open_id = null; },
    "star"(el) { const m = byId(el.dataset.id); if (m) m.starred = !m.starred; },
    "check"(el) {
      const id = el.dataset.id, u = state.ui;
      u.checked = u.checked.includes(id) ? u.checked.filter((x) => x !== id) : u.checked.concat([id]);
    },
    "check-all"() {
      const ids = pageMessages().rows.map((m) => m.id);
      const all = ids.every((id) => state.ui.checked.includes(id));
      state.ui.checked = all ? [] : ids;
    },
    "page-prev"() {
      if (state.ui.page > 1) { state.ui.page = Math.min(state.ui.page - 1, pageCount(visibleMessages().length)); state.ui.checked = []; }
    },
    "page-next"() {
      if (state.ui.page < pageCount(visibleMessages().length)) { state.ui.page += 1; state.ui.checked = []; }
    },
    "tb-archive"() { const t = targets(); if (t.length) moveTo(t, "archive", moved(t.length, "archived")); },
    "tb-inbox"() { const t = targets(); if (t.length) moveTo(t, "inbox", moved(t.length, "moved to Inbox")); },
    "tb-delete"() {
      const t = targets();
      if (!t.length) return;
      if (inFolderView("trash")) deleteForever(t);
      else moveTo(t, "trash", moved(t.length, "moved to Trash"));
    },
    "tb-spam"() {
      const t = targets();
      if (!t.length) return;
      if (inFolderView("spam")) moveTo(t, "inbox", moved(t.length, "marked as not spam"));
      else moveTo(t, "spam", moved(t.length, "marked as spam"));
    },
    "tb-read"() { for (const id of targets()) byId(id).read = true; },
    "tb-unread"() { for (const id of targets()) byId(id).read = false; },
    "tb-move"() { if (targets().length) state.ui.menu = state.ui.menu === "move" ? null : "move"; },
    "tb-label"() { if (targets().length) state.ui.menu = state.ui.menu === "label" ? null : "label"; },
    "move-to"(el) {
      const t = targets();
      state.ui.menu = null;
      if (t.length) moveTo(t, el.dataset.id, moved(t.length, "moved to " + folderName(el.dataset.id)));
    },
    "label-toggle"(el) { const t = targets(); state.ui.menu = null; if (t.length) toggleLabel(el.dataset.id, t); },
    "remove-label"(el) {
      const m = byId(state.ui.open_id);
      if (m) { m.labels = m.labels.filter((x) => x !== el.dataset.id); state.toast = 'Label "' + (labelById(el.dataset.id) || {}).name + '" removed'; }
    },
    "reply"() { startReply("reply"); },
    "reply-all"() { startReply("reply_all"); },
    "forward"() { startReply("forward"); },
    "compose-send"() {
      const err = writeComposed("sent");
      state.toast = err || "Message sent";
    },
    "compose-draft"() { saveDraft(); },
    "compose-close"() { saveDraft(); },
    "compose-discard"() {
      const c = state.ui.compose;
      if (c.draft_id) state.messages = state.messages.filter((m) => m.id !== c.draft_id);
      state.ui.compose = null;
      settle();
      state.toast = "Draft discarded";
    },
    "dialog-ok"() { submitDialog(); },
    "dialog-cancel"() { state.ui.dialog = null; state.ui.dialog_text = ""; },
    "empty-trash"() { state.ui.dialog = "empty_trash"; },
    "toast-close"() { state.toast = null; },
    "search-clear"() {
      const u = state.ui;
      u.search = ""; u.search_text = ""; u.page = 1; u.checked = []; u.open_id = null;
    },
  };

  function saveDraft() {
    const c = state.ui.compose;
    if (composeIsEmpty(c)) { state.ui.compose = null; return; }
    const err = writeComposed("drafts");
    state.toast = err || "Draft saved";
  }

  function submitSearch() {
    const u = state.ui;
    u.search_text = $("search-input").value;
    u.search = u.search_text.trim();
    u.page = 1; u.checked = []; u.open_id = null; u.menu = null;
  }

  function run(action, el) {
    const keepToast = action === "toast-close";
    if (!keepToast) state.toast = null;  // a toast lasts until the next action
    if (action !== "tb-move" && action !== "tb-label") state.ui.menu = null;
    ACTIONS[action](el);
    commit();
  }

  // ---------------------------------------------------------------- events
  document.addEventListener("click", (e) => {
    const el = e.target.closest("[data-action]");
    if (!el) {
      // A click anywhere outside an open menu closes it.
      if (state && state.ui.menu && !e.target.closest(".menu")) { state.ui.menu = null; commit(); }
      return;
    }
    if (el.disabled) return;
    const action = el.dataset.action;
    if (!ACTIONS[action]) return;
    run(action, el);
  });

  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.toast = null;
    submitSearch();
    commit();
  });

  document.addEventListener("input", (e) => {
    const t = e.target;
    if (t.id === "search-input") {
      state.ui.search_text = t.value;
      $("search-clear").style.visibility = state.ui.search || state.ui.search_text ? "visible" : "hidden";
    } else if (t.dataset.field && state.ui.compose) {
      state.ui.compose[t.dataset.field] = t.value;
      if (t.dataset.field === "subject") $("compose-title").textContent = composeTitle(state.ui.compose);
    } else if (t.id === "d-name") {
      state.ui.dialog_text = t.value;
    } else {
      return;
    }
    CUA.save(state);  // typing is visible, so it is state; no re-render keeps the caret where it is
  });

  document.addEventListener("keydown", (e) => {
    if (!state) return;
    if (e.key === "Enter" && e.target.id === "d-name") { e.preventDefault(); run("dialog-ok"); return; }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && state.ui.compose && e.target.closest(".compose")) {
      e.preventDefault(); run("compose-send"); return;
    }
    if (e.key === "Escape") {
      if (state.ui.dialog) { run("dialog-cancel"); return; }
      if (state.ui.menu) { state.ui.menu = null; commit(); }
    }
  });

  CUA.load().then((s) => {
    state = s;
    $("search-btn").innerHTML = icon("search");
    $("search-clear").innerHTML = icon("close");
    render();
    CUA.ready();
  }).catch((err) => {
    document.body.innerHTML = '<pre class="fatal">' + esc(String(err)) + "</pre>";
  });
})();
