"""Ticket numbers a resident can say aloud and type on a keypad, plus an unguessable check code.

A ticket is one letter and four digits (``A0427``), counted up per kiosk so two requests never
share one. Letters that look or sound like digits or like each other (B G I O Q S Z) are never
used. Tickets are sequential and therefore guessable, so looking a request up also needs the
4-digit check code printed beside it (or carried in the receipt's QR code).
"""
from __future__ import annotations

import re
import secrets
import unicodedata

LETTERS = "ACDEFHJKLMNPRTUVWXY"
PER_LETTER = 9999
CHECK_DIGITS = 4
TICKET_RE = re.compile(rf"^(?:[{LETTERS}]{{1,2}})\d{{4}}$")
# What people type for what they mean: O for 0, I or L for 1 after the letter…
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6"})


def ticket_for(sequence: int) -> str:
    """The ticket for the ``sequence``-th request on this kiosk (1-based).

    A0001…A9999, C0001…, Y9999, then two letters (AA0001…): 19 × 9999 single-letter tickets, then
    361 × 9999 more, so numbers stay unique for millions of requests.
    """
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    block, within = divmod(sequence - 1, PER_LETTER)
    if block < len(LETTERS):
        prefix = LETTERS[block]
    else:
        block -= len(LETTERS)
        if block >= len(LETTERS) ** 2:
            raise OverflowError("ticket numbers exhausted")
        prefix = LETTERS[block // len(LETTERS)] + LETTERS[block % len(LETTERS)]
    return f"{prefix}{within + 1:04d}"


def new_check_code() -> str:
    """A random check code of :data:`CHECK_DIGITS` digits, from the OS's secure generator."""
    return f"{secrets.randbelow(10 ** CHECK_DIGITS):0{CHECK_DIGITS}d}"


def normalise(typed: str) -> str:
    """Upper-case, full-width to half-width, spaces and dashes dropped."""
    text = unicodedata.normalize("NFKC", typed or "").upper()
    return re.sub(r"[\s\-_.·/]", "", text)


def parse_lookup(ticket_typed: str, code_typed: str = "") -> tuple[str, str] | None:
    """Read what a resident typed into ``(ticket, check_code)``, forgiving look-alike characters.

    Accepts the two parts separately or run together (``A04273861``). Returns None when it cannot
    be a ticket at all.
    """
    text = normalise(ticket_typed) + normalise(code_typed)
    m = re.match(r"^([A-Z]{1,2})([0-9A-Z]{4})([0-9A-Z]*)$", text)
    if not m:
        return None
    letters, digits, code = m.group(1), m.group(2).translate(_DIGIT_LOOKALIKES), m.group(3).translate(_DIGIT_LOOKALIKES)
    ticket = letters + digits
    if not TICKET_RE.match(ticket) or not re.fullmatch(r"\d*", code):
        return None
    return ticket, code
