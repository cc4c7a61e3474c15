"""Saved requests for sync tests, made through the kiosk's own save path (no HTTP needed)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from core import drafts, outbox, submissions
from core.actions import resident
from core.wording import Centre
from kiosk.db import get_db
from sync.engine import Settings, SyncEngine
from sync.open311 import HttpTransport, Open311Client


def save_requests(app, count: int, where: str = "3号楼2单元", service: str = "repairs") -> list[str]:
    """Save ``count`` finished repairs requests; return their tickets."""
    tickets = []
    with app.app_context():
        db = get_db()
        for i in range(count):
            _, draft = resident.start_draft(db, service, "zh_Hans_CN")
            draft.answers = {"what": "light", "where": f"{where} #{i}", "danger": "no"}
            draft.personal = {"contact": "centre"}
            tickets.append(resident.save_request(db, draft, "kiosk-test", Centre.from_config(app.config)).ticket)
    return tickets


class FakeClock:
    """Kiosk time that tests move forward, so backoff waits pass at once."""

    def __init__(self, start: datetime | None = None):
        self.moment = start or datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


#: The two counties the sync tests run against (issue 21, item 8): the reference county, and the
#: reference county in strict mode (every flag of ``county/strict.py`` but ``text_errors``), which
#: behaves like the independent counties nobody here wrote. ``--county-mode`` is not needed: a test
#: that takes the ``county_mode`` fixture of tests/test_sync.py runs once per county.
COUNTY_MODES = {"reference": "", "strict": "1"}
#: The centre's place as deploy/install.sh writes it (a strict county needs coordinates).
CENTRE_PLACE = {"CENTRE_LAT": "31.2304", "CENTRE_LONG": "121.4737", "COUNTY_LOCATION": "coordinates"}


def set_up_centre(app) -> None:
    """The centre's coordinates, before any request is saved (they are frozen into its wording)."""
    app.config.update(CENTRE_PLACE)


def engine_for(app, county_url: str, api_key: str = "demo-kiosk-key", timeout: float = 1.0, clock=None, profiled: bool = False,
               **settings) -> SyncEngine:
    """A sync engine for ``county_url``. ``profiled``: its settings from the county's profile, as the sync
    service sets them (``sync.process.make_engine``): the county is probed (read-only) and what it
    supports decides whether attributes go and the look-up is used; ``settings`` still win."""
    from random import Random

    client = Open311Client(county_url, api_key, "demo-county", HttpTransport(timeout=timeout, connect_timeout=1.0))
    if profiled:
        from core import catalogue
        from sync import profile

        ours = [s.code for g in catalogue.list_groups(get_db(), catalogue.FALLBACK_LOCALE) for s in g["services"]]
        found = profile.probe(client, ours, app.config["COUNTY_LOCATION"])
        settings = {**profile.sending_settings(found, app.config), **settings}
    return SyncEngine(get_db(), client, Settings(**settings), now=clock or FakeClock(), rng=Random(7))


def delivered(db, county_descriptions: list[str]) -> dict:
    """Never lose, never claim (issue 21, item 5), read from both sides, for a county that keeps no
    kiosk_uuid: ``lost`` (requests the kiosk counts as at the county whose frozen words it does not
    hold), ``extra`` (copies beyond one), ``unclear`` (sends whose reply was lost), ``unflagged`` (a
    request held twice that no worker is shown), ``strangers`` (what the county holds that the kiosk never
    sent)."""
    from collections import Counter

    copies = Counter(county_descriptions)
    lost, unflagged, unclear, ours = [], [], 0, set()
    flagged = outbox.possible_duplicates(outbox.histories(db, [r["request_id"] for r in outbox.current_in(db, outbox.STATES)]))
    for row in outbox.current_in(db, outbox.STATES):
        request_id = row["request_id"]
        unclear += sum(1 for e in outbox.events(db, request_id) if e["state"] == outbox.RETRY_WAIT and e["data"].get("ambiguous"))
        wording = submissions.wording_of(db, request_id)
        ours.add(wording.description if wording else None)
        if row["state"] not in (outbox.ACCEPTED, outbox.IN_PROGRESS, outbox.CLOSED):
            continue
        held = copies[wording.description]
        if held == 0:
            lost.append(request_id)
        elif held > 1 and request_id not in flagged:
            unflagged.append(request_id)
    return {"lost": lost, "extra": sum(n - 1 for n in copies.values()), "unclear": unclear, "unflagged": unflagged,
            "strangers": sum(n for text, n in copies.items() if text not in ours)}


def drain(engine: SyncEngine, clock: FakeClock, runs: int = 40) -> list:
    """Run the engine until nothing is due (moving the clock past backoff each time); bounded."""
    reports = []
    for _ in range(runs):
        reports.append(engine.run("test"))
        if not engine.due(1) and not any(r["state"] == "retry_wait" for r in states(engine.db).values()):
            break
        clock.advance(hours=2)
    return reports


def states(db) -> dict[int, dict]:
    """Each request's latest event: {request id: {state, data}}."""
    return {row["request_id"]: {"state": row["state"], "data": json.loads(row["data"])}
            for row in outbox.current_in(db, outbox.STATES)}
