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


HTML_PAGE = b"""<!DOCTYPE html><html><head><title>400 Bad Request</title>
<style>body { color: red }</style><script>var secret = "do not show"; if (a < b) { alert(1) }</script></head>
<body><nav><!-- a comment --></nav><h1>Bad   Request</h1>
<p>The field <b>attribute[where]</b>&nbsp;is required.</p><script>track()</script>
<footer>nginx</footer></body></html>"""


@pytest.mark.parametrize("status, body, words, field", [
    # JSON shapes counties use instead of an Open311 error list
    (400, b'{"error": {"code": 400, "message": "attribute[where] is missing"}}', "attribute[where] is missing", ("answer", "where")),
    (400, b'{"error": "bad"}', "bad", None),
    (422, b'{"message": "phone: not a number"}', "phone: not a number", ("personal", "phone")),
    (400, b'{"errors": ["first is wrong", {"message": "second is wrong"}]}', "first is wrong \u00b7 second is wrong", None),
    (422, b'{"detail": [{"loc": ["body", "attribute[where]"], "msg": "field required"}]}',
     "body.attribute[where]: field required", ("answer", "where")),
    (400, b'{"detail": "Not allowed"}', "Not allowed", None),
    (400, '{"description": "Ungültig"}'.encode(), "Ungültig", None),
    (400, b'"just a string"', "just a string", None),
    # HTML: the heading, then the visible text; scripts, styles and comments left out, whitespace collapsed
    (400, HTML_PAGE, "Bad Request The field attribute[where] is required. nginx", ("answer", "where")),
    (400, b"<html><body>Bad Request</body></html>", "Bad Request", None),
    (404, b"<html><head><title>Not here</title></head><body><p>Try <i>again</i></p></body></html>", "Not here \u00b7 Try again", None),
    # plain text, and nothing at all
    (400, b"  Request\n\trefused:  no location \n", "Request refused: no location", None),
    (400, b"", "the county gave no reason (HTTP 400)", None),
    (400, b"   ", "the county gave no reason (HTTP 400)", None),
    (400, b"[]", "the county gave no reason (HTTP 400)", None),
    (400, b"{}", "the county gave no reason (HTTP 400)", None),
    (503, b"Service Unavailable", "Service Unavailable", None),
    (502, open311("upstream down", 502), "upstream down", None),
])
def test_the_countys_words_are_read_from_whatever_body(status, body, words, field):
    refusal = refusals.read(status, body)
    assert refusal.words == words and refusal.field == field and refusal.http_status == status
    assert "secret" not in refusal.words and "<" not in refusal.words
    assert refusals.read(status, body.decode()) == refusal  # bytes or text alike
    assert refusals.recorded(refusals.for_the_outbox(refusal)) == refusal


@pytest.mark.parametrize("body", [
    json.dumps({"error": {"code": 400, "message": "attribute 'where' is required"}}).encode(),  # own_error_format
    b"Error 400: attribute 'where' is required\n",                                              # text_errors
    b"<html><body><h1>400</h1><p>attribute 'where' is required</p></body></html>",
])
def test_the_reference_sentences_are_read_from_any_body(body):
    refusal = refusals.read(400, body)
    assert (refusal.code, refusal.field) == ("required", ("answer", "where"))


def test_the_countys_words_are_bounded():
    huge = refusals.read(400, b"<html><body><p>" + "\u5b57 ".encode() * 100_000 + b"</p></body></html>")
    assert len(huge.words) <= refusals.ONE_WORDS
    many = refusals.read(400, json.dumps([{"code": 400, "description": "x" * 900}] * 30))
    assert len(many.words) <= refusals.ALL_WORDS
    broken = refusals.read(400, b"<html><body><p>unclosed <b>bold <script>x = '</p>")
    assert broken.words == "unclosed bold"


def test_a_5xx_that_kept_coming_is_a_refusal_in_plain_words():
    refusal = refusals.server_errors(500, b'{"error": "Internal Server Error"}', 6, 52.4)
    assert refusal.code == "server_error" and refusal.http_status == 500
    assert refusal.words == "the county answered 'server error' 6 times over 52 minutes: Internal Server Error"
    assert refusals.recorded(refusals.for_the_outbox(refusal)) == refusal
    named = refusals.server_errors(500, b"Error 500: attribute 'where' is required", 3, 0.2)
    assert named.field == ("answer", "where") and "3 times over 1 minute:" in named.words


def test_the_payloads_field_mapping_goes_both_ways():
    for target in (("answer", "where"), ("personal", "name"), ("personal", "phone"), ("personal", "address")):
        assert kiosk_field(payload_key(target)) == target
    assert payload_key(("personal", "name")) == "last_name" and kiosk_field("attribute[help][]") == ("answer", "help")
    for own in ("address_string", "description", "service_code", "attribute[kiosk_uuid]", "attribute[contact]", "attribute[]"):
        assert kiosk_field(own) is None
