"""orders, order_items and inventory_snapshots: one store group simulated day by day.

`demand` draws what customers ask for on a day, `stock` serves it from the shelves and keeps the
stock (and saves it, so a later run continues the history), `rows` turns the days into Arrow tables.
"""
