"""The on-screen keypads (ticket look-up, resume code): one key press at a time, page or partial; and
numbers shown in groups (a ticket and its check code, phone numbers).

Each key is a submit button, so a keypad works without JavaScript (the whole page comes back); with
htmx only the entry is swapped (the request names it in ``HX-Target``).
"""
from __future__ import annotations

import re

from flask import render_template, request

from . import bp


def press(entered: str, key: str, allowed: str, max_length: int) -> str:
    """What is typed after pressing ``key``: a character it allows, Delete or Clear; anything else is ignored."""
    if key == "delete":
        return entered[:-1]
    if key == "clear":
        return ""
    if len(key) == 1 and key in allowed and len(entered) < max_length:
        return entered + key
    return entered


def entry_only(target: str, template: str, entered: str) -> str | None:
    """The entry's partial when htmx asked for just ``#target``, else None (render the whole page)."""
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == target:
        return render_template(template, entered=entered)
    return None


# --- numbers shown in groups: easier to read back and to check against a receipt ------------------

_TICKET_THEN_CODE = re.compile(r"^([A-Z]{1,2}[0-9]{4})([0-9A-Z]+)$")


@bp.app_template_filter("ticket_entry")
def ticket_entry(entered: str) -> str:
    """A ticket and its check code run together, shown apart: ``A0427386152`` → ``A0427 386152``.
    The look-up drops the space again (:func:`core.tickets.normalise`)."""
    found = _TICKET_THEN_CODE.match(entered or "")
    return f"{found.group(1)} {found.group(2)}" if found else (entered or "")


@bp.app_template_filter("phone_grouped")
def phone_grouped(phone: str) -> str:
    """A phone number in groups, as people read one out: a mobile 3-4-4 (``138 1234 5678``), anything
    else in fours from the right (``6543 2100``). Anything but digits (and a leading +) is left as it is."""
    number = phone or ""
    if not re.fullmatch(r"\+?[0-9]{7,15}", number):
        return number
    plus, digits = ("+", number[1:]) if number.startswith("+") else ("", number)
    if len(digits) == 13 and digits.startswith("86"):  # +86 138 1234 5678
        return f"{plus}86 {phone_grouped(digits[2:])}"
    if len(digits) == 11 and digits.startswith("1"):
        return f"{plus}{digits[:3]} {digits[3:7]} {digits[7:]}"
    groups = []
    while digits:
        groups.insert(0, digits[-4:])
        digits = digits[:-4]
    return plus + " ".join(groups)
