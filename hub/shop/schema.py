"""Pydantic models of the shop's whole state: catalogue, cart, wish list, orders and the visible UI.

Every list item carries an ``id`` so the State API diff keys it by id (``cart.cart-p03.quantity``).
A root validator checks what the UI relies on: unique ids and references that resolve.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

Money = Annotated[float, Field(ge=0, le=1_000_000)]
HEX_COLOR = r"^#[0-9a-fA-F]{6}$"
ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"

# Pictures are drawn by the UI (there is no network for real photos); each kind is one icon.
ImageKind = Literal[
    "headphones", "laptop", "phone", "watch", "speaker", "camera", "keyboard", "tablet",
    "mug", "pan", "lamp", "blender", "kettle", "pillow", "plant",
    "tshirt", "shoe", "jacket", "backpack", "cap", "sunglasses",
    "bottle", "mat", "dumbbell", "tent", "ball",
    "book", "jar", "tube", "dropper",
]
View = Literal["catalog", "product", "cart", "checkout", "confirmation", "orders", "order", "wishlist"]
PriceBand = Literal["any", "under_25", "25_50", "50_100", "100_200", "over_200"]
SortKey = Literal["featured", "price_asc", "price_desc", "rating", "reviews"]
OrderStatus = Literal["processing", "shipped", "delivered", "cancelled"]
ShippingMethod = Literal["standard", "express"]
PaymentMethod = Literal["card", "paypal", "cod"]
CheckoutField = Literal[
    "full_name", "address_line1", "address_line2", "city", "region", "postal_code", "country",
    "phone", "card_number", "card_name", "card_expiry", "cart",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(Strict):
    name: str = Field(min_length=1, max_length=40)
    tax_rate: float = Field(ge=0, le=0.5, description="sales tax as a fraction of the subtotal")
    free_shipping_min: Money
    standard_shipping: Money
    express_shipping: Money
    standard_days: int = Field(ge=0, le=60)
    express_days: int = Field(ge=0, le=60)
    max_quantity: int = Field(ge=1, le=99, description="most units of one product in the cart")


class User(Strict):
    name: str = Field(min_length=1, max_length=80)
    email: str = Field(max_length=120)


class Category(Strict):
    id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=40)


class Product(Strict):
    id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    brand: str = Field(min_length=1, max_length=40)
    category_id: str
    price: float = Field(gt=0, le=1_000_000)
    list_price: Optional[float] = Field(default=None, gt=0, le=1_000_000,
                                        description="crossed-out price when on sale; above price")
    rating: float = Field(ge=0, le=5)
    review_count: int = Field(ge=0)
    stock: int = Field(ge=0, description="units available; 0 means out of stock")
    image: ImageKind
    color: str = Field(pattern=HEX_COLOR)
    description: str = Field(max_length=2000)
    features: list[str] = Field(default_factory=list, max_length=8)

    @model_validator(mode="after")
    def _sale_price_below_list(self) -> "Product":
        if self.list_price is not None and self.list_price <= self.price:
            raise ValueError(f"list_price {self.list_price} must be above price {self.price} (or null)")
        return self


class CartItem(Strict):
    id: str = Field(min_length=1, max_length=60, description="'cart-' + product_id")
    product_id: str
    quantity: int = Field(ge=1, le=99)


class WishItem(Strict):
    id: str = Field(min_length=1, max_length=60, description="'wish-' + product_id")
    product_id: str
    added_on: str = Field(pattern=ISO_DATE)


class Address(Strict):
    full_name: str = Field(max_length=80)
    address_line1: str = Field(max_length=120)
    address_line2: str = Field(max_length=120)
    city: str = Field(max_length=60)
    region: str = Field(max_length=60)
    postal_code: str = Field(max_length=20)
    country: str = Field(max_length=60)
    phone: str = Field(max_length=30)


class OrderItem(Strict):
    id: str = Field(min_length=1, max_length=60, description="'oi-' + product_id")
    product_id: str
    name: str = Field(max_length=120, description="product name when ordered")
    unit_price: Money
    quantity: int = Field(ge=1, le=99)


class Payment(Strict):
    method: PaymentMethod
    card_last4: Optional[str] = Field(default=None, pattern=r"^\d{4}$")


class Order(Strict):
    id: str = Field(min_length=1, max_length=40)
    placed_at: str = Field(pattern=ISO_DATETIME)
    status: OrderStatus
    items: list[OrderItem] = Field(min_length=1)
    ship_to: Address
    shipping_method: ShippingMethod
    payment: Payment
    subtotal: Money
    shipping_cost: Money
    tax: Money
    total: Money
    estimated_delivery: str = Field(pattern=ISO_DATE)


class Filters(Strict):
    price: PriceBand = "any"
    min_rating: int = Field(default=0, ge=0, le=4, description="0 = any; 4 = '4 stars & up'")
    brands: list[str] = Field(default_factory=list, description="empty = all brands")
    in_stock_only: bool = False


class CheckoutDraft(Address):
    shipping_method: ShippingMethod = "standard"
    payment_method: PaymentMethod = "card"
    card_number: str = Field(default="", max_length=30)
    card_name: str = Field(default="", max_length=80)
    card_expiry: str = Field(default="", max_length=7, description="MM/YY")


class UI(Strict):
    view: View = "catalog"
    category: str = Field(default="all", description="'all' or a category id")
    search_draft: str = Field(default="", max_length=200, description="text in the search box")
    search: str = Field(default="", max_length=200, description="the submitted query filtering the grid")
    filters: Filters = Field(default_factory=Filters)
    sort: SortKey = "featured"
    page: int = Field(default=1, ge=1)
    product_id: Optional[str] = None
    quantity: int = Field(default=1, ge=1, le=99, description="quantity picker on the product page")
    orders_page: int = Field(default=1, ge=1)
    wishlist_page: int = Field(default=1, ge=1)
    order_id: Optional[str] = None
    checkout: CheckoutDraft
    checkout_errors: dict[CheckoutField, str] = Field(default_factory=dict)
    menu: Optional[Literal["sort"]] = Field(default=None, description="open dropdown (transient)")
    toast: Optional[str] = Field(default=None, max_length=200, description="notification (transient)")


class ShopState(Strict):
    now: str = Field(pattern=ISO_DATETIME, description="the app's clock; the UI never reads the real one")
    store: StoreSettings
    user: User
    categories: list[Category] = Field(min_length=1)
    products: list[Product]
    cart: list[CartItem] = Field(default_factory=list)
    wishlist: list[WishItem] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    ui: UI

    @model_validator(mode="after")
    def _references_resolve(self) -> "ShopState":
        for name, items in (("categories", self.categories), ("products", self.products),
                            ("cart", self.cart), ("wishlist", self.wishlist), ("orders", self.orders)):
            ids = [x.id for x in items]
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise ValueError(f"{name}: duplicate ids {dup}; every item needs a unique id")
        for o in self.orders:
            ids = [x.id for x in o.items]
            if len(set(ids)) != len(ids):
                raise ValueError(f"orders.{o.id}.items: duplicate item ids")
        cats = {c.id for c in self.categories}
        prods = {p.id for p in self.products}
        for p in self.products:
            if p.category_id not in cats:
                raise ValueError(f"products.{p.id}.category_id {p.category_id!r} is not one of {sorted(cats)}")
        for name, items in (("cart", self.cart), ("wishlist", self.wishlist)):
            for x in items:
                if x.product_id not in prods:
                    raise ValueError(f"{name}.{x.id}.product_id {x.product_id!r} is not a product id")
        ui = self.ui
        if ui.category != "all" and ui.category not in cats:
            raise ValueError(f"ui.category {ui.category!r} must be 'all' or one of {sorted(cats)}")
        if ui.product_id is not None and ui.product_id not in prods:
            raise ValueError(f"ui.product_id {ui.product_id!r} is not a product id")
        if ui.view == "product" and ui.product_id is None:
            raise ValueError("ui.view 'product' needs ui.product_id")
        order_ids = {o.id for o in self.orders}
        if ui.order_id is not None and ui.order_id not in order_ids:
            raise ValueError(f"ui.order_id {ui.order_id!r} is not an order id")
        if ui.view in ("order", "confirmation") and ui.order_id is None:
            raise ValueError(f"ui.view {ui.view!r} needs ui.order_id")
        return self
