"""What a resident does: starts a form, saves answers, parks and resumes a draft, reuses earlier
details, saves the request, confirms one a worker filled in, calls for help, answers "is it solved?",
rates and comments (see :mod:`core.actions` for the rule)."""
from __future__ import annotations

import sqlite3
from datetime import datetime

from sqlite_utils import Database

from .. import audit, drafts, feedback, help_calls, media, personal, submissions
from ..wording import Centre
from ..db import write_transaction


def start_draft(db: Database, service_code: str, locale: str, expired_before: str | None = None,
                empty_before: str | None = None) -> tuple[str, drafts.Draft]:
    """A new empty draft (:func:`core.drafts.start`): its token for the cookie, and the draft.
    Raises :class:`core.drafts.NoFreeCode`."""
    with write_transaction(db):
        return drafts.start(db, service_code, locale, expired_before, empty_before)


def save_answers(db: Database, draft: drafts.Draft) -> None:
    """Keep the draft's answers and details as they are now (each form page's "Next")."""
    with write_transaction(db):
        drafts.save(db, draft)


def keep_spoken(db: Database, draft: drafts.Draft, code: str, data: bytes, mime: str, seconds: float | None) -> int:
    """The resident said her answer to question ``code`` instead of writing it (checked by
    :func:`core.media.check_audio`): kept, sealed, with the draft, replacing one said before."""
    with write_transaction(db):
        return media.keep_spoken(db, draft.id, code, data, mime, seconds)


def add_photo(db: Database, draft: drafts.Draft, jpeg: bytes, width: int, height: int) -> int:
    """A photo (shrunk already: :func:`core.media.shrink_photo`, outside any transaction) kept with the draft.
    Raises :class:`core.media.MediaRefused` past three."""
    with write_transaction(db):
        return media.add_photo(db, draft.id, jpeg, width, height)


def remove_media(db: Database, draft: drafts.Draft, media_id: int) -> bool:
    """The resident took a recording or a photo out of her draft."""
    with write_transaction(db):
        return media.remove(db, draft.id, media_id)


def reuse_details(db: Database, draft: drafts.Draft, details: dict) -> None:
    """The resident agreed to use the details of an earlier request: they go into the draft, marked reused."""
    draft.personal.update(details)
    draft.personal[personal.REUSED] = dict(details)
    save_answers(db, draft)


def park_draft(db: Database, token: str | None) -> drafts.Draft | None:
    """End this screen's hold on its draft (the visit ends); the draft, for its resume code, or None."""
    with write_transaction(db):
        return drafts.park(db, token)


def resume_draft(db: Database, code: str, untouched_since: str = "",
                 open_token: str | None = None) -> tuple[str, drafts.Draft] | None:
    """Open a parked draft by its resume code under a new token, parking the draft this screen had
    open (``open_token``); None (nothing changed) when no parked draft has that code."""
    with write_transaction(db):
        found = drafts.resume(db, code, untouched_since)
        if found:
            drafts.park(db, open_token)
        return found


def save_request(db: Database, draft: drafts.Draft, kiosk_id: str, centre: Centre = Centre()) -> submissions.SavedRequest:
    """Save the resident's finished draft as a request, worded in ``centre``'s language and place,
    queued for the county (one durable transaction).
    Raises :class:`core.submissions.AlreadySaved`, :class:`core.submissions.SaveFailed`."""
    try:
        with write_transaction(db, durable=True):
            return submissions.save_request(db, draft, kiosk_id, centre=centre)
    except sqlite3.Error as exc:
        raise submissions.SaveFailed(str(exc)) from exc


def confirm_assisted_request(db: Database, draft: drafts.Draft, kiosk_id: str,
                             centre: Centre = Centre()) -> submissions.SavedRequest:
    """The resident's own yes, on the kiosk's screen, to a request a worker filled in with them: saved,
    with the audit entries of the worker who filled it in and of the resident's tap, in one transaction."""
    return save_filled_in(db, draft, kiosk_id, draft.assisted_by, "resident", "kiosk", centre)


def save_filled_in(db: Database, draft: drafts.Draft, kiosk_id: str, login: str, confirmed_by: str,
                   how: str, centre: Centre = Centre()) -> submissions.SavedRequest:
    """Save a request worker ``login`` filled in with a resident, and its audit entries: who filled it
    in (``request.filed_for_resident``) and the resident's yes (``confirmed_by``: ``resident`` for
    their own tap, else the worker's actor for a yes they recorded, with ``how``)."""
    try:
        with write_transaction(db, durable=True):
            saved = submissions.save_request(db, draft, kiosk_id, filled_by="worker", centre=centre)
            audit.record(db, audit.worker_actor(login), "request.filed_for_resident", saved.id,
                         {"service": saved.service_code, "ref": drafts.ref(draft)})
            audit.record(db, confirmed_by, "request.confirmed_by_resident" if confirmed_by == "resident"
                         else "request.confirmed_verbally", saved.id, {"how": how})
            return saved
    except sqlite3.Error as exc:
        raise submissions.SaveFailed(str(exc)) from exc


def say_not_right(db: Database, draft_id: str) -> None:
    """"Something is wrong": the request a worker filled in leaves the kiosk's screen, unsaved."""
    with write_transaction(db):
        drafts.withdraw_confirmation(db, draft_id)


def call_for_help(db: Database, kiosk_id: str, place: str, service_code: str | None = None,
                  now: datetime | None = None, ours: int | None = None) -> help_calls.HelpCall:
    """Ask for a person at this kiosk (:func:`core.help_calls.call`)."""
    with write_transaction(db):
        return help_calls.call(db, kiosk_id, place, service_code, now=now, ours=ours)


def ring_again(db: Database, call_id: int, now: datetime | None = None) -> help_calls.HelpCall | None:
    """The resident is still waiting and nobody has answered: ring the call once more."""
    with write_transaction(db):
        return help_calls.ring_again(db, call_id, now)


def answer_solved(db: Database, request_id: int, event_id: int, solved: bool, via: str,
                  kiosk_id: str, centre: Centre = Centre()) -> feedback.Answer:
    """The resident's answer to "is it really solved?"; a "no" reopens the request (durable: it may
    create one). Raises :class:`core.feedback.NotAsked`, :class:`core.feedback.AlreadyAnswered`."""
    with write_transaction(db, durable=True):
        return feedback.answer(db, request_id, event_id, solved, via, kiosk_id, centre=centre)


def rate(db: Database, answer_id: int, rating: int) -> feedback.Answer:
    """How satisfied the resident is, once. Raises :class:`core.feedback.AlreadyAnswered`."""
    with write_transaction(db):
        return feedback.rate(db, answer_id, rating)


def add_comment(db: Database, answer_id: int, text: str) -> None:
    """The resident's comment, once. Raises :class:`core.feedback.AlreadyAnswered`."""
    with write_transaction(db):
        feedback.add_comment(db, answer_id, text)


def skip_comment(db: Database, answer_id: int) -> None:
    """Nothing to add: a request the resident's "not solved" reopened need not wait for a comment."""
    with write_transaction(db):
        feedback.no_comment(db, answer_id)
