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


def engine_for(app, county_url: str, api_key: str = "demo-kiosk-key", timeout: float = 1.0, clock=None, **settings) -> SyncEngine:
    from random import Random

    client = Open311Client(county_url, api_key, "demo-county", HttpTransport(timeout=timeout, connect_timeout=1.0))
    return SyncEngine(get_db(), client, Settings(**settings), now=clock or FakeClock(), rng=Random(7))


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
