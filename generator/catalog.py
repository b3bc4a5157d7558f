"""Fixed reference pools: regions and cities, product categories, brands and people's names.

Pools are small and built once per process; table builders draw integer indexes into them.
Person names and e-mail domains come from Faker's en_US word lists (no Faker random calls),
so they are identical for a given Faker version; the portable cluster build ships them frozen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

REGIONS: tuple[str, ...] = ("Northeast", "Southeast", "Midwest", "Southwest", "West")

# (city, state, region index, latitude, longitude, relative market size)
CITIES: tuple[tuple[str, str, int, float, float, float], ...] = (
    ("New York", "NY", 0, 40.7128, -74.0060, 10.0),
    ("Boston", "MA", 0, 42.3601, -71.0589, 4.0),
    ("Philadelphia", "PA", 0, 39.9526, -75.1652, 5.0),
    ("Pittsburgh", "PA", 0, 40.4406, -79.9959, 2.0),
    ("Newark", "NJ", 0, 40.7357, -74.1724, 2.0),
    ("Providence", "RI", 0, 41.8240, -71.4128, 1.2),
    ("Hartford", "CT", 0, 41.7658, -72.6734, 1.0),
    ("Buffalo", "NY", 0, 42.8864, -78.8784, 1.2),
    ("Baltimore", "MD", 0, 39.2904, -76.6122, 2.5),
    ("Portland", "ME", 0, 43.6591, -70.2568, 0.6),
    ("Atlanta", "GA", 1, 33.7490, -84.3880, 5.0),
    ("Miami", "FL", 1, 25.7617, -80.1918, 5.0),
    ("Orlando", "FL", 1, 28.5384, -81.3789, 2.5),
    ("Tampa", "FL", 1, 27.9506, -82.4572, 2.5),
    ("Charlotte", "NC", 1, 35.2271, -80.8431, 2.5),
    ("Raleigh", "NC", 1, 35.7796, -78.6382, 1.5),
    ("Nashville", "TN", 1, 36.1627, -86.7816, 2.0),
    ("Jacksonville", "FL", 1, 30.3322, -81.6557, 1.5),
    ("Richmond", "VA", 1, 37.5407, -77.4360, 1.2),
    ("New Orleans", "LA", 1, 29.9511, -90.0715, 1.2),
    ("Chicago", "IL", 2, 41.8781, -87.6298, 8.0),
    ("Detroit", "MI", 2, 42.3314, -83.0458, 3.5),
    ("Minneapolis", "MN", 2, 44.9778, -93.2650, 3.0),
    ("Columbus", "OH", 2, 39.9612, -82.9988, 2.0),
    ("Cleveland", "OH", 2, 41.4993, -81.6944, 2.0),
    ("Indianapolis", "IN", 2, 39.7684, -86.1581, 2.0),
    ("Milwaukee", "WI", 2, 43.0389, -87.9065, 1.5),
    ("St. Louis", "MO", 2, 38.6270, -90.1994, 2.0),
    ("Kansas City", "MO", 2, 39.0997, -94.5786, 2.0),
    ("Omaha", "NE", 2, 41.2565, -95.9345, 1.0),
    ("Houston", "TX", 3, 29.7604, -95.3698, 7.0),
    ("Dallas", "TX", 3, 32.7767, -96.7970, 7.0),
    ("Austin", "TX", 3, 30.2672, -97.7431, 3.0),
    ("San Antonio", "TX", 3, 29.4241, -98.4936, 3.0),
    ("Phoenix", "AZ", 3, 33.4484, -112.0740, 5.0),
    ("Tucson", "AZ", 3, 32.2226, -110.9747, 1.2),
    ("Albuquerque", "NM", 3, 35.0844, -106.6504, 1.0),
    ("Oklahoma City", "OK", 3, 35.4676, -97.5164, 1.5),
    ("El Paso", "TX", 3, 31.7619, -106.4850, 1.0),
    ("Fort Worth", "TX", 3, 32.7555, -97.3308, 2.0),
    ("Los Angeles", "CA", 4, 34.0522, -118.2437, 10.0),
    ("San Francisco", "CA", 4, 37.7749, -122.4194, 4.5),
    ("Seattle", "WA", 4, 47.6062, -122.3321, 4.0),
    ("San Diego", "CA", 4, 32.7157, -117.1611, 3.5),
    ("Denver", "CO", 4, 39.7392, -104.9903, 3.0),
    ("Portland", "OR", 4, 45.5152, -122.6784, 2.5),
    ("Las Vegas", "NV", 4, 36.1699, -115.1398, 2.5),
    ("Sacramento", "CA", 4, 38.5816, -121.4944, 2.0),
    ("San Jose", "CA", 4, 37.3382, -121.8863, 2.5),
    ("Salt Lake City", "UT", 4, 40.7608, -111.8910, 1.5),
)

STORE_NAME_SUFFIXES: tuple[str, ...] = (
    "Downtown", "Plaza", "Commons", "Crossing", "Market", "Square", "Center", "Heights",
    "Park", "Village", "Station", "Gateway", "Riverside", "Midtown", "Uptown", "Westside",
    "Eastside", "Northgate", "Southpoint", "Lakeside",
)  # fmt: skip


@dataclass(frozen=True)
class Category:
    """A product category: its items, brand name endings, price range (dollars) and share of sales."""

    name: str
    items: tuple[str, ...]
    brand_suffixes: tuple[str, ...]
    price_low: float
    price_high: float
    sales_share: float


CATEGORIES: tuple[Category, ...] = (
    Category("Produce", ("Apples", "Bananas", "Avocados", "Baby Spinach", "Strawberries", "Blueberries",
             "Carrots", "Tomatoes", "Red Onions", "Lemons", "Grapes", "Broccoli Florets"),
             ("Farms", "Orchards", "Growers", "Fresh"), 0.99, 7.99, 1.6),
    Category("Dairy", ("Whole Milk", "Greek Yogurt", "Cheddar Cheese", "Butter", "Cream Cheese",
             "Oat Milk", "Large Eggs", "Mozzarella", "Sour Cream", "Cottage Cheese"),
             ("Dairy", "Creamery", "Farms"), 1.49, 8.99, 1.5),
    Category("Bakery", ("Sourdough Bread", "Bagels", "Croissants", "Whole Wheat Bread", "Tortillas",
             "Muffins", "Dinner Rolls", "Cinnamon Rolls"), ("Bakery", "Bakehouse", "Ovens"), 1.99, 6.99, 1.0),
    Category("Meat & Seafood", ("Chicken Breast", "Ground Beef", "Salmon Fillet", "Pork Chops",
             "Bacon", "Shrimp", "Turkey Slices", "Ribeye Steak"), ("Butchers", "Ranch", "Provisions"),
             4.99, 24.99, 1.1),
    Category("Frozen", ("Frozen Pizza", "Ice Cream", "Frozen Berries", "Veggie Burgers", "Frozen Peas",
             "Waffles", "Fish Sticks"), ("Foods", "Kitchen", "Frozen Co."), 2.49, 11.99, 0.9),
    Category("Pantry", ("Pasta", "Marinara Sauce", "Olive Oil", "Basmati Rice", "Peanut Butter",
             "Canned Tomatoes", "Black Beans", "Rolled Oats", "Honey", "Coffee Beans", "Green Tea"),
             ("Pantry", "Provisions", "Kitchen", "Foods"), 1.29, 14.99, 1.4),
    Category("Beverages", ("Sparkling Water", "Orange Juice", "Cola", "Cold Brew Coffee", "Kombucha",
             "Lemonade", "Sports Drink", "Spring Water"), ("Beverage Co.", "Springs", "Brewing"),
             0.99, 9.99, 1.3),
    Category("Snacks", ("Potato Chips", "Tortilla Chips", "Trail Mix", "Granola Bars", "Pretzels",
             "Dark Chocolate", "Popcorn", "Crackers"), ("Snacks", "Foods", "Treats"), 1.49, 6.99, 1.2),
    Category("Household", ("Paper Towels", "Dish Soap", "Laundry Detergent", "Trash Bags",
             "All-Purpose Cleaner", "Sponges", "Aluminum Foil"), ("Home", "Clean", "Essentials"),
             2.49, 19.99, 0.7),
    Category("Personal Care", ("Shampoo", "Toothpaste", "Body Wash", "Deodorant", "Hand Soap",
             "Sunscreen", "Lip Balm"), ("Naturals", "Care", "Labs"), 1.99, 15.99, 0.6),
    Category("Baby", ("Diapers", "Baby Wipes", "Baby Food Pouches", "Infant Formula"),
             ("Baby", "Little Ones"), 3.99, 39.99, 0.3),
    Category("Pet", ("Dry Dog Food", "Cat Litter", "Cat Food", "Dog Treats"), ("Pet Co.", "Paws"),
             2.99, 34.99, 0.4),
)  # fmt: skip

SIZE_LABELS: tuple[str, ...] = (
    "8 oz", "12 oz", "16 oz", "24 oz", "32 oz", "1 lb", "2 lb", "5 lb", "1 gal", "half gal",
    "6 pack", "12 pack", "family size", "value pack", "single",
)  # fmt: skip

ADJECTIVES: tuple[str, ...] = (
    "Organic", "Classic", "Original", "Premium", "Lite", "Everyday", "Select", "Artisan",
    "Natural", "Reserve", "Homestyle", "Simply",
)  # fmt: skip

SEGMENTS: tuple[str, ...] = ("casual", "loyal", "bargain", "premium")
PAYMENT_TYPES: tuple[str, ...] = ("credit_card", "debit_card", "cash", "mobile_wallet", "gift_card")
PROMO_TYPES: tuple[str, ...] = ("weekly_ad", "flash_sale", "seasonal", "clearance")


@dataclass(frozen=True)
class NamePools:
    """Weighted first and last names and e-mail domains, as arrays ready for indexing."""

    first_names: np.ndarray
    first_name_cdf: np.ndarray
    last_names: np.ndarray
    last_name_cdf: np.ndarray
    email_domains: np.ndarray
    brand_stems: np.ndarray


#: Faker's en_US word lists, frozen as JSON: generation never imports Faker (slow to import, and its
#: lists could move between releases); tests/generator/test_catalog.py checks them against Faker.
POOLS_SNAPSHOT = Path(__file__).with_name("name_pools.json")


def _weighted(pool: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    names = np.array(sorted(pool), dtype=object)
    weights = np.array([pool[name] for name in names], dtype=np.float64)
    cdf = np.cumsum(weights)
    return names, cdf / cdf[-1]


def pool_source() -> dict[str, object]:
    """The raw word lists (first_names, last_names: weights by name; email_domains) and the Faker
    version they were frozen from (faker_version)."""
    # Through the package's resources, not the path: the slim wheel a Databricks job puts on sys.path is a zip.
    return json.loads(resources.files(__package__).joinpath(POOLS_SNAPSHOT.name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def name_pools() -> NamePools:
    """Build the name pools once per process."""
    source = pool_source()
    first_names, first_cdf = _weighted(source["first_names"])  # type: ignore[arg-type]
    last_names, last_cdf = _weighted(source["last_names"])  # type: ignore[arg-type]
    domains = np.array(sorted(source["email_domains"]), dtype=object)  # type: ignore[call-overload]
    # Brand stems: surnames read like real brand names.
    stems = np.array(sorted(source["last_names"])[:400], dtype=object)  # type: ignore[call-overload]
    return NamePools(first_names, first_cdf, last_names, last_cdf, domains, stems)
