"""Bad input keeps what was typed (issue 19, item 11): a body over the cap is answered with the kiosk's own
page, in the page's language, the form shown again with the earlier answer; each field states its limit."""
from __future__ import annotations

import http.client
import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest

TOO_LONG = {"en": "That was more than the kiosk can take in at once", "zh_Hans_CN": "服务机一次收不下"}


def _start_repairs(client, locale: str) -> None:
    client.post("/language", data={"locale": locale})
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "lift"})
    client.post("/request/questions/where", data={"answer": "3 号楼电梯"})


def _start_mediation(client, locale: str) -> None:
    client.post("/language", data={"locale": locale})
    client.post("/services/mediation")
    client.post("/request/questions/about", data={"answer": "noise"})


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_a_body_over_the_cap_shows_the_same_question_with_the_earlier_answer(client, locale):
    _start_mediation(client, locale)
    client.post("/request/questions/details", data={"answer": "楼上每晚很吵"})
    response = client.post("/request/questions/details", data={"answer": "楼" * 40_000})  # 120 kB of UTF-8
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert TOO_LONG[locale] in page and "Request Entity Too Large" not in page
    assert re.search(r'<textarea[^>]*name="answer"[^>]*>楼上每晚很吵</textarea>', page)  # the same page, the draft's answer
    assert 'aria-invalid="true"' in page and "楼楼" not in page
    assert ">楼上每晚很吵</textarea>" in client.get("/request/questions/details").get_data(as_text=True)


def test_a_body_over_the_cap_elsewhere_is_the_kiosks_page_in_its_language(client):
    client.post("/language", data={"locale": "en"})
    response = client.post("/status", data={"entered": "1" * 100_000})
    assert response.status_code == 413 and "That was too long for the kiosk" in response.get_data(as_text=True)


@pytest.mark.parametrize("locale, limit_text", [("zh_Hans_CN", "最多 2000 字"), ("en", "At most 2000 characters")])
def test_a_text_question_states_its_limit_and_the_browser_stops_at_what_the_server_shows_back(client, locale, limit_text):
    _start_mediation(client, locale)
    page = client.get("/request/questions/details").get_data(as_text=True)
    assert limit_text in page
    field = re.search(r"<textarea[^>]*>", page).group(0)
    assert 'maxlength="4000"' in field and 'data-limit="2000"' in field and "answer-details-limit" in field


def test_a_text_over_its_limit_is_an_error_with_all_of_it_kept_never_a_cut(client):
    _start_mediation(client, "en")
    response = client.post("/request/questions/details", data={"answer": "漏" * 2001})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please shorten this to 2000 characters or fewer. It is 2001 now." in page
    assert "漏" * 2001 in page


def _session(base: str, locale: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/language", urllib.parse.urlencode({"locale": locale}).encode())
    page = opener.open(base + "/services/mediation").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    post = lambda path, **data: opener.open(base + path, urllib.parse.urlencode({"csrf_token": token, **data}).encode())  # noqa: E731
    page = post("/services/mediation").read().decode()  # the first question: the visit's own token from here on
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    post("/request/questions/about", answer="noise")
    post("/request/questions/details", answer="楼上每晚很吵")
    opener.token, opener.jar = token, jar
    return opener


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
def test_waitress_answers_a_body_over_the_cap_with_the_kiosks_page(live_kiosk, locale):
    """The real server: waitress refuses the body unread, the kiosk answers with the question again."""
    opener = _session(live_kiosk.url, locale)
    cookies = "; ".join(f"{c.name}={c.value}" for c in opener.jar)
    body = urllib.parse.urlencode({"csrf_token": opener.token, "answer": "楼" * 40_000}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", live_kiosk.port, timeout=10)
    conn.request("POST", "/request/questions/details", body=body,
                 headers={"Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    page = response.read().decode()
    conn.close()
    assert response.status == 413 and "Request Entity Too Large" not in page
    assert TOO_LONG[locale] in page and ">楼上每晚很吵</textarea>" in page and "楼楼" not in page
    assert response.getheader("Content-Security-Policy")  # the kiosk's own answer, with its headers


# --- item 12, where a test client meets it: numbers in groups, the contact page's default choice -----


def test_phone_numbers_and_ticket_entries_are_shown_in_groups(app):
    from kiosk.resident.keypad import phone_grouped, ticket_entry

    assert phone_grouped("13812345678") == "138 1234 5678"
    assert phone_grouped("+8613812345678") == "+86 138 1234 5678"
    assert phone_grouped("65432100") == "6543 2100" and phone_grouped("02165432100") == "021 6543 2100"
    assert phone_grouped("138****5678") == "138****5678"  # anything not a plain number is left as it is
    assert ticket_entry("A0427386152") == "A0427 386152" and ticket_entry("A04") == "A04"


def test_the_check_page_reads_a_phone_number_in_groups(client):
    _start_mediation(client, "zh_Hans_CN")
    client.post("/request/questions/details", data={"answer": "楼上每晚很吵"})
    client.post("/request/contact", data={"contact": "phone", "phone": "13812345678"})
    assert "138 1234 5678" in client.get("/request/check").get_data(as_text=True)


def test_once_a_phone_number_is_kept_the_big_choice_is_the_one_that_uses_it(client):
    _start_mediation(client, "en")
    client.post("/request/questions/details", data={"answer": "楼上每晚很吵"})
    page = client.get("/request/contact").get_data(as_text=True)
    assert re.search(r'button--primary js-contact-centre', page) and re.search(r'button--secondary js-contact-phone', page)
    client.post("/request/contact", data={"contact": "phone", "phone": "13812345678"})
    page = client.get("/request/contact?return=check").get_data(as_text=True)
    assert re.search(r'button--secondary js-contact-centre', page) and re.search(r'button--primary js-contact-phone', page)


def test_the_ticket_keypad_shows_the_ticket_and_its_check_code_apart(client):
    page = client.post("/status", data={"entered": "A042738615", "key": "2"}).get_data(as_text=True)
    assert 'value="A0427 386152"' in page and "386152" in page
