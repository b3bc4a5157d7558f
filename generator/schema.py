"""One Arrow schema per table, with keys and column descriptions.

Money is decimal (exact to the cent), dates are date32, timestamps are timestamp[us] in the
store's local time (no time zone), and integers are as narrow as their range allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

MONEY = pa.decimal128(10, 2)
TOTAL = pa.decimal128(12, 2)
PERCENT = pa.decimal128(5, 2)
TIMESTAMP = pa.timestamp("us")
#: order_id = store_id * ORDER_ID_STORE + day since the history started * ORDER_ID_DAY + sequence.
ORDER_ID_STORE = 10_000_000
ORDER_ID_DAY = 10_000


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = False) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


@dataclass(frozen=True)
class TableDefinition:
    """A table's schema, its primary key and the foreign keys it holds."""

    name: str
    description: str
    schema: pa.Schema
    primary_key: tuple[str, ...]
    #: The family (kind of chunk) that builds the table: its own name, or "activity" for the three
    #: tables one store simulation produces (see generator.plan and generator.rng.Family).
    family: str
    #: The chunks of the family cover ranges of this column (a key column, so a row's chunk never
    #: changes): a chunk over index range [start, stop) holds the rows whose value lies in
    #: [(start + 1) * chunk_unit, (stop + 1) * chunk_unit). None: the family is one chunk holding every row.
    chunk_column: str | None
    foreign_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    chunk_unit: int = 1

    def chunk_bounds(self, start: int, stop: int) -> tuple[int, int]:
        """The [low, high) range of chunk_column that a chunk over indexes [start, stop) holds."""
        return (start + 1) * self.chunk_unit, (stop + 1) * self.chunk_unit

    def column_description(self, column: str) -> str:
        """The description stored in the field's metadata."""
        metadata = self.schema.field(column).metadata or {}
        return metadata.get(b"description", b"").decode()


STORES = TableDefinition(
    name="stores",
    description="One row per store that has opened; a few open during the history and sell only from their "
    "opening day, a few close and sell nothing from their closing day on.",
    schema=pa.schema(
        [
            _field("store_id", pa.int32(), "Store key, 1..N."),
            _field("name", pa.string(), "Store name, e.g. 'Austin Downtown'."),
            _field("region", pa.string(), "Sales region (Northeast, Southeast, Midwest, Southwest, West)."),
            _field("city", pa.string(), "City the store is in."),
            _field("state", pa.string(), "Two-letter US state code."),
            _field("latitude", pa.float64(), "Latitude in degrees."),
            _field("longitude", pa.float64(), "Longitude in degrees."),
            _field("opened_date", pa.date32(), "Day the store opened; no order or snapshot before it."),
            _field(
                "closed_date",
                pa.date32(),
                "Day the store closed; no order or snapshot on or after it; null while open.",
                True,
            ),
        ]
    ),
    primary_key=("store_id",),
    family="stores",
    chunk_column="store_id",
)

PRODUCTS = TableDefinition(
    name="products",
    description="Product catalogue as of the last day; popularity is skewed (a few products sell most units). "
    "Products launch and are discontinued over time, and their prices change (order_items.list_price is the "
    "price on the order day).",
    schema=pa.schema(
        [
            _field("product_id", pa.int32(), "Product key, 1..N."),
            _field("sku", pa.string(), "Unique stock-keeping unit code."),
            _field("name", pa.string(), "Product name."),
            _field("category", pa.string(), "Product category."),
            _field("brand", pa.string(), "Brand name."),
            _field("base_price", MONEY, "Regular shelf price on the last day of the dataset."),
            _field("unit_cost", MONEY, "Cost to the retailer; always below base_price."),
            _field("launched_date", pa.date32(), "First day the product is sold."),
            _field(
                "discontinued_date", pa.date32(), "First day the product is no longer sold; null while it is.", True
            ),
            _field(
                "price_valid_from", pa.date32(), "Day base_price took effect (its launch, or the last price change)."
            ),
        ]
    ),
    primary_key=("product_id",),
    family="products",
    chunk_column="product_id",
)

CUSTOMERS = TableDefinition(
    name="customers",
    description="Customers; ids follow signup order, and each customer mostly shops near home.",
    schema=pa.schema(
        [
            _field("customer_id", pa.int32(), "Customer key, 1..N, in signup order."),
            _field("first_name", pa.string(), "First name."),
            _field("last_name", pa.string(), "Last name."),
            _field("email", pa.string(), "Unique e-mail address."),
            _field("segment", pa.string(), "casual, loyal, bargain or premium."),
            _field("signup_ts", TIMESTAMP, "When the customer signed up; all their orders come later."),
            _field("home_region", pa.string(), "Region of the customer's home store."),
            _field("home_city", pa.string(), "City of the customer's home store."),
        ]
    ),
    primary_key=("customer_id",),
    family="customers",
    chunk_column="customer_id",
)

PROMOTIONS = TableDefinition(
    name="promotions",
    description="Chain-wide price promotions; a product has at most one active promotion on any day.",
    schema=pa.schema(
        [
            _field("promo_id", pa.int32(), "Promotion key, 1..N."),
            _field("product_id", pa.int32(), "Promoted product."),
            _field("start_date", pa.date32(), "First day of the promotion (inclusive)."),
            _field("end_date", pa.date32(), "Last day of the promotion (inclusive)."),
            _field("promo_type", pa.string(), "weekly_ad, flash_sale, seasonal or clearance."),
            _field("discount_pct", PERCENT, "Price reduction in percent (10.00 = 10%)."),
        ]
    ),
    primary_key=("promo_id",),
    family="promotions",
    chunk_column=None,  # ids follow start dates across products
    foreign_keys={"product_id": ("products", "product_id")},
)

ORDERS = TableDefinition(
    name="orders",
    description="One row per order; order_total is the sum of its lines after the order discount.",
    schema=pa.schema(
        [
            _field(
                "order_id",
                pa.int64(),
                "Order key: store_id * 10^7 + days since the history started * 10^4 + sequence in the day.",
            ),
            _field("store_id", pa.int32(), "Store where the order was placed."),
            _field("customer_id", pa.int32(), "Customer who placed the order."),
            _field("order_ts", TIMESTAMP, "Local time of the order, inside store hours."),
            _field("payment_type", pa.string(), "credit_card, debit_card, cash, mobile_wallet or gift_card."),
            _field("discount_pct", PERCENT, "Order-level discount in percent (loyalty or coupon)."),
            _field("order_total", TOTAL, "Sum of extended_price over the lines, less discount_pct, half-up."),
        ]
    ),
    primary_key=("order_id",),
    family="activity",
    chunk_column="store_id",
    foreign_keys={"store_id": ("stores", "store_id"), "customer_id": ("customers", "customer_id")},
)

ORDER_ITEMS = TableDefinition(
    name="order_items",
    description="Order lines; a product appears at most once per order; unit_price is list_price after any promotion.",
    schema=pa.schema(
        [
            _field("order_id", pa.int64(), "Order this line belongs to."),
            _field("line_number", pa.int16(), "1..k within the order."),
            _field("product_id", pa.int32(), "Product sold."),
            _field("promo_id", pa.int32(), "Promotion active for the product on the order date, else null.", True),
            _field("qty", pa.int16(), "Units sold."),
            _field("list_price", MONEY, "The product's base price on the order day, before any promotion."),
            _field("unit_price", MONEY, "Price per unit: list_price less the promotion discount."),
            _field("extended_price", TOTAL, "qty * unit_price."),
        ]
    ),
    primary_key=("order_id", "line_number"),
    family="activity",
    chunk_column="order_id",
    chunk_unit=ORDER_ID_STORE,
    foreign_keys={
        "order_id": ("orders", "order_id"),
        "product_id": ("products", "product_id"),
        "promo_id": ("promotions", "promo_id"),
    },
)

INVENTORY_SNAPSHOTS = TableDefinition(
    name="inventory_snapshots",
    description=(
        "Opening stock per store, product and day. on_hand(next day) = on_hand - units sold that day "
        "+ received_qty; reorders of reorder_qty are placed when stock falls to reorder_point and "
        "arrive after a lead time (on_order counts units ordered, not yet received)."
    ),
    schema=pa.schema(
        [
            _field("snapshot_date", pa.date32(), "Day of the snapshot (stock at opening)."),
            _field("store_id", pa.int32(), "Store."),
            _field("product_id", pa.int32(), "Product carried by the store."),
            _field("on_hand", pa.int32(), "Units on the shelf at opening; never negative."),
            _field("on_order", pa.int32(), "Units ordered from the supplier and not yet received."),
            _field("safety_stock", pa.int32(), "Buffer kept against demand swings."),
            _field("reorder_point", pa.int32(), "Stock level at or below which a reorder is placed."),
            _field("reorder_qty", pa.int32(), "Units per reorder."),
            _field("received_qty", pa.int32(), "Units delivered at the end of the day."),
        ]
    ),
    primary_key=("snapshot_date", "store_id", "product_id"),
    family="activity",
    chunk_column="store_id",
    foreign_keys={"store_id": ("stores", "store_id"), "product_id": ("products", "product_id")},
)

CUSTOMERS_HISTORY = TableDefinition(
    name="customers_history",
    description="Every version of every customer (type 2): a new version starts when a customer moves, changes "
    "e-mail or segment; written only on request (customer_history).",
    schema=pa.schema(
        [
            *CUSTOMERS.schema,
            _field("valid_from", TIMESTAMP, "When this version took effect (the signup, or the change)."),
            _field("valid_to", TIMESTAMP, "When the next version took effect; null for the current one.", True),
            _field("is_current", pa.bool_(), "True for the version in force on the dataset's last day."),
        ]
    ),
    primary_key=("customer_id", "valid_from"),
    family="customers",
    chunk_column="customer_id",
    foreign_keys={"customer_id": ("customers", "customer_id")},
)

#: All tables in dependency order (parents before children).
TABLES: dict[str, TableDefinition] = {
    table.name: table for table in (STORES, PRODUCTS, CUSTOMERS, PROMOTIONS, ORDERS, ORDER_ITEMS, INVENTORY_SNAPSHOTS)
}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
#: Tables written only on request, after the seven.
OPTIONAL_TABLES: dict[str, TableDefinition] = {CUSTOMERS_HISTORY.name: CUSTOMERS_HISTORY}
#: Every table a dataset may hold.
ALL_TABLES: dict[str, TableDefinition] = {**TABLES, **OPTIONAL_TABLES}


def dataset_tables(customer_history: bool) -> tuple[str, ...]:
    """The tables a dataset holds: the seven, then customers_history when it was asked for."""
    return TABLE_NAMES + ((CUSTOMERS_HISTORY.name,) if customer_history else ())
