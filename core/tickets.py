"""Ticket numbers a resident can say aloud and type on a keypad, plus an unguessable check code.

A ticket is one letter and four digits (``A0427``), counted up per kiosk so two requests never
share one. Letters that look or sound like digits or like each other (B G I O Q S Z) are never
used. Tickets are sequential and therefore guessable, so looking a request up also needs the
6-digit check code printed beside it (or carried in the receipt's QR code).
"""
from __future__ import annotations

import re
import secrets
import unicodedata

LETTERS = "ACDEFHJKLMNPRTUVWXY"
PER_LETTER = 9999
CHECK_DIGITS = 6  # one in a million per ticket; wrong look-ups are rate-limited (kiosk/limits.py)
TICKET_RE = re.compile(rf"^(?:[{LETTERS}]{{1,2}})[0-9]{{4}}$")
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


def recent_prefixes(latest_sequence: int) -> list[str]:
    """The letter a ticket typed without it is read with: the latest ticket's (a 12-key number pad has no
    letters; issue 24). One letter only, so a guess without it is a guess at exactly one ticket, counted
    against that ticket's own budget (kiosk/limits.py); a ticket of the block before needs its letter."""
    return [re.match(r"[A-Z]+", ticket_for(latest_sequence)).group(0)] if latest_sequence >= 1 else []


def lookup_candidates(ticket_typed: str, code_typed: str = "", prefixes: list[str] | tuple = ()) -> list[tuple[str, str]]:
    """Every ``(ticket, check_code)`` that what a resident typed can mean, most likely first.

    Accepts the two parts separately or run together (``A04273861``) and forgives look-alike
    characters (O for 0, l for 1). A letter such as L after the first one could be a second ticket
    letter or a mistyped 1, so both readings are offered; the caller tries each. Typed with digits only
    (``00013861…``), the ticket is read with each of ``prefixes`` (:func:`recent_prefixes`).
    """
    text = normalise(ticket_typed) + normalise(code_typed)
    if text[:1].isdigit() and prefixes:
        return [found for prefix in prefixes for found in lookup_candidates(prefix + text) if found[0].startswith(prefix)]
    found = []
    for letters in (1, 2):
        prefix, digits, code = text[:letters], text[letters:letters + 4], text[letters + 4:]
        ticket = prefix + digits.translate(_DIGIT_LOOKALIKES)
        code = code.translate(_DIGIT_LOOKALIKES)
        if TICKET_RE.match(ticket) and all(c in LETTERS for c in prefix) and re.fullmatch(r"[0-9]*", code):
            found.append((ticket, code))
    return found
