"""Bad input gets a polite, translated message at the top and at the field, and loses nothing."""
import json
import sqlite3

import pytest

from core.catalogue import Question, get_service
from kiosk.db import database_path, get_db, keyring
from kiosk.validation import check_answer, check_phone, clean_text

from .flows import confirm, fill_service


def en(client):
    client.post("/language", data={"locale": "en"})


def start_repairs(client):
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})


def test_empty_required_answer_is_explained_at_the_top_and_at_the_field(client):
    en(client)
    start_repairs(client)
    response = client.post("/request/questions/where", data={"answer": "   "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary" role="alert"' in page
    assert '<a class="error-summary__link" href="#answer-where">Please answer this question.</a>' in page
    assert 'id="answer-where-error"' in page and 'aria-invalid="true"' in page
    assert "<title>Error:" in page


def test_messages_are_translated(client):
    client.post("/language", data={"locale": "zh_Hant_TW"})
    start_repairs(client)
    page = client.post("/request/questions/where", data={"answer": ""}).get_data(as_text=True)
    assert "請回答這個問題。" in page and "有一個問題需要您看一下" in page


def test_overlong_text_is_refused_and_kept_for_editing(client):
    en(client)
    start_repairs(client)
    typed = "长" * 201
    response = client.post("/request/questions/where", data={"answer": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please shorten this to 200 characters or fewer. It is 201 now." in page
    assert f'value="{typed}"' in page
    # the earlier answer is still there
    assert "option--selected" in client.get("/request/questions/what").get_data(as_text=True)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("楼道灯坏了 💡🔧", "楼道灯坏了 💡🔧"),  # emoji are kept
        ("家里👨‍👩‍👧", "家里👨‍👩‍👧"),  # joined emoji keep their joiners
        ("3号楼\x00\x07\x1b[31m 门口\u202e", "3号楼[31m 门口"),  # control and direction characters dropped
        ("<script>alert('x')</script>", "<script>alert('x')</script>"),  # stored as typed, shown inertly
        ("'; DROP TABLE requests; --", "'; DROP TABLE requests; --"),
    ],
)
def test_awkward_text_is_stored_as_data_and_shown_inertly(app, client, typed, stored):
    start_repairs(client)
    assert client.post("/request/questions/where", data={"answer": typed}).status_code == 302
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "none"})
    check = client.get("/request/check").get_data(as_text=True)
    assert "<script>alert" not in check
    ticket, _ = confirm(client)
    db = sqlite3.connect(database_path(app))
    sealed = db.execute("SELECT answers FROM requests WHERE ticket = ?", [ticket]).fetchone()[0]
    assert sealed.startswith("enc1:") and stored not in sealed  # sealed at rest
    answers = json.loads(keyring(app).open(sealed, "requests.answers"))
    assert answers["where"] == stored
    assert db.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 1  # the table is still there


def test_an_answer_not_on_the_list_is_refused(client):
    en(client)
    start_repairs(client)
    response = client.post("/request/questions/danger", data={"answer": "maybe-1=1"})
    assert response.status_code == 422
    assert "Please choose from the answers shown." in response.get_data(as_text=True)


def test_bad_phone_number_keeps_what_was_typed_and_every_other_answer(app, client):
    en(client)
    with app.app_context():
        service = get_service(get_db(), "home-care", "en")
    fill_service(client, service)
    response = client.post("/request/contact", data={"contact": "phone", "phone": "12ab"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please enter a phone number of 7 to 15 digits" in page and 'value="12ab"' in page
    check = client.get("/request/check").get_data(as_text=True)
    assert "王秀兰" in check and "3-2-501" in check


def test_details_page_requires_what_the_service_needs(app, client):
    en(client)
    client.post("/services/home-care")
    client.post("/request/questions/help", data={"answer": "cleaning"})
    client.post("/request/questions/often", data={"answer": "weekly"})
    response = client.post("/request/about-you", data={"name": "", "address": "3-2-501"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#name">Please tell us your name.' in page and 'value="3-2-501"' in page


def test_unknown_contact_choice_is_refused(client):
    en(client)
    client.post("/services/mediation")
    client.post("/request/questions/about", data={"answer": "noise"})
    client.post("/request/questions/details", data={"answer": ""})
    response = client.post("/request/contact", data={"contact": "none"})  # mediation needs a way to reach you
    assert response.status_code == 422
    assert "Please choose how we should contact you." in response.get_data(as_text=True)


def test_unknown_service_and_question_get_a_plain_page_with_a_way_home(client):
    en(client)
    for path in ("/services/no-such-service", "/services/%3Cscript%3E"):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "We could not find that page" in page and 'href="/"' in page
    client.post("/services/repairs")
    assert client.get("/request/questions/nope").status_code == 404


@pytest.mark.parametrize("path", ["/status/A9999?c=1234", "/status/not-a-ticket", "/status/A0001", "/status/A0001?c=%27%20OR%201=1"])
def test_unknown_tickets_get_a_plain_page(client, path):
    en(client)
    response = client.get(path)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "We could not find that ticket" in page and 'href="/status"' in page


def test_wrong_check_code_does_not_reveal_a_request(app, client):
    with app.app_context():
        service = get_service(get_db(), "repairs", "en")
    fill_service(client, service)
    ticket, code = confirm(client)
    wrong = f"{(int(code) + 1) % 10000:04d}"
    assert client.get(f"/status/{ticket}?c={wrong}").status_code == 404
    response = client.post("/status", data={"entered": ticket + wrong})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "datatype, raw, value, has_error",
    [
        ("number", ["１２"], "12", False),
        ("number", ["twelve"], "twelve", True),
        ("number", ["1e9"], "1e9", True),
        ("datetime", ["2026-02-30"], "2026-02-30", True),
        ("datetime", ["2026-02-28"], "2026-02-28", False),
        ("multivaluelist", ["a", "b"], ["a", "b"], False),
        ("multivaluelist", ["a", "zz"], ["a", "zz"], True),
        ("multivaluelist", [], [], True),
        ("string", ["x" * 200], "x" * 200, False),
        ("text", ["x" * 2001], "x" * 2001, True),
    ],
)
def test_answers_of_every_datatype(app, datatype, raw, value, has_error):
    question = Question("q", datatype, True, 1, "Q?", options=(("a", "A"), ("b", "B")))
    with app.test_request_context():
        got, error = check_answer(question, raw)
    assert got == value and bool(error) == has_error


def test_clean_text_and_phone_numbers(app):
    assert clean_text("  a\r\nb\t c  ") == "a\nb  c"
    with app.test_request_context():
        assert check_phone("（0755）8888-1234") == ("075588881234", None)
        assert check_phone("+86 138 0013 8000") == ("+8613800138000", None)
        assert check_phone("123")[1]
