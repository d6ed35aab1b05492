"""The shop hub app in a real hub process and a real headless Chromium.

Every control on the main views is clicked and every input typed into. After each action the
state the server holds is compared with the state before: the changed dotted paths must be
allowed by SCHEMA.md's "Observable state changes" row for that action (the table is parsed
here, so the document and the app cannot drift apart), and must be exactly the paths and values
the test computes by hand. The product grid is checked against a naive Python reference of the
filters, sorting and paging.
"""

from __future__ import annotations

import copy
import math
import re
import struct
from pathlib import Path

import pytest

from cuagym.hub.client import HubClient
from cuagym.hub.core.diff import state_diff
from cuagym.hub.shop.app import SPEC
from cuagym.hub.shop.seed import order_totals, seed_state

from .conftest import assert_refused, open_app, wait_idle

APP_JS = Path(SPEC.static_dir) / "app.js"
SCREENSHOT_DIR = Path(SPEC.static_dir).parent / "screenshots"


# ---------------------------------------------------------------- the SCHEMA.md table

def parse_change_table(md: str) -> dict[tuple[str, str], set[str]]:
    """``{(action id, case): documented path patterns}`` from the Observable state changes table."""
    section = md.split("## Observable state changes", 1)[1]
    rows: dict[tuple[str, str], set[str]] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"malformed row in SCHEMA.md: {line}"
        action = re.findall(r"`([^`]+)`", cells[0])[0]
        rows[(action, cells[1])] = set(re.findall(r"`([^`]+)`", cells[3]))
    return rows


DOC = parse_change_table(Path(SPEC.schema_doc).read_text())
EXERCISED: set[tuple[str, str]] = set()


def _child(node, seg):
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and str(item.get("id")) == seg:
                return item
        return node[int(seg)] if seg.isdigit() and int(seg) < len(node) else None
    return node.get(seg) if isinstance(node, dict) else None


def normalize(path: str, before: dict, after: dict) -> str:
    """Replace list item ids/indices (and checkout error keys) in a diff path by ``*``."""
    nodes, out = [before, after], []
    for seg in path.split("."):
        wild = any(isinstance(n, list) for n in nodes) or ".".join(out) == "ui.checkout_errors"
        out.append("*" if wild else seg)
        nodes = [_child(n, seg) for n in nodes]
    return ".".join(out)


def documented(norm: str, patterns: set[str]) -> bool:
    return any(norm == p or (p.endswith(".**") and norm.startswith(p[:-2])) for p in patterns)


# ---------------------------------------------------------------- naive reference of the grid

BANDS = {"any": (0, math.inf), "under_25": (0, 25), "25_50": (25, 50), "50_100": (50, 100),
         "100_200": (100, 200), "over_200": (200, math.inf)}


def reference_grid(state: dict) -> tuple[list[str], int]:
    u, f = state["ui"], state["ui"]["filters"]
    cats = {c["id"]: c["name"] for c in state["categories"]}
    words = u["search"].lower().split()
    lo, hi = BANDS[f["price"]]
    hits = []
    for p in state["products"]:
        hay = f"{p['name']} {p['brand']} {cats[p['category_id']]}".lower()
        if u["category"] not in ("all", p["category_id"]) or not all(w in hay for w in words):
            continue
        if not lo <= p["price"] < hi or p["rating"] < f["min_rating"]:
            continue
        if (f["brands"] and p["brand"] not in f["brands"]) or (f["in_stock_only"] and p["stock"] <= 0):
            continue
        hits.append(p)
    keys = {"featured": None, "price_asc": lambda p: p["price"], "price_desc": lambda p: -p["price"],
            "rating": lambda p: (-p["rating"], -p["review_count"]), "reviews": lambda p: -p["review_count"]}
    if keys[u["sort"]]:
        hits = sorted(hits, key=keys[u["sort"]])  # stable, like Array.prototype.sort
    page = min(max(1, u["page"]), max(1, math.ceil(len(hits) / 10)))
    return [p["id"] for p in hits[(page - 1) * 10: page * 10]], len(hits)


# ---------------------------------------------------------------- driver

class Shop:
    """One browser page on the hub; every action is checked against SCHEMA.md and by value."""

    def __init__(self, page, client):
        self.page, self.client, self.sid = page, client, None
        self._known = None  # the server state after the last checked action (saves a request per action)

    def load(self, sid: str, state: dict | None = None, **ui) -> dict:
        state = copy.deepcopy(state or seed_state())
        state["ui"].update(ui)
        self.sid = sid
        self.page.goto(self.client.set(sid, state)["launch_url"])
        wait_idle(self.page)
        self._known = self.client.state(sid)
        return self._known

    def state(self) -> dict:
        if self._known is None:
            self._known = self.client.state(self.sid)
        return self._known

    def run(self, action: str, do, expect: dict, case: str = "") -> dict:
        before = self.state()
        do()
        wait_idle(self.page)
        after = self._known = self.client.state(self.sid)
        diff = state_diff(before, after, SPEC.transient_keys)
        patterns = DOC[(action, case)]
        for path in diff:
            norm = normalize(path, before, after)
            assert documented(norm, patterns), f"{action}: {path} ({norm}) is not in SCHEMA.md: {sorted(patterns)}"
        got = {p: d["new"] for p, d in diff.items()}
        assert got == expect, f"{action}: state changed by {got}, expected {expect}"
        EXERCISED.add((action, case))
        return after

    def tid(self, testid: str) -> str:
        return f'[data-testid="{testid}"]'

    def click(self, action: str, testid: str, expect: dict, case: str = "") -> dict:
        return self.run(action, lambda: self.page.click(self.tid(testid)), expect, case)

    def type(self, action: str, testid: str, text: str, expect: dict, keys: bool = True) -> dict:
        """Type into an input: key by key (``keys``), or as one input event (faster: one save)."""
        def do():
            if keys:
                self.page.click(self.tid(testid))
                self.page.keyboard.press("Control+A")
                self.page.keyboard.type(text)
            else:
                self.page.fill(self.tid(testid), text)
        return self.run(action, do, expect)

    def press_enter(self, action: str, testid: str, expect: dict, case: str = "") -> dict:
        return self.run(action, lambda: self.page.press(self.tid(testid), "Enter"), expect, case)

    def grid(self) -> list[str]:
        return self.page.eval_on_selector_all(".card", "els => els.map(e => e.dataset.testid.slice(5))")

    def text(self, testid: str) -> str:
        return self.page.inner_text(self.tid(testid))

    def exists(self, testid: str) -> bool:
        return self.page.query_selector(self.tid(testid)) is not None

    def disabled(self, testid: str) -> bool:
        return self.page.is_disabled(self.tid(testid))

    def check_grid(self) -> None:
        ids, total = reference_grid(self.state())
        assert self.grid() == ids
        assert f"of {total} result" in self.text("result-count")


pytestmark = pytest.mark.hub(["shop"])


@pytest.fixture(scope="module")
def shop(browser, hub):
    ctx, page, client = open_app(browser, hub, "shop", "shop-boot")
    yield Shop(page, client)
    ctx.close()


# ---------------------------------------------------------------- seed and documents

def test_seed_is_valid_deterministic_and_consistent():
    a, b = seed_state(), seed_state()
    assert a == b and SPEC.seed_state() == SPEC.validate(a)
    assert len(a["products"]) == 48 and len(a["categories"]) == 6
    for c in a["categories"]:
        assert sum(p["category_id"] == c["id"] for p in a["products"]) == 8
    # SL-10038: 32.95 + 28.00 = 60.95, free standard shipping, tax 4.876 -> 4.88, total 65.83
    o = next(x for x in a["orders"] if x["id"] == "SL-10038")
    assert (o["subtotal"], o["shipping_cost"], o["tax"], o["total"]) == (60.95, 0.0, 4.88, 65.83)
    assert o["estimated_delivery"] == "2025-06-15"
    # Below the free-shipping minimum standard shipping costs 5.99; express always 14.99.
    assert order_totals(20.0, "standard") == {"subtotal": 20.0, "shipping_cost": 5.99, "tax": 1.6, "total": 27.59}
    assert order_totals(20.0, "express")["total"] == 36.59


def test_every_control_in_the_page_is_documented():
    js = APP_JS.read_text()
    handlers = js.split("const ACTIONS = {", 1)[1].split("\n  };", 1)[0]
    defined = set(re.findall(r'^    "?([\w.]+)"?\(', handlers, re.M))
    used = set(re.findall(r'act\("([\w.]+)"', js)) | set(re.findall(r'data-enter="([\w.]+)"', js))
    table = {a for a, _ in DOC}
    assert len(defined) > 30 and used <= defined, f"controls without a handler: {used - defined}"
    assert defined - table == set(), f"actions missing from SCHEMA.md: {defined - table}"
    assert table - defined == {"search.type", "checkout.type"}, "SCHEMA.md lists actions the page lacks"


# ---------------------------------------------------------------- header, departments, search

def test_header_and_department_navigation(shop):
    shop.load("nav")
    shop.check_grid()
    shop.click("category", "tab-electronics", {"ui.category": "electronics"})
    shop.check_grid()
    shop.click("category", "dept-books", {"ui.category": "books"})
    assert shop.grid() == [f"p{n}" for n in range(33, 41)]
    shop.click("cart.open", "nav-cart", {"ui.view": "cart"})
    shop.click("orders.open", "nav-orders", {"ui.view": "orders"})
    shop.click("wishlist.open", "nav-wishlist", {"ui.view": "wishlist"})
    shop.click("category", "tab-home", {"ui.view": "catalog", "ui.category": "home"})
    shop.click("category", "tab-all", {"ui.category": "all"})
    assert shop.text("cart-count") == "3"

    # The logo resets everything the catalogue shows.
    shop.load("nav-logo", view="cart", category="sports", search="ball", search_draft="ball x", sort="rating",
              page=2, filters={"price": "under_25", "min_rating": 4, "brands": ["Courtside"], "in_stock_only": True})
    shop.click("home", "logo", {
        "ui.view": "catalog", "ui.category": "all", "ui.search": "", "ui.search_draft": "", "ui.sort": "featured",
        "ui.page": 1, "ui.filters.price": "any", "ui.filters.min_rating": 0, "ui.filters.brands.0": None,
        "ui.filters.in_stock_only": False})
    shop.check_grid()


def test_search_box_enter_button_and_clear(shop):
    shop.load("search", page=3)
    shop.type("search.type", "search-input", "bottle", {"ui.search_draft": "bottle"})
    shop.press_enter("search.submit", "search-input", {"ui.search": "bottle", "ui.page": 1})
    assert shop.grid() == ["p25", "p31"]
    assert shop.text("result-count").startswith("1-2 of 2 results")
    # Every word must match: "water steel" only finds the insulated bottle.
    shop.type("search.type", "search-input", "  water steel ", {"ui.search_draft": "  water steel "})
    shop.click("search.submit", "search-button", {"ui.search": "water steel"})
    assert shop.grid() == ["p25"]
    shop.click("search.clear", "clear-search", {"ui.search": "", "ui.search_draft": ""})
    shop.check_grid()
    # Searching from another page opens the results; a department name matches too.
    shop.load("search-2", view="cart", search_draft="books")
    shop.click("search.submit", "search-button", {"ui.search": "books", "ui.view": "catalog"})
    assert shop.grid() == [f"p{n}" for n in range(33, 41)]
    shop.type("search.type", "search-input", "zzz", {"ui.search_draft": "zzz"})
    shop.press_enter("search.submit", "search-input", {"ui.search": "zzz"})
    assert shop.exists("no-results") and shop.grid() == []
    assert shop.page.input_value(shop.tid("search-input")) == "zzz"


# ---------------------------------------------------------------- catalogue: filters, sort, pager

def test_sidebar_filters_match_reference(shop):
    shop.load("filters", category="electronics")
    shop.click("filter.brand", "brand-Sonora", {"ui.filters.brands.0": "Sonora"})
    assert shop.grid() == ["p01", "p05"]
    shop.click("filter.brand", "brand-Helix", {"ui.filters.brands.1": "Helix"})
    shop.check_grid()
    # Unticking the first brand shifts the list: index 0 becomes Helix, index 1 disappears.
    shop.click("filter.brand", "brand-Sonora", {"ui.filters.brands.0": "Helix", "ui.filters.brands.1": None})
    assert shop.grid() == ["p03", "p08"]
    shop.click("filter.price", "price-100_200", {"ui.filters.price": "100_200"})
    assert shop.exists("no-results")
    shop.click("filter.clear", "empty-clear-filters", {"ui.filters.price": "any", "ui.filters.brands.0": None})
    shop.check_grid()
    shop.click("filter.rating", "rating-4", {"ui.filters.min_rating": 4})
    shop.check_grid()
    shop.click("filter.in_stock", "in-stock", {"ui.filters.in_stock_only": True})
    assert "p07" not in shop.grid()
    shop.check_grid()
    shop.click("filter.price", "price-over_200", {"ui.filters.price": "over_200"})
    assert shop.grid() == ["p02", "p03", "p06", "p08"]
    for band in ("under_25", "25_50", "50_100", "any"):
        shop.click("filter.price", f"price-{band}", {"ui.filters.price": band})
        shop.check_grid()
    for stars in (3, 2, 0):
        shop.click("filter.rating", f"rating-{stars}", {"ui.filters.min_rating": stars})
        shop.check_grid()
    shop.click("filter.clear", "clear-filters", {"ui.filters.in_stock_only": False})
    # Choosing a department drops the brand ticks of the last one, and resets the page.
    shop.load("filters-2", category="books", page=2, filters={**seed_state()["ui"]["filters"], "brands": ["Finch & Co."]})
    shop.click("category", "dept-beauty", {"ui.category": "beauty", "ui.page": 1, "ui.filters.brands.0": None})
    shop.check_grid()


def test_sort_menu_and_pager(shop):
    shop.load("sort")
    shop.click("sort.open", "sort-button", {})
    assert shop.exists("sort-menu")
    shop.click("sort.choose", "sort-price_asc", {"ui.sort": "price_asc"})
    assert not shop.exists("sort-menu")
    shop.check_grid()
    assert shop.grid()[0] == "p48"  # $9.99 is the cheapest
    shop.click("page.goto", "page-next", {"ui.page": 2})
    shop.check_grid()
    shop.click("page.goto", "page-5", {"ui.page": 5})
    assert len(shop.grid()) == 8 and not shop.exists("page-next")
    shop.click("page.goto", "page-prev", {"ui.page": 4})
    shop.check_grid()
    for key in ("price_desc", "rating", "reviews", "featured"):
        shop.click("sort.open", "sort-button", {})
        shop.click("sort.choose", f"sort-{key}", {"ui.sort": key, "ui.page": 1} if key == "price_desc" else {"ui.sort": key})
        shop.check_grid()
    # A click outside closes the menu without changing anything observable.
    shop.click("sort.open", "sort-button", {})
    shop.run("sort.open", lambda: shop.page.click(".res-count"), {})  # no row of its own: nothing observable
    assert not shop.exists("sort-menu") and shop.client.state(shop.sid)["ui"]["menu"] is None


# ---------------------------------------------------------------- grid cards and product page

def test_grid_cards_add_to_cart_and_wishlist(shop):
    shop.load("cards", category="home")
    shop.click("cart.add", "add-p09", {"cart.cart-p09.id": "cart-p09", "cart.cart-p09.product_id": "p09",
                                       "cart.cart-p09.quantity": 1})
    assert "Added to cart" in shop.text("toast")
    shop.click("cart.add", "add-p09", {"cart.cart-p09.quantity": 2})
    assert shop.text("cart-count") == "5"
    shop.click("wishlist.toggle", "heart-p10", {"wishlist.wish-p10.id": "wish-p10", "wishlist.wish-p10.product_id": "p10",
                                               "wishlist.wish-p10.added_on": "2025-06-12"})
    shop.click("wishlist.toggle", "heart-p10", {"wishlist.wish-p10.id": None, "wishlist.wish-p10.product_id": None,
                                               "wishlist.wish-p10.added_on": None})
    shop.click("category", "tab-electronics", {"ui.category": "electronics"})
    assert shop.disabled("add-p07")  # out of stock
    shop.click("product.open", "card-img-p06", {"ui.view": "product", "ui.product_id": "p06"})
    shop.click("product.back", "back-to-results", {"ui.view": "catalog"})
    shop.click("product.open", "title-p05", {"ui.view": "product", "ui.product_id": "p05"})


def test_product_page_controls(shop):
    shop.load("pdp", view="product", product_id="p06", quantity=1)  # p06: 4 in stock
    assert shop.text("product-title") == "Lumen Mirrorless Camera Kit with 15-45mm Lens"
    assert "Only 4 left" in shop.text("buybox")
    assert shop.disabled("qty-dec")
    for q in (2, 3, 4):
        shop.click("qty.inc", "qty-inc", {"ui.quantity": q})
    assert shop.disabled("qty-inc") and shop.text("qty-value") == "4"
    shop.click("qty.dec", "qty-dec", {"ui.quantity": 3})
    shop.click("product.add", "add-to-cart", {"cart.cart-p06.id": "cart-p06", "cart.cart-p06.product_id": "p06",
                                              "cart.cart-p06.quantity": 3})
    # Buying 3 more is capped at the 4 in stock.
    shop.click("product.buy", "buy-now", {"cart.cart-p06.quantity": 4, "ui.view": "checkout"})
    assert "Limit reached" in shop.text("toast")
    shop.load("pdp-2", view="product", product_id="p06", quantity=3)
    shop.click("wishlist.toggle", "wishlist-toggle", {"wishlist.wish-p06.id": None, "wishlist.wish-p06.product_id": None,
                                                     "wishlist.wish-p06.added_on": None})
    assert "Add to Wish List" in shop.text("wishlist-toggle")
    shop.click("wishlist.toggle", "wishlist-toggle", {"wishlist.wish-p06.id": "wish-p06", "wishlist.wish-p06.product_id": "p06",
                                                     "wishlist.wish-p06.added_on": "2025-06-12"})
    shop.click("product.open", "related-p01", {"ui.product_id": "p01", "ui.quantity": 1})
    shop.click("category", "crumb-category", {"ui.view": "catalog", "ui.category": "electronics"})
    shop.click("product.open", "title-p03", {"ui.view": "product", "ui.product_id": "p03"})
    shop.click("category", "crumb-all", {"ui.view": "catalog", "ui.category": "all"})
    shop.click("category", "tab-fashion", {"ui.category": "fashion"})
    shop.click("product.open", "title-p18", {"ui.view": "product", "ui.product_id": "p18"})
    shop.click("product.brand", "brand-store", {"ui.view": "catalog", "ui.filters.brands.0": "Stride"})
    assert shop.grid() == ["p18", "p23"]
    # An out-of-stock product cannot be bought.
    shop.load("pdp-3", view="product", product_id="p39")
    assert shop.disabled("add-to-cart") and shop.disabled("buy-now") and shop.disabled("qty-inc")
    assert "Currently unavailable" in shop.text("buybox")


# ---------------------------------------------------------------- cart

def test_cart_page_controls(shop):
    shop.load("cart", view="cart")
    assert shop.text("cart-subtotal") == "$628.98"  # 499.00 + 2 x 64.99
    assert shop.disabled("dec-cart-p03")
    shop.click("cart.inc", "inc-cart-p03", {"cart.cart-p03.quantity": 2})
    shop.click("cart.dec", "dec-cart-p20", {"cart.cart-p20.quantity": 1})
    assert shop.text("cart-subtotal") == "$1,062.99"  # 2 x 499.00 + 64.99
    shop.click("wishlist.add", "mini-add-p06", {"cart.cart-p06.id": "cart-p06", "cart.cart-p06.product_id": "p06",
                                                "cart.cart-p06.quantity": 1})
    shop.click("cart.remove", "remove-cart-p03", {"cart.cart-p03.id": None, "cart.cart-p03.product_id": None,
                                                  "cart.cart-p03.quantity": None})
    shop.click("cart.to_wishlist", "move-cart-p20", {
        "cart.cart-p20.id": None, "cart.cart-p20.product_id": None, "cart.cart-p20.quantity": None,
        "wishlist.wish-p20.id": "wish-p20", "wishlist.wish-p20.product_id": "p20", "wishlist.wish-p20.added_on": "2025-06-12"})
    # Moving an item already on the wish list only removes it from the cart.
    shop.click("cart.to_wishlist", "move-cart-p06", {"cart.cart-p06.id": None, "cart.cart-p06.product_id": None,
                                                     "cart.cart-p06.quantity": None})
    assert shop.exists("cart-empty") and shop.text("cart-count") == "0"
    shop.click("shop.continue", "continue-shopping", {"ui.view": "catalog"})
    shop.load("cart-2", view="cart")
    shop.click("cart.checkout", "proceed-checkout", {"ui.view": "checkout"})
    shop.click("checkout.back", "back-to-cart", {"ui.view": "cart"})
    shop.click("product.open", "line-name-cart-p20", {"ui.view": "product", "ui.product_id": "p20"})
    shop.click("cart.open", "nav-cart", {"ui.view": "cart"})
    shop.click("wishlist.open", "mini-see-all", {"ui.view": "wishlist"})


# ---------------------------------------------------------------- checkout and orders

CHECKOUT_TYPING = [
    ("co-full_name", "full_name", "Jordan Lee"), ("co-phone", "phone", "+1 206 555 0199"),
    ("co-address_line1", "address_line1", "77 Harbor Ave"), ("co-address_line2", "address_line2", ""),
    ("co-city", "city", "Seattle"), ("co-region", "region", "WA"), ("co-postal_code", "postal_code", "98101"),
    ("co-country", "country", "USA"), ("co-card_number", "card_number", "4111 1111 1111 1234"),
    ("co-card_name", "card_name", "J LEE"), ("co-card_expiry", "card_expiry", "05/25"),
]


def test_checkout_form_validation_and_place_order(shop):
    shop.load("checkout", view="checkout")
    for testid, key, text in CHECKOUT_TYPING:
        if key == "address_line2":  # clearing an optional field: select all, delete
            shop.run("checkout.type", lambda: (shop.page.click(shop.tid(testid)), shop.page.keyboard.press("Control+A"),
                                               shop.page.keyboard.press("Delete")), {"ui.checkout.address_line2": ""})
            continue
        shop.type("checkout.type", testid, text, {f"ui.checkout.{key}": text}, keys=key in ("city", "card_expiry"))
    shop.click("checkout.shipping", "ship-express", {"ui.checkout.shipping_method": "express"})
    assert shop.text("sum-shipping") == "$14.99"
    shop.click("checkout.payment", "pay-paypal", {"ui.checkout.payment_method": "paypal"})
    assert not shop.exists("co-card_number")
    shop.click("checkout.payment", "pay-cod", {"ui.checkout.payment_method": "cod"})
    shop.click("checkout.payment", "pay-card", {"ui.checkout.payment_method": "card"})
    # 05/25 is before June 2025 (state.now): refused, and the message is shown.
    shop.click("checkout.place", "place-order", {"ui.checkout_errors.card_expiry": "This card has expired"}, case="invalid")
    assert shop.text("err-card_expiry") == "This card has expired"
    shop.type("checkout.type", "co-card_expiry", "12/27", {"ui.checkout.card_expiry": "12/27"})
    shop.type("checkout.type", "co-phone", "555", {"ui.checkout.phone": "555"})
    shop.press_enter("checkout.place", "co-phone", {"ui.checkout_errors.card_expiry": None,
                                                    "ui.checkout_errors.phone": "Enter a phone number (7+ digits)"}, case="invalid")
    shop.type("checkout.type", "co-phone", "206-555-0199", {"ui.checkout.phone": "206-555-0199"})

    # Valid: cart p03 x1 ($499.00) + p20 x2 ($64.99): subtotal 628.98, express 14.99,
    # tax 8% of 628.98 = 50.3184 -> 50.32, total 694.29, arriving 2 days after 2025-06-12.
    item = lambda pid, name, price, q: {"id": f"oi-{pid}", "product_id": pid, "name": name, "unit_price": price, "quantity": q}
    order = {
        "id": "SL-10039", "placed_at": "2025-06-12T10:15:00", "status": "processing",
        "items": [item("p03", "Orion 6.1\" Smartphone, 128GB, Unlocked", 499.0, 1), item("p20", "Trailhead 28L Daypack", 64.99, 2)],
        "ship_to": {"full_name": "Jordan Lee", "address_line1": "77 Harbor Ave", "address_line2": "", "city": "Seattle",
                    "region": "WA", "postal_code": "98101", "country": "USA", "phone": "206-555-0199"},
        "shipping_method": "express", "payment": {"method": "card", "card_last4": "1234"},
        "subtotal": 628.98, "shipping_cost": 14.99, "tax": 50.32, "total": 694.29, "estimated_delivery": "2025-06-14",
    }
    expect = {"ui.view": "confirmation", "ui.order_id": "SL-10039", "ui.checkout_errors.phone": None,
              "products.p03.stock": 14, "products.p20.stock": 24}
    for line in ("cart-p03", "cart-p20"):
        expect.update({f"cart.{line}.id": None, f"cart.{line}.product_id": None, f"cart.{line}.quantity": None})

    def leaves(prefix, value):
        if isinstance(value, dict):
            for k, v in value.items():
                yield from leaves(f"{prefix}.{k}", v)
        elif isinstance(value, list):
            for v in value:
                yield from leaves(f"{prefix}.{v['id']}", v)
        else:
            yield prefix, value

    expect.update(dict(leaves("orders.SL-10039", order)))
    after = shop.click("checkout.place", "place-order", expect, case="valid")
    assert after["orders"][0] == order
    go = shop.client.go(shop.sid)
    assert go["state_diff"]["orders.SL-10039.total"] == {"old": None, "new": 694.29}
    assert shop.text("confirm-order-id") == "SL-10039"
    shop.click("order.open", "confirm-details", {"ui.view": "order"})
    assert shop.text("od-total") == "$694.29" and shop.text("od-status") == "Processing"
    shop.click("order.cancel", "od-cancel", {"orders.SL-10039.status": "cancelled",
                                             "products.p03.stock": 15, "products.p20.stock": 26})
    assert shop.text("od-status") == "Cancelled" and not shop.exists("od-cancel")
    shop.click("order.back", "back-to-orders", {"ui.view": "orders"})
    assert shop.exists("order-SL-10039")

    # The confirmation page's other buttons.
    shop.load("checkout-2", view="confirmation", order_id="SL-10036")
    shop.click("orders.open", "confirm-orders", {"ui.view": "orders"})
    shop.load("checkout-3", view="confirmation", order_id="SL-10036")
    shop.click("shop.continue", "confirm-continue", {"ui.view": "catalog"})
    # With an empty cart, Enter in the form reports the empty cart; the button is disabled.
    empty = seed_state()
    empty["cart"] = []
    shop.load("checkout-4", empty, view="checkout")
    assert shop.disabled("place-order")
    shop.press_enter("checkout.place", "co-city", {"ui.checkout_errors.cart": "Your cart is empty",
                                                   "ui.checkout_errors.card_number": "Enter a valid card number",
                                                   "ui.checkout_errors.card_name": "Enter the name on the card",
                                                   "ui.checkout_errors.card_expiry": "Use MM/YY"}, case="invalid")
    shop.click("shop.continue", "checkout-continue", {"ui.view": "catalog"})


def test_orders_list_and_details(shop):
    shop.load("orders", view="orders")
    assert [o.get_attribute("data-testid") for o in shop.page.query_selector_all(".order")] == \
        ["order-SL-10038", "order-SL-10037", "order-SL-10036"]
    shop.click("order.cancel", "cancel-SL-10038", {"orders.SL-10038.status": "cancelled",
                                                   "products.p25.stock": 91, "products.p26.stock": 49})
    assert not shop.exists("cancel-SL-10038")
    shop.click("order.buy_again", "again-oi-p05", {"cart.cart-p05.id": "cart-p05", "cart.cart-p05.product_id": "p05",
                                                   "cart.cart-p05.quantity": 1})
    shop.click("orders.page", "orders-page-next", {"ui.orders_page": 2})
    shop.click("orders.page", "orders-page-3", {"ui.orders_page": 3})
    assert shop.exists("order-SL-10032") and not shop.exists("orders-page-next")
    shop.click("orders.page", "orders-page-prev", {"ui.orders_page": 2})
    shop.click("order.open", "details-SL-10035", {"ui.view": "order", "ui.order_id": "SL-10035"})
    assert shop.text("od-status") == "Delivered" and not shop.exists("od-cancel")
    shop.click("order.back", "back-to-orders", {"ui.view": "orders"})
    shop.click("order.open", "open-SL-10033", {"ui.view": "order", "ui.order_id": "SL-10033"})
    shop.click("order.buy_again", "again-oi-p48", {"cart.cart-p48.id": "cart-p48", "cart.cart-p48.product_id": "p48",
                                                   "cart.cart-p48.quantity": 1})
    shop.run("product.open", lambda: shop.page.click(".oi-name >> nth=0"),
             {"ui.view": "product", "ui.product_id": "p43"})
    shop.click("orders.open", "nav-orders", {"ui.view": "orders", "ui.orders_page": 1})
    empty = seed_state()
    empty["orders"] = []
    shop.load("orders-2", empty, view="orders")
    shop.click("shop.continue", "orders-continue", {"ui.view": "catalog"})


# ---------------------------------------------------------------- wish list

def test_wishlist_view(shop):
    shop.load("wish", view="wishlist")
    shop.click("wishlist.add", "wish-add-wish-p19", {"cart.cart-p19.id": "cart-p19", "cart.cart-p19.product_id": "p19",
                                                     "cart.cart-p19.quantity": 1})
    shop.click("wishlist.remove", "wish-remove-wish-p06", {"wishlist.wish-p06.id": None, "wishlist.wish-p06.product_id": None,
                                                           "wishlist.wish-p06.added_on": None})
    shop.click("product.open", "wish-name-wish-p28", {"ui.view": "product", "ui.product_id": "p28"})

    # Seven saved items: two pages; removing the last item of page 2 steps back to page 1.
    state = seed_state()
    state["wishlist"] = [{"id": f"wish-{p}", "product_id": p, "added_on": "2025-06-01"}
                         for p in ("p01", "p02", "p03", "p04", "p05", "p09", "p10")]
    shop.load("wish-2", state, view="wishlist")
    shop.click("wishlist.page", "wish-page-next", {"ui.wishlist_page": 2})
    shop.click("wishlist.page", "wish-page-prev", {"ui.wishlist_page": 1})
    shop.click("wishlist.page", "wish-page-2", {"ui.wishlist_page": 2})
    shop.click("wishlist.remove", "wish-remove-wish-p09", {"wishlist.wish-p09.id": None, "wishlist.wish-p09.product_id": None,
                                                           "wishlist.wish-p09.added_on": None})
    shop.click("wishlist.remove", "wish-remove-wish-p10", {"wishlist.wish-p10.id": None, "wishlist.wish-p10.product_id": None,
                                                           "wishlist.wish-p10.added_on": None, "ui.wishlist_page": 1})
    assert shop.exists("wish-wish-p01") and not shop.exists("wish-page-next")
    state["wishlist"] = []
    shop.load("wish-3", state, view="wishlist")
    shop.click("shop.continue", "wish-continue", {"ui.view": "catalog"})


# ---------------------------------------------------------------- state injection, validation, pixels

def test_injected_state_is_rendered(shop):
    state = seed_state()
    state["products"][0].update(name="Zebra Striped Travel Umbrella XL", price=12.5, list_price=None, stock=2)
    state["cart"] = [{"id": "cart-p01", "product_id": "p01", "quantity": 3}]
    state["user"]["name"] = "Quinn Harper"
    shop.load("inject", state, view="cart")
    body = shop.page.inner_text("body")
    assert "Zebra Striped Travel Umbrella XL" in body and "Hello, Quinn" in body
    assert "Only 2 available" in body  # the line asks for more than the stock
    assert shop.text("cart-subtotal") == "$37.50" and shop.text("cart-count") == "3"
    shop.load("inject-2", state, view="catalog", search="zebra")
    assert shop.grid() == ["p01"]
    shop.load("inject-3", state, view="checkout")
    shop.click("checkout.place", "place-order", {
        "ui.checkout_errors.card_number": "Enter a valid card number", "ui.checkout_errors.card_name": "Enter the name on the card",
        "ui.checkout_errors.card_expiry": "Use MM/YY",
        "ui.checkout_errors.cart": 'Only 2 of "Zebra Striped Travel Umbrella XL" in stock: lower the quantity in your cart'},
        case="invalid")


@pytest.mark.parametrize("mutate, needle", [
    (lambda s: s["ui"].__setitem__("page", "two"), "ui.page"),
    (lambda s: s["products"][0].__setitem__("colour", "#000000"), "colour"),
    (lambda s: s.__setitem__("coupons", []), "coupons"),
    (lambda s: s["ui"].__setitem__("view", "home"), "ui.view"),
    (lambda s: s["cart"].append({"id": "cart-x", "product_id": "nope", "quantity": 1}), "nope"),
    (lambda s: s["products"][1].__setitem__("stock", -1), "stock"),
    (lambda s: s["orders"][0].__setitem__("status", "lost"), "status"),
])
def test_invalid_state_is_refused(hub, mutate, needle):
    client = HubClient(hub.urls["shop"], hub.admin_token)
    sid = "invalid-" + needle.replace(".", "-")
    client.set(sid, seed_state())
    before = client.go(sid)
    bad = seed_state()
    mutate(bad)
    assert_refused(client, sid, bad, needle)
    after = client.go(sid)
    assert after["current_state"] == before["current_state"] and after["initial_state"] == before["initial_state"]


def test_same_state_gives_identical_pixels(browser, hub):
    state = copy.deepcopy(seed_state())
    state["ui"].update(view="product", product_id="p12", quantity=2)
    shots = []
    for sid in ("pixels-a", "pixels-b"):
        ctx, page, _ = open_app(browser, hub, "shop", sid, state)
        shots.append(page.screenshot())
        ctx.close()
    assert shots[0] == shots[1]


def test_views_fit_the_viewport_without_page_scroll(shop):
    views = [dict(), dict(category="home", menu="sort"), dict(view="product", product_id="p02"), dict(view="cart"), dict(view="checkout"),
             dict(view="orders"), dict(view="order", order_id="SL-10033"), dict(view="confirmation", order_id="SL-10038"),
             dict(view="wishlist")]
    for i, ui in enumerate(views):
        shop.load(f"fit-{i}", **ui)
        w, h = shop.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert (w, h) == (1280, 800), ui
        # Nothing in the page (the shell) is cut off at the bottom edge.
        bottom = shop.page.evaluate("Math.max(...[...document.querySelectorAll('.main *')].map(e => e.getBoundingClientRect().bottom))")
        assert bottom <= 800, (ui, bottom)


def test_screenshots_are_committed():
    for name in ("catalog", "product", "cart", "checkout", "orders", "wishlist"):
        data = (SCREENSHOT_DIR / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1280, 800)
        assert len(data) < 300_000


def test_every_documented_action_was_exercised():
    if not EXERCISED:
        pytest.skip("run the whole module: this checks what the other tests exercised")
    assert set(DOC) - EXERCISED == set()
