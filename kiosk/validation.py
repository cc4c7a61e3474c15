"""Checking what a resident typed or chose, with polite, translated messages.

Every function returns ``(clean value, error or None)``. The clean value is what gets stored;
on error the page is shown again with what the resident typed, so nothing is lost.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask_babel import gettext as _

from core.catalogue import Question

MAX_LENGTH = {"string": 200, "text": 2000, "name": 50, "address": 200}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def clean_text(value: str | None) -> str:
    """Normalise typed text: NFC, no invisible control or direction characters, trimmed.

    Emoji, punctuation, markup and SQL-looking text are kept as typed: they are stored as data and
    escaped when shown, never interpreted.
    """
    text = unicodedata.normalize("NFC", value or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub("", text)
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def typed_back(raw: str | None, kind: str = "string") -> str:
    """What was typed, to show again with an error: all of it, up to twice the field's limit.

    Enough to see and trim what is too long; never an oversized body echoed back whole.
    """
    return (raw or "")[: 2 * MAX_LENGTH.get(kind, MAX_LENGTH["string"])]


def check_length(text: str, limit: int) -> str | None:
    if len(text) > limit:
        return _("Please shorten this to %(limit)d characters or fewer. It is %(length)d now.", limit=limit, length=len(text))
    return None


def check_answer(question: Question, raw: list[str]) -> tuple[object, str | None]:
    """Validate the submitted value(s) of one question."""
    kind = question.datatype
    if kind == "multivaluelist":
        keys = [k for k in raw if k]
        if not keys and question.required:
            return [], _("Please choose at least one answer.")
        if any(k not in dict(question.options) for k in keys):
            return keys, _("Please choose from the answers shown.")
        return keys, None
    value = raw[0] if raw else ""
    if kind == "singlevaluelist":
        if not value:
            return "", _("Please choose one answer.") if question.required else None
        if value not in dict(question.options):
            return "", _("Please choose from the answers shown.")
        return value, None
    text = clean_text(value)
    if not text:
        return "", _("Please answer this question.") if question.required else None
    if kind == "number":
        digits = unicodedata.normalize("NFKC", text)
        if not re.fullmatch(r"\d{1,9}", digits):
            return text, _("Please enter a whole number, using digits only.")
        return digits, None
    if kind == "datetime":
        try:
            return date.fromisoformat(unicodedata.normalize("NFKC", text)).isoformat(), None
        except ValueError:
            return text, _("Please enter a date like 2026-03-15.")
    return text, check_length(text, MAX_LENGTH.get(kind, MAX_LENGTH["string"]))


def check_name(raw: str | None) -> tuple[str, str | None]:
    name = clean_text(raw)
    if not name:
        return "", _("Please tell us your name.")
    return name, check_length(name, MAX_LENGTH["name"])


def check_address(raw: str | None) -> tuple[str, str | None]:
    address = clean_text(raw)
    if not address:
        return "", _("Please tell us where you live, for example building, entrance and flat.")
    return address, check_length(address, MAX_LENGTH["address"])


def check_phone(raw: str | None) -> tuple[str, str | None]:
    """Phone numbers: 7 to 15 digits; spaces, dashes and a leading + are allowed."""
    typed = clean_text(raw)
    number = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", typed))
    if not number:
        return typed, _("Please enter your phone number.")
    if not re.fullmatch(r"\+?\d{7,15}", number):
        return typed, _("Please enter a phone number of 7 to 15 digits, like 138 0013 8000.")
    return number, None
