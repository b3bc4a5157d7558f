"""The frozen name pools are Faker's en_US lists (refresh them on purpose: UPDATE_SNAPSHOTS=1 pytest this file)."""

from __future__ import annotations

import json
import os

from generator.catalog import POOLS_SNAPSHOT, name_pools, pool_source


def _faker_lists() -> dict[str, object]:
    """Faker's en_US first names (a name in both lists keeps the male weight), last names and free e-mail domains."""
    import faker
    from faker.providers.internet.en_US import Provider as InternetProvider
    from faker.providers.person.en_US import Provider as PersonProvider

    first = dict(PersonProvider.first_names_female)
    first.update(PersonProvider.first_names_male)
    return {
        "faker_version": faker.VERSION,
        "first_names": first,
        "last_names": dict(PersonProvider.last_names),
        "email_domains": sorted(InternetProvider.free_email_domains),
    }


def test_frozen_pools_are_fakers_en_us_lists() -> None:
    current = _faker_lists()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        POOLS_SNAPSHOT.write_text(json.dumps(current, sort_keys=True, indent=0) + "\n", encoding="utf-8")
    frozen = pool_source()
    for key in ("first_names", "last_names", "email_domains"):
        assert frozen[key] == current[key], f"Faker's {key} moved; refresh with UPDATE_SNAPSHOTS=1"
    pools = name_pools()
    assert len(pools.first_names) == len(current["first_names"]) and pools.first_name_cdf[-1] == 1.0
    assert list(pools.email_domains) == current["email_domains"] and len(pools.brand_stems) == 400
