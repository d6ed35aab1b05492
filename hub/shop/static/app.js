// ShopLane: the shop's UI. The whole page is a function of the server-side state.
//
// Flow: load the state, render, and on every user action mutate `state`, re-render and save
// it back, so a reward script sees every change the user made. Typing updates the state but
// does not re-render (the input already shows the text, and re-rendering would move the caret).
// Dates and prices derive only from the state (`state.now`, product prices), never the clock.
(function () {
  "use strict";

  const CATALOG_PAGE_SIZE = 10;
  const ORDERS_PAGE_SIZE = 3;
  const WISHLIST_PAGE_SIZE = 5;
  const RELATED_COUNT = 6;
  const DEFAULT_FILTERS = { price: "any", min_rating: 0, brands: [], in_stock_only: false };
  const PRICE_BANDS = [
    ["any", "Any price", 0, Infinity], ["under_25", "Under $25", 0, 25], ["25_50", "$25 to $50", 25, 50],
    ["50_100", "$50 to $100", 50, 100], ["100_200", "$100 to $200", 100, 200], ["over_200", "$200 & above", 200, Infinity],
  ];
  const RATING_OPTIONS = [[4, "4 stars & up"], [3, "3 stars & up"], [2, "2 stars & up"], [0, "Any rating"]];
  const SORTS = [["featured", "Featured"], ["price_asc", "Price: Low to High"], ["price_desc", "Price: High to Low"],
                 ["rating", "Avg. Customer Review"], ["reviews", "Most Reviews"]];
  const STATUS_LABEL = { processing: "Processing", shipped: "Shipped", delivered: "Delivered", cancelled: "Cancelled" };
  const PAYMENT_LABEL = { card: "Credit or debit card", paypal: "PayPal", cod: "Cash on delivery" };
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"];
  const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const ADDRESS_FIELDS = ["full_name", "address_line1", "address_line2", "city", "region", "postal_code", "country", "phone"];
  const ART = window.ShopArt;
  const I = ART.icons;

  let state = null;
  const root = document.getElementById("app");

  // ---------------------------------------------------------------- formatting
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  // Half-up rounding to cents; the epsilon keeps 1.005-style binary fractions from rounding down.
  const round2 = (x) => Math.floor((x + 1e-9) * 100 + 0.5) / 100;
  function money(x) {
    const [int, frac] = round2(x).toFixed(2).split(".");
    return "$" + int.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + frac;
  }
  const count = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  function day(iso) {  // an ISO date(-time) string as a UTC calendar day
    const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d));
  }
  function addDays(iso, n) {
    const dt = day(iso);
    dt.setUTCDate(dt.getUTCDate() + n);
    return dt.toISOString().slice(0, 10);
  }
  const longDate = (iso) => { const d = day(iso); return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`; };
  const shortDate = (iso) => { const d = day(iso); return `${WEEKDAYS[d.getUTCDay()]}, ${MONTHS[d.getUTCMonth()].slice(0, 3)} ${d.getUTCDate()}`; };

  function stars(rating, reviews) {
    const pct = Math.max(0, Math.min(100, Math.round(rating / 5 * 100)));
    return `<span class="rating"><span class="stars"><span class="s-bg">★★★★★</span>` +
      `<span class="s-fg" style="width:${pct}%">★★★★★</span></span>` +
      `<span class="r-num">${rating.toFixed(1)}</span>` +
      (reviews == null ? "" : `<span class="r-count">(${count(reviews)})</span>`) + "</span>";
  }

  // ---------------------------------------------------------------- lookups
  const product = (id) => state.products.find((p) => p.id === id);
  const categoryName = (id) => (state.categories.find((c) => c.id === id) || { name: id }).name;
  const inWishlist = (pid) => state.wishlist.some((w) => w.product_id === pid);
  const maxQty = (p) => Math.min(state.store.max_quantity, p.stock);
  const cartUnits = () => state.cart.reduce((n, l) => n + l.quantity, 0);
  const cartLines = () => state.cart.map((l) => ({ line: l, p: product(l.product_id) })).filter((x) => x.p);
  const cartSubtotal = () => round2(cartLines().reduce((s, x) => s + x.p.price * x.line.quantity, 0));
  const pages = (n, size) => Math.max(1, Math.ceil(n / size));
  const clampPage = (page, n, size) => Math.min(Math.max(1, page), pages(n, size));

  function totals(subtotal, method) {
    const st = state.store;
    const shipping = method === "express" ? st.express_shipping : (subtotal >= st.free_shipping_min ? 0 : st.standard_shipping);
    const tax = round2(subtotal * st.tax_rate);
    return { subtotal: subtotal, shipping_cost: shipping, tax: tax, total: round2(subtotal + shipping + tax) };
  }

  function matchesSearch(p, query) {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const hay = `${p.name} ${p.brand} ${categoryName(p.category_id)}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  }

  function catalogProducts() {
    const u = state.ui, f = u.filters;
    const band = PRICE_BANDS.find((b) => b[0] === f.price) || PRICE_BANDS[0];
    const list = state.products.filter((p) =>
      (u.category === "all" || p.category_id === u.category) && matchesSearch(p, u.search) &&
      p.price >= band[2] && p.price < band[3] && p.rating >= f.min_rating &&
      (f.brands.length === 0 || f.brands.includes(p.brand)) && (!f.in_stock_only || p.stock > 0));
    const by = {
      featured: null,
      price_asc: (a, b) => a.price - b.price,
      price_desc: (a, b) => b.price - a.price,
      rating: (a, b) => b.rating - a.rating || b.review_count - a.review_count,
      reviews: (a, b) => b.review_count - a.review_count,
    }[u.sort];
    return by ? list.slice().sort(by) : list;  // Array.sort is stable: ties keep catalogue order
  }

  // ---------------------------------------------------------------- actions
  function toast(text) { state.ui.toast = text; }

  function addToCart(pid, quantity) {
    const p = product(pid);
    if (!p || p.stock <= 0) return;
    const limit = maxQty(p);
    let line = state.cart.find((l) => l.product_id === pid);
    if (!line) {
      line = { id: "cart-" + pid, product_id: pid, quantity: 0 };
      state.cart.push(line);
    }
    const wanted = line.quantity + quantity;
    line.quantity = Math.max(1, Math.min(wanted, limit));
    toast(wanted > limit ? `Limit reached: at most ${limit} of this item per order` : `Added to cart: ${p.name}`);
  }

  function toggleWishlist(pid) {
    if (inWishlist(pid)) {
      state.wishlist = state.wishlist.filter((w) => w.product_id !== pid);
      toast("Removed from your Wish List");
    } else {
      state.wishlist.unshift({ id: "wish-" + pid, product_id: pid, added_on: state.now.slice(0, 10) });
      toast("Added to your Wish List");
    }
  }

  function checkoutErrors() {
    const c = state.ui.checkout, errors = {};
    const blank = (k) => c[k].trim() === "";
    if (blank("full_name")) errors.full_name = "Enter a full name";
    if (blank("address_line1")) errors.address_line1 = "Enter a street address";
    if (blank("city")) errors.city = "Enter a city";
    if (blank("region")) errors.region = "Enter a state";
    if (blank("postal_code")) errors.postal_code = "Enter a ZIP code";
    if (blank("country")) errors.country = "Enter a country";
    if ((c.phone.match(/\d/g) || []).length < 7) errors.phone = "Enter a phone number (7+ digits)";
    if (c.payment_method === "card") {
      const digits = c.card_number.replace(/[\s-]/g, "");
      if (!/^\d{13,19}$/.test(digits)) errors.card_number = "Enter a valid card number";
      if (blank("card_name")) errors.card_name = "Enter the name on the card";
      const m = /^(0[1-9]|1[0-2])\/(\d{2})$/.exec(c.card_expiry.trim());
      if (!m) errors.card_expiry = "Use MM/YY";
      else if ((2000 + Number(m[2])) * 12 + Number(m[1]) < Number(state.now.slice(0, 4)) * 12 + Number(state.now.slice(5, 7))) {
        errors.card_expiry = "This card has expired";
      }
    }
    const lines = cartLines();
    if (lines.length === 0) errors.cart = "Your cart is empty";
    const short = lines.find((x) => x.line.quantity > x.p.stock);
    if (short) errors.cart = `Only ${short.p.stock} of "${short.p.name}" in stock: lower the quantity in your cart`;
    return errors;
  }

  function nextOrderId() {
    const nums = state.orders.map((o) => /^SL-(\d+)$/.exec(o.id)).filter(Boolean).map((m) => Number(m[1]));
    return "SL-" + (nums.length ? Math.max(...nums) + 1 : 10001);
  }

  function placeOrder() {
    const u = state.ui, c = u.checkout;
    const errors = checkoutErrors();
    u.checkout_errors = errors;
    if (Object.keys(errors).length) { toast("Please correct the highlighted fields"); return; }
    const items = cartLines().map((x) => ({
      id: "oi-" + x.p.id, product_id: x.p.id, name: x.p.name, unit_price: x.p.price, quantity: x.line.quantity,
    }));
    const subtotal = round2(items.reduce((s, i) => s + i.unit_price * i.quantity, 0));
    const shipTo = {};
    for (const k of ADDRESS_FIELDS) shipTo[k] = c[k].trim();
    const days = c.shipping_method === "express" ? state.store.express_days : state.store.standard_days;
    const order = Object.assign({
      id: nextOrderId(), placed_at: state.now, status: "processing", items: items, ship_to: shipTo,
      shipping_method: c.shipping_method,
      payment: { method: c.payment_method, card_last4: c.payment_method === "card" ? c.card_number.replace(/\D/g, "").slice(-4) : null },
    }, totals(subtotal, c.shipping_method), { estimated_delivery: addDays(state.now, days) });
    for (const i of items) product(i.product_id).stock -= i.quantity;
    state.orders.unshift(order);
    state.cart = [];
    u.view = "confirmation";
    u.order_id = order.id;
  }

  function cancelOrder(oid) {
    const o = state.orders.find((x) => x.id === oid);
    if (!o || o.status !== "processing") return;
    o.status = "cancelled";
    for (const i of o.items) { const p = product(i.product_id); if (p) p.stock += i.quantity; }
    toast(`Order ${oid} was cancelled`);
  }

  const ui = () => state.ui;
  const ACTIONS = {
    home() {
      Object.assign(ui(), { view: "catalog", category: "all", search: "", search_draft: "", sort: "featured", page: 1 });
      ui().filters = JSON.parse(JSON.stringify(DEFAULT_FILTERS));
    },
    "search.submit"() { Object.assign(ui(), { search: ui().search_draft.trim(), view: "catalog", page: 1 }); },
    "search.clear"() { Object.assign(ui(), { search: "", search_draft: "", page: 1 }); },
    category(id) { Object.assign(ui(), { category: id, view: "catalog", page: 1 }); ui().filters.brands = []; },
    "filter.price"(band) { ui().filters.price = band; ui().page = 1; },
    "filter.rating"(n) { ui().filters.min_rating = Number(n); ui().page = 1; },
    "filter.brand"(brand) {
      const f = ui().filters;
      f.brands = f.brands.includes(brand) ? f.brands.filter((b) => b !== brand) : f.brands.concat([brand]);
      ui().page = 1;
    },
    "filter.in_stock"() { ui().filters.in_stock_only = !ui().filters.in_stock_only; ui().page = 1; },
    "filter.clear"() { ui().filters = JSON.parse(JSON.stringify(DEFAULT_FILTERS)); ui().page = 1; },
    "sort.open"() { ui().menu = ui().menu === "sort" ? null : "sort"; },
    "sort.choose"(key) { Object.assign(ui(), { sort: key, page: 1, menu: null }); },
    "page.goto"(n) { ui().page = Number(n); },
    "product.open"(pid) { Object.assign(ui(), { view: "product", product_id: pid, quantity: 1 }); },
    "product.back"() { ui().view = "catalog"; },
    "product.brand"() {
      const p = product(ui().product_id);
      Object.assign(ui(), { view: "catalog", category: p.category_id, page: 1 });
      ui().filters.brands = [p.brand];
    },
    "qty.dec"() { ui().quantity = Math.max(1, ui().quantity - 1); },
    "qty.inc"() { ui().quantity = Math.min(Math.max(1, maxQty(product(ui().product_id))), ui().quantity + 1); },
    "cart.add"(pid) { addToCart(pid, 1); },
    "product.add"() { addToCart(ui().product_id, ui().quantity); },
    "product.buy"() { addToCart(ui().product_id, ui().quantity); ui().view = "checkout"; },
    "wishlist.toggle"(pid) { toggleWishlist(pid); },
    "cart.open"() { ui().view = "cart"; },
    "orders.open"() { Object.assign(ui(), { view: "orders", orders_page: 1 }); },
    "wishlist.open"() { Object.assign(ui(), { view: "wishlist", wishlist_page: 1 }); },
    "cart.inc"(lineId) {
      const l = state.cart.find((x) => x.id === lineId);
      l.quantity = Math.min(l.quantity + 1, Math.max(l.quantity, maxQty(product(l.product_id))));
    },
    "cart.dec"(lineId) { const l = state.cart.find((x) => x.id === lineId); l.quantity = Math.max(1, l.quantity - 1); },
    "cart.remove"(lineId) {
      const l = state.cart.find((x) => x.id === lineId);
      state.cart = state.cart.filter((x) => x.id !== lineId);
      toast(`Removed from cart: ${product(l.product_id).name}`);
    },
    "cart.to_wishlist"(lineId) {
      const l = state.cart.find((x) => x.id === lineId);
      state.cart = state.cart.filter((x) => x.id !== lineId);
      if (!inWishlist(l.product_id)) {
        state.wishlist.unshift({ id: "wish-" + l.product_id, product_id: l.product_id, added_on: state.now.slice(0, 10) });
      }
      toast("Moved to your Wish List");
    },
    "cart.checkout"() { ui().view = "checkout"; },
    "shop.continue"() { ui().view = "catalog"; },
    "checkout.shipping"(m) { ui().checkout.shipping_method = m; },
    "checkout.payment"(m) { ui().checkout.payment_method = m; },
    "checkout.place"() { placeOrder(); },
    "checkout.back"() { ui().view = "cart"; },
    "orders.page"(n) { ui().orders_page = Number(n); },
    "order.open"(oid) { Object.assign(ui(), { view: "order", order_id: oid }); },
    "order.back"() { ui().view = "orders"; },
    "order.cancel"(oid) { cancelOrder(oid); },
    "order.buy_again"(pid) { addToCart(pid, 1); },
    "wishlist.page"(n) { ui().wishlist_page = Number(n); },
    "wishlist.add"(pid) { addToCart(pid, 1); },
    "wishlist.remove"(wid) {
      state.wishlist = state.wishlist.filter((w) => w.id !== wid);
      // Removing the last row of the last page steps back a page, so the list is never blank.
      ui().wishlist_page = clampPage(ui().wishlist_page, state.wishlist.length, WISHLIST_PAGE_SIZE);
      toast("Removed from your Wish List");
    },
  };

  // ---------------------------------------------------------------- rendering helpers
  const act = (name, arg) => `data-act="${name}"` + (arg == null ? "" : ` data-arg="${esc(arg)}"`);

  function pager(action, page, total, testid) {
    if (total <= 1) return "";
    const link = (n, label, cls, tid) => (n < 1 || n > total)
      ? `<span class="pg ${cls} disabled">${label}</span>`
      : `<a class="pg ${cls}" ${act(action, n)} data-testid="${testid}-${tid}">${label}</a>`;
    let html = link(page - 1, "‹ Previous", "pg-edge", "prev");
    for (let n = 1; n <= total; n++) {
      html += n === page ? `<span class="pg pg-cur" data-testid="${testid}-${n}">${n}</span>` : link(n, String(n), "", String(n));
    }
    return `<nav class="pager">${html}${link(page + 1, "Next ›", "pg-edge", "next")}</nav>`;
  }

  function priceBlock(p, cls) {
    const [int, frac] = money(p.price).slice(1).split(".");
    let html = `<span class="price ${cls || ""}"><sup>$</sup>${int}<sup>${frac}</sup></span>`;
    if (p.list_price) html += ` <span class="list-price">List: <s>${money(p.list_price)}</s></span>`;
    return html;
  }

  function stockLine(p) {
    if (p.stock <= 0) return `<span class="stock out">Currently unavailable</span>`;
    if (p.stock <= 5) return `<span class="stock low">Only ${p.stock} left in stock - order soon</span>`;
    return `<span class="stock in">In Stock</span>`;
  }

  function checkbox(on) { return `<span class="box ${on ? "on" : ""}">${on ? I.check : ""}</span>`; }
  function radio(on) { return `<span class="radio ${on ? "on" : ""}"></span>`; }

  // ---------------------------------------------------------------- header
  function header() {
    const u = state.ui, c = u.checkout, first = state.user.name.split(" ")[0];
    return `<header class="top">
      <a class="logo" ${act("home")} data-testid="logo">${I.bag}<span>Shop<b>Lane</b></span></a>
      <div class="deliver">${I.pin}<div><small>Deliver to ${esc(c.full_name.split(" ")[0] || first)}</small>
        <b>${esc(c.city || "Add address")} ${esc(c.postal_code)}</b></div></div>
      <div class="search">
        <input id="search-input" data-testid="search-input" type="text" autocomplete="off" spellcheck="false"
          placeholder="Search ${esc(state.store.name)}" data-field="ui.search_draft" data-enter="search.submit" value="${esc(u.search_draft)}">
        <button id="search-button" data-testid="search-button" ${act("search.submit")} aria-label="Search">${I.search}</button>
      </div>
      <div class="hdr-block"><small>Hello, ${esc(first)}</small><b>Account</b></div>
      <a class="hdr-block hdr-link" ${act("orders.open")} data-testid="nav-orders"><small>Returns</small><b>&amp; Orders</b></a>
      <a class="hdr-link hdr-icon" ${act("wishlist.open")} data-testid="nav-wishlist">${I.heart}
        <span class="hdr-badge">${state.wishlist.length}</span><b>Wish List</b></a>
      <a class="hdr-link hdr-cart" ${act("cart.open")} data-testid="nav-cart">${I.cart}
        <span class="cart-count" data-testid="cart-count">${cartUnits()}</span><b>Cart</b></a>
    </header>`;
  }

  function catbar() {
    const u = state.ui, onCatalog = u.view === "catalog";
    const tab = (id, label) => `<a class="${onCatalog && u.category === id ? "on" : ""}" ${act("category", id)} data-testid="tab-${id}">${label}</a>`;
    return `<nav class="catbar">${tab("all", "☰&nbsp; All")}${state.categories.map((c) => tab(c.id, esc(c.name))).join("")}
      <span class="promo">${I.truck} FREE shipping on orders over ${money(state.store.free_shipping_min)}</span></nav>`;
  }

  // ---------------------------------------------------------------- catalog
  function sidebar() {
    const u = state.ui, f = u.filters;
    const scope = state.products.filter((p) => u.category === "all" || p.category_id === u.category);
    const brands = u.category === "all" ? f.brands.slice() : [...new Set(scope.map((p) => p.brand))].sort();
    const dept = [["all", "All Departments"]].concat(state.categories.map((c) => [c.id, c.name]));
    return `<aside class="filters" data-testid="filters">
      <h4>Department</h4>${dept.map(([id, name]) =>
        `<a class="f-link ${u.category === id ? "on" : ""}" ${act("category", id)} data-testid="dept-${id}">${esc(name)}</a>`).join("")}
      <h4>Price</h4>${PRICE_BANDS.map(([id, label]) =>
        `<a class="f-opt" ${act("filter.price", id)} data-testid="price-${id}">${radio(f.price === id)}${label}</a>`).join("")}
      <h4>Customer Review</h4>${RATING_OPTIONS.map(([n, label]) =>
        `<a class="f-opt" ${act("filter.rating", n)} data-testid="rating-${n}">${radio(f.min_rating === n)}${
          n ? `<span class="stars sm"><span class="s-bg">★★★★★</span><span class="s-fg" style="width:${n * 20}%">★★★★★</span></span> &amp; up` : label}</a>`).join("")}
      <h4>Brand</h4>${brands.length ? brands.map((b) =>
        `<a class="f-opt" ${act("filter.brand", b)} data-testid="brand-${esc(b)}">${checkbox(f.brands.includes(b))}${esc(b)}</a>`).join("")
        : `<div class="f-hint">Choose a department to filter by brand</div>`}
      <h4>Availability</h4><a class="f-opt" ${act("filter.in_stock")} data-testid="in-stock">${checkbox(f.in_stock_only)}Include only in-stock items</a>
      <a class="f-clear" ${act("filter.clear")} data-testid="clear-filters">Clear all filters</a>
    </aside>`;
  }

  function productCard(p) {
    const wished = inWishlist(p.id);
    const off = p.list_price ? Math.round((1 - p.price / p.list_price) * 100) : 0;
    return `<div class="card" data-testid="card-${p.id}">
      <div class="card-img" ${act("product.open", p.id)} data-testid="card-img-${p.id}">${ART.productArt(p, "art")}
        ${off ? `<span class="deal">-${off}%</span>` : ""}
        <button class="heart ${wished ? "on" : ""}" ${act("wishlist.toggle", p.id)} data-testid="heart-${p.id}"
          aria-label="Wish List">${wished ? I.heart : I.heartOutline}</button></div>
      <a class="card-title" ${act("product.open", p.id)} data-testid="title-${p.id}">${esc(p.name)}</a>
      <div class="card-brand">${esc(p.brand)}</div>
      ${stars(p.rating, p.review_count)}
      <div class="card-price">${priceBlock(p)}</div>
      ${p.stock > 0
        ? `<button class="btn btn-cart btn-sm" ${act("cart.add", p.id)} data-testid="add-${p.id}">Add to cart</button>`
        : `<button class="btn btn-sm" disabled data-testid="add-${p.id}">Out of stock</button>`}
    </div>`;
  }

  function catalogView() {
    const u = state.ui;
    const list = catalogProducts();
    const total = pages(list.length, CATALOG_PAGE_SIZE);
    const page = clampPage(u.page, list.length, CATALOG_PAGE_SIZE);
    const shown = list.slice((page - 1) * CATALOG_PAGE_SIZE, page * CATALOG_PAGE_SIZE);
    const from = list.length ? (page - 1) * CATALOG_PAGE_SIZE + 1 : 0;
    const sortLabel = (SORTS.find((s) => s[0] === u.sort) || SORTS[0])[1];
    const where = u.category === "all" ? "" : ` in <b>${esc(categoryName(u.category))}</b>`;
    const query = u.search ? ` for <span class="q">"${esc(u.search)}"</span>
      <a class="clear-search" ${act("search.clear")} data-testid="clear-search">✕ Clear search</a>` : "";
    return `<div class="catalog">${sidebar()}
      <section class="results">
        <div class="toolbar">
          <div class="res-count" data-testid="result-count">${from}-${from ? from + shown.length - 1 : 0} of ${plural(list.length, "result")}${where}${query}</div>
          <div class="menu-root sort">
            <button class="sort-btn" ${act("sort.open")} data-testid="sort-button">Sort by: <b>${sortLabel}</b> ▾</button>
            ${u.menu === "sort" ? `<div class="menu" data-testid="sort-menu">${SORTS.map(([k, label]) =>
              `<a class="menu-item ${k === u.sort ? "on" : ""}" ${act("sort.choose", k)} data-testid="sort-${k}">${label}</a>`).join("")}</div>` : ""}
          </div>
        </div>
        ${shown.length ? `<div class="grid" data-testid="grid">${shown.map(productCard).join("")}</div>`
          : `<div class="empty" data-testid="no-results"><h2>No results${u.search ? ` for "${esc(u.search)}"` : ""}</h2>
              <p>Try checking your spelling, using fewer words, or removing filters.</p>
              <button class="btn" ${act("filter.clear")} data-testid="empty-clear-filters">Clear all filters</button></div>`}
        ${pager("page.goto", page, total, "page")}
      </section></div>`;
  }

  // ---------------------------------------------------------------- product page
  function productView() {
    const u = state.ui, p = product(u.product_id);
    const wished = inWishlist(p.id);
    const off = p.list_price ? Math.round((1 - p.price / p.list_price) * 100) : 0;
    const related = state.products.filter((x) => x.category_id === p.category_id && x.id !== p.id).slice(0, RELATED_COUNT);
    const arrive = shortDate(addDays(state.now, state.store.standard_days));
    const free = p.price >= state.store.free_shipping_min;
    const canBuy = p.stock > 0;
    return `<div class="pdp" data-testid="product-view">
      <div class="crumbs"><a ${act("product.back")} data-testid="back-to-results">‹ Back to results</a><span class="sep">|</span>
        <a ${act("category", "all")} data-testid="crumb-all">All</a> › <a ${act("category", p.category_id)} data-testid="crumb-category">${esc(categoryName(p.category_id))}</a>
        › <span>${esc(p.brand)}</span></div>
      <div class="pdp-main">
        <div class="pdp-img">${ART.productArt(p, "art-lg")}</div>
        <div class="pdp-info">
          <h1 data-testid="product-title">${esc(p.name)}</h1>
          <a class="brand-link" ${act("product.brand")} data-testid="brand-store">Visit the ${esc(p.brand)} Store</a>
          <div class="pdp-rating">${stars(p.rating, null)} <span class="muted">${count(p.review_count)} ratings</span></div>
          <hr>
          ${off ? `<div class="deal-line"><span class="deal-pct">-${off}%</span> ${priceBlock(p, "lg")}</div>` : `<div class="deal-line">${priceBlock(p, "lg")}</div>`}
          <div class="muted small">${free ? "FREE Returns · Eligible for FREE shipping" : "FREE Returns"}</div>
          <h3>About this item</h3>
          <ul class="features">${p.features.map((t) => `<li>${esc(t)}</li>`).join("")}</ul>
          <p class="desc">${esc(p.description)}</p>
        </div>
        <div class="buybox" data-testid="buybox">
          ${priceBlock(p)}
          <div class="small">${free ? `<b>FREE delivery</b> ${arrive}` : `${money(state.store.standard_shipping)} delivery ${arrive}`}</div>
          <div class="small muted">${I.pin} Deliver to ${esc(u.checkout.city)} ${esc(u.checkout.postal_code)}</div>
          <div class="stock-line">${stockLine(p)}</div>
          <div class="qty-row"><span>Quantity:</span>
            <div class="stepper"><button ${act("qty.dec")} data-testid="qty-dec" ${u.quantity <= 1 || !canBuy ? "disabled" : ""}>−</button>
              <span data-testid="qty-value">${u.quantity}</span>
              <button ${act("qty.inc")} data-testid="qty-inc" ${!canBuy || u.quantity >= maxQty(p) ? "disabled" : ""}>+</button></div></div>
          <button class="btn btn-cart btn-wide" ${act("product.add")} data-testid="add-to-cart" ${canBuy ? "" : "disabled"}>Add to Cart</button>
          <button class="btn btn-buy btn-wide" ${act("product.buy")} data-testid="buy-now" ${canBuy ? "" : "disabled"}>Buy Now</button>
          <div class="small muted ships">Ships from ${esc(state.store.name)}<br>Sold by ${esc(state.store.name)}<br>Returns: 30-day refund</div>
          <a class="wish-link ${wished ? "on" : ""}" ${act("wishlist.toggle", p.id)} data-testid="wishlist-toggle">${wished ? I.heart + " In your Wish List (remove)" : I.heartOutline + " Add to Wish List"}</a>
        </div>
      </div>
      <div class="related"><h3>More in ${esc(categoryName(p.category_id))}</h3><div class="related-row">${related.map((r) =>
        `<a class="rel" ${act("product.open", r.id)} data-testid="related-${r.id}">${ART.productArt(r, "art-sm")}<span class="rel-name">${esc(r.name)}</span>
          ${stars(r.rating, r.review_count)}<span class="rel-price">${money(r.price)}</span></a>`).join("")}</div></div>
    </div>`;
  }

  // ---------------------------------------------------------------- cart
  function cartView() {
    const lines = cartLines(), units = cartUnits(), sub = cartSubtotal();
    const need = round2(state.store.free_shipping_min - sub);
    const wish = state.wishlist.map((w) => product(w.product_id)).filter(Boolean).slice(0, 3);
    const body = lines.length === 0
      ? `<div class="empty cart-empty" data-testid="cart-empty"><h2>Your ${esc(state.store.name)} Cart is empty</h2>
          <p>Browse the departments above or search for something you love.</p>
          <button class="btn btn-cart" ${act("shop.continue")} data-testid="continue-shopping">Continue shopping</button></div>`
      : `<div class="lines">${lines.map(({ line, p }) => `<div class="line" data-testid="line-${line.id}">
          <div class="thumb" ${act("product.open", p.id)}>${ART.productArt(p, "art")}</div>
          <div class="line-info"><a class="line-name" ${act("product.open", p.id)} data-testid="line-name-${line.id}">${esc(p.name)}</a>
            <div>${line.quantity > p.stock ? `<span class="stock out">Only ${p.stock} available</span>` : stockLine(p)}</div>
            <div class="muted small">Sold by ${esc(state.store.name)} · ${esc(p.brand)}</div>
            <div class="line-ctl">
              <div class="stepper"><button ${act("cart.dec", line.id)} data-testid="dec-${line.id}" ${line.quantity <= 1 ? "disabled" : ""}>−</button>
                <span data-testid="qty-${line.id}">${line.quantity}</span>
                <button ${act("cart.inc", line.id)} data-testid="inc-${line.id}" ${line.quantity >= maxQty(p) ? "disabled" : ""}>+</button></div>
              <span class="bar">|</span><a ${act("cart.remove", line.id)} data-testid="remove-${line.id}">Delete</a>
              <span class="bar">|</span><a ${act("cart.to_wishlist", line.id)} data-testid="move-${line.id}">Move to Wish List</a>
            </div></div>
          <div class="line-price"><b>${money(p.price * line.quantity)}</b>${line.quantity > 1 ? `<div class="muted small">${money(p.price)} each</div>` : ""}</div>
        </div>`).join("")}</div>
        <div class="cart-foot">Subtotal (${plural(units, "item")}): <b data-testid="cart-subtotal">${money(sub)}</b></div>`;
    return `<div class="cartpage" data-testid="cart-view">
      <section class="panel cart-list"><h1>Shopping Cart</h1><div class="col-head">Price</div>${body}</section>
      <aside class="cart-side">
        ${lines.length ? `<div class="panel checkout-box">
          <div class="ship-note ${need <= 0 ? "ok" : ""}">${need <= 0 ? I.check + " Your order qualifies for FREE Shipping."
            : `Add <b>${money(need)}</b> of eligible items to your order to qualify for FREE Shipping.`}</div>
          <div class="sub-line">Subtotal (${plural(units, "item")}): <b>${money(sub)}</b></div>
          <button class="btn btn-cart btn-wide" ${act("cart.checkout")} data-testid="proceed-checkout">Proceed to checkout</button></div>` : ""}
        <div class="panel mini-wish"><h3>Your Wish List <span class="muted">(${state.wishlist.length})</span></h3>
          ${wish.length ? wish.map((p) => `<div class="mini-row">${ART.productArt(p, "art-xs")}<div>
            <a ${act("product.open", p.id)} class="mini-name">${esc(p.name)}</a><div class="mini-price">${money(p.price)}</div>
            ${p.stock > 0 ? `<button class="btn btn-sm" ${act("wishlist.add", p.id)} data-testid="mini-add-${p.id}">Add to cart</button>` : `<span class="stock out">Unavailable</span>`}</div></div>`).join("")
            : `<div class="muted small">Nothing saved yet.</div>`}
          <a class="see-all" ${act("wishlist.open")} data-testid="mini-see-all">See your Wish List ›</a></div>
      </aside></div>`;
  }

  // ---------------------------------------------------------------- checkout
  function field(key, label, cls) {
    const u = state.ui, err = u.checkout_errors[key];
    return `<label class="fld ${cls || ""} ${err ? "err" : ""}"><span class="fld-label">${label}${err ? `<em data-testid="err-${key}">${esc(err)}</em>` : ""}</span>
      <input id="co-${key}" data-testid="co-${key}" type="text" autocomplete="off" spellcheck="false"
        data-field="ui.checkout.${key}" data-enter="checkout.place" value="${esc(u.checkout[key])}"></label>`;
  }

  function checkoutView() {
    const u = state.ui, c = u.checkout, lines = cartLines();
    const sub = cartSubtotal(), t = totals(sub, c.shipping_method);
    const st = state.store;
    const cartErr = u.checkout_errors.cart;
    const option = (group, value, title, note) => `<a class="opt ${c[group] === value ? "on" : ""}"
      ${act(group === "shipping_method" ? "checkout.shipping" : "checkout.payment", value)} data-testid="${group === "shipping_method" ? "ship" : "pay"}-${value}">
      ${radio(c[group] === value)}<span><b>${title}</b>${note ? `<small>${note}</small>` : ""}</span></a>`;
    const stdNote = sub >= st.free_shipping_min ? "FREE" : money(st.standard_shipping);
    return `<div class="checkout" data-testid="checkout-view">
      <div class="co-head"><a ${act("checkout.back")} data-testid="back-to-cart">‹ Back to cart</a>
        <h1>Checkout <span class="muted">(${plural(cartUnits(), "item")})</span></h1></div>
      <div class="co-body">
        <section class="co-form">
          <div class="panel co-sec"><h2><span class="step">1</span> Shipping address</h2>
            <div class="row">${field("full_name", "Full name")}${field("phone", "Phone number")}</div>
            <div class="row">${field("address_line1", "Street address")}${field("address_line2", "Apt, suite, unit (optional)")}</div>
            <div class="row">${field("city", "City")}${field("region", "State", "narrow")}${field("postal_code", "ZIP code", "narrow")}${field("country", "Country")}</div>
          </div>
          <div class="panel co-sec"><h2><span class="step">2</span> Delivery option</h2>
            <div class="opts">${option("shipping_method", "standard", `Standard delivery: ${shortDate(addDays(state.now, st.standard_days))}`, `${stdNote} · ${st.standard_days} business days`)}
              ${option("shipping_method", "express", `Express delivery: ${shortDate(addDays(state.now, st.express_days))}`, `${money(st.express_shipping)} · ${st.express_days} business days`)}</div>
          </div>
          <div class="panel co-sec"><h2><span class="step">3</span> Payment method</h2>
            <div class="opts three">${option("payment_method", "card", "Credit or debit card", "Visa, Mastercard, Amex")}
              ${option("payment_method", "paypal", "PayPal", "Pay with your PayPal account")}
              ${option("payment_method", "cod", "Cash on delivery", "Pay when it arrives")}</div>
            ${c.payment_method === "card" ? `<div class="row">${field("card_number", "Card number")}${field("card_name", "Name on card")}${field("card_expiry", "Expiry (MM/YY)", "narrow")}</div>`
              : `<div class="muted small pay-note">${c.payment_method === "paypal" ? "You will confirm the payment with PayPal after placing the order." : "Pay the courier in cash or by card on delivery."}</div>`}
          </div>
        </section>
        <aside class="panel co-summary" data-testid="order-summary">
          <button class="btn btn-cart btn-wide" ${act("checkout.place")} data-testid="place-order" ${lines.length ? "" : "disabled"}>Place your order</button>
          <p class="tiny muted">By placing your order, you agree to ${esc(st.name)}'s conditions of use and privacy notice.</p>
          ${cartErr ? `<div class="alert" data-testid="err-cart">${esc(cartErr)}</div>` : ""}
          <h3>Order Summary</h3>
          <div class="sum-items">${lines.length ? lines.map(({ line, p }) => `<div class="sum-item">${ART.productArt(p, "art-xs")}
            <span class="sum-name">${esc(p.name)}</span><span class="sum-qty">×${line.quantity}</span><span>${money(p.price * line.quantity)}</span></div>`).join("")
            : `<div class="muted small">Your cart is empty. <a ${act("shop.continue")} data-testid="checkout-continue">Continue shopping</a></div>`}</div>
          <div class="sum-row"><span>Items:</span><span>${money(t.subtotal)}</span></div>
          <div class="sum-row"><span>Shipping &amp; handling:</span><span data-testid="sum-shipping">${t.shipping_cost ? money(t.shipping_cost) : "FREE"}</span></div>
          <div class="sum-row"><span>Estimated tax (${Math.round(st.tax_rate * 1000) / 10}%):</span><span>${money(t.tax)}</span></div>
          <div class="sum-row total"><span>Order total:</span><span data-testid="sum-total">${money(t.total)}</span></div>
        </aside>
      </div></div>`;
  }

  // ---------------------------------------------------------------- orders
  function statusLine(o) {
    if (o.status === "delivered") return `<span class="st st-delivered">Delivered ${longDate(o.estimated_delivery)}</span>`;
    if (o.status === "cancelled") return `<span class="st st-cancelled">Cancelled</span>`;
    if (o.status === "shipped") return `<span class="st st-shipped">Shipped · Arriving ${shortDate(o.estimated_delivery)}</span>`;
    return `<span class="st st-processing">Preparing for shipment · Arriving ${shortDate(o.estimated_delivery)}</span>`;
  }

  function orderItemRow(item) {
    const p = product(item.product_id);
    const pic = p ? ART.productArt(p, "art-xs") : `<span class="art-xs"></span>`;
    const name = p ? `<a ${act("product.open", p.id)} class="oi-name">${esc(item.name)}</a>` : `<span class="oi-name">${esc(item.name)}</span>`;
    const again = p && p.stock > 0
      ? `<button class="btn btn-sm btn-cart" ${act("order.buy_again", p.id)} data-testid="again-${item.id}">Buy it again</button>`
      : `<button class="btn btn-sm" disabled>Unavailable</button>`;
    return `<div class="oi">${pic}<div class="oi-text">${name}<div class="muted small">Qty ${item.quantity} · ${money(item.unit_price)} each</div></div>${again}</div>`;
  }

  function orderHead(o) {
    return `<div class="o-head"><div><small>ORDER PLACED</small>${longDate(o.placed_at)}</div><div><small>TOTAL</small>${money(o.total)}</div>
      <div><small>SHIP TO</small>${esc(o.ship_to.full_name)}</div><div class="o-id"><small>ORDER # ${esc(o.id)}</small>
      <a ${act("order.open", o.id)} data-testid="details-${o.id}">View order details</a></div></div>`;
  }

  function ordersView() {
    const u = state.ui;
    const sorted = state.orders.slice().sort((a, b) => (a.placed_at < b.placed_at ? 1 : a.placed_at > b.placed_at ? -1 : 0));
    const total = pages(sorted.length, ORDERS_PAGE_SIZE), page = clampPage(u.orders_page, sorted.length, ORDERS_PAGE_SIZE);
    const shown = sorted.slice((page - 1) * ORDERS_PAGE_SIZE, page * ORDERS_PAGE_SIZE);
    return `<div class="orders" data-testid="orders-view"><div class="page-head"><h1>Your Orders</h1>
      <span class="muted">${plural(sorted.length, "order")} placed</span></div>
      ${shown.length ? shown.map((o) => `<div class="panel order" data-testid="order-${o.id}">${orderHead(o)}
        <div class="o-body"><div class="o-items">${statusLine(o)}${o.items.slice(0, 2).map(orderItemRow).join("")}
          ${o.items.length > 2 ? `<div class="muted small more">+ ${plural(o.items.length - 2, "more item")}</div>` : ""}</div>
          <div class="o-actions"><button class="btn btn-sm" ${act("order.open", o.id)} data-testid="open-${o.id}">Order details</button>
            ${o.status === "processing" ? `<button class="btn btn-sm" ${act("order.cancel", o.id)} data-testid="cancel-${o.id}">Cancel order</button>` : ""}</div></div>
      </div>`).join("") : `<div class="empty"><h2>You have not placed any orders yet</h2>
        <button class="btn btn-cart" ${act("shop.continue")} data-testid="orders-continue">Start shopping</button></div>`}
      ${pager("orders.page", page, total, "orders-page")}</div>`;
  }

  function orderView() {
    const o = state.orders.find((x) => x.id === state.ui.order_id), a = o.ship_to;
    return `<div class="orderpage" data-testid="order-view">
      <div class="co-head"><a ${act("order.back")} data-testid="back-to-orders">‹ Your Orders</a><h1>Order Details</h1></div>
      <div class="muted od-sub">Ordered on ${longDate(o.placed_at)} <span class="sep">|</span> Order# ${esc(o.id)}</div>
      <div class="panel od-grid">
        <div><h3>Shipping Address</h3>${esc(a.full_name)}<br>${esc(a.address_line1)}${a.address_line2 ? `<br>${esc(a.address_line2)}` : ""}
          <br>${esc(a.city)}, ${esc(a.region)} ${esc(a.postal_code)}<br>${esc(a.country)}<br><span class="muted">${esc(a.phone)}</span></div>
        <div><h3>Payment Method</h3>${PAYMENT_LABEL[o.payment.method]}${o.payment.card_last4 ? `<br><span class="muted">ending in ${o.payment.card_last4}</span>` : ""}
          <h3 class="mt">Delivery</h3>${o.shipping_method === "express" ? "Express" : "Standard"} delivery</div>
        <div><h3>Order Summary</h3>
          <div class="sum-row"><span>Item(s) Subtotal:</span><span>${money(o.subtotal)}</span></div>
          <div class="sum-row"><span>Shipping &amp; Handling:</span><span>${money(o.shipping_cost)}</span></div>
          <div class="sum-row"><span>Estimated tax:</span><span>${money(o.tax)}</span></div>
          <div class="sum-row total"><span>Grand Total:</span><span data-testid="od-total">${money(o.total)}</span></div></div>
      </div>
      <div class="panel od-items"><div class="od-status">${statusLine(o)}<span class="badge b-${o.status}" data-testid="od-status">${STATUS_LABEL[o.status]}</span></div>
        <div class="od-list">${o.items.map(orderItemRow).join("")}</div>
        ${o.status === "processing" ? `<button class="btn" ${act("order.cancel", o.id)} data-testid="od-cancel">Cancel order</button>` : ""}</div>
    </div>`;
  }

  function confirmationView() {
    const o = state.orders.find((x) => x.id === state.ui.order_id);
    return `<div class="confirm" data-testid="confirmation-view"><div class="panel confirm-box">
      <div class="ok-head">${I.check}<h1>Order placed, thank you!</h1></div>
      <p>Confirmation will be sent to <b>${esc(state.user.email)}</b>.</p>
      <p><b>Shipping to ${esc(o.ship_to.full_name)}</b>, ${esc(o.ship_to.address_line1)}, ${esc(o.ship_to.city)}, ${esc(o.ship_to.region)} ${esc(o.ship_to.postal_code)}</p>
      <div class="confirm-grid"><div><small>ORDER NUMBER</small><b data-testid="confirm-order-id">${esc(o.id)}</b></div>
        <div><small>ARRIVING</small><b>${shortDate(o.estimated_delivery)}</b></div><div><small>ORDER TOTAL</small><b>${money(o.total)}</b></div></div>
      <div class="confirm-items">${o.items.map((i) => { const p = product(i.product_id); return p ? ART.productArt(p, "art-sm") : ""; }).join("")}</div>
      <div class="confirm-actions"><button class="btn" ${act("order.open", o.id)} data-testid="confirm-details">View order details</button>
        <button class="btn" ${act("orders.open")} data-testid="confirm-orders">Review your orders</button>
        <button class="btn btn-cart" ${act("shop.continue")} data-testid="confirm-continue">Continue shopping</button></div>
    </div></div>`;
  }

  // ---------------------------------------------------------------- wish list
  function wishlistView() {
    const u = state.ui, items = state.wishlist.filter((w) => product(w.product_id));
    const total = pages(items.length, WISHLIST_PAGE_SIZE), page = clampPage(u.wishlist_page, items.length, WISHLIST_PAGE_SIZE);
    const shown = items.slice((page - 1) * WISHLIST_PAGE_SIZE, page * WISHLIST_PAGE_SIZE);
    return `<div class="wish" data-testid="wishlist-view"><div class="page-head"><h1>Your Wish List</h1>
      <span class="muted">${plural(items.length, "item")}</span></div>
      <div class="panel wish-list">${shown.length ? shown.map((w) => { const p = product(w.product_id); return `<div class="wrow" data-testid="wish-${w.id}">
        <div class="thumb" ${act("product.open", p.id)}>${ART.productArt(p, "art")}</div>
        <div class="w-info"><a class="line-name" ${act("product.open", p.id)} data-testid="wish-name-${w.id}">${esc(p.name)}</a>
          <div class="muted small">by ${esc(p.brand)}</div>${stars(p.rating, p.review_count)}
          <div>${priceBlock(p)}</div><div class="muted small">Item added ${longDate(w.added_on)}</div></div>
        <div class="w-actions">${stockLine(p)}
          ${p.stock > 0 ? `<button class="btn btn-cart" ${act("wishlist.add", p.id)} data-testid="wish-add-${w.id}">Add to Cart</button>` : ""}
          <button class="btn" ${act("wishlist.remove", w.id)} data-testid="wish-remove-${w.id}">Remove</button></div></div>`; }).join("")
        : `<div class="empty"><h2>Your Wish List is empty</h2><p>Tap the heart on any product to save it here.</p>
            <button class="btn btn-cart" ${act("shop.continue")} data-testid="wish-continue">Continue shopping</button></div>`}</div>
      ${pager("wishlist.page", page, total, "wish-page")}</div>`;
  }

  // ---------------------------------------------------------------- page
  const VIEWS = { catalog: catalogView, product: productView, cart: cartView, checkout: checkoutView,
                  confirmation: confirmationView, orders: ordersView, order: orderView, wishlist: wishlistView };

  function render() {
    // Re-rendering replaces the inputs; keep the focused one focused with its caret in place.
    const active = document.activeElement;
    const focusId = active && active.id && active.tagName === "INPUT" ? active.id : null;
    const sel = focusId ? [active.selectionStart, active.selectionEnd] : null;
    root.innerHTML = `<div class="shell">${header()}${catbar()}<main class="main view-${state.ui.view}">${VIEWS[state.ui.view]()}</main>
      ${state.ui.toast ? `<div class="toast" data-testid="toast">${esc(state.ui.toast)}</div>` : ""}</div>`;
    if (focusId) {
      const el = document.getElementById(focusId);
      if (el) { el.focus(); el.setSelectionRange(sel[0], sel[1]); }
    }
  }

  function run(name, arg) {
    const fn = ACTIONS[name];
    if (!fn) throw new Error("unknown action " + name);
    state.ui.toast = null;
    fn(arg);
  }

  function commit() { render(); CUA.save(state); }

  function setPath(path, value) {
    const keys = path.split(".");
    let obj = state;
    for (const k of keys.slice(0, -1)) obj = obj[k];
    obj[keys[keys.length - 1]] = value;
  }

  document.addEventListener("click", (ev) => {
    if (!state) return;
    const el = ev.target.closest("[data-act]");
    let changed = false;
    if (state.ui.menu && !ev.target.closest(".menu-root")) { state.ui.menu = null; changed = true; }
    if (el && !el.disabled) {
      ev.preventDefault();
      run(el.dataset.act, el.dataset.arg);
      changed = true;
    }
    if (changed) commit();
  });

  document.addEventListener("input", (ev) => {
    const path = ev.target.dataset && ev.target.dataset.field;
    if (!state || !path) return;
    setPath(path, ev.target.value);
    CUA.save(state);
  });

  document.addEventListener("keydown", (ev) => {
    const name = ev.target.dataset && ev.target.dataset.enter;
    if (!state || !name || ev.key !== "Enter") return;
    ev.preventDefault();
    run(name);
    commit();
  });

  CUA.load().then((s) => {
    state = s;
    render();
    CUA.ready();
  }).catch((e) => {
    root.innerHTML = `<div class="fatal">Could not load the shop: ${esc(e.message)}</div>`;
  });
})();
