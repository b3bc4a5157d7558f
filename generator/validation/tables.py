"""Checks of each table on its own and of the keys between tables: not-null, primary and unique
keys, foreign keys and single-row rules."""

from __future__ import annotations

from collections.abc import Sequence

from generator.schema import ALL_TABLES
from generator.validation.engine import Check, Group, null_condition


def table_groups(present: Sequence[str]) -> list[Group]:
    """Not-null, primary-key and single-row checks of each table, and foreign keys."""
    groups: list[Group] = []
    row_checks: dict[str, list[Check]] = {
        "stores": [
            Check(
                "store_dates",
                "stores.closed_date is null or after opened_date; counts stores.",
                "closed_date <= opened_date",
                ("store_id",),
            )
        ],
        "products": [
            Check(
                "product_prices",
                "products.base_price and unit_cost are both > 0 and unit_cost < base_price; counts products.",
                "NOT (base_price > 0 AND unit_cost > 0 AND unit_cost < base_price)",
                ("product_id",),
            ),
            Check(
                "product_dates",
                "products.discontinued_date is null or after launched_date, and price_valid_from >= "
                "launched_date; counts products.",
                "discontinued_date <= launched_date OR price_valid_from < launched_date",
                ("product_id",),
            ),
        ],
        "promotions": [
            Check(
                "promotion_dates",
                "promotions.start_date <= end_date; counts promotions.",
                "start_date > end_date",
                ("promo_id",),
            ),
            Check(
                "promotion_discount_range",
                "promotions.discount_pct is strictly between 0 and 100; counts promotions.",
                "NOT (discount_pct > 0 AND discount_pct < 100)",
                ("promo_id",),
            ),
        ],
        "order_items": [
            Check(
                "qty_positive",
                "order_items.qty > 0; counts lines.",
                "qty <= 0",
                ("order_id", "line_number"),
            ),
            Check(
                "extended_price",
                "order_items.extended_price = qty * unit_price exactly (decimal arithmetic); counts lines.",
                "extended_price <> qty * unit_price",
                ("order_id", "line_number"),
            ),
        ],
    }
    for name in present:
        table = ALL_TABLES[name]
        required = [f.name for f in table.schema if not f.nullable]
        optional = [f.name for f in table.schema if f.nullable]
        pk = table.primary_key
        checks = [
            Check(
                f"not_null_{name}",
                f"No null in the required columns of {name} (every column"
                + (f" except {', '.join(optional)}" if optional else "")
                + "); counts rows with at least one null.",
                null_condition(required),
                pk,
            ),
            *row_checks.get(name, []),
        ]
        if name == "inventory_snapshots":
            continue  # its not-null and key checks run in the windowed inventory pass
        groups.append(Group((name,), f"SELECT * FROM {name}", tuple(checks)))
        keys = ", ".join(pk)
        groups.append(
            Group(
                (name,),
                f"SELECT {keys}, count(*) AS n FROM {name} GROUP BY {keys}",
                (
                    Check(
                        f"pk_{name}",
                        f"Primary key ({keys}) of {name} is unique and not null; counts each "
                        "duplicated key once plus every row with a null key column.",
                        f"{null_condition(pk)} OR n > 1",
                        pk,
                        weight=f"CASE WHEN {null_condition(pk)} THEN n ELSE 1 END",
                    ),
                ),
            )
        )
    for table, column in (("products", "sku"), ("customers", "email")):
        if table in present:
            groups.append(
                Group(
                    (table,),
                    f"SELECT {column}, count(*) AS n FROM {table} WHERE {column} IS NOT NULL GROUP BY {column}",
                    (
                        Check(
                            f"unique_{table}_{column}",
                            f"{table}.{column} is unique; counts each duplicated value once.",
                            "n > 1",
                            (column,),
                        ),
                    ),
                )
            )
    for name in present:
        table = ALL_TABLES[name]
        for column, (parent, parent_column) in table.foreign_keys.items():
            if parent not in present:
                continue
            groups.append(
                Group(
                    (name, parent),
                    f"SELECT c.* FROM {name} c ANTI JOIN {parent} p ON c.{column} = p.{parent_column} "
                    f"WHERE c.{column} IS NOT NULL",
                    (
                        Check(
                            f"fk_{name}_{column}",
                            f"Every non-null {name}.{column} exists in {parent}.{parent_column} (nulls are "
                            f"reported by not_null_{name}); counts {name} rows.",
                            "true",
                            table.primary_key + (column,),
                        ),
                    ),
                )
            )
    return groups
