"""The county's refusals, read once in sync/ (sync.refusals): a reason code, the kiosk field it names
(through sync.payload's one mapping) and the county's own words, from what a county answered: the
reference county's sentences, another county's Open311 error list, a body that is not Open311, a 5xx;
and what the sync engine records of it against the reference county as a real server."""
from __future__ import annotations

import json

import pytest

from sync import refusals
from sync.payload import kiosk_field, payload_key


def open311(description: str, code=400) -> bytes:
    return json.dumps([{"code": code, "description": description}]).encode()


@pytest.mark.parametrize("reason, code, field", [
    ("attribute 'where' is required", "required", ("answer", "where")),
    ("attribute 'what': 'lift2' is not one of its values", "not_allowed", ("answer", "what")),
    ("attribute 'help': values not in its list", "not_allowed", ("answer", "help")),
    ("attribute 'danger' takes one value", "one_value", ("answer", "danger")),
    ("attribute 'help' has more than 50 values", "too_long", ("answer", "help")),
    ("attribute 'home_address' is longer than 2000 characters", "too_long", ("personal", "address")),
    ("phone is longer than 50 characters", "too_long", ("personal", "phone")),
    ("last_name is longer than 200 characters", "too_long", ("personal", "name")),
    ("request refused: it contains 'POISON'", "refused_text", None),
    ("service_code 'repairs' not found", "no_service", None),
    ("this kiosk_uuid was already used for a different request", "conflict", None),
    ("a field contains the character U+0000 (NUL), which no field may hold", "unknown", None),
])
def test_the_reference_countys_reasons_are_read_into_codes(reason, code, field):
    refusal = refusals.read(400, open311(reason))
    assert (refusal.code, refusal.field, refusal.words) == (code, field, reason)
    assert refusals.recorded({"reason": reason, "http_status": 400}) == refusal  # an event from before the code was kept
    assert refusals.recorded(refusals.for_the_outbox(refusal)) == refusal
    assert refusal.text == ("POISON" if code == "refused_text" else "")


def test_a_county_worded_differently_is_unknown_with_its_words_and_the_field_it_names():
    named = refusals.read(422, [{"code": "E-17", "description": "Das Feld attribute[where] ist ungültig"}])
    assert (named.code, named.field, named.words) == ("unknown", ("answer", "where"), "Das Feld attribute[where] ist ungültig")
    several = refusals.read(400, json.dumps(
        [{"code": 400, "description": "Validation failed"}, {"code": 400, "description": "phone: invalid format"}]))
    assert (several.code, several.field) == ("unknown", ("personal", "phone"))
    assert several.words == "Validation failed · phone: invalid format"
    plain = refusals.read(400, open311("Ihre Anfrage wurde abgelehnt"))
    assert (plain.code, plain.field, plain.words) == ("unknown", None, "Ihre Anfrage wurde abgelehnt")
    kiosk_own = refusals.read(400, open311("attribute[kiosk_uuid] malformed; address_string outside the county"))
    assert kiosk_own.field is None  # what the kiosk fills itself is nothing a worker corrects


@pytest.mark.parametrize("status, body", [
    (400, b"<html><body>Bad Request</body></html>"),
    (400, b""),
    (400, b'{"error": "bad"}'),
    (400, b"[]"),
    (503, b"Service Unavailable"),
    (502, open311("upstream down", 502)),
])
def test_a_body_that_is_not_an_open311_error_list_or_a_5xx_is_unknown(status, body):
    refusal = refusals.read(status, body)
    assert refusal.code == "unknown" and refusal.field is None and refusal.http_status == status
    assert refusal.words == ("upstream down" if body.startswith(b"[{") else f"HTTP {status}")


def test_the_payloads_field_mapping_goes_both_ways():
    for target in (("answer", "where"), ("personal", "name"), ("personal", "phone"), ("personal", "address")):
        assert kiosk_field(payload_key(target)) == target
    assert payload_key(("personal", "name")) == "last_name" and kiosk_field("attribute[help][]") == ("answer", "help")
    for own in ("address_string", "description", "service_code", "attribute[kiosk_uuid]", "attribute[contact]", "attribute[]"):
        assert kiosk_field(own) is None
