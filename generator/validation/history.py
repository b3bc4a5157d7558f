"""Checks of customers_history, the type-2 history of customers (written on request): contiguous
validity intervals, one current version, starting at the signup and ending as the customers row."""

from __future__ import annotations

from generator.schema import CUSTOMERS
from generator.validation.engine import Check, Group

_KEY = ("customer_id", "valid_from")


def history_groups() -> list[Group]:
    """The customers_history checks (run when the dataset holds the table)."""
    same_columns = " AND ".join(f"c.{name} IS NOT DISTINCT FROM h.{name}" for name in CUSTOMERS.schema.names)
    return [
        Group(
            ("customers_history",),
            "SELECT customer_id, valid_from, valid_to, is_current, lead(valid_from) OVER w AS next_from, "
            "count(*) FILTER (WHERE is_current) OVER (PARTITION BY customer_id) AS currents "
            "FROM customers_history WINDOW w AS (PARTITION BY customer_id ORDER BY valid_from)",
            (
                Check(
                    "history_intervals",
                    "customers_history.valid_to of a version is the valid_from of the customer's next "
                    "version, and null for the last one; counts versions.",
                    "valid_to IS DISTINCT FROM next_from",
                    _KEY + ("valid_to", "next_from"),
                ),
                Check(
                    "history_one_current",
                    "Exactly one version of each customer is current (is_current), and it is the last one; "
                    "counts versions.",
                    "currents <> 1 OR is_current <> (next_from IS NULL)",
                    _KEY + ("is_current",),
                ),
            ),
        ),
        Group(
            ("customers", "customers_history"),
            "SELECT c.customer_id, c.signup_ts, h.first_from FROM customers c LEFT JOIN "
            "(SELECT customer_id, min(valid_from) AS first_from FROM customers_history GROUP BY customer_id) h "
            "ON h.customer_id = c.customer_id",
            (
                Check(
                    "history_starts_at_signup",
                    "Every customer has a history whose first version starts at their signup_ts; counts customers.",
                    "first_from IS DISTINCT FROM signup_ts",
                    ("customer_id", "signup_ts", "first_from"),
                ),
            ),
        ),
        Group(
            ("customers", "customers_history"),
            f"SELECT c.customer_id FROM customers c ANTI JOIN (SELECT * FROM customers_history WHERE is_current) h "
            f"ON {same_columns}",
            (
                Check(
                    "history_current_is_customers",
                    "The current version of each customer equals its customers row, column for column; "
                    "counts customers.",
                    "true",
                    ("customer_id",),
                ),
            ),
        ),
    ]
