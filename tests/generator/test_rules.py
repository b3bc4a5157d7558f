"""Every input rule (generator.rules and generator.name_rules, checked side by side as one table): what it
accepts and normalises, and how it refuses (field, value, what is accepted)."""

from __future__ import annotations

from datetime import date

import pytest

from generator import name_rules, rules
from generator.rules import RuleError, RuleErrors


def refusal(rule: rules.Rule, value: object, field: str = "f") -> RuleError:
    with pytest.raises(RuleError) as info:
        rule(value, field)
    return info.value


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (rules.DAYS, 14, 14),
        (rules.DAYS, "30", 30),
        (rules.DAYS, 7.0, 7),
        (rules.SEED, 0, 0),
        (rules.SCALE_FACTOR, "0.5", 0.5),
        (rules.SCALE_FACTOR, 2, 2.0),
        (rules.SCALE, " Large ", "large"),
        (rules.END_DATE, "2024-02-29", date(2024, 2, 29)),
        (name_rules.UC_NAME, "Main_Catalog", "main_catalog"),
        (name_rules.UC_NAME, "sqlw-to-lakebase-backend", "sqlw-to-lakebase-backend"),
        (name_rules.RELATIVE_FOLDER, "runs/2024-06", "runs/2024-06"),
        (name_rules.VOLUME_FOLDER, "/Volumes/Main/S/V/out/", "/Volumes/main/s/v/out"),
        (name_rules.WORKSPACE_PATH, "/Workspace/Users/me/generate_data.py", "/Workspace/Users/me/generate_data.py"),
        (name_rules.CLUSTER_ID, "0123-456789-abcdef01", "0123-456789-abcdef01"),
        (name_rules.TABLE_PREFIX, "", ""),
        (name_rules.TABLE_FORMAT, "Delta", "delta"),
        (name_rules.PG_SCHEMA, "Retail_2024", "retail_2024"),
        (name_rules.PG_SCHEMA, "R" * 63, "r" * 63),
        (name_rules.PG_DATABASE, "databricks_postgres", "databricks_postgres"),
        (name_rules.LAKEBASE_INSTANCE, "retail-lakebase-1", "retail-lakebase-1"),
        (rules.PORT, "5432", 5432),
        (rules.CHANGE_VERSIONS, [3, "4"], [3, 4]),
        (name_rules.DUCKDB_FILE, "shop-2024.duckdb", "shop-2024.duckdb"),
    ],
)
def test_accepted_values_are_normalised(rule: rules.Rule, value: object, expected: object) -> None:
    assert rule(value, "f") == expected


@pytest.mark.parametrize(
    ("rule", "value", "reason"),
    [
        (rules.DAYS, 0, None),
        (rules.DAYS, 366, None),
        (rules.DAYS, True, "not a whole number"),
        (rules.DAYS, 1.5, "not a whole number"),
        (rules.DAYS, "ten", "not a whole number"),
        (rules.SEED, -1, None),
        (rules.SCALE_FACTOR, float("nan"), None),
        (rules.SCALE_FACTOR, float("inf"), None),
        (rules.SCALE_FACTOR, 0, None),
        (rules.SCALE_FACTOR, False, "not a number"),
        (rules.SCALE, "huge", None),
        (rules.END_DATE, "yesterday", "not a date"),
        (rules.END_DATE, "20251231", "not a date"),  # Python 3.11+ alone would read it
        (rules.END_DATE, "2025-W52-3", "not a date"),
        (rules.END_DATE, date(1970, 6, 1), None),
        (name_rules.UC_NAME, "a.b", "contains a dot"),
        (name_rules.UC_NAME, "a b", "contains a space"),
        (name_rules.UC_NAME, "a`b", "contains a backtick"),
        (name_rules.UC_NAME, "", "empty"),
        (name_rules.UC_NAME, "x" * 256, "256 characters"),
        (name_rules.UC_NAME, 5, "not a string"),
        (name_rules.RELATIVE_FOLDER, "a//b", "has a empty segment"),
        (name_rules.RELATIVE_FOLDER, "/abs", "starts or ends with '/'"),
        (name_rules.RELATIVE_FOLDER, "a/", "starts or ends with '/'"),
        (name_rules.RELATIVE_FOLDER, "a/../b", "has a .. segment"),
        (name_rules.RELATIVE_FOLDER, "a\\b", "contains a backslash"),
        (name_rules.VOLUME_FOLDER, "/Volumes/c/s/v", "needs a catalog, a schema, a volume and a folder inside"),
        (name_rules.VOLUME_FOLDER, "/tmp/x", "does not start with /Volumes/"),
        (name_rules.WORKSPACE_PATH, "relative.py", "not an absolute path"),
        (name_rules.WORKSPACE_PATH, "/Users/me/", "names a folder, not a file"),
        (name_rules.CLUSTER_ID, "id with spaces", None),
        (name_rules.TABLE_PREFIX, "p-", None),
        (name_rules.PG_SCHEMA, 're"tail', None),
        (name_rules.PG_SCHEMA, "re.tail", None),
        (name_rules.PG_SCHEMA, "rétail", None),
        (name_rules.PG_SCHEMA, "r" * 64, "64 bytes"),
        (name_rules.PG_SCHEMA, "PG_stats", "names starting with pg_ are reserved by PostgreSQL"),
        (name_rules.PG_DATABASE, "", "empty"),
        (name_rules.PG_DATABASE, "a\x00b", None),
        (name_rules.PG_DATABASE, "é" * 32, None),
        (name_rules.LAKEBASE_INSTANCE, "-leading", None),
        (name_rules.LAKEBASE_INSTANCE, "bad name!", None),
        (rules.PORT, 0, None),
        (rules.PORT, 65536, None),
        (rules.CHANGE_VERSIONS, 3, "not a list"),
        (name_rules.DUCKDB_FILE, "../retail.duckdb", None),
        (name_rules.DUCKDB_FILE, "retail.db", None),
    ],
)
def test_refusals_name_the_field_the_value_and_what_is_accepted(
    rule: rules.Rule, value: object, reason: str | None
) -> None:
    error = refusal(rule, value, "the_field")
    assert str(error).startswith(f"the_field={rules.shown(value)}: ")
    assert "must be " in str(error)
    assert error.reason == reason


@pytest.mark.parametrize(
    "name",
    ["a\x85b", "a\u2028b", "a\u00a0b", "a\u200bb", "a\x00b", "a\x7fb", "tab\tname", "a\u3000b"],
)
def test_unity_catalog_names_refuse_every_control_invisible_or_separator_character(name: str) -> None:
    error = refusal(name_rules.UC_NAME, name, "catalog")
    assert "control or invisible character (U+" in str(error)


def test_check_all_reports_every_refusal_together() -> None:
    with pytest.raises(RuleErrors) as info:
        rules.check_all(days=(rules.DAYS, 0), seed=(rules.SEED, 3), scale=(rules.SCALE, "xl"))
    assert [error.field for error in info.value.errors] == ["days", "scale"]
    assert "days=0" in str(info.value) and "scale='xl'" in str(info.value)
    assert rules.check_all(days=(rules.DAYS, "2")) == {"days": 2}


def test_huge_values_are_shown_cut() -> None:
    error = refusal(name_rules.UC_NAME, "y" * 10_000, "schema")
    assert len(str(error)) < 600 and "10,000 characters" in str(error)


def test_a_bad_change_version_is_named_by_its_position() -> None:
    error = refusal(rules.CHANGE_VERSIONS, [1, -2], "versions")
    assert error.field == "versions[1]" and str(error).startswith("versions[1]=-2: ")
