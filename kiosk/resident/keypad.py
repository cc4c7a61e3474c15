"""The on-screen keypads (ticket look-up, resume code): one key press at a time, page or partial.

Each key is a submit button, so a keypad works without JavaScript (the whole page comes back); with
htmx only the entry is swapped (the request names it in ``HX-Target``).
"""
from __future__ import annotations

from flask import render_template, request


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
