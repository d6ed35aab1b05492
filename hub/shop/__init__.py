"""ShopLane: a mock online shop for the hub.

Product grid with categories, filters, sorting and search; product pages with a quantity
picker; a cart with quantity editing; a checkout form that places orders; an orders list with
order details and cancellation; and a wish list. The whole app, including what the user sees,
lives in one server-side state (see ``SCHEMA.md``).
"""
