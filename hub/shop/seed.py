"""The default shop a fresh session starts from: 48 products in 6 categories, a cart, a wish list
and an order history for one customer. Fully deterministic (no randomness, no real clock)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

NOW = "2025-06-12T10:15:00"

STORE = {
    "name": "ShopLane", "tax_rate": 0.08, "free_shipping_min": 35.0, "standard_shipping": 5.99,
    "express_shipping": 14.99, "standard_days": 5, "express_days": 2, "max_quantity": 10,
}

CATEGORIES = [
    ("electronics", "Electronics"), ("home", "Home & Kitchen"), ("fashion", "Clothing & Shoes"),
    ("sports", "Sports & Outdoors"), ("books", "Books"), ("beauty", "Beauty & Health"),
]

# id, name, brand, category, price, list price, rating, reviews, stock, picture, colour,
# description, features
PRODUCTS: list[tuple] = [
    ("p01", "Aria Wireless Noise-Cancelling Headphones", "Sonora", "electronics", 149.99, 199.99, 4.6, 2841, 23,
     "headphones", "#1f2937", "Over-ear headphones with adaptive noise cancelling and plush memory-foam cushions.",
     ["Up to 30 hours of battery life", "Bluetooth 5.3 with multipoint pairing", "Fold-flat design with carry case"]),
    ("p02", "Nimbus 14\" Laptop, 16GB RAM, 512GB SSD", "Vantex", "electronics", 899.00, None, 4.4, 612, 8,
     "laptop", "#6b7280", "A thin aluminium laptop with a bright 14-inch display for work and study.",
     ["14\" 2.2K anti-glare display", "16GB memory, 512GB solid-state drive", "Backlit keyboard, 1.3 kg"]),
    ("p03", "Orion 6.1\" Smartphone, 128GB, Unlocked", "Helix", "electronics", 499.00, 579.00, 4.3, 1307, 15,
     "phone", "#0f172a", "An unlocked smartphone with a dual camera and all-day battery.",
     ["6.1\" OLED display, 120 Hz", "50 MP main + 12 MP ultra-wide camera", "Works with all major carriers"]),
    ("p04", "Pulse Fitness Smartwatch with Heart-Rate Monitor", "Kinetic", "electronics", 129.95, None, 4.1, 988, 31,
     "watch", "#111827", "Track workouts, sleep and heart rate with a bright always-on display.",
     ["Built-in GPS and 20 sport modes", "Water resistant to 50 m", "7-day battery life"]),
    ("p05", "BoomCube Portable Bluetooth Speaker", "Sonora", "electronics", 59.99, 79.99, 4.5, 3420, 40,
     "speaker", "#2563eb", "A rugged pocket speaker with big sound for the beach, park or shower.",
     ["IP67 waterproof and dustproof", "12 hours of playtime", "Pair two for stereo sound"]),
    ("p06", "Lumen Mirrorless Camera Kit with 15-45mm Lens", "Optica", "electronics", 649.00, None, 4.7, 356, 4,
     "camera", "#374151", "A compact mirrorless camera with fast autofocus and 4K video.",
     ["24.2 MP APS-C sensor", "Eye-detection autofocus", "Flip-up touchscreen for selfies and vlogs"]),
    ("p07", "Keyflow Mechanical Keyboard, Brown Switches", "Vantex", "electronics", 89.99, None, 4.5, 1750, 0,
     "keyboard", "#4b5563", "A tenkeyless mechanical keyboard with tactile switches and white backlight.",
     ["Hot-swappable switches", "Detachable USB-C cable", "Double-shot PBT keycaps"]),
    ("p08", "Slate 10.9\" Tablet, 64GB, Wi-Fi", "Helix", "electronics", 329.00, 349.00, 4.2, 845, 12,
     "tablet", "#94a3b8", "A light tablet for reading, streaming and note-taking.",
     ["10.9\" Liquid Retina display", "Stylus support", "Up to 10 hours of battery"]),
    ("p09", "Stoneware Coffee Mug Set of 4, 14 oz", "Hearthly", "home", 29.99, None, 4.8, 2210, 55,
     "mug", "#b45309", "Hand-glazed stoneware mugs in warm earth tones.",
     ["Microwave and dishwasher safe", "14 oz capacity", "Comfortable C-shaped handle"]),
    ("p10", "Nonstick Frying Pan 11-Inch, Granite Coating", "Copperline", "home", 34.50, 44.00, 4.4, 1893, 27,
     "pan", "#1f2937", "A lightweight nonstick pan that heats evenly on every cooktop.",
     ["PFOA-free granite coating", "Induction compatible", "Stay-cool soft-touch handle"]),
    ("p11", "Arc LED Desk Lamp with USB Charging Port", "Lumio", "home", 42.99, None, 4.3, 774, 19,
     "lamp", "#f59e0b", "An adjustable LED lamp with five colour temperatures for reading and work.",
     ["Touch dimmer with memory", "USB-A charging port", "Eye-caring flicker-free light"]),
    ("p12", "PowerBlend 1200W Countertop Blender", "Copperline", "home", 79.99, 99.99, 4.2, 1104, 14,
     "blender", "#dc2626", "Crush ice and blend smoothies in seconds with a 64 oz pitcher.",
     ["1200-watt motor", "Three presets plus pulse", "BPA-free pitcher"]),
    ("p13", "Electric Gooseneck Kettle, 1L", "Hearthly", "home", 54.00, None, 4.7, 932, 22,
     "kettle", "#111827", "Precise temperature control for pour-over coffee and tea.",
     ["Holds temperature for 60 minutes", "Fast 1200 W heating", "Built-in brew stopwatch"]),
    ("p14", "Cloudrest Memory Foam Pillow, Queen", "Dormia", "home", 39.99, None, 4.0, 2675, 60,
     "pillow", "#60a5fa", "Shredded memory foam that adjusts to back, side and stomach sleepers.",
     ["Removable washable cover", "Adjustable fill", "CertiPUR-US certified foam"]),
    ("p15", "Ceramic Planter with Drainage, 8-Inch", "Greenhaus", "home", 19.99, None, 4.6, 488, 33,
     "plant", "#16a34a", "A matte ceramic planter with drainage hole and bamboo saucer.",
     ["8-inch diameter", "Drainage hole with plug", "Bamboo saucer included"]),
    ("p16", "Cast Iron Skillet 12-Inch, Pre-Seasoned", "Copperline", "home", 27.95, None, 4.8, 5120, 44,
     "pan", "#374151", "A pre-seasoned skillet for searing, baking and campfire cooking.",
     ["Pre-seasoned with vegetable oil", "Oven safe", "Assist handle"]),
    ("p17", "Men's Essential Crewneck T-Shirt, 3-Pack", "Northfold", "fashion", 24.99, None, 4.5, 3310, 80,
     "tshirt", "#1e3a8a", "Soft cotton tees with a classic fit that hold their shape wash after wash.",
     ["100% combed cotton", "Tag-free collar", "Sizes S to XXL"]),
    ("p18", "Women's Cloudstep Running Shoes", "Stride", "fashion", 89.95, 110.00, 4.6, 1422, 18,
     "shoe", "#ec4899", "Cushioned daily trainers with a breathable knit upper.",
     ["Responsive foam midsole", "Breathable engineered knit", "Reflective heel details"]),
    ("p19", "Packable Down Jacket, Water-Resistant", "Northfold", "fashion", 119.00, None, 4.4, 640, 9,
     "jacket", "#065f46", "A warm, light jacket that packs into its own pocket.",
     ["650-fill responsibly sourced down", "Water-resistant shell", "Packs into chest pocket"]),
    ("p20", "Trailhead 28L Daypack", "Rover", "fashion", 64.99, None, 4.7, 1288, 26,
     "backpack", "#ea580c", "A padded daypack with laptop sleeve and side bottle pockets.",
     ["Fits 15\" laptops", "Water-repellent fabric", "Ventilated back panel"]),
    ("p21", "Classic Cotton Baseball Cap", "Northfold", "fashion", 17.99, None, 4.3, 911, 70,
     "cap", "#7c2d12", "A washed cotton cap with an adjustable strap.",
     ["Adjustable brass buckle", "Pre-curved brim", "One size fits most"]),
    ("p22", "Polarized Aviator Sunglasses", "Solace", "fashion", 45.00, 60.00, 4.2, 530, 35,
     "sunglasses", "#92400e", "Lightweight metal aviators with polarized lenses.",
     ["100% UV400 protection", "Spring hinges", "Microfibre pouch included"]),
    ("p23", "Men's Leather Court Sneakers", "Stride", "fashion", 74.50, None, 4.1, 402, 0,
     "shoe", "#a8a29e", "Minimal leather sneakers that go with everything.",
     ["Full-grain leather upper", "Cushioned insole", "Rubber cupsole"]),
    ("p24", "Women's Relaxed Linen Shirt", "Solace", "fashion", 39.00, None, 4.4, 287, 21,
     "tshirt", "#f472b6", "A breezy linen shirt for warm days.",
     ["100% European linen", "Relaxed fit", "Machine washable"]),
    ("p25", "Insulated Stainless Steel Water Bottle, 32 oz", "Summit", "sports", 32.95, None, 4.8, 6040, 90,
     "bottle", "#0d9488", "Keeps drinks cold for 24 hours or hot for 12.",
     ["Double-wall vacuum insulation", "Leak-proof lid", "Fits most cup holders"]),
    ("p26", "Non-Slip Yoga Mat, 6mm", "Zenflow", "sports", 28.00, 35.00, 4.6, 2710, 48,
     "mat", "#7c3aed", "A thick, grippy mat for yoga, pilates and floor workouts.",
     ["6 mm cushioning", "Non-slip textured surface", "Carry strap included"]),
    ("p27", "Adjustable Dumbbell Set, 5-25 lb", "Ironclad", "sports", 189.00, None, 4.5, 1032, 7,
     "dumbbell", "#111827", "Replace five pairs of dumbbells with one compact set.",
     ["Dial selects 5 to 25 lb", "Compact storage tray", "Durable moulded plates"]),
    ("p28", "Ridgeline 2-Person Backpacking Tent", "Summit", "sports", 159.99, 189.99, 4.4, 590, 11,
     "tent", "#65a30d", "A freestanding tent that sets up in minutes and weighs under 2 kg.",
     ["Two doors and two vestibules", "Full-coverage rainfly", "1.9 kg packed weight"]),
    ("p29", "Official Size Basketball, Indoor/Outdoor", "Courtside", "sports", 24.99, None, 4.7, 1875, 64,
     "ball", "#ea580c", "A composite leather basketball with deep channels for grip.",
     ["Official size 7", "Indoor and outdoor use", "Ships inflated"]),
    ("p30", "Match Soccer Ball, Size 5", "Courtside", "sports", 21.99, None, 4.5, 760, 52,
     "ball", "#0ea5e9", "A machine-stitched training ball with a soft touch.",
     ["Size 5", "Butyl bladder holds air", "Bright high-visibility panels"]),
    ("p31", "Collapsible Silicone Water Bottle, 20 oz", "Zenflow", "sports", 16.99, None, 3.9, 214, 38,
     "bottle", "#f43f5e", "A squishable bottle that folds flat when empty.",
     ["Food-grade silicone", "Carabiner clip", "Dishwasher safe"]),
    ("p32", "Hex Rubber Dumbbell, 15 lb (Single)", "Ironclad", "sports", 34.99, None, 4.6, 410, 25,
     "dumbbell", "#374151", "A hex dumbbell that won't roll away, with a knurled chrome handle.",
     ["Rubber-coated heads", "Ergonomic knurled handle", "Sold individually"]),
    ("p33", "The Quiet Orchard: A Novel", "Harbor Press", "books", 16.99, 27.00, 4.5, 3988, 120,
     "book", "#166534", "Three generations, one apple farm and the summer that changed everything.",
     ["Hardcover, 384 pages", "Book club pick", "Published 2024"]),
    ("p34", "Practical Python for Data Analysis, 3rd Edition", "Lattice Books", "books", 44.99, None, 4.7, 1204, 35,
     "book", "#1d4ed8", "A hands-on guide to cleaning, analysing and plotting real data.",
     ["Paperback, 552 pages", "Covers pandas and NumPy", "Downloadable example notebooks"]),
    ("p35", "Salt & Ember: Everyday Cooking", "Harbor Press", "books", 29.95, None, 4.6, 842, 40,
     "book", "#b91c1c", "120 weeknight recipes built around simple techniques.",
     ["Hardcover, 288 pages", "Full-colour photography", "Lay-flat binding"]),
    ("p36", "Northern Lights: A Field Guide to the Night Sky", "Lattice Books", "books", 22.50, None, 4.8, 377, 18,
     "book", "#1e1b4b", "Star charts and stories for backyard astronomers.",
     ["Paperback, 240 pages", "Seasonal star maps", "Water-resistant cover"]),
    ("p37", "The Long Way Home (Paperback)", "Finch & Co.", "books", 12.99, None, 4.2, 2150, 75,
     "book", "#a16207", "A road-trip novel about friendship, second chances and bad directions.",
     ["Paperback, 320 pages", "Reading group guide", "Published 2023"]),
    ("p38", "Tiny Habits, Big Changes", "Finch & Co.", "books", 18.00, 26.00, 4.4, 5312, 90,
     "book", "#0891b2", "Small daily routines that add up to lasting change.",
     ["Hardcover, 256 pages", "Worksheets included", "Bestseller"]),
    ("p39", "Watercolor Basics: A Beginner's Workbook", "Lattice Books", "books", 19.99, None, 4.3, 268, 0,
     "book", "#db2777", "Learn washes, blending and colour mixing in 30 short lessons.",
     ["Spiral-bound, 160 pages", "Practice pages on watercolour paper", "Step-by-step projects"]),
    ("p40", "Mystery at Gull Point", "Harbor Press", "books", 14.49, None, 4.1, 733, 44,
     "book", "#334155", "A coastal whodunit with a retired lighthouse keeper on the case.",
     ["Paperback, 296 pages", "First in a series", "Published 2025"]),
    ("p41", "Hydrating Face Moisturizer with SPF 30", "Lumina", "beauty", 24.00, None, 4.5, 1932, 58,
     "jar", "#fb7185", "A lightweight daily moisturizer with broad-spectrum sun protection.",
     ["SPF 30 broad spectrum", "Fragrance free", "1.7 oz jar"]),
    ("p42", "Vitamin C Brightening Serum, 1 fl oz", "Lumina", "beauty", 32.00, 38.00, 4.3, 1120, 46,
     "dropper", "#f59e0b", "A 15% vitamin C serum that evens tone and adds glow.",
     ["15% L-ascorbic acid", "With vitamin E and ferulic acid", "Glass dropper bottle"]),
    ("p43", "Mint Fluoride Toothpaste, 4-Pack", "Brightly", "beauty", 11.49, None, 4.7, 4011, 150,
     "tube", "#22c55e", "Cavity protection and fresh breath in a cool mint flavour.",
     ["Four 4.8 oz tubes", "Fluoride protection", "Enamel safe whitening"]),
    ("p44", "Gentle Foaming Cleanser, 8 oz", "Purelle", "beauty", 14.99, None, 4.4, 1677, 62,
     "bottle", "#38bdf8", "A soap-free cleanser that removes makeup without drying.",
     ["For normal to dry skin", "pH balanced", "Dermatologist tested"]),
    ("p45", "Shea Butter Hand Cream Trio", "Purelle", "beauty", 18.50, None, 4.6, 902, 16,
     "tube", "#c084fc", "Three travel-size hand creams in lavender, almond and unscented.",
     ["25% shea butter", "Non-greasy finish", "Three 1 oz tubes"]),
    ("p46", "Argan Oil Hair Mask", "Lumina", "beauty", 21.95, None, 4.2, 514, 29,
     "jar", "#a16207", "A weekly deep-conditioning mask for dry or coloured hair.",
     ["Cold-pressed argan oil", "Sulfate and paraben free", "8 oz jar"]),
    ("p47", "Daily Multivitamin Gummies, 90 Count", "Vitalis", "beauty", 19.99, 24.99, 4.5, 6721, 100,
     "jar", "#f97316", "Great-tasting gummies with 13 essential vitamins.",
     ["Two gummies a day", "Natural fruit flavours", "Gluten free"]),
    ("p48", "Eucalyptus Body Wash, 16 oz", "Purelle", "beauty", 9.99, None, 4.4, 1288, 77,
     "bottle", "#10b981", "A refreshing body wash with eucalyptus and spearmint oils.",
     ["Plant-based cleansers", "Recyclable bottle", "16 fl oz"]),
]

ADDRESS = {
    "full_name": "Maya Thompson", "address_line1": "1420 NW Lovejoy St", "address_line2": "Apt 5B",
    "city": "Portland", "region": "OR", "postal_code": "97209", "country": "United States",
    "phone": "(503) 555-0147",
}

# id, placed_at, status, shipping method, payment (method, last4), [(product, quantity)]
ORDERS = [
    ("SL-10038", "2025-06-10T19:42:00", "processing", "standard", ("card", "4242"), [("p25", 1), ("p26", 1)]),
    ("SL-10037", "2025-06-05T08:15:00", "shipped", "express", ("card", "4242"), [("p05", 1)]),
    ("SL-10036", "2025-05-28T21:03:00", "delivered", "standard", ("paypal", None), [("p33", 1), ("p38", 2)]),
    ("SL-10035", "2025-05-16T12:30:00", "delivered", "standard", ("card", "4242"), [("p09", 1), ("p13", 1)]),
    ("SL-10034", "2025-04-30T17:48:00", "cancelled", "express", ("card", "1881"), [("p18", 1)]),
    ("SL-10033", "2025-04-11T09:05:00", "delivered", "standard", ("cod", None), [("p43", 2), ("p44", 1), ("p48", 3)]),
    ("SL-10032", "2025-03-22T14:20:00", "delivered", "standard", ("paypal", None), [("p17", 1), ("p21", 1)]),
]


def round_money(x: float) -> float:
    """Round half up to cents, as the UI does (``Math.round((x + 1e-9) * 100) / 100``)."""
    return math.floor((x + 1e-9) * 100 + 0.5) / 100


def order_totals(subtotal: float, method: str, store: dict[str, Any] = STORE) -> dict[str, float]:
    """Shipping, tax and total of an order, by the rule the checkout page shows."""
    subtotal = round_money(subtotal)
    if method == "express":
        shipping = store["express_shipping"]
    else:
        shipping = 0.0 if subtotal >= store["free_shipping_min"] else store["standard_shipping"]
    tax = round_money(subtotal * store["tax_rate"])
    return {"subtotal": subtotal, "shipping_cost": shipping, "tax": tax,
            "total": round_money(subtotal + shipping + tax)}


def _product(row: tuple) -> dict[str, Any]:
    pid, name, brand, cat, price, list_price, rating, reviews, stock, image, color, desc, feats = row
    return {"id": pid, "name": name, "brand": brand, "category_id": cat, "price": price,
            "list_price": list_price, "rating": rating, "review_count": reviews, "stock": stock,
            "image": image, "color": color, "description": desc, "features": list(feats)}


def _order(row: tuple, products: dict[str, dict]) -> dict[str, Any]:
    oid, placed, status, method, (pay, last4), lines = row
    items = [{"id": f"oi-{pid}", "product_id": pid, "name": products[pid]["name"],
              "unit_price": products[pid]["price"], "quantity": q} for pid, q in lines]
    days = STORE["express_days"] if method == "express" else STORE["standard_days"]
    eta = date.fromisoformat(placed[:10]) + timedelta(days=days)
    return {"id": oid, "placed_at": placed, "status": status, "items": items, "ship_to": dict(ADDRESS),
            "shipping_method": method, "payment": {"method": pay, "card_last4": last4},
            **order_totals(sum(i["unit_price"] * i["quantity"] for i in items), method),
            "estimated_delivery": eta.isoformat()}


def seed_state() -> dict[str, Any]:
    products = [_product(r) for r in PRODUCTS]
    by_id = {p["id"]: p for p in products}
    return {
        "now": NOW,
        "store": dict(STORE),
        "user": {"name": "Maya Thompson", "email": "maya.thompson@example.com"},
        "categories": [{"id": cid, "name": name} for cid, name in CATEGORIES],
        "products": products,
        "cart": [{"id": "cart-p03", "product_id": "p03", "quantity": 1},
                 {"id": "cart-p20", "product_id": "p20", "quantity": 2}],
        "wishlist": [{"id": f"wish-{pid}", "product_id": pid, "added_on": d}
                     for pid, d in (("p06", "2025-06-01"), ("p19", "2025-05-20"),
                                    ("p28", "2025-05-02"), ("p34", "2025-04-18"))],
        "orders": [_order(r, by_id) for r in ORDERS],
        "ui": {
            "view": "catalog", "category": "all", "search_draft": "", "search": "",
            "filters": {"price": "any", "min_rating": 0, "brands": [], "in_stock_only": False},
            "sort": "featured", "page": 1, "product_id": None, "quantity": 1,
            "orders_page": 1, "wishlist_page": 1, "order_id": None,
            "checkout": {**ADDRESS, "shipping_method": "standard", "payment_method": "card",
                         "card_number": "", "card_name": "", "card_expiry": ""},
            "checkout_errors": {}, "menu": None, "toast": None,
        },
    }
