"""The resident's own word on a request the county closed: is it really solved? (owns ``resident_answers``).

The county saying "closed" is not the end. The next time the resident meets the kiosk (the status
page, by ticket and code or the receipt's QR) — or when a worker calls them back — they are asked
"问题真的解决了吗？", then for a rating in 好差评's five levels, then, if they like, a comment. One
answer per county close (``UNIQUE (request_id, event_id)``): a second tap, a replayed form or a
colleague's entry records nothing twice. A later close (after a reopen, say) is asked about again.

- **Solved**: recorded at once with where it was said (``kiosk``, ``phone`` — the status page opened
  from the receipt's QR on a phone — or ``worker``, with the worker's login), and a note for the
  county queued in the same transaction (:mod:`core.county_notes`, kind ``answer``).
- **Not solved** reopens it, in that same transaction: a new request for the same thing
  (:func:`core.submissions.reopen`), queued for the county with a link to the original, so the
  resident never has to tell it again. It goes to the county exactly once through the outbox.
  Said by the resident herself (kiosk, phone), the new request is held until she has written her
  comment or said she has none (:func:`add_comment`, :func:`no_comment`), at most
  :data:`COMMENT_WAIT_MINUTES`: the comment is why it is back, and goes with it in its description
  (``sync/payload.py``), where a clerk reads it first, rather than in a later note beside it.
- **Rating** (5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意), given once, then a note too.
- **Comment**: free text, sealed like every answer, kept on the kiosk for the workers (it may name
  people); purged with the request's other details (:mod:`core.retention`). The comment on a "not
  solved" also goes to the county with the reopened request (above); written after that request was
  sent (the wait was over), it becomes a sealed note of kind ``comment`` about the reopened request
  (:mod:`core.county_notes`), which goes to the county as an update where it has the extension — her
  own words about her request, like its description, to the county only — else waits on the
  workers' list. A comment on a "solved" stays on the kiosk.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from . import county_notes, outbox, submissions, wording
from .clock import iso, utc_now
from .db import require_transaction

VIA = ("kiosk", "phone", "worker")
RATINGS = (5, 4, 3, 2, 1)  # the order they are shown: the best first, as 好差评 lists them
COMMENT = "resident_answers.comment"
COMMENT_LIMIT = 500
COMMENT_WAIT_MINUTES = 15  # a reopened request waits at most this long for the resident's comment


class NotAsked(ValueError):
    """There is nothing to answer: the request is not closed now, or that close is not its latest."""


class AlreadyAnswered(ValueError):
    """This question was answered already (a second tap, a replayed form, a colleague's entry)."""


@dataclass(frozen=True)
class Answer:
    id: int
    request_id: int
    event_id: int
    solved: bool
    rating: int | None
    via: str
    by_worker: str | None
    reopened_as: int | None
    at: str
    rated_at: str | None
    has_comment: bool


def _answer(row: dict) -> Answer:
    return Answer(row["id"], row["request_id"], row["event_id"], bool(row["solved"]), row["rating"], row["via"],
                  row["by_worker"], row["reopened_as"], row["at"], row["rated_at"], bool(row["comment"]))


def to_ask(db: Database, request_id: int) -> int | None:
    """The close event (``request_events.id``) the resident should be asked about, or None: the
    request is closed now and nobody has answered for that close yet."""
    current = outbox.current_event(db, request_id)
    if current is None or current["state"] != outbox.CLOSED or _purged(db, request_id):
        return None
    if any(answered(db, request_id, e) for e in outbox.same_news(db, request_id, current["event_id"])):
        return None  # answered for this close (a worker's settling of a possible duplicate repeats it)
    return current["event_id"]


def _purged(db: Database, request_id: int) -> bool:
    """Whether only a stub of the request is kept (its details purged, :mod:`core.retention`): there is
    nothing left to reopen it with, so nobody is asked any more."""
    return submissions.is_purged(db, request_id)


def answered(db: Database, request_id: int, event_id: int) -> bool:
    """Whether the resident has answered about the close ``event_id`` (and so has seen the news)."""
    return db.execute("SELECT 1 FROM resident_answers WHERE request_id = ? AND event_id = ?",
                      [request_id, event_id]).fetchone() is not None


def latest(db: Database, request_id: int) -> Answer | None:
    """The latest answer about this request, if any."""
    row = next(db.query("SELECT * FROM resident_answers WHERE request_id = ? ORDER BY id DESC LIMIT 1", [request_id]), None)
    return _answer(row) if row else None


def answer(db: Database, request_id: int, event_id: int, solved: bool, via: str, kiosk_id: str,
           by_worker: str | None = None, at: str | None = None, centre: wording.Centre = wording.Centre()) -> Answer:
    """Record whether the close ``event_id`` really solved the problem; reopen it if not.

    The caller owns the transaction (make it durable: a "not solved" creates a request). Raises
    :class:`NotAsked` when ``event_id`` is not the request's current close, :class:`AlreadyAnswered`
    when it was answered already.
    """
    require_transaction(db)
    if via not in VIA or (via == "worker") != bool(by_worker):
        raise ValueError("via is kiosk, phone or worker (with the worker's login)")
    current = outbox.current_event(db, request_id)
    if current is None or current["state"] != outbox.CLOSED or current["event_id"] != event_id or _purged(db, request_id):
        raise NotAsked(request_id)
    if db.execute("SELECT 1 FROM resident_answers WHERE request_id = ? AND event_id = ?", [request_id, event_id]).fetchone():
        raise AlreadyAnswered(request_id)
    at = at or utc_now()
    reopened = None
    if not solved:
        original = submissions.get(db, request_id)
        # The resident's own pages ask for her comment next: the county gets it with the request.
        hold = None if via == "worker" else iso(datetime.fromisoformat(at) + timedelta(minutes=COMMENT_WAIT_MINUTES))
        reopened = submissions.reopen(db, original, kiosk_id, at, filled_by="worker" if via == "worker" else "resident",
                                      hold_until=hold, centre=centre).id
    answer_id = db.execute(
        "INSERT INTO resident_answers (request_id, event_id, solved, via, by_worker, reopened_as, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [request_id, event_id, int(solved), via, by_worker, reopened, at]).lastrowid
    county_notes.add(db, request_id, county_notes.ANSWER, {"solved": "yes" if solved else "no", "via": via, "answered_at": at},
                     at=at)
    return get(db, answer_id)


def rate(db: Database, answer_id: int, rating: int, at: str | None = None) -> Answer:
    """Give the answer its rating, once; a note for the county goes with it. The caller owns the transaction."""
    require_transaction(db)
    if rating not in RATINGS:
        raise ValueError(f"a rating is one of {RATINGS}")
    at = at or utc_now()
    changed = db.execute("UPDATE resident_answers SET rating = ?, rated_at = ? WHERE id = ? AND rating IS NULL",
                         [rating, at, answer_id]).rowcount
    if not changed:
        raise AlreadyAnswered(answer_id)
    given = get(db, answer_id)
    county_notes.add(db, given.request_id, county_notes.RATING, {"rating": rating, "via": given.via, "rated_at": at}, at=at)
    return given


def add_comment(db: Database, answer_id: int, text: str) -> None:
    """Keep the resident's comment (sealed), once. The caller owns the transaction."""
    require_transaction(db)
    text = (text or "").strip()[:COMMENT_LIMIT]
    if not text:
        return
    changed = db.execute("UPDATE resident_answers SET comment = ? WHERE id = ? AND comment IS NULL",
                         [db.keyring.seal(text, COMMENT), answer_id]).rowcount
    if not changed:
        raise AlreadyAnswered(answer_id)
    given = get(db, answer_id)
    if given.reopened_as and outbox.current_state(db, given.reopened_as) == outbox.QUEUED:
        # Not sent yet: the reopened request's description carries her words (a request saved before
        # wordings were kept gets them when it is worded, before its first send).
        submissions.add_reopen_comment(db, given.reopened_as, text)
    elif given.reopened_as:
        # Too late for the reopened request's description (it was sent): a note of her words about it.
        county_notes.add(db, given.reopened_as, county_notes.COMMENT, {"answered_at": given.at}, text=text)
    no_comment(db, answer_id)


def no_comment(db: Database, answer_id: int) -> None:
    """The resident is done with the comment page (wrote one, or skipped it): the request her "not
    solved" reopened, held for it, may go to the county now. The caller owns the transaction."""
    require_transaction(db)
    given = get(db, answer_id)
    if given is not None and given.reopened_as:
        outbox.release(db, given.reopened_as, why="comment")


def reopen_comment(db: Database, request_id: int) -> str:
    """The resident's comment on the "not solved" that reopened as ``request_id``, or ""."""
    row = db.execute("SELECT comment FROM resident_answers WHERE reopened_as = ? AND comment IS NOT NULL",
                     [request_id]).fetchone()
    return (db.keyring.open(row[0], COMMENT) or "") if row else ""


def comment(db: Database, answer_id: int) -> str:
    row = db.execute("SELECT comment FROM resident_answers WHERE id = ?", [answer_id]).fetchone()
    return (db.keyring.open(row[0], COMMENT) or "") if row and row[0] else ""


def get(db: Database, answer_id: int) -> Answer | None:
    row = next(db.query("SELECT * FROM resident_answers WHERE id = ?", [answer_id]), None)
    return _answer(row) if row else None


def reseal(db: Database) -> int:
    """Seal again, with the current key, every comment that is not (the caller owns the transaction)."""
    require_transaction(db)
    count = 0
    for row in list(db.query("SELECT id, comment FROM resident_answers WHERE comment IS NOT NULL")):
        fresh = db.keyring.renewed(row["comment"], COMMENT)
        if fresh is not None:
            db.execute("UPDATE resident_answers SET comment = ? WHERE id = ?", [fresh, row["id"]])
            count += 1
    return count


def comments_since(db: Database, since: str) -> list[dict]:
    """What residents wrote since ``since`` (UTC ISO), newest first: for the workers' list. Each with the
    request, whether it was solved, the rating and the request it reopened as, if any."""
    rows = list(db.query("SELECT id, request_id, solved, rating, reopened_as, at, comment FROM resident_answers"
                         " WHERE comment IS NOT NULL AND at >= ? ORDER BY at DESC, id DESC", [since]))
    for row in rows:
        row["comment"] = db.keyring.open(row["comment"], COMMENT) or ""
    return rows


def forget_comments(db: Database, request_ids: list[int]) -> None:
    """Drop the comments about these requests (their details are purged; the caller owns the transaction)."""
    require_transaction(db)
    for request_id in request_ids:
        db.execute("UPDATE resident_answers SET comment = NULL WHERE request_id = ?", [request_id])


def given_for(db: Database, request_ids: list[int]) -> dict[int, list[dict]]:
    """Every answer about these requests, oldest first, a few queries for any number: id → ``[{id,
    solved, rating, via, at, reopened_as, has_comment}]`` (comments stay sealed: :func:`comments`)."""
    found: dict[int, list[dict]] = {i: [] for i in request_ids}
    for i in range(0, len(request_ids), 500):
        chunk = request_ids[i:i + 500]
        for row in db.query("SELECT id, request_id, solved, rating, via, at, reopened_as, comment IS NOT NULL AS has_comment"
                            f" FROM resident_answers WHERE request_id IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk):
            found[row.pop("request_id")].append(row)
    return found


def comments(db: Database, answer_ids: list[int]) -> dict[int, str]:
    """The opened comments of these answers (those without one are left out)."""
    found = {}
    for i in range(0, len(answer_ids), 500):
        chunk = answer_ids[i:i + 500]
        for row in db.query(f"SELECT id, comment FROM resident_answers WHERE id IN ({','.join('?' * len(chunk))})"
                            " AND comment IS NOT NULL", chunk):
            found[row["id"]] = db.keyring.open(row["comment"], COMMENT) or ""
    return found
