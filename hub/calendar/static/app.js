// Calendar app: week and month views, a mini month navigator, toggleable calendars and an
// event dialog. The page is a pure function of the server state: every user action mutates
// `state`, re-renders and saves it, so a reward script sees everything the user did.
//
// Dates are handled as day numbers (days since 1970-01-01, computed in UTC) so the page never
// depends on the browser's clock or time zone; `state.now` is the only "present".
(function () {
  "use strict";

  const HOUR_PX = 48;           // height of one hour row in the week grid
  const GRID_TOP = 10;          // space above the first shown hour line, so its label is not cut
  const MONTH_CHIPS = 4;        // event lines that fit in a month cell
  const ALLDAY_ROWS = 4;        // all-day bars shown per day in the week view before "+N more"
  const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const DAY_LONG = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];
  const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
  const MAX_GUESTS = 50;        // the schema's limit per event

  let state = null;

  // ---------------------------------------------------------------- dates and times

  function dayNum(iso) {
    const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
    return Math.round(Date.UTC(y, m - 1, d) / 86400000);
  }
  function parts(n) {
    const t = new Date(n * 86400000);
    return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate() };
  }
  const pad = (x) => String(x).padStart(2, "0");
  function isoDay(n) { const p = parts(n); return p.y + "-" + pad(p.m) + "-" + pad(p.d); }
  function weekday(n) { return (new Date(n * 86400000).getUTCDay() + 6) % 7; } // 0 = Monday
  function mondayOf(n) { return n - weekday(n); }
  function monthKey(n) { return isoDay(n).slice(0, 7); }
  function monthFirst(ym) { return dayNum(ym + "-01"); }
  function daysInMonth(y, m) { return Math.round((Date.UTC(y, m, 1) - Date.UTC(y, m - 1, 1)) / 86400000); }
  function addMonthsKeepDay(n, k) {
    const p = parts(n);
    const idx = p.y * 12 + (p.m - 1) + k;
    const y = Math.floor(idx / 12), m = idx % 12 + 1;
    return dayNum(y + "-" + pad(m) + "-" + pad(Math.min(p.d, daysInMonth(y, m))));
  }
  function shiftMonthKey(ym, k) {
    const idx = Number(ym.slice(0, 4)) * 12 + Number(ym.slice(5, 7)) - 1 + k;
    return Math.floor(idx / 12) + "-" + pad(idx % 12 + 1);
  }
  function minutes(hhmm) { const [h, m] = hhmm.split(":").map(Number); return h * 60 + m; }
  function hhmm(mins) { return pad(Math.floor(mins / 60)) + ":" + pad(mins % 60); }
  const todayNum = () => dayNum(state.now);
  const nowMinutes = () => minutes(state.now.slice(11, 16));
  function longDate(n) { const p = parts(n); return DAY_LONG[weekday(n)] + ", " + p.d + " " + MONTHS[p.m - 1] + " " + p.y; }

  // Free text from the dialog -> a real day "YYYY-MM-DD", or null.
  function parseDraftDate(text) {
    const m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$/.exec(text);
    if (!m) return null;
    const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
    // Years outside 1970..2199 are refused: Date.UTC maps years 0-99 to the 1900s.
    if (y < 1970 || y > 2199 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
    return y + "-" + pad(mo) + "-" + pad(d);
  }
  // Free text -> minutes since midnight. Accepts 14:30, 9:05, 9, 9am, 2:30 pm; 24:00 only as an end.
  function parseDraftTime(text, isEnd) {
    const m = /^\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$/i.exec(text);
    if (!m) return null;
    let h = Number(m[1]); const mi = m[2] === undefined ? 0 : Number(m[2]);
    const ap = m[3] ? m[3][0].toLowerCase() : null;
    if (mi > 59) return null;
    if (ap) { if (h < 1 || h > 12) return null; h = (h % 12) + (ap === "p" ? 12 : 0); }
    const total = h * 60 + mi;
    if (total > 24 * 60 || (total === 24 * 60 && !isEnd)) return null;
    return total;
  }

  // ---------------------------------------------------------------- state helpers

  const ui = () => state.ui;
  const calendarById = (id) => state.calendars.find((c) => c.id === id);
  const eventById = (id) => state.events.find((e) => e.id === id);
  function visibleEvents() {
    const shown = new Set(state.calendars.filter((c) => c.visible).map((c) => c.id));
    return state.events.filter((e) => shown.has(e.calendar_id));
  }
  function eventsOn(list, iso) {
    return list.filter((e) => e.date === iso).sort((a, b) =>
      (b.all_day - a.all_day) || a.start.localeCompare(b.start) || b.end.localeCompare(a.end) ||
      a.title.localeCompare(b.title) || a.id.localeCompare(b.id));
  }
  function isPast(ev) {
    const t = todayNum(), d = dayNum(ev.date);
    if (d !== t) return d < t;
    return !ev.all_day && minutes(ev.end) <= nowMinutes();
  }
  // First and last day number shown by the current view.
  function visibleRange() {
    const f = dayNum(ui().focus_date);
    if (ui().view === "week") { const s = mondayOf(f); return [s, s + 6]; }
    const s = mondayOf(monthFirst(monthKey(f)));
    return [s, s + 41];
  }
  function nextEventId() {
    let max = 0;
    for (const e of state.events) { const m = /^e(\d+)$/.exec(e.id); if (m) max = Math.max(max, Number(m[1])); }
    return "e" + (max + 1);
  }

  // Run a user action: clear feedback from the last one, apply, re-render, persist.
  function act(mutate, opts) {
    opts = opts || {};
    if (!opts.keepToast) state.toast = null;
    if (!opts.keepPopover) ui().selected_event_id = null;
    mutate();
    render();
    CUA.save(state);
  }
  // Typing into a dialog field: persist without re-rendering, so the caret stays put.
  function typeInto(field, value) {
    ui().draft[field] = value;
    CUA.save(state);
  }
  function setFocus(n) { ui().focus_date = isoDay(n); ui().mini_month = monthKey(n); }

  // ---------------------------------------------------------------- actions

  function goToday() { act(() => setFocus(todayNum())); }
  function step(dir) {
    act(() => {
      const f = dayNum(ui().focus_date);
      setFocus(ui().view === "week" ? f + 7 * dir : addMonthsKeepDay(f, dir));
    });
  }
  function setView(v) { act(() => { ui().view = v; }); }
  function openCreate(iso, startMin, allDay) {
    act(() => {
      if (startMin === undefined) {
        startMin = 9 * 60;
        if (dayNum(iso) === todayNum()) startMin = Math.min(23 * 60, (Math.floor(nowMinutes() / 60) + 1) * 60);
      }
      const mine = state.calendars.find((c) => c.group === "mine") || state.calendars[0];
      ui().dialog = "create";
      ui().editing_event_id = null;
      ui().draft = {
        title: "", date: iso, start: hhmm(startMin), end: hhmm(Math.min(24 * 60, startMin + 60)),
        all_day: !!allDay, location: "", attendees: [], attendee_input: "", calendar_id: mine.id,
        description: "", error: null,
      };
    });
  }
  function openEdit(id) {
    const ev = eventById(id);
    act(() => {
      ui().dialog = "edit";
      ui().editing_event_id = id;
      ui().draft = {
        title: ev.title, date: ev.date,
        start: ev.all_day ? "09:00" : ev.start, end: ev.all_day ? "10:00" : ev.end,
        all_day: ev.all_day, location: ev.location, attendees: ev.attendees.slice(), attendee_input: "",
        calendar_id: ev.calendar_id, description: ev.description, error: null,
      };
    });
  }
  function closeDialog() {
    act(() => { ui().dialog = null; ui().draft = null; ui().editing_event_id = null; });
  }
  function addAttendee() {
    act(() => {
      const d = ui().draft, email = d.attendee_input.trim();
      if (!email) return;
      if (!EMAIL_RE.test(email)) { d.error = "Enter a guest as an email address, like name@example.com"; return; }
      if (!d.attendees.includes(email)) {
        if (d.attendees.length >= MAX_GUESTS) { d.error = "An event can have at most " + MAX_GUESTS + " guests"; return; }
        d.attendees.push(email);
      }
      d.attendee_input = "";
      d.error = null;
    });
  }
  function removeAttendee(i) { act(() => { ui().draft.attendees.splice(i, 1); }); }
  // Validate the draft; returns an error message or the event fields to store.
  function draftToEvent(d) {
    const date = parseDraftDate(d.date);
    if (!date) return "Date must be a real day written YYYY-MM-DD, like 2026-03-18";
    let start = "00:00", end = "24:00";
    if (!d.all_day) {
      const s = parseDraftTime(d.start, false), e = parseDraftTime(d.end, true);
      if (s === null) return "Start time must look like 09:30 or 2:30pm";
      if (e === null) return "End time must look like 10:30 or 3pm";
      if (e <= s) return "End time must be after start time";
      start = hhmm(s); end = hhmm(e);
    }
    const attendees = d.attendees.slice();
    const pending = d.attendee_input.trim();
    if (pending) {
      if (!EMAIL_RE.test(pending)) return "Enter a guest as an email address, like name@example.com";
      if (!attendees.includes(pending)) {
        if (attendees.length >= MAX_GUESTS) return "An event can have at most " + MAX_GUESTS + " guests";
        attendees.push(pending);
      }
    }
    return {
      title: d.title.trim() || "(No title)", calendar_id: d.calendar_id, date: date, start: start, end: end,
      all_day: d.all_day, location: d.location.trim(), attendees: attendees, description: d.description,
    };
  }
  function saveDraft() {
    act(() => {
      const d = ui().draft;
      const fields = draftToEvent(d);
      if (typeof fields === "string") { d.error = fields; return; }
      let message;
      if (ui().dialog === "create") {
        state.events.push(Object.assign({ id: nextEventId() }, fields));
        message = "Event created";
      } else {
        const ev = eventById(ui().editing_event_id);
        for (const k of Object.keys(fields)) {
          if (JSON.stringify(ev[k]) !== JSON.stringify(fields[k])) ev[k] = fields[k];
        }
        message = "Event saved";
      }
      ui().dialog = null; ui().draft = null; ui().editing_event_id = null;
      const n = dayNum(fields.date), [a, b] = visibleRange();
      if (n < a || n > b) setFocus(n);  // show where the event went
      state.toast = { message: message, undo_event: null, undo_index: null };
    });
  }
  function deleteEvent(id) {
    act(() => {
      const i = state.events.findIndex((e) => e.id === id);
      const [ev] = state.events.splice(i, 1);
      ui().dialog = null; ui().draft = null; ui().editing_event_id = null;
      state.toast = { message: "Event deleted", undo_event: ev, undo_index: i };
    });
  }
  function undoDelete() {
    const t = state.toast;  // read before act() clears the snackbar
    act(() => {
      if (t && t.undo_event) state.events.splice(Math.min(t.undo_index, state.events.length), 0, t.undo_event);
    });
  }

  // ---------------------------------------------------------------- DOM helpers

  function h(tag, attrs) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
      else if (k === "text") el.textContent = v;
      else if (k === "html") el.innerHTML = v;  // only for our own constant SVG icons
      else if (k === "value") el.value = v;
      else if (k === "checked") el.checked = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (let i = 2; i < arguments.length; i++) {
      const c = arguments[i];
      for (const x of Array.isArray(c) ? c : [c]) {
        if (x === null || x === undefined || x === false) continue;
        el.appendChild(typeof x === "string" ? document.createTextNode(x) : x);
      }
    }
    return el;
  }
  function icon(name, size) {
    const s = size || 20;
    return h("span", { class: "icon", html: '<svg viewBox="0 0 24 24" width="' + s + '" height="' + s + '">' + ICONS[name] + "</svg>" });
  }
  const STROKE = 'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"';
  const ICONS = {
    menu: '<path ' + STROKE + ' d="M4 6h16M4 12h16M4 18h16"/>',
    left: '<path ' + STROKE + ' d="M15 5l-7 7 7 7"/>',
    right: '<path ' + STROKE + ' d="M9 5l7 7-7 7"/>',
    close: '<path ' + STROKE + ' d="M6 6l12 12M18 6L6 18"/>',
    plus: '<path ' + STROKE + ' d="M12 5v14M5 12h14"/>',
    edit: '<path ' + STROKE + ' d="M4 20h4L19 9l-4-4L4 16v4zM13 7l4 4"/>',
    trash: '<path ' + STROKE + ' d="M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13M10 11v6M14 11v6"/>',
    clock: '<circle ' + STROKE + ' cx="12" cy="12" r="8"/><path ' + STROKE + ' d="M12 8v4l3 2"/>',
    pin: '<path ' + STROKE + ' d="M12 21s-6-5.6-6-11a6 6 0 0 1 12 0c0 5.4-6 11-6 11z"/><circle ' + STROKE + ' cx="12" cy="10" r="2"/>',
    people: '<circle ' + STROKE + ' cx="9" cy="8" r="3"/><path ' + STROKE + ' d="M3 19c0-3 3-5 6-5s6 2 6 5M16 5a3 3 0 0 1 0 6M18 14c2 .5 3 2.5 3 5"/>',
    cal: '<rect ' + STROKE + ' x="4" y="5" width="16" height="15" rx="2"/><path ' + STROKE + ' d="M4 10h16M9 3v4M15 3v4"/>',
    notes: '<path ' + STROKE + ' d="M5 6h14M5 10h14M5 14h10M5 18h7"/>',
  };
  function logo() {
    const n = parts(todayNum()).d;
    return h("div", { class: "logo" },
      h("span", { class: "logo-mark" }, h("span", { class: "logo-top" }), h("span", { class: "logo-num", text: String(n) })),
      h("span", { class: "logo-text", text: "Calendar" }));
  }

  // ---------------------------------------------------------------- header and sidebar

  function rangeTitle() {
    const f = dayNum(ui().focus_date);
    if (ui().view === "month") { const p = parts(f); return MONTHS[p.m - 1] + " " + p.y; }
    const a = parts(mondayOf(f)), b = parts(mondayOf(f) + 6);
    if (a.m === b.m) return MONTHS[a.m - 1] + " " + a.y;
    const short = (p) => MONTHS[p.m - 1].slice(0, 3);
    if (a.y === b.y) return short(a) + " – " + short(b) + " " + a.y;
    return short(a) + " " + a.y + " – " + short(b) + " " + b.y;
  }
  function renderHeader() {
    const bar = document.getElementById("topbar");
    const initials = state.user.name.split(/\s+/).map((w) => w[0]).join("").slice(0, 2).toUpperCase();
    bar.replaceChildren(
      h("button", { class: "icon-btn", "data-testid": "menu-toggle", title: "Main menu", onclick: () => act(() => { ui().sidebar_open = !ui().sidebar_open; }) }, icon("menu", 22)),
      logo(),
      h("button", { class: "outline-btn", "data-testid": "today-btn", title: longDate(todayNum()), onclick: goToday, text: "Today" }),
      h("button", { class: "icon-btn", "data-testid": "prev-btn", title: ui().view === "week" ? "Previous week" : "Previous month", onclick: () => step(-1) }, icon("left")),
      h("button", { class: "icon-btn", "data-testid": "next-btn", title: ui().view === "week" ? "Next week" : "Next month", onclick: () => step(1) }, icon("right")),
      h("h1", { class: "range-title", "data-testid": "range-title", text: rangeTitle() }),
      h("div", { class: "spacer" }),
      h("div", { class: "segmented", role: "group" },
        h("button", { class: ui().view === "week" ? "seg on" : "seg", "data-testid": "view-week", onclick: () => setView("week"), text: "Week" }),
        h("button", { class: ui().view === "month" ? "seg on" : "seg", "data-testid": "view-month", onclick: () => setView("month"), text: "Month" })),
      h("div", { class: "avatar", title: state.user.name + " (" + state.user.email + ")", text: initials }));
  }

  function renderMiniMonth() {
    const ym = ui().mini_month, first = monthFirst(ym), start = mondayOf(first);
    const focus = dayNum(ui().focus_date), today = todayNum();
    const [ra, rb] = visibleRange();
    const grid = h("div", { class: "mini-grid" }, DAY_NAMES.map((d) => h("span", { class: "mini-dow", text: d[0] })));
    for (let n = start; n < start + 42; n++) {
      const cls = ["mini-day"];
      if (monthKey(n) !== ym) cls.push("out");
      if (ui().view === "week" && n >= ra && n <= rb) cls.push("in-range");
      if (n === focus) cls.push("focus");
      if (n === today) cls.push("today");
      const iso = isoDay(n);
      grid.appendChild(h("button", { class: cls.join(" "), "data-testid": "mini-day-" + iso, title: longDate(n),
        onclick: () => act(() => setFocus(n)) }, String(parts(n).d)));
    }
    const p = parts(first);
    return h("div", { class: "mini" },
      h("div", { class: "mini-head" },
        h("span", { class: "mini-title", "data-testid": "mini-title", text: MONTHS[p.m - 1] + " " + p.y }),
        h("button", { class: "icon-btn small", "data-testid": "mini-prev", title: "Previous month", onclick: () => act(() => { ui().mini_month = shiftMonthKey(ym, -1); }) }, icon("left", 16)),
        h("button", { class: "icon-btn small", "data-testid": "mini-next", title: "Next month", onclick: () => act(() => { ui().mini_month = shiftMonthKey(ym, 1); }) }, icon("right", 16))),
      grid);
  }
  function calendarList(group, label) {
    const cals = state.calendars.filter((c) => c.group === group);
    if (!cals.length) return null;
    return h("div", { class: "cal-group" },
      h("div", { class: "cal-group-title", text: label }),
      cals.map((c) => h("label", { class: "cal-item", title: c.name },
        h("input", { type: "checkbox", "data-testid": "cal-toggle-" + c.id, checked: c.visible, style: { accentColor: c.color },
          onchange: () => act(() => { c.visible = !c.visible; }) }),
        h("span", { class: "cal-name", text: c.name }))));
  }
  function renderSidebar() {
    const side = document.getElementById("sidebar");
    side.hidden = !ui().sidebar_open;
    side.replaceChildren(
      h("button", { class: "create-btn", "data-testid": "create-btn", onclick: () => openCreate(ui().focus_date) },
        h("span", { class: "create-plus" }, icon("plus", 24)), h("span", { text: "Create" })),
      renderMiniMonth(),
      calendarList("mine", "My calendars"),
      calendarList("other", "Other calendars"));
  }

  // ---------------------------------------------------------------- week view

  // Side-by-side columns for overlapping events of one day: returns [{ev, s, e, col, ncols}].
  function layoutDay(evs) {
    const placed = [];
    let cluster = [], clusterEnd = -1;
    const flush = () => {
      const n = cluster.reduce((m, p) => Math.max(m, p.col + 1), 1);
      cluster.forEach((p) => { p.ncols = n; });
      cluster = [];
    };
    for (const ev of evs) {
      const s = minutes(ev.start), e = Math.max(minutes(ev.end), s + 25);  // short events still take a line
      if (cluster.length && s >= clusterEnd) { flush(); clusterEnd = -1; }
      const colEnd = [];
      for (const p of cluster) colEnd[p.col] = Math.max(colEnd[p.col] || 0, p.e);
      let col = 0;
      while (colEnd[col] !== undefined && colEnd[col] > s) col++;
      const p = { ev: ev, s: s, e: e, col: col, ncols: 1 };
      cluster.push(p); placed.push(p);
      clusterEnd = Math.max(clusterEnd, e);
    }
    flush();
    return placed;
  }
  function timeRange(ev) { return ev.start + " – " + ev.end; }
  function openPopover(ev, e) {
    e.stopPropagation();
    act(() => { ui().selected_event_id = ev.id; }, { keepPopover: true });
  }
  function eventBlock(p) {
    const ev = p.ev, cal = calendarById(ev.calendar_id);
    const dur = minutes(ev.end) - minutes(ev.start);
    const top = p.s / 60 * HOUR_PX, height = Math.max(dur / 60 * HOUR_PX, 20) - 2;
    const cls = ["ev"]; if (isPast(ev)) cls.push("past"); if (ui().selected_event_id === ev.id) cls.push("selected");
    const short = dur < 45;
    return h("div", {
      class: cls.join(" "), "data-testid": "event-" + ev.id, "data-event-id": ev.id, title: ev.title,
      style: { top: top + "px", height: height + "px", left: "calc(" + (p.col / p.ncols * 100) + "% + 1px)",
        width: "calc(" + (100 / p.ncols) + "% - 6px)", background: cal.color },
      onclick: (e) => openPopover(ev, e),
    }, short
      ? h("div", { class: "ev-line" }, h("b", { text: ev.title }), ", " + ev.start)
      : [h("div", { class: "ev-title", text: ev.title }), h("div", { class: "ev-time", text: timeRange(ev) }),
        ev.location && dur >= 90 ? h("div", { class: "ev-loc", text: ev.location }) : null]);
  }
  function weekMaxScrollHour(panelHeight) { return Math.max(0, 24 - Math.floor((panelHeight - GRID_TOP) / HOUR_PX)); }
  function renderWeek(main) {
    const start = mondayOf(dayNum(ui().focus_date)), today = todayNum();
    const evs = visibleEvents();
    const days = [];
    for (let n = start; n < start + 7; n++) days.push(n);
    const allDay = days.map((n) => eventsOn(evs, isoDay(n)).filter((e) => e.all_day));
    const rows = Math.min(ALLDAY_ROWS, Math.max(1, ...allDay.map((l) => l.length)));

    const head = h("div", { class: "wk-head" }, h("div", { class: "gutter" }),
      days.map((n) => h("div", { class: "wk-dayhead" + (n === today ? " today" : "") + (n < today ? " past" : "") },
        h("div", { class: "wk-dow", text: DAY_NAMES[n - start].toUpperCase() }),
        h("div", { class: "wk-num", text: String(parts(n).d) }))));
    const allRow = h("div", { class: "wk-allday", style: { height: (rows * 24 + 6) + "px" } }, h("div", { class: "gutter allday-label" }),
      days.map((n, i) => {
        const list = allDay[i], iso = isoDay(n);
        const shown = list.length > ALLDAY_ROWS ? list.slice(0, ALLDAY_ROWS - 1) : list;
        return h("div", { class: "wk-allday-cell", "data-testid": "allday-" + iso, onclick: () => openCreate(iso, undefined, true) },
          shown.map((ev) => h("div", { class: "allday-ev" + (isPast(ev) ? " past" : "") + (ui().selected_event_id === ev.id ? " selected" : ""),
            "data-testid": "event-" + ev.id, "data-event-id": ev.id, style: { background: calendarById(ev.calendar_id).color },
            onclick: (e) => openPopover(ev, e), text: ev.title })),
          list.length > shown.length ? h("button", { class: "more-link", "data-testid": "more-" + iso,
            onclick: (e) => { e.stopPropagation(); act(() => { ui().view = "month"; setFocus(n); }); }, text: "+" + (list.length - shown.length) + " more" }) : null);
      }));

    const inner = h("div", { class: "wk-inner", style: { paddingTop: GRID_TOP + "px" } });
    const hours = h("div", { class: "wk-hours" });
    for (let hr = 1; hr < 24; hr++) hours.appendChild(h("div", { class: "hour-label", style: { top: (hr * HOUR_PX) + "px" }, text: pad(hr) + ":00" }));
    inner.appendChild(hours);
    days.forEach((n) => {
      const iso = isoDay(n);
      const col = h("div", { class: "wk-col" + (n === today ? " today" : ""), "data-testid": "day-col-" + iso,
        onclick: (e) => {
          // A click on empty grid space starts an event at that half hour.
          const y = e.clientY - col.getBoundingClientRect().top;
          openCreate(iso, Math.max(0, Math.min(47, Math.floor(y / (HOUR_PX / 2)))) * 30);
        } });
      layoutDay(eventsOn(evs, iso).filter((e) => !e.all_day)).forEach((p) => col.appendChild(eventBlock(p)));
      if (n === today) {
        col.appendChild(h("div", { class: "now-line", style: { top: (nowMinutes() / 60 * HOUR_PX) + "px" } }, h("span", { class: "now-dot" })));
      }
      inner.appendChild(col);
    });
    const panel = h("div", { class: "wk-panel", "data-testid": "week-grid" }, inner);
    // The grid moves in whole hours and only through state, so a scroll is persisted and
    // identical states always show the same rows.
    panel.addEventListener("wheel", (e) => {
      e.preventDefault();
      if (!e.deltaY) return;
      const max = weekMaxScrollHour(panel.clientHeight);
      const cur = Math.min(ui().scroll_hour, max);
      const stepHours = Math.max(1, Math.round(Math.abs(e.deltaY) / HOUR_PX));
      const next = Math.max(0, Math.min(max, cur + Math.sign(e.deltaY) * stepHours));
      if (next !== ui().scroll_hour) act(() => { ui().scroll_hour = next; }, { keepPopover: true, keepToast: true });
    }, { passive: false });
    main.replaceChildren(h("div", { class: "week" }, head, allRow, panel));
    const max = weekMaxScrollHour(panel.clientHeight);
    inner.style.height = Math.max(GRID_TOP + 24 * HOUR_PX, max * HOUR_PX + panel.clientHeight) + "px";
    panel.scrollTop = Math.min(ui().scroll_hour, max) * HOUR_PX;
  }

  // ---------------------------------------------------------------- month view

  function renderMonth(main) {
    const f = dayNum(ui().focus_date), ym = monthKey(f), start = mondayOf(monthFirst(ym)), today = todayNum();
    const evs = visibleEvents();
    const grid = h("div", { class: "mo-grid" });
    for (let n = start; n < start + 42; n++) {
      const iso = isoDay(n), p = parts(n), list = eventsOn(evs, iso);
      const shown = list.length > MONTH_CHIPS ? list.slice(0, MONTH_CHIPS - 1) : list;
      const cell = h("div", { class: "mo-cell" + (monthKey(n) !== ym ? " out" : ""), "data-testid": "month-cell-" + iso,
        onclick: () => openCreate(iso) },
        h("div", { class: "mo-cell-head" },
          h("button", { class: "mo-num" + (n === today ? " today" : ""), "data-testid": "month-daynum-" + iso, title: "Show the week of " + longDate(n),
            onclick: (e) => { e.stopPropagation(); act(() => { ui().view = "week"; setFocus(n); }); },
            text: p.d === 1 ? p.d + " " + MONTHS[p.m - 1].slice(0, 3) : String(p.d) })),
        shown.map((ev) => {
          const color = calendarById(ev.calendar_id).color;
          const cls = (ev.all_day ? "mo-ev allday" : "mo-ev") + (isPast(ev) ? " past" : "") + (ui().selected_event_id === ev.id ? " selected" : "");
          return h("div", { class: cls, "data-testid": "event-" + ev.id, "data-event-id": ev.id, title: ev.title,
            style: ev.all_day ? { background: color } : null, onclick: (e) => openPopover(ev, e) },
            ev.all_day ? ev.title : [h("span", { class: "dot", style: { background: color } }), h("span", { class: "mo-time", text: ev.start }), " " + ev.title]);
        }),
        list.length > shown.length ? h("button", { class: "more-link", "data-testid": "more-" + iso,
          onclick: (e) => { e.stopPropagation(); act(() => { ui().view = "week"; setFocus(n); }); },
          text: "+" + (list.length - shown.length) + " more" }) : null);
      grid.appendChild(cell);
    }
    main.replaceChildren(h("div", { class: "month" },
      h("div", { class: "mo-head" }, DAY_NAMES.map((d) => h("div", { class: "mo-dow", text: d.toUpperCase() }))), grid));
  }

  // ---------------------------------------------------------------- popover, dialog, toast

  function renderPopover() {
    const layer = document.getElementById("popover-layer");
    const id = ui().selected_event_id, ev = id && eventById(id);
    if (!ev) { layer.replaceChildren(); return; }
    const cal = calendarById(ev.calendar_id), n = dayNum(ev.date);
    const when = ev.all_day ? longDate(n) : longDate(n) + " · " + timeRange(ev);
    const guests = ev.attendees;
    const card = h("div", { class: "popover", "data-testid": "popover", onclick: (e) => e.stopPropagation() },
      h("div", { class: "pop-tools" },
        h("button", { class: "icon-btn", "data-testid": "popover-edit", title: "Edit event", onclick: () => openEdit(ev.id) }, icon("edit")),
        h("button", { class: "icon-btn", "data-testid": "popover-delete", title: "Delete event", onclick: () => deleteEvent(ev.id) }, icon("trash")),
        h("button", { class: "icon-btn", "data-testid": "popover-close", title: "Close", onclick: () => act(() => {}) }, icon("close"))),
      h("div", { class: "pop-row" }, h("span", { class: "pop-swatch", style: { background: cal.color } }),
        h("div", {}, h("div", { class: "pop-title", "data-testid": "popover-title", text: ev.title }), h("div", { class: "pop-when", text: when }))),
      ev.location ? h("div", { class: "pop-row" }, icon("pin"), h("div", { class: "pop-text", text: ev.location })) : null,
      guests.length ? h("div", { class: "pop-row" }, icon("people"), h("div", { class: "pop-text" },
        h("div", { class: "pop-sub", text: guests.length + (guests.length === 1 ? " guest" : " guests") }),
        guests.slice(0, 5).map((g) => h("div", { class: "pop-guest", text: g })),
        guests.length > 5 ? h("div", { class: "pop-guest muted", text: "and " + (guests.length - 5) + " more" }) : null)) : null,
      ev.description ? h("div", { class: "pop-row" }, icon("notes"), h("div", { class: "pop-text", text: ev.description })) : null,
      h("div", { class: "pop-row" }, icon("cal"), h("div", { class: "pop-text", text: cal.name })));
    layer.replaceChildren(card);
    // Anchor next to the event on screen (layout is deterministic, so is the position).
    const W = 1280, H = 800, w = card.offsetWidth, ht = card.offsetHeight;
    const anchor = document.querySelector('#main [data-event-id="' + ev.id + '"]');
    let x = (W - w) / 2, y = (H - ht) / 2;
    if (anchor) {
      const r = anchor.getBoundingClientRect();
      x = r.right + 8 + w <= W - 8 ? r.right + 8 : (r.left - 8 - w >= 8 ? r.left - 8 - w : (W - w) / 2);
      y = Math.max(72, Math.min(H - ht - 8, r.top));
    }
    card.style.left = Math.round(x) + "px";
    card.style.top = Math.round(y) + "px";
  }

  function field(label, iconName, control) {
    return h("div", { class: "dlg-row" }, h("span", { class: "dlg-icon", title: label }, icon(iconName)), h("div", { class: "dlg-ctl" }, control));
  }
  // Length limits of the state schema, so typed text can always be saved.
  const MAXLEN = { title: 200, date: 40, start: 20, end: 20, location: 200, attendee_input: 200, description: 4000 };
  function draftInput(key, attrs) {
    return h("input", Object.assign({
      type: "text", "data-testid": "draft-" + key, id: "draft-" + key, value: ui().draft[key], autocomplete: "off", spellcheck: "false",
      maxlength: String(MAXLEN[key]),
      oninput: (e) => typeInto(key, e.target.value),
      onkeydown: (e) => { if (e.key === "Enter") { e.preventDefault(); saveDraft(); } },
    }, attrs || {}));
  }
  function renderDialog() {
    const layer = document.getElementById("dialog-layer");
    const d = ui().draft;
    const active = document.activeElement, activeId = active && active.id && layer.contains(active) ? active.id : null;
    const sel = activeId && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
    if (!ui().dialog || !d) { layer.replaceChildren(); return; }
    const editing = ui().dialog === "edit";
    const attendeeBox = h("input", {
      type: "text", id: "draft-attendee-input", "data-testid": "draft-attendee-input", value: d.attendee_input, placeholder: "Add guests (email)",
      autocomplete: "off", spellcheck: "false", maxlength: String(MAXLEN.attendee_input),
      oninput: (e) => typeInto("attendee_input", e.target.value),
      onkeydown: (e) => { if (e.key === "Enter") { e.preventDefault(); addAttendee(); } },
    });
    const box = h("div", { class: "dialog", role: "dialog", "data-testid": "dialog" },
      h("div", { class: "dlg-head" },
        h("span", { class: "dlg-heading", text: editing ? "Edit event" : "New event" }),
        h("button", { class: "icon-btn", "data-testid": "dialog-close", title: "Close", onclick: closeDialog }, icon("close"))),
      h("div", { class: "dlg-title-row" }, draftInput("title", { class: "dlg-title", placeholder: "Add title" })),
      field("Date and time", "clock", h("div", { class: "dlg-when" },
        draftInput("date", { class: "w-date", placeholder: "YYYY-MM-DD" }),
        draftInput("start", { class: "w-time", placeholder: "09:00", disabled: d.all_day }),
        h("span", { class: "dash", text: "–" }),
        draftInput("end", { class: "w-time", placeholder: "10:00", disabled: d.all_day }),
        h("label", { class: "check" }, h("input", { type: "checkbox", "data-testid": "draft-allday", id: "draft-allday", checked: d.all_day,
          onchange: () => act(() => { d.all_day = !d.all_day; }) }), "All day"))),
      field("Location", "pin", draftInput("location", { placeholder: "Add location" })),
      field("Guests", "people", [h("div", { class: "dlg-guests" }, attendeeBox,
        h("button", { class: "text-btn", "data-testid": "draft-attendee-add", onclick: addAttendee, text: "Add" })),
        d.attendees.length ? h("div", { class: "chips" }, d.attendees.map((a, i) => h("span", { class: "chip", "data-testid": "draft-attendee-" + i },
          h("span", { class: "chip-avatar", text: a[0].toUpperCase() }), a,
          h("button", { class: "chip-x", "data-testid": "draft-attendee-remove-" + i, title: "Remove " + a, onclick: () => removeAttendee(i) }, icon("close", 14))))) : null]),
      field("Calendar", "cal", h("div", { class: "cal-pick" }, state.calendars.map((c) =>
        h("button", { class: "cal-opt" + (c.id === d.calendar_id ? " on" : ""), "data-testid": "draft-cal-" + c.id,
          onclick: () => act(() => { d.calendar_id = c.id; }) },
          h("span", { class: "dot", style: { background: c.color } }), c.name)))),
      field("Description", "notes", h("textarea", { id: "draft-description", "data-testid": "draft-description", placeholder: "Add description",
        rows: "3", spellcheck: "false", maxlength: String(MAXLEN.description), value: d.description, oninput: (e) => typeInto("description", e.target.value) })),
      d.error ? h("div", { class: "dlg-error", "data-testid": "draft-error", text: d.error }) : null,
      h("div", { class: "dlg-foot" },
        editing ? h("button", { class: "text-btn danger", "data-testid": "dialog-delete", onclick: () => deleteEvent(ui().editing_event_id), text: "Delete" }) : null,
        h("div", { class: "spacer" }),
        h("button", { class: "text-btn", "data-testid": "dialog-cancel", onclick: closeDialog, text: "Cancel" }),
        h("button", { class: "primary-btn", "data-testid": "dialog-save", onclick: saveDraft, text: "Save" })));
    const opening = !layer.firstChild;
    layer.replaceChildren(h("div", { class: "overlay" }, box));
    const restore = activeId ? document.getElementById(activeId) : (opening ? document.getElementById("draft-title") : null);
    if (restore && !restore.disabled) {
      restore.focus();
      if (sel && typeof restore.setSelectionRange === "function" && restore.type === "text") restore.setSelectionRange(sel[0], sel[1]);
      else if (opening && restore.type === "text") restore.setSelectionRange(restore.value.length, restore.value.length);
    }
  }

  function renderToast() {
    const layer = document.getElementById("toast-layer");
    const t = state.toast;
    if (!t) { layer.replaceChildren(); return; }
    layer.replaceChildren(h("div", { class: "toast", "data-testid": "toast", onclick: (e) => e.stopPropagation() },
      h("span", { class: "toast-msg", text: t.message }),
      t.undo_event ? h("button", { class: "toast-btn", "data-testid": "toast-undo", onclick: undoDelete, text: "Undo" }) : null,
      h("button", { class: "icon-btn toast-x", "data-testid": "toast-close", title: "Dismiss", onclick: () => act(() => {}, { keepPopover: true }) }, icon("close", 18))));
  }

  function render() {
    document.body.classList.toggle("no-sidebar", !ui().sidebar_open);
    renderHeader();
    renderSidebar();
    const main = document.getElementById("main");
    if (ui().view === "week") renderWeek(main); else renderMonth(main);
    renderPopover();
    renderDialog();
    renderToast();
  }

  // ---------------------------------------------------------------- keyboard

  document.addEventListener("keydown", (e) => {
    if (!state) return;
    if (e.key === "Escape") {
      if (ui().dialog) { e.preventDefault(); closeDialog(); }
      else if (ui().selected_event_id) { e.preventDefault(); act(() => {}); }
      return;
    }
    const t = e.target;
    if (ui().dialog || e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && t.type === "text"))) return;  // typing, not a shortcut
    const k = e.key.toLowerCase();
    const keys = { t: goToday, n: () => step(1), j: () => step(1), p: () => step(-1), k: () => step(-1),
      w: () => setView("week"), m: () => setView("month"), c: () => openCreate(ui().focus_date) };
    if (keys[k]) { e.preventDefault(); keys[k](); }
  });
  // A click on empty space outside the open event card closes it. Controls close it through
  // their own action, and the card and snackbar stop their own clicks.
  const CONTROLS = "button, input, label, textarea, [data-event-id], .wk-col, .wk-allday-cell, .mo-cell";
  document.addEventListener("click", (e) => {
    if (!state || !ui().selected_event_id) return;
    if (e.target.closest && e.target.closest(CONTROLS)) return;
    act(() => {}, { keepToast: true });
  });

  CUA.load().then((s) => {
    state = s;
    render();
    CUA.ready();
  });
})();
