"""The resident's status ladder, built from a request's outbox events.

The ladder always has the same five steps; events only move the resident further up it, but two: a
worker who settles a possible duplicate on another county number (``followed_before``) takes it back to
"accepted" (the copy's "finished" was not this request's); and a
request the county could not take yet (:func:`not_taken_yet`: refused and waiting for a worker, or
still waiting after several failed sends) is not shown as "sent to the county", and the page says so
in plain words. New kinds of event (from the sync engine) plug in through :data:`STEP_OF_STATE`
without touching the page.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from core import outbox

STEPS = (
    ("saved", _l("Saved on this kiosk")),
    ("sent", _l("Sent to the county")),
    ("accepted", _l("Accepted by the county platform")),
    ("in_progress", _l("Being handled")),
    ("closed", _l("Finished")),
)
STEP_OF_STATE = {
    outbox.QUEUED: "saved",
    outbox.RETRY_WAIT: "saved",
    outbox.QUARANTINED: "saved",
    outbox.IN_FLIGHT: "sent",
    outbox.ACCEPTED: "accepted",
    outbox.IN_PROGRESS: "in_progress",
    outbox.CLOSED: "closed",
}


#: A request still waiting after this many sends that failed is told "the county could not take it yet".
SEVERAL_TRIES = 3


def not_taken_yet(events: list[dict]) -> str:
    """Whether the county could not take the request yet: ``"refused"`` (it waits for a worker on Today's
    list; the sync engine also quarantines a request after a 5xx kept coming), ``"waiting"`` (several
    sends failed and the kiosk keeps trying), or ``""``."""
    last = events[-1] if events else None
    if last is None:
        return ""
    if last["state"] == outbox.QUARANTINED:
        return "refused"
    if last["state"] == outbox.RETRY_WAIT and int(last["data"].get("attempt") or 0) >= SEVERAL_TRIES:
        return "waiting"
    return ""


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    current: bool
    at: str = ""
    detail: str = ""


def ladder(events: list[dict]) -> list[Step]:
    """Five steps with ``done``/``current`` flags, the time each was reached and any county detail."""
    order = [key for key, _ in STEPS]
    first: dict[str, dict] = {}   # when each step was reached
    latest: dict[str, dict] = {}  # what is known of it now (a token later gets its id; notes change)
    highest = -1
    for event in events:
        key = STEP_OF_STATE.get(event["state"])
        if key is None:
            continue
        if isinstance(event["data"], dict) and event["data"].get("followed_before"):
            # A worker settled a possible duplicate on another county number: what the copy followed until
            # then said (handled, finished) was not this request's news
            for later in ("in_progress", "closed"):
                first.pop(later, None)
                latest.pop(later, None)
            highest = min(highest, order.index("accepted"))
        first.setdefault(key, event)
        latest[key] = event
        highest = max(highest, order.index(key))
    if not_taken_yet(events):  # sent, maybe many times, but not taken: not "sent to the county" as done
        highest = min(highest, order.index("saved"))
    steps = []
    for index, (key, label) in enumerate(STEPS):
        data = latest.get(key, {}).get("data", {})
        detail = data.get("service_request_id", "") if key == "accepted" else data.get("status_notes", "")
        steps.append(Step(key, str(label), index <= highest, index == highest, first.get(key, {}).get("at", ""), str(detail)))
    return steps
