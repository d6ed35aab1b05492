// Kanban issue tracker UI. The page is a pure function of `state`: every user action mutates
// `state`, re-renders, and writes the whole state back with CUA.save, so the server always holds
// what the user sees. Dates are computed from state.now, never from the real clock.
"use strict";

const STATUSES = [
  { id: "todo", name: "To do" },
  { id: "in_progress", name: "In progress" },
  { id: "in_review", name: "In review" },
  { id: "done", name: "Done" },
];
const PRIORITIES = [
  { id: "urgent", name: "Urgent" },
  { id: "high", name: "High" },
  { id: "medium", name: "Medium" },
  { id: "low", name: "Low" },
  { id: "none", name: "No priority" },
];
const CARDS_PER_PAGE = 5;
const ROWS_PER_PAGE = 15;
const UNASSIGNED = "unassigned";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

let state = null;
let pendingFocus = null;        // id of the element to focus after the next render
let drag = null;                // pointer drag of a card in progress (never persisted: it is mid-gesture)
let dragJustEnded = false;      // the click that follows a drop must not open the card

// ---------------------------------------------------------------- helpers

function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
const byId = (list, id) => list.find((x) => x.id === id) || null;
const member = (id) => byId(state.members, id);
const label = (id) => byId(state.labels, id);
const issue = (id) => byId(state.issues, id);
const statusName = (s) => STATUSES.find((x) => x.id === s).name;
const priorityName = (p) => PRIORITIES.find((x) => x.id === p).name;

function defaultDraft() {
  return { title: "", description: "", status: "todo", priority: "none", assignee: null, labels: [], due_date: "" };
}

// Dates: "YYYY-MM-DD" -> day number, computed in UTC so the time zone never changes pixels.
function dayNumber(ymd) {
  const [y, m, d] = ymd.split("-").map(Number);
  return Date.UTC(y, m - 1, d) / 86400000;
}
function isRealDate(text) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const [y, m, d] = text.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}
function validDueText(text) { return text.trim() === "" || isRealDate(text.trim()); }
function shortDate(ymd) {
  const [y, m, d] = ymd.split("-").map(Number);
  const thisYear = Number(state.now.slice(0, 4));
  return MONTHS[m - 1] + " " + d + (y === thisYear ? "" : ", " + y);
}
function minutesOf(iso) {
  const [date, time] = iso.replace("Z", "").split("T");
  const [h, mi] = time.split(":").map(Number);
  return dayNumber(date) * 1440 + h * 60 + mi;
}
function ago(iso) {
  const m = minutesOf(state.now) - minutesOf(iso);
  if (m < 1) return "just now";
  if (m < 60) return m + " min ago";
  if (m < 1440) return Math.floor(m / 60) + "h ago";
  const d = Math.floor(m / 1440);
  return d === 1 ? "yesterday" : d + " days ago";
}
function dueInfo(it) {
  if (!it.due_date) return null;
  const delta = dayNumber(it.due_date) - dayNumber(state.now.slice(0, 10));
  let cls = "";
  if (it.status !== "done" && delta < 0) cls = "overdue";
  else if (it.status !== "done" && delta <= 2) cls = "soon";
  const text = delta === 0 ? "Today" : shortDate(it.due_date);
  return { cls, text };
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}
function avatar(id, size) {
  const m = id && member(id);
  if (!m) return `<span class="avatar ${size || ""} empty" title="Unassigned">${ICON.person}</span>`;
  return `<span class="avatar ${size || ""}" style="background:${m.color}" title="${esc(m.name)}">${esc(initials(m.name))}</span>`;
}

function visibleIssues() {
  const u = state.ui;
  const q = u.search.trim().toLowerCase();
  return state.issues.filter((it) => {
    if (u.filter_assignee === UNASSIGNED && it.assignee !== null) return false;
    if (u.filter_assignee && u.filter_assignee !== UNASSIGNED && it.assignee !== u.filter_assignee) return false;
    if (u.filter_label && !it.labels.includes(u.filter_label)) return false;
    if (q && !(it.title.toLowerCase().includes(q) || it.id.toLowerCase().includes(q))) return false;
    return true;
  });
}
const pageCount = (n, size) => Math.max(1, Math.ceil(n / size));

// ---------------------------------------------------------------- icons (inline SVG, no fonts)

const ICON = {
  search: '<svg width="14" height="14" viewBox="0 0 16 16"><circle cx="7" cy="7" r="4.6" fill="none" stroke="currentColor" stroke-width="1.6"/><path d="M10.4 10.4 14 14" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/></svg>',
  plus: '<svg width="14" height="14" viewBox="0 0 16 16"><path d="M8 3v10M3 8h10" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/></svg>',
  close: '<svg width="14" height="14" viewBox="0 0 16 16"><path d="M4 4l8 8M12 4l-8 8" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/></svg>',
  left: '<svg width="12" height="12" viewBox="0 0 16 16"><path d="M10 3 5 8l5 5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  right: '<svg width="12" height="12" viewBox="0 0 16 16"><path d="M6 3l5 5-5 5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  caret: '<svg width="10" height="10" viewBox="0 0 16 16"><path d="M4 6l4 4 4-4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  check: '<svg width="12" height="12" viewBox="0 0 16 16"><path d="M3.5 8.5l3 3 6-7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  person: '<svg width="12" height="12" viewBox="0 0 16 16"><circle cx="8" cy="5.5" r="3" fill="none" stroke="currentColor" stroke-width="1.4"/><path d="M2.5 14c.8-3 3-4.5 5.5-4.5s4.7 1.5 5.5 4.5" fill="none" stroke="currentColor" stroke-width="1.4"/></svg>',
  board: '<svg width="15" height="15" viewBox="0 0 16 16"><rect x="1.5" y="2" width="3.6" height="12" rx="1" fill="none" stroke="currentColor" stroke-width="1.3"/><rect x="6.2" y="2" width="3.6" height="8" rx="1" fill="none" stroke="currentColor" stroke-width="1.3"/><rect x="10.9" y="2" width="3.6" height="10" rx="1" fill="none" stroke="currentColor" stroke-width="1.3"/></svg>',
  list: '<svg width="15" height="15" viewBox="0 0 16 16"><path d="M5.5 4h9M5.5 8h9M5.5 12h9" stroke="currentColor" stroke-width="1.4" stroke-linecap="round"/><circle cx="2.4" cy="4" r="1" fill="currentColor"/><circle cx="2.4" cy="8" r="1" fill="currentColor"/><circle cx="2.4" cy="12" r="1" fill="currentColor"/></svg>',
  inbox: '<svg width="15" height="15" viewBox="0 0 16 16"><circle cx="8" cy="5.6" r="2.8" fill="none" stroke="currentColor" stroke-width="1.4"/><path d="M2.6 14.2c.8-2.8 2.9-4.2 5.4-4.2s4.6 1.4 5.4 4.2" fill="none" stroke="currentColor" stroke-width="1.4"/></svg>',
  calendar: '<svg width="12" height="12" viewBox="0 0 16 16"><rect x="2" y="3" width="12" height="11" rx="2" fill="none" stroke="currentColor" stroke-width="1.4"/><path d="M2 6.5h12M5.5 1.5v3M10.5 1.5v3" stroke="currentColor" stroke-width="1.4" stroke-linecap="round"/></svg>',
  comment: '<svg width="12" height="12" viewBox="0 0 16 16"><path d="M2.5 3.5h11v7.5h-6l-3 2.5V11h-2z" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round"/></svg>',
  trash: '<svg width="13" height="13" viewBox="0 0 16 16"><path d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.6 9h5.8l.6-9" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round"/></svg>',
  tag: '<svg width="15" height="15" viewBox="0 0 16 16"><path d="M2 2.5h5.5l6.5 6.5-5 5-6.5-6.5z" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round"/><circle cx="5" cy="5.5" r="1" fill="currentColor"/></svg>',
};

function statusIcon(s) {
  const c = { todo: "#8a8f98", in_progress: "#e2a300", in_review: "#0f9d58", done: "#5e6ad2" }[s];
  const ring = `<circle cx="7" cy="7" r="5.5" fill="none" stroke="${c}" stroke-width="1.6"/>`;
  let inner = "";
  if (s === "in_progress") inner = `<path d="M7 3.2A3.8 3.8 0 0 1 7 10.8z" fill="${c}"/>`;
  if (s === "in_review") inner = `<path d="M7 3.2A3.8 3.8 0 1 1 3.2 7H7z" fill="${c}"/>`;
  if (s === "done") return `<svg class="status-icon" width="14" height="14" viewBox="0 0 14 14"><circle cx="7" cy="7" r="6.2" fill="${c}"/><path d="M4.2 7.2l2 2 3.6-4" fill="none" stroke="#fff" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
  return `<svg class="status-icon" width="14" height="14" viewBox="0 0 14 14">${ring}${inner}</svg>`;
}

function priorityIcon(p) {
  if (p === "urgent") return '<svg class="prio-icon" width="14" height="14" viewBox="0 0 14 14"><rect x="1" y="1" width="12" height="12" rx="3" fill="#f2994a"/><path d="M7 3.6v4.2" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/><circle cx="7" cy="10.2" r="1" fill="#fff"/></svg>';
  if (p === "none") return '<svg class="prio-icon" width="14" height="14" viewBox="0 0 14 14"><path d="M2 7h2M6 7h2M10 7h2" stroke="#a0a4ab" stroke-width="1.6" stroke-linecap="round"/></svg>';
  const n = { high: 3, medium: 2, low: 1 }[p];
  let bars = "";
  [[1.5, 8, 4], [5.5, 5, 7], [9.5, 2, 10]].forEach(([x, y, h], i) => {
    bars += `<rect x="${x}" y="${y}" width="3" height="${h}" rx="1" fill="${i < n ? "#4b4f57" : "#d0d3d8"}"/>`;
  });
  return `<svg class="prio-icon" width="14" height="14" viewBox="0 0 14 14">${bars}</svg>`;
}

function labelChip(id) {
  const lb = label(id);
  return `<span class="chip"><span class="dot" style="background:${lb.color}"></span>${esc(lb.name)}</span>`;
}

// ---------------------------------------------------------------- rendering

function render() {
  const active = document.activeElement;
  const keep = active && active.id && (active.tagName === "INPUT" || active.tagName === "TEXTAREA")
    ? { id: active.id, a: active.selectionStart, b: active.selectionEnd } : null;

  const u = state.ui;
  document.getElementById("app").innerHTML =
    `<div class="shell">${renderSidebar()}<main class="main">${renderTopbar()}${renderToolbar()}` +
    `${u.view === "board" ? renderBoard() : renderList()}</main></div>` +
    (u.dialog === "issue" ? renderIssueDialog() : "") +
    (u.dialog === "create" ? renderCreateDialog() : "") +
    (u.toast ? `<div class="toast" data-testid="toast">${ICON.check}<span>${esc(u.toast)}</span>` +
      `<button class="icon-btn" data-action="toast-close" data-testid="toast-close" title="Dismiss">${ICON.close}</button></div>` : "");

  const target = pendingFocus || (keep && keep.id);
  pendingFocus = null;
  const el = target && document.getElementById(target);
  if (el) {
    el.focus();
    const end = el.value.length;
    if (keep && keep.id === target && keep.a !== null) el.setSelectionRange(Math.min(keep.a, end), Math.min(keep.b, end));
    else el.setSelectionRange(end, end);
  }
}

function renderSidebar() {
  const u = state.ui;
  const me = member(state.current_user);
  const nav = (action, arg, icon, text, activeNow, testid, extra) =>
    `<button class="nav-item${activeNow ? " active" : ""}" data-action="${action}" data-arg="${esc(arg)}" data-testid="${testid}">` +
    `${icon}<span class="nav-text">${esc(text)}</span>${extra || ""}</button>`;
  const mine = state.issues.filter((i) => i.assignee === state.current_user && i.status !== "done").length;
  let labels = "";
  for (const lb of state.labels) {
    const n = state.issues.filter((i) => i.labels.includes(lb.id)).length;
    labels += nav("sidebar-label", lb.id, `<span class="dot lg" style="background:${lb.color}"></span>`, lb.name,
      u.filter_label === lb.id, "sidebar-label-" + lb.id, `<span class="nav-count">${n}</span>`);
  }
  return `<aside class="sidebar">
    <div class="ws"><span class="ws-logo">${esc(state.workspace[0])}</span><span class="ws-name">${esc(state.workspace)}</span></div>
    <div class="nav-group">
      ${nav("my-issues", "", ICON.inbox, "My issues", u.filter_assignee === state.current_user, "nav-my-issues", `<span class="nav-count">${mine}</span>`)}
    </div>
    <div class="nav-title">Your team</div>
    <div class="team-row"><span class="team-logo">${esc(state.project.key[0])}</span>${esc(state.project.name)}</div>
    <div class="nav-group indent">
      ${nav("view", "board", ICON.board, "Board", u.view === "board", "nav-board")}
      ${nav("view", "list", ICON.list, "All issues", u.view === "list", "nav-list")}
    </div>
    <div class="nav-title">Labels</div>
    <div class="nav-group">${labels}</div>
    <div class="sidebar-foot">${avatar(me.id, "sm")}<span class="me-name">${esc(me.name)}</span></div>
  </aside>`;
}

function renderTopbar() {
  const u = state.ui;
  return `<header class="topbar">
    <div class="crumbs"><span class="muted">${esc(state.project.name)}</span><span class="sep">›</span>
      <span class="crumb-current">${u.view === "board" ? "Board" : "All issues"}</span></div>
    <div class="search">${ICON.search}
      <input id="search-input" data-testid="search-input" type="text" placeholder="Search issues…" value="${esc(u.search)}" autocomplete="off" spellcheck="false">
      ${u.search ? `<button class="icon-btn" data-action="search-clear" data-testid="search-clear" title="Clear search">${ICON.close}</button>` : ""}
    </div>
    <button class="btn primary" data-action="open-create" data-arg="" data-testid="new-issue">${ICON.plus}<span>New issue</span></button>
  </header>`;
}

function menu(name, items, multi) {
  if (state.ui.menu !== name) return "";
  let html = `<div class="menu" data-testid="menu-${name}">`;
  for (const it of items) {
    html += `<button class="menu-item${it.checked ? " checked" : ""}" data-action="pick" data-menu="${name}" data-value="${esc(it.value)}" data-testid="pick-${name}-${esc(it.value || "none")}">` +
      (multi ? `<span class="checkbox${it.checked ? " on" : ""}">${it.checked ? ICON.check : ""}</span>` : "") +
      `${it.icon || ""}<span class="menu-text">${esc(it.text)}</span>` +
      (!multi && it.checked ? `<span class="menu-check">${ICON.check}</span>` : "") + `</button>`;
  }
  return html + "</div>";
}
const trigger = (name, inner, cls, testid) =>
  `<button class="${cls}" data-action="menu" data-arg="${name}" data-menu-trigger="${name}" data-testid="${testid || "menu-btn-" + name}">${inner}</button>`;

function assigneeItems(selected, withAll) {
  const items = withAll ? [{ value: "", text: "All assignees", checked: selected === null }] : [];
  items.push({ value: UNASSIGNED, text: "Unassigned", icon: avatar(null, "xs"),
    checked: withAll ? selected === UNASSIGNED : selected === null });
  for (const m of state.members) items.push({ value: m.id, text: m.name, icon: avatar(m.id, "xs"), checked: selected === m.id });
  return items;
}
const statusItems = (sel) => STATUSES.map((s) => ({ value: s.id, text: s.name, icon: statusIcon(s.id), checked: sel === s.id }));
const priorityItems = (sel) => PRIORITIES.map((p) => ({ value: p.id, text: p.name, icon: priorityIcon(p.id), checked: sel === p.id }));
const labelItems = (sel) => state.labels.map((lb) => ({ value: lb.id, text: lb.name,
  icon: `<span class="dot" style="background:${lb.color}"></span>`, checked: sel.includes(lb.id) }));

function renderToolbar() {
  const u = state.ui;
  const fa = u.filter_assignee;
  const faText = fa === null ? "All" : fa === UNASSIGNED ? "Unassigned" : member(fa).name;
  const flText = u.filter_label === null ? "All" : label(u.filter_label).name;
  const n = visibleIssues().length;
  const any = fa !== null || u.filter_label !== null || u.search !== "";
  const labelFilterItems = [{ value: "", text: "All labels", checked: u.filter_label === null }].concat(labelItems(u.filter_label ? [u.filter_label] : []));
  return `<div class="toolbar">
    <div class="anchor">${trigger("filter-assignee", `${ICON.person}<span class="muted">Assignee:</span> <b>${esc(faText)}</b>${ICON.caret}`, "filter-btn" + (fa !== null ? " set" : ""))}
      ${menu("filter-assignee", assigneeItems(fa, true))}</div>
    <div class="anchor">${trigger("filter-label", `${ICON.tag}<span class="muted">Label:</span> <b>${esc(flText)}</b>${ICON.caret}`, "filter-btn" + (u.filter_label !== null ? " set" : ""))}
      ${menu("filter-label", labelFilterItems)}</div>
    ${any ? `<button class="link-btn" data-action="clear-filters" data-testid="clear-filters">Clear filters</button>` : ""}
    <div class="spacer"></div>
    <span class="muted" data-testid="issue-count">${n} ${n === 1 ? "issue" : "issues"}</span>
  </div>`;
}

function renderCard(it) {
  const due = dueInfo(it);
  const idx = STATUSES.findIndex((s) => s.id === it.status);
  const chips = it.labels.slice(0, 2).map(labelChip).join("") + (it.labels.length > 2 ? `<span class="chip more">+${it.labels.length - 2}</span>` : "");
  return `<div class="card" data-action="open-issue" data-arg="${it.id}" data-issue="${it.id}" data-testid="card-${it.id}">
    <div class="card-top"><span class="card-id">${it.id}</span>
      ${due ? `<span class="due ${due.cls}">${ICON.calendar}${esc(due.text)}</span>` : ""}
      <span class="spacer"></span>
      <button class="move-btn" data-action="move" data-arg="${it.id}" data-dir="-1" data-testid="move-left-${it.id}" title="Move to ${idx > 0 ? statusName(STATUSES[idx - 1].id) : ""}"${idx === 0 ? " disabled" : ""}>${ICON.left}</button>
      <button class="move-btn" data-action="move" data-arg="${it.id}" data-dir="1" data-testid="move-right-${it.id}" title="Move to ${idx < 3 ? statusName(STATUSES[idx + 1].id) : ""}"${idx === 3 ? " disabled" : ""}>${ICON.right}</button>
      ${avatar(it.assignee, "xs")}</div>
    <div class="card-title">${esc(it.title)}</div>
    <div class="card-meta">
      <span class="prio" title="${priorityName(it.priority)}">${priorityIcon(it.priority)}</span>
      ${chips}
      ${it.comments.length ? `<span class="ccount">${ICON.comment}${it.comments.length}</span>` : ""}
    </div>
  </div>`;
}

function renderBoard() {
  const vis = visibleIssues();
  let cols = "";
  for (const s of STATUSES) {
    const items = vis.filter((i) => i.status === s.id);
    const pages = pageCount(items.length, CARDS_PER_PAGE);
    // An injected page past the end shows the last page (the next action stores the clamp).
    const page = Math.min(state.ui.column_page[s.id], pages - 1);
    const shown = items.slice(page * CARDS_PER_PAGE, (page + 1) * CARDS_PER_PAGE);
    const from = items.length ? page * CARDS_PER_PAGE + 1 : 0;
    cols += `<section class="column" data-column="${s.id}" data-testid="column-${s.id}">
      <div class="col-head">${statusIcon(s.id)}<span class="col-name">${s.name}</span><span class="col-count">${items.length}</span>
        <span class="spacer"></span>
        <button class="icon-btn" data-action="open-create" data-arg="${s.id}" data-testid="column-add-${s.id}" title="New issue in ${s.name}">${ICON.plus}</button></div>
      <div class="col-body">${shown.map(renderCard).join("") || `<div class="col-empty">No issues</div>`}</div>
      ${pages > 1 ? `<div class="col-foot"><span class="muted">${from}–${from + shown.length - 1} of ${items.length}</span><span class="spacer"></span>
        <button class="icon-btn" data-action="col-page" data-arg="${s.id}" data-dir="-1" data-testid="col-prev-${s.id}" title="Previous page"${page === 0 ? " disabled" : ""}>${ICON.left}</button>
        <button class="icon-btn" data-action="col-page" data-arg="${s.id}" data-dir="1" data-testid="col-next-${s.id}" title="Next page"${page >= pages - 1 ? " disabled" : ""}>${ICON.right}</button></div>` : ""}
    </section>`;
  }
  return `<div class="board" data-testid="board">${cols}</div>`;
}

function renderList() {
  const vis = visibleIssues();
  const pages = pageCount(vis.length, ROWS_PER_PAGE);
  const page = Math.min(state.ui.list_page, pages - 1);
  const shown = vis.slice(page * ROWS_PER_PAGE, (page + 1) * ROWS_PER_PAGE);
  let rows = "";
  for (const it of shown) {
    const due = dueInfo(it);
    const a = it.assignee && member(it.assignee);
    rows += `<tr data-action="open-issue" data-arg="${it.id}" data-testid="row-${it.id}">
      <td class="c-prio">${priorityIcon(it.priority)}</td>
      <td class="c-id">${it.id}</td>
      <td class="c-title"><span class="row-title">${esc(it.title)}</span>${it.labels.map(labelChip).join("")}</td>
      <td class="c-status">${statusIcon(it.status)}<span>${statusName(it.status)}</span></td>
      <td class="c-assignee">${avatar(it.assignee, "xs")}<span>${a ? esc(a.name) : '<span class="muted">Unassigned</span>'}</span></td>
      <td class="c-due">${due ? `<span class="due ${due.cls}">${esc(due.text)}</span>` : '<span class="muted">—</span>'}</td>
      <td class="c-created muted">${shortDate(it.created_at.slice(0, 10))}</td></tr>`;
  }
  const from = vis.length ? page * ROWS_PER_PAGE + 1 : 0;
  return `<div class="listview" data-testid="list">
    <table class="issues"><thead><tr><th></th><th>ID</th><th>Title</th><th>Status</th><th>Assignee</th><th>Due</th><th>Created</th></tr></thead>
    <tbody>${rows || `<tr class="empty-row"><td colspan="7">No issues match the current filters</td></tr>`}</tbody></table>
    <div class="list-foot"><span class="muted">${from}–${from + shown.length - (shown.length ? 1 : 0)} of ${vis.length}</span><span class="spacer"></span>
      <span class="muted">Page ${page + 1} of ${pages}</span>
      <button class="icon-btn" data-action="list-page" data-dir="-1" data-testid="list-prev" title="Previous page"${page === 0 ? " disabled" : ""}>${ICON.left}</button>
      <button class="icon-btn" data-action="list-page" data-dir="1" data-testid="list-next" title="Next page"${page >= pages - 1 ? " disabled" : ""}>${ICON.right}</button></div>
  </div>`;
}

function editBox(field, multiline, placeholder) {
  const u = state.ui;
  const ok = field === "title" ? u.edit_text.trim() !== "" : field === "due_date" ? validDueText(u.edit_text) : true;
  const input = multiline
    ? `<textarea id="edit-input" data-testid="edit-input" class="edit-input tall" placeholder="${placeholder}">${esc(u.edit_text)}</textarea>`
    : `<input id="edit-input" data-testid="edit-input" class="edit-input${field === "title" ? " big" : ""}" type="text" placeholder="${placeholder}" value="${esc(u.edit_text)}" autocomplete="off" spellcheck="false">`;
  const hint = field === "due_date" && !ok ? `<div class="error" data-testid="due-error">Enter a date as YYYY-MM-DD</div>` : "";
  return `<div class="edit-box">${input}${hint}<div class="edit-actions">
    <button class="btn" data-action="edit-cancel" data-testid="edit-cancel">Cancel</button>
    <button class="btn primary" data-action="edit-save" data-testid="edit-save"${ok ? "" : " disabled"}>Save</button></div></div>`;
}

function renderIssueDialog() {
  const u = state.ui;
  const it = issue(u.selected_issue);
  const rep = member(it.reporter);
  let comments = "";
  for (const c of it.comments) {
    const a = member(c.author);
    comments += `<div class="comment" data-testid="comment-${c.id}">${avatar(c.author, "sm")}<div class="comment-main">
      <div class="comment-head"><b>${esc(a.name)}</b><span class="muted">${ago(c.created_at)}</span></div>
      <div class="comment-body">${esc(c.body)}</div></div></div>`;
  }
  const title = u.editing === "title" ? editBox("title", false, "Issue title")
    : `<h2 class="issue-title editable" data-action="edit-start" data-arg="title" data-testid="issue-title">${esc(it.title)}</h2>`;
  const desc = u.editing === "description" ? editBox("description", true, "Add description…")
    : `<div class="issue-desc editable${it.description ? "" : " placeholder"}" data-action="edit-start" data-arg="description" data-testid="issue-description">${it.description ? esc(it.description) : "Add description…"}</div>`;
  const due = dueInfo(it);
  const dueRow = u.editing === "due_date" ? editBox("due_date", false, "YYYY-MM-DD")
    : `<div class="due-row"><button class="prop-btn" data-action="edit-start" data-arg="due_date" data-testid="due-edit">${ICON.calendar}` +
      `<span class="${due ? "due " + due.cls : "muted"}">${it.due_date ? esc(shortDate(it.due_date)) : "Set due date"}</span></button>` +
      (it.due_date ? `<button class="icon-btn" data-action="due-clear" data-testid="due-clear" title="Remove due date">${ICON.close}</button>` : "") + `</div>`;
  const assigneeText = it.assignee ? esc(member(it.assignee).name) : '<span class="muted">Unassigned</span>';
  const labelsInner = it.labels.length ? it.labels.map(labelChip).join("") : `<span class="muted">${ICON.plus} Add label</span>`;
  const del = u.confirm_delete
    ? `<div class="confirm" data-testid="confirm-delete-box"><div>Delete ${it.id}? This cannot be undone.</div><div class="edit-actions">
        <button class="btn" data-action="delete-cancel" data-testid="delete-cancel">Cancel</button>
        <button class="btn danger" data-action="delete-confirm" data-testid="delete-confirm">Delete</button></div></div>`
    : `<button class="btn ghost-danger" data-action="delete-ask" data-testid="delete-issue">${ICON.trash}<span>Delete issue</span></button>`;
  const canComment = u.comment_draft.trim() !== "";
  return `<div class="overlay" data-action="close-dialog" data-testid="overlay">
  <div class="dialog issue-dialog" data-action="noop" data-testid="issue-dialog">
    <div class="dialog-head"><span class="muted">${esc(state.project.name)}</span><span class="sep">›</span><b data-testid="dialog-issue-id">${it.id}</b>
      <span class="spacer"></span><button class="icon-btn" data-action="close-dialog" data-testid="dialog-close" title="Close">${ICON.close}</button></div>
    <div class="dialog-body">
      <div class="issue-main">
        <div class="issue-scroll">
          ${title}${desc}
          <div class="activity-title">Activity <span class="muted">· ${it.comments.length} ${it.comments.length === 1 ? "comment" : "comments"}</span></div>
          <div class="created-line muted">${esc(rep.name)} created the issue · ${ago(it.created_at)}</div>
          ${comments}
        </div>
        <div class="composer">${avatar(state.current_user, "sm")}
          <textarea id="comment-input" data-testid="comment-input" placeholder="Leave a comment…">${esc(u.comment_draft)}</textarea>
          <button class="btn primary" data-action="comment" data-testid="comment-submit"${canComment ? "" : " disabled"}>Comment</button></div>
      </div>
      <div class="issue-side">
        <div class="prop"><div class="prop-name">Status</div><div class="anchor">${trigger("status", `${statusIcon(it.status)}<span>${statusName(it.status)}</span>`, "prop-btn", "status-btn")}${menu("status", statusItems(it.status))}</div></div>
        <div class="prop"><div class="prop-name">Priority</div><div class="anchor">${trigger("priority", `${priorityIcon(it.priority)}<span>${priorityName(it.priority)}</span>`, "prop-btn", "priority-btn")}${menu("priority", priorityItems(it.priority))}</div></div>
        <div class="prop"><div class="prop-name">Assignee</div><div class="anchor">${trigger("assignee", `${avatar(it.assignee, "xs")}<span>${assigneeText}</span>`, "prop-btn", "assignee-btn")}${menu("assignee", assigneeItems(it.assignee, false))}</div></div>
        <div class="prop"><div class="prop-name">Labels</div><div class="anchor">${trigger("labels", `<span class="chips">${labelsInner}</span>`, "prop-btn wrap", "labels-btn")}${menu("labels", labelItems(it.labels), true)}</div></div>
        <div class="prop"><div class="prop-name">Due date</div>${dueRow}</div>
        <div class="prop"><div class="prop-name">Reporter</div><div class="prop-static">${avatar(it.reporter, "xs")}<span>${esc(rep.name)}</span></div></div>
        <div class="prop"><div class="prop-name">Created</div><div class="prop-static">${shortDate(it.created_at.slice(0, 10))}</div></div>
        <div class="spacer-v"></div>
        ${del}
      </div>
    </div>
  </div></div>`;
}

function createValid() {
  const d = state.ui.create;
  return d.title.trim() !== "" && validDueText(d.due_date);
}

function renderCreateDialog() {
  const d = state.ui.create;
  const a = d.assignee ? member(d.assignee) : null;
  const labelsInner = d.labels.length ? d.labels.map(labelChip).join("") : `${ICON.tag}<span>Labels</span>`;
  const dueBad = !validDueText(d.due_date);
  return `<div class="overlay" data-action="close-dialog" data-testid="overlay">
  <div class="dialog create-dialog" data-action="noop" data-testid="create-dialog">
    <div class="dialog-head"><span class="team-logo sm">${esc(state.project.key[0])}</span><span class="muted">${esc(state.project.key)}</span><span class="sep">›</span><b>New issue</b>
      <span class="spacer"></span><button class="icon-btn" data-action="close-dialog" data-testid="create-close" title="Close">${ICON.close}</button></div>
    <div class="create-body">
      <input id="create-title" data-testid="create-title" class="create-title" type="text" placeholder="Issue title" value="${esc(d.title)}" autocomplete="off" spellcheck="false">
      <textarea id="create-description" data-testid="create-description" class="create-desc" placeholder="Add description…">${esc(d.description)}</textarea>
      <div class="pills">
        <div class="anchor">${trigger("create-status", `${statusIcon(d.status)}<span>${statusName(d.status)}</span>`, "pill", "create-status-btn")}${menu("create-status", statusItems(d.status))}</div>
        <div class="anchor">${trigger("create-priority", `${priorityIcon(d.priority)}<span>${d.priority === "none" ? "Priority" : priorityName(d.priority)}</span>`, "pill", "create-priority-btn")}${menu("create-priority", priorityItems(d.priority))}</div>
        <div class="anchor">${trigger("create-assignee", `${avatar(d.assignee, "xs")}<span>${a ? esc(a.name) : "Assignee"}</span>`, "pill", "create-assignee-btn")}${menu("create-assignee", assigneeItems(d.assignee, false))}</div>
        <div class="anchor">${trigger("create-labels", labelsInner, "pill", "create-labels-btn")}${menu("create-labels", labelItems(d.labels), true)}</div>
        <label class="pill due-pill${dueBad ? " bad" : ""}">${ICON.calendar}<input id="create-due" data-testid="create-due" type="text" placeholder="Due YYYY-MM-DD" value="${esc(d.due_date)}" autocomplete="off" spellcheck="false"></label>
      </div>
      ${dueBad ? `<div class="error" data-testid="create-due-error">Enter the due date as YYYY-MM-DD, or leave it empty</div>` : ""}
    </div>
    <div class="dialog-foot"><span class="muted small">Enter to create · Esc to cancel</span><span class="spacer"></span>
      <button class="btn" data-action="close-dialog" data-testid="create-cancel">Cancel</button>
      <button class="btn primary" data-action="create-submit" data-testid="create-submit"${createValid() ? "" : " disabled"}>Create issue</button></div>
  </div></div>`;
}

// ---------------------------------------------------------------- state changes

function commit() {
  clampPages();
  render();
  CUA.save(state);
}

// Pages past the end (after a move, a delete or a filter) fall back to the last page, so the
// stored page is always the one on screen.
function clampPages() {
  const vis = visibleIssues();
  const u = state.ui;
  for (const s of STATUSES) {
    const n = vis.filter((i) => i.status === s.id).length;
    u.column_page[s.id] = Math.min(u.column_page[s.id], pageCount(n, CARDS_PER_PAGE) - 1);
  }
  u.list_page = Math.min(u.list_page, pageCount(vis.length, ROWS_PER_PAGE) - 1);
}

function resetPages() {
  for (const s of STATUSES) state.ui.column_page[s.id] = 0;
  state.ui.list_page = 0;
}

function closeDialog() {
  const u = state.ui;
  Object.assign(u, { dialog: null, selected_issue: null, editing: null, edit_text: "", comment_draft: "",
    confirm_delete: false, menu: null, create: defaultDraft() });
}

function openIssue(id) {
  closeDialog();
  state.ui.dialog = "issue";
  state.ui.selected_issue = id;
}

function openCreate(status) {
  closeDialog();
  state.ui.dialog = "create";
  if (status) state.ui.create.status = status;
  pendingFocus = "create-title";
}

function moveTo(it, status) {
  if (it.status === status) return;
  it.status = status;
  state.ui.toast = `${it.id} moved to ${statusName(status)}`;
}

function nextIssueId() {
  const nums = state.issues.map((i) => Number(i.id.split("-")[1]));
  return state.project.key + "-" + (nums.length ? Math.max(...nums) + 1 : 1);
}

function nextCommentId() {
  let max = 0;
  for (const it of state.issues) for (const c of it.comments) {
    const m = /^C(\d+)$/.exec(c.id);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return "C" + (max + 1);
}

function submitCreate() {
  if (!createValid()) return;
  const d = state.ui.create;
  const id = nextIssueId();
  // New issues go first, so they show at the top of their column and of the list.
  state.issues.unshift({
    id, title: d.title.trim(), description: d.description.trim(), status: d.status, priority: d.priority,
    assignee: d.assignee, reporter: state.current_user, labels: d.labels.slice(),
    due_date: d.due_date.trim() || null, created_at: state.now, comments: [],
  });
  closeDialog();
  state.ui.column_page[d.status] = 0;
  state.ui.list_page = 0;
  state.ui.toast = `Created ${id}`;
}

function submitComment() {
  const u = state.ui;
  const body = u.comment_draft.trim();
  if (!body) return;
  issue(u.selected_issue).comments.push({ id: nextCommentId(), author: state.current_user, body, created_at: state.now });
  u.comment_draft = "";
  pendingFocus = "comment-input";
}

function saveEdit() {
  const u = state.ui;
  const it = issue(u.selected_issue);
  const text = u.edit_text.trim();
  if (u.editing === "title") { if (!text) return; it.title = text; }
  else if (u.editing === "description") it.description = text;
  else if (u.editing === "due_date") { if (!validDueText(text)) return; it.due_date = text || null; }
  u.editing = null;
  u.edit_text = "";
}

function startEdit(field) {
  const u = state.ui;
  const it = issue(u.selected_issue);
  u.editing = field;
  u.edit_text = field === "due_date" ? (it.due_date || "") : it[field];
  pendingFocus = "edit-input";
}

function toggle(list, value) {
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1); else list.push(value);
}

function pick(menuName, value) {
  const u = state.ui;
  const it = u.selected_issue ? issue(u.selected_issue) : null;
  const v = value === "" ? null : value;
  switch (menuName) {
    case "filter-assignee": u.filter_assignee = v; resetPages(); break;
    case "filter-label": u.filter_label = v; resetPages(); break;
    case "status": moveTo(it, value); break;
    case "priority": it.priority = value; break;
    case "assignee": it.assignee = value === UNASSIGNED ? null : value; break;
    case "labels": toggle(it.labels, value); return;           // multi-select menus stay open
    case "create-status": u.create.status = value; break;
    case "create-priority": u.create.priority = value; break;
    case "create-assignee": u.create.assignee = value === UNASSIGNED ? null : value; break;
    case "create-labels": toggle(u.create.labels, value); return;
  }
  u.menu = null;
}

// One handler per data-action; each mutates state (commit follows).
const ACTIONS = {
  noop() {},
  view(el) { state.ui.view = el.dataset.arg; },
  "my-issues"() {
    state.ui.filter_assignee = state.ui.filter_assignee === state.current_user ? null : state.current_user;
    resetPages();
  },
  "sidebar-label"(el) {
    state.ui.filter_label = state.ui.filter_label === el.dataset.arg ? null : el.dataset.arg;
    resetPages();
  },
  "search-clear"() { state.ui.search = ""; resetPages(); },
  "clear-filters"() {
    Object.assign(state.ui, { search: "", filter_assignee: null, filter_label: null });
    resetPages();
  },
  "open-create"(el) { openCreate(el.dataset.arg || null); },
  menu(el) { state.ui.menu = state.ui.menu === el.dataset.arg ? null : el.dataset.arg; },
  pick(el) { pick(el.dataset.menu, el.dataset.value); },
  "open-issue"(el) { openIssue(el.dataset.arg); },
  move(el) {
    const it = issue(el.dataset.arg);
    const idx = STATUSES.findIndex((s) => s.id === it.status) + Number(el.dataset.dir);
    if (idx >= 0 && idx < STATUSES.length) moveTo(it, STATUSES[idx].id);
  },
  "col-page"(el) { state.ui.column_page[el.dataset.arg] = Math.max(0, state.ui.column_page[el.dataset.arg] + Number(el.dataset.dir)); },
  "list-page"(el) { state.ui.list_page = Math.max(0, state.ui.list_page + Number(el.dataset.dir)); },
  "close-dialog"() { closeDialog(); },
  "edit-start"(el) { startEdit(el.dataset.arg); },
  "edit-save"() { saveEdit(); },
  "edit-cancel"() { state.ui.editing = null; state.ui.edit_text = ""; },
  "due-clear"() { issue(state.ui.selected_issue).due_date = null; },
  comment() { submitComment(); },
  "delete-ask"() { state.ui.confirm_delete = true; },
  "delete-cancel"() { state.ui.confirm_delete = false; },
  "delete-confirm"() {
    const id = state.ui.selected_issue;
    state.issues = state.issues.filter((i) => i.id !== id);
    closeDialog();
    state.ui.toast = `Deleted ${id}`;
  },
  "create-submit"() { submitCreate(); },
  "toast-close"() { state.ui.toast = null; },
};

// Text inputs: every keystroke is written to state (the typed text is visible, so it is state).
const INPUTS = {
  "search-input"(v) { state.ui.search = v; resetPages(); },
  "edit-input"(v) { state.ui.edit_text = v; },
  "comment-input"(v) { state.ui.comment_draft = v; },
  "create-title"(v) { state.ui.create.title = v; },
  "create-description"(v) { state.ui.create.description = v; },
  "create-due"(v) { state.ui.create.due_date = v; },
};

// ---------------------------------------------------------------- events

document.addEventListener("click", (e) => {
  if (!state) return;
  if (dragJustEnded) { dragJustEnded = false; return; }
  const el = e.target.closest("[data-action]");
  const inMenu = e.target.closest(".menu, [data-menu-trigger]");
  if (el && el.disabled) return;
  let changed = false;
  // A click outside an open menu closes it (and still does what it was aimed at).
  if (state.ui.menu && !inMenu) { state.ui.menu = null; changed = true; }
  if (el && el.dataset.action !== "noop") {
    state.ui.toast = null;
    ACTIONS[el.dataset.action](el);
    changed = true;
  }
  if (changed) commit();
});

document.addEventListener("input", (e) => {
  const handler = state && INPUTS[e.target.id];
  if (!handler) return;
  state.ui.toast = null;
  state.ui.menu = null;
  handler(e.target.value);
  commit();
});

document.addEventListener("keydown", (e) => {
  if (!state) return;
  const u = state.ui;
  const id = e.target.id || "";
  const typing = e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA";
  const mod = e.ctrlKey || e.metaKey;
  let handled = true;
  if (e.key === "Escape") {
    if (u.menu) u.menu = null;
    else if (u.editing) { u.editing = null; u.edit_text = ""; }
    else if (u.confirm_delete) u.confirm_delete = false;
    else if (u.dialog) closeDialog();
    else handled = false;
  } else if (e.key === "Enter" && id === "edit-input" && (u.editing !== "description" || mod)) {
    saveEdit();
  } else if (e.key === "Enter" && id === "comment-input" && mod) {
    submitComment();
  } else if (e.key === "Enter" && (id === "create-title" || id === "create-due" || (id === "create-description" && mod))) {
    submitCreate();
  } else if ((e.key === "c" || e.key === "C") && !typing && !mod && !e.altKey && !u.dialog) {
    openCreate(null);
  } else {
    handled = false;
  }
  if (!handled) return;
  e.preventDefault();
  u.toast = null;
  commit();
});

// Drag and drop of cards between columns with plain mouse events, so a mouse drag of any
// kind (press, move, release) moves the card.
document.addEventListener("mousedown", (e) => {
  dragJustEnded = false;
  if (!state || e.button !== 0) return;
  const card = e.target.closest(".card");
  if (!card || e.target.closest("button")) return;
  drag = { id: card.dataset.issue, x: e.clientX, y: e.clientY, el: card, ghost: null, active: false };
});

document.addEventListener("mousemove", (e) => {
  if (!drag) return;
  if (!drag.active) {
    if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) < 6) return;
    drag.active = true;
    const r = drag.el.getBoundingClientRect();
    drag.ghost = drag.el.cloneNode(true);
    drag.ghost.classList.add("ghost");
    drag.ghost.style.width = r.width + "px";
    drag.dx = drag.x - r.left;
    drag.dy = drag.y - r.top;
    document.body.appendChild(drag.ghost);
    drag.el.classList.add("dragging");
  }
  drag.ghost.style.left = (e.clientX - drag.dx) + "px";
  drag.ghost.style.top = (e.clientY - drag.dy) + "px";
  const col = columnAt(e.clientX, e.clientY);
  document.querySelectorAll(".column.drop").forEach((c) => c !== col && c.classList.remove("drop"));
  if (col) col.classList.add("drop");
});

document.addEventListener("mouseup", (e) => {
  if (!drag) return;
  const d = drag;
  drag = null;
  if (!d.active) return;
  dragJustEnded = true;
  d.ghost.remove();
  const col = columnAt(e.clientX, e.clientY);
  const it = issue(d.id);
  state.ui.toast = null;
  state.ui.menu = null;
  if (col && it) moveTo(it, col.dataset.column);
  commit();
});

function columnAt(x, y) {
  const hit = document.elementsFromPoint(x, y).find((n) => n.classList && n.classList.contains("column"));
  return hit || null;
}

(async function main() {
  state = await CUA.load();
  render();
  CUA.ready();
})();
