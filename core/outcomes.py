"""What the kiosk's requests came to: problems really solved, how fast, and what residents said (issue 12).

Every figure is computed here from recorded events — saved requests, the county's status events, the
residents' answers — for the requests saved in a date range, and nothing else: no page views, no
logins, no worker compared with another. Figures that a manager could misread without their base
always carry it (``n``).

**A problem** is a request a resident saved, with the requests that reopened it (a "not solved",
:mod:`core.feedback`): one problem, however many times it went back. Counted per problem:

- ``received``: problems whose first request was saved in the range;
- ``closed_by_county``: the county reported the first request closed (at any time since);
- ``confirmed``: the resident said "yes, it is solved" about one of its requests;
- ``said_not_solved`` / ``reopened``: answers "no" (each reopened it), and problems reopened at least once;
- ``awaiting_answer``: its latest request is closed and nobody has asked the resident yet;
- ``repeats``: further problems saved in the range by the same resident (the same phone number, or
  the same name where no phone was given) for the same service — counted only while details are
  kept (:mod:`core.retention`), and never for a reopen, which is the same problem;
- **times**: from saving the first request to the county's first close of it, and to the resident's
  "yes"; median (the middle value, or the mean of the two middle ones) and 90th percentile (the
  nearest-rank value: the smallest that at least 90 % of the times do not exceed), in seconds.

**The county's close time.** The kiosk learns of a close when it next pulls status, perhaps hours
later. The close's own time is the county's ``updated_datetime``, on the county's clock: it is read
on the kiosk's clock by subtracting the offset measured in the same run (``county_clock_offset``, kept
with the event by :mod:`sync.engine`), and held between the request's saving and the moment the
kiosk heard of it. A county that closes without moving ``updated_datetime`` leaves it stale (the
time of the request's last change before): then the kiosk's own observation of the close, on the
county's clock (``close_seen_datetime``), is used instead. Without those, the moment the kiosk heard
of it is used.

**Satisfaction** is the distribution of the five 好差评 levels given about the range's problems, with
its count; **fields** counts each answer and personal detail of the problems' first requests by who
entered it: ``typed`` by the resident, ``reused`` (taken, with the resident's consent, from an earlier
request: :func:`core.personal.sources`), or ``worker`` (filled in with a worker, 代办).
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlite_utils import Database

from . import feedback, outbox, personal, submissions

RATINGS = (5, 4, 3, 2, 1)


@dataclass(frozen=True)
class Times:
    n: int
    median: float | None  # seconds
    p90: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> "Times":
        if not seconds:
            return cls(0, None, None)
        ordered = sorted(seconds)
        return cls(len(ordered), float(statistics.median(ordered)), float(ordered[math.ceil(0.9 * len(ordered)) - 1]))


@dataclass(frozen=True)
class Outcomes:
    start: str
    end: str
    received: int
    closed_by_county: int
    confirmed: int
    said_not_solved: int
    reopened: int
    awaiting_answer: int
    repeats: int
    repeats_counted_of: int           # problems whose details were still there to compare
    to_county_close: Times
    to_confirmation: Times
    ratings: dict[int, int]            # {5: n, ..., 1: n}
    fields: dict[str, int] = field(default_factory=dict)  # {"typed": n, "reused": n, "worker": n}

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def reopen_rate(self) -> float | None:
        """Share of the problems the county closed that a resident then said were not solved (None: none closed)."""
        return self.reopened / self.closed_by_county if self.closed_by_county else None

    def as_dict(self) -> dict:
        times = lambda t: {"n": t.n, "median_seconds": t.median, "p90_seconds": t.p90}  # noqa: E731
        return {"start": self.start, "end": self.end, "received": self.received, "closed_by_county": self.closed_by_county,
                "confirmed_solved": self.confirmed, "said_not_solved": self.said_not_solved, "reopened": self.reopened,
                "reopen_rate": self.reopen_rate, "awaiting_answer": self.awaiting_answer,
                "repeats": {"n": self.repeats, "of": self.repeats_counted_of},
                "to_county_close": times(self.to_county_close), "to_confirmation": times(self.to_confirmation),
                "satisfaction": {"n": self.rated, **{str(k): v for k, v in self.ratings.items()}},
                "fields": dict(self.fields)}


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"a time without its zone: {text!r}")
    return moment


def close_time(event: dict, saved_at: datetime) -> datetime:
    """When the county closed it, on the kiosk's clock (see the module's note)."""
    heard = _moment(event["at"])
    data = event["data"]
    try:
        county = _moment(data.get("close_seen_datetime") or data["updated_datetime"])
        offset = float(data["county_clock_offset"])
    except (KeyError, TypeError, ValueError):
        return heard
    return min(heard, max(saved_at, county - timedelta(seconds=offset)))


def _who(details: dict) -> str | None:
    phone = "".join(c for c in details.get("phone", "") if c.isdigit())
    if phone:
        return "phone:" + phone
    name = "".join(details.get("name", "").split())
    return "name:" + name if name else None


def _sources(db: Database, first: dict, details: dict) -> dict[str, str]:
    """Who entered each field of a request: as saved with it, or (saved before that was kept) by who filled it in."""
    kept = submissions.sources_of(db, first["id"])
    if kept:
        return kept
    source = "worker" if first["filled_by"] == "worker" else "typed"
    answered = submissions.get(db, first["id"]).answers
    return {**{c: source for c, v in answered.items() if v not in (None, "", [])},
            **{k: source for k, v in details.items() if k != "contact" and v}}


def compute(db: Database, start: str, end: str) -> Outcomes:
    """The figures for problems first saved from ``start`` up to (not including) ``end`` (UTC ISO times)."""
    received = closed = confirmed = said_no = reopened = awaiting = 0
    to_close, to_yes = [], []
    ratings = {r: 0 for r in RATINGS}
    fields = {"typed": 0, "reused": 0, "worker": 0}
    people: dict[tuple[str, str], int] = {}
    compared = 0
    for chain in submissions.reopen_chains(db, start, end):
        received += 1
        first = chain[0]
        saved_at = _moment(first["requested_at"])
        ids = [r["id"] for r in chain]
        events = {i: outbox.events(db, i) for i in ids}
        first_closes = [e for e in events[first["id"]] if e["state"] == outbox.CLOSED]
        if first_closes:
            closed += 1
            to_close.append((close_time(first_closes[0], saved_at) - saved_at).total_seconds())
        answers = sorted(({**a, "request_id": i} for i, given in feedback.given_for(db, ids).items() for a in given),
                         key=lambda a: a["id"])
        yes = [a for a in answers if a["solved"]]
        if yes:
            confirmed += 1
            to_yes.append((_moment(yes[0]["at"]) - saved_at).total_seconds())
        nos = sum(1 for a in answers if not a["solved"])
        said_no += nos
        reopened += bool(nos)
        for a in answers:
            if a["rating"] in ratings:
                ratings[a["rating"]] += 1
        last = chain[-1]
        current = events[last["id"]][-1] if events[last["id"]] else None
        if current and current["state"] == outbox.CLOSED and not any(a["request_id"] == last["id"] for a in answers):
            awaiting += 1
        details = personal.load_for_request(db, first["id"])
        who = _who(details)
        if who:
            compared += 1
            people[(first["service_code"], who)] = people.get((first["service_code"], who), 0) + 1
        for source in _sources(db, first, details).values():
            fields[source] = fields.get(source, 0) + 1
    return Outcomes(start, end, received, closed, confirmed, said_no, reopened, awaiting,
                    sum(n - 1 for n in people.values()), compared, Times.of(to_close), Times.of(to_yes), ratings, fields)


def export_rows(db: Database, start: str, end: str, with_personal: bool) -> list[dict]:
    """One row per request saved from ``start`` up to (not including) ``end`` (UTC ISO times), by id:
    its outcome fields, and its personal details and the resident's latest comment only if asked.

    Read through each table's owner, a few queries for the whole range (one per table per 500
    requests), not one per row."""
    saved = submissions.saved_for_export(db, start, end)
    ids = [r["id"] for r in saved]
    histories = outbox.histories(db, ids)
    county_ids = outbox.county_ids(histories)
    given = feedback.given_for(db, ids)
    if with_personal:  # and what the resident wrote, which may name people
        details = personal.load_for_requests(db, ids)
        comments = feedback.comments(db, [g[-1]["id"] for g in given.values() if g and g[-1]["has_comment"]])
    rows = []
    for r in saved:
        events = histories[r["id"]]
        closes = [e for e in events if e["state"] == outbox.CLOSED]
        last_answer = given[r["id"]][-1] if given[r["id"]] else None
        row = {
            "ticket": r["ticket"], "service_code": r["service_code"], "requested_datetime": r["requested_at"],
            "service_request_id": county_ids[r["id"]] or "", "status": events[-1]["state"] if events else "",
            "closed_datetime": closes[0]["at"] if closes else "", "filled_by": r["filled_by"],
            "reopens_ticket": r["reopens_ticket"] or "",
            "resident_solved": "" if not last_answer else ("yes" if last_answer["solved"] else "no"),
            "resident_rating": (last_answer["rating"] or "") if last_answer else "",
            "resident_answered_via": last_answer["via"] if last_answer else "",
            "resident_answered_datetime": last_answer["at"] if last_answer else "",
        }
        if with_personal:
            mine = details[r["id"]]
            row.update({"name": mine.get("name", ""), "phone": mine.get("phone", ""), "address": mine.get("address", ""),
                        "resident_comment": comments.get(last_answer["id"], "") if last_answer else ""})
        rows.append(row)
    return rows
