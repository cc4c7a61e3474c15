"""Finding what a resident's page is about, shared by the resident's views (no routes here).

- :func:`draft_and_service`: this browser's draft and its service, or None (then :func:`start_again`);
- :func:`find_typed`: the saved request a typed ticket and check code point at (the status look-up,
  the answer page opened by hand, and reusing an earlier receipt all read a typed ticket this way).

Kept below the views (``views.py``, ``reuse.py``, ``feedback.py`` import it; it imports none of them) so
the resident's modules import each other in one direction only (tests/test_architecture.py).
"""
from __future__ import annotations

from flask import redirect, url_for
from werkzeug.wrappers import Response

from core import catalogue, drafts, submissions, tickets

from . import visit
from ..db import get_db


def draft_and_service() -> tuple[drafts.Draft, catalogue.Service] | None:
    draft = visit.current_draft()
    if draft is None:
        return None
    service = visit.service_of(draft)
    return (draft, service) if service else None


def start_again() -> Response:
    """No draft behind this browser (finished, cleared or never started): back to the start page."""
    return redirect(url_for("resident.start"))


def find_typed(ticket_typed: str, code_typed: str = "") -> submissions.SavedRequest | None:
    """The request a typed ticket and check code point at, trying each reading of the characters."""
    prefixes = tickets.recent_prefixes(submissions.latest_sequence(get_db()))  # typed on a 12-key pad: no letter
    for ticket, code in tickets.lookup_candidates(ticket_typed, code_typed, prefixes):
        saved = submissions.find(get_db(), ticket, code) if code else None
        if saved:
            return saved
    return None
