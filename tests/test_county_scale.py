"""Many kiosks at once into one county, exactly once: the bench (bench/county_scale.py) in small —
20 kiosks of 25 requests, 4 draining at a time through the real sync engine, into a real county
process that drops connections after storing and answers some posts with a 500 — on SQLite and on
PostgreSQL."""
from __future__ import annotations

import pytest

from bench.county_scale import FAULTS, drain_all, exactly_once, make_kiosks, proven

from .conftest import LiveCounty

pytestmark = [pytest.mark.slow, pytest.mark.county_backends]

KIOSKS, PER_KIOSK = 20, 25
# Harder than the bench's 1 %, so that 500 requests surely meet faults of both kinds.
SMALL_FAULTS = {**FAULTS, "drop_rate": 0.05, "error_rate": 0.05}


def test_twenty_kiosks_drain_into_one_county_exactly_once(tmp_path, county_database_url):
    folders = make_kiosks(tmp_path / "kiosks", KIOSKS, PER_KIOSK)
    county = LiveCounty(tmp_path / "county", SMALL_FAULTS, database_url=county_database_url).start()
    try:
        wall, drained = drain_all(folders, county.url, parallel=4, deadline_seconds=90, processes=False)
        counts = exactly_once(county, folders)
    finally:
        county.stop()
    assert sum(d.left for d in drained) == 0, drained
    assert sum(d.sent for d in drained) > KIOSKS * PER_KIOSK  # the 500s were sent again ...
    assert sum(d.retried for d in drained) > 0                # ... after waiting, and the drops looked up
    assert counts["held"] == counts["expected"] == KIOSKS * PER_KIOSK, counts
    assert proven(counts), counts  # none missing, none twice, every kiosk holding the county's own id
