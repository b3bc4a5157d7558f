"""A naive per-row generator of the same seven tables, as the original pipeline built them:
Python dicts, `random` calls per value, Faker per customer, pandas to Parquet. Only for timing."""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from faker import Faker

from generator.spec import DatasetSpec


def generate_naive(spec: DatasetSpec, output_dir: Path) -> int:
    """Write the dataset row by row; returns the number of rows."""
    rng = random.Random(spec.seed)
    fake = Faker("en_US")
    fake.seed_instance(spec.seed)
    volumes = spec.volumes
    start = datetime.combine(spec.start_date, datetime.min.time())
    stores = [
        {"store_id": i + 1, "name": f"{fake.city()} Plaza", "region": rng.choice(["NE", "SE", "MW", "SW", "W"]),
         "city": fake.city(), "latitude": rng.uniform(25, 48), "longitude": rng.uniform(-122, -70),
         "opened_date": (start - timedelta(days=rng.randint(30, 5000))).date()}
        for i in range(volumes.stores)
    ]  # fmt: skip
    products = []
    for i in range(volumes.products):
        price = round(rng.uniform(1, 40), 2)
        products.append({"product_id": i + 1, "sku": f"SKU-{i + 1:07d}", "name": fake.catch_phrase(),
                         "category": rng.choice(["Produce", "Dairy", "Snacks", "Pantry"]), "brand": fake.company(),
                         "base_price": price, "unit_cost": round(price * rng.uniform(0.4, 0.8), 2)})  # fmt: skip
    customers = [
        {"customer_id": i + 1, "first_name": fake.first_name(), "last_name": fake.last_name(),
         "email": f"user{i + 1}@{fake.free_email_domain()}", "segment": rng.choice(["casual", "loyal", "bargain"]),
         "signup_ts": start - timedelta(seconds=rng.randint(0, 10**8)), "home_region": rng.choice(["NE", "W"]),
         "home_city": fake.city()}
        for i in range(volumes.customers)
    ]  # fmt: skip
    promotions = [
        {"promo_id": i + 1, "product_id": rng.randint(1, volumes.products), "start_date": spec.start_date,
         "end_date": spec.end_date, "promo_type": "weekly_ad", "discount_pct": rng.choice([10, 20, 30])}
        for i in range(int(volumes.products * 0.12 * max(1, spec.days // 14)))
    ]  # fmt: skip
    orders, items, inventory = [], [], []
    stock = {(s, p): 20 for s in range(1, volumes.stores + 1) for p in range(1, volumes.assortment + 1)}
    order_id = 0
    for day in range(spec.days):
        for _ in range(int(volumes.orders_per_day)):
            order_id += 1
            store = rng.randint(1, volumes.stores)
            total = 0.0
            for line in range(1, rng.randint(1, 5) + 1):
                product = rng.randint(1, volumes.assortment)
                qty = rng.randint(1, 3)
                price = products[product - 1]["base_price"]
                stock[(store, product)] = max(0, stock[(store, product)] - qty)
                items.append({"order_id": order_id, "line_number": line, "product_id": product, "promo_id": None,
                              "qty": qty, "unit_price": price, "extended_price": round(qty * price, 2)})  # fmt: skip
                total += qty * price
            orders.append({"order_id": order_id, "store_id": store, "customer_id": rng.randint(1, volumes.customers),
                           "order_ts": start + timedelta(days=day, seconds=rng.randint(25200, 79200)),
                           "payment_type": rng.choice(["credit_card", "cash"]), "discount_pct": 0.0,
                           "order_total": round(total, 2)})  # fmt: skip
        for (store, product), on_hand in stock.items():
            inventory.append({"snapshot_date": (start + timedelta(days=day)).date(), "store_id": store,
                              "product_id": product, "on_hand": on_hand, "on_order": 0, "safety_stock": 5,
                              "reorder_point": 10, "reorder_qty": 20, "received_qty": 0})  # fmt: skip
            if on_hand < 10:
                stock[(store, product)] = on_hand + 20
    tables = {"stores": stores, "products": products, "customers": customers, "promotions": promotions,
              "orders": orders, "order_items": items, "inventory_snapshots": inventory}  # fmt: skip
    for name, rows in tables.items():
        folder = output_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_parquet(folder / "data.parquet")
    return sum(len(rows) for rows in tables.values())


if __name__ == "__main__":
    import sys
    import tempfile

    spec = DatasetSpec(scale=sys.argv[1] if len(sys.argv) > 1 else "small")
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        rows = generate_naive(spec, Path(folder))
        print(f"{rows:,} rows in {time.perf_counter() - started:.2f} s")
