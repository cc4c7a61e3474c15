"""Every way out of a question page keeps what is in its field, without JavaScript (a new user's walk,
issue 23: 楼道 written on the pad, then 返回 or 请工作人员帮忙 → 回到刚才那一页, and the field was empty; a
recording not yet kept was lost the same way). The page's Back, Home, Help, language, text-size and Voice
settings are buttons of the question's own form; the test client presses them as a browser would: the
form's fields, sent to the button's ``formaction``. The browser version is tests/test_leave_browser.py."""
from __future__ import annotations

import io
import re

import pytest

from tests.test_media import PHONE, spoken_wav, start_feedback_to_message  # noqa: F401  (a fixture)

TYPED = "楼道的灯坏了"


def way_out(page: str, way: str) -> str:
    """The ``formaction`` of the way out ``way`` on ``page``, checked to belong to the question's form."""
    match = re.search(r'<(?:button)[^>]*form="answer-form" formaction="([^"]+\?leave=' + way + ')"', page)
    assert match, f"no {way} button of the question's form"
    return match.group(1)


def field_on(client, path: str = "/request/questions/message") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<textarea[^>]*name="answer"[^>]*>([^<]*)</textarea>', page).group(1).strip()


@pytest.mark.parametrize("way, extra, lands", [
    ("back", {}, "/request/questions/about"),
    ("help", {}, "/help?back=/request/questions/message"),
    ("language", {"locale": "en"}, "/request/questions/message"),
    ("size", {"size": "2"}, "/request/questions/message"),
    ("voice", {}, "/speech?next=/request/questions/message"),
])
def test_each_way_out_keeps_the_words_in_the_field(client, way, extra, lands):
    start_feedback_to_message(client)
    page = client.get("/request/questions/message").get_data(as_text=True)
    response = client.post(way_out(page, way), data={"answer": TYPED, **extra})
    assert response.status_code == 302
    assert response.headers["Location"].startswith(lands.split("?")[0]), response.headers["Location"]
    assert field_on(client) == TYPED  # coming back: the words are in the field


def test_a_phones_help_and_the_box_help_both_come_back_to_the_words(app):
    for phone in (True, False):
        client = app.test_client()
        if phone:
            client.environ_base.update(PHONE)
        start_feedback_to_message(client)
        page = client.get("/request/questions/message").get_data(as_text=True)
        help_page = client.post(way_out(page, "help"), data={"answer": TYPED}, follow_redirects=True).get_data(as_text=True)
        assert "/request/questions/message" in help_page  # 回到刚才那一页
        assert field_on(client) == TYPED


def test_home_keeps_the_words_and_stop_here_goes_back_to_them(client):
    # where the repair is, written: Home keeps it, and "No, go back" comes back to this very page
    assert client.post("/services/repairs").headers["Location"] == "/request/questions/what"
    client.post("/request/questions/what", data={"answer": "light"})
    page = client.get("/request/questions/where?write=1").get_data(as_text=True)  # written, not from the book
    response = client.post(way_out(page, "home"), data={"answer": "三号楼楼道", "why": "home", "write": "1"})
    assert response.headers["Location"].startswith("/visit/leave")
    leave = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'href="/request/questions/where?write=1"' in leave  # "No, go back to my answers": the page she left
    page = client.get("/request/questions/where?write=1").get_data(as_text=True)
    assert re.search(r'name="answer"[^>]*value="三号楼楼道"', page)


def test_enter_in_the_field_still_means_continue(client):
    # the ways out belong to the form and come first on the page; a hidden Continue comes before them all
    start_feedback_to_message(client)
    page = client.get("/request/questions/message").get_data(as_text=True)
    first = re.search(r'<button[^>]*form="answer-form"[^>]*>', page).group(0)
    assert "formaction" not in first and "hidden" in first


def test_a_recording_not_yet_kept_is_kept_by_back(client, spoken_wav):  # noqa: F811
    start_feedback_to_message(client)
    page = client.get("/request/questions/message").get_data(as_text=True)
    response = client.post(way_out(page, "back"), content_type="multipart/form-data",
                           data={"answer": "", "spoken": (io.BytesIO(spoken_wav), "said.wav")})
    assert response.headers["Location"] == "/request/questions/about"
    again = client.get("/request/questions/message").get_data(as_text=True)
    assert "data-spoken-kept" in again  # 已保存：口述回答


def test_a_visit_that_ends_leaves_nothing_for_the_next_person(client, spoken_wav):  # noqa: F811
    start_feedback_to_message(client)
    page = client.get("/request/questions/message").get_data(as_text=True)
    client.post(way_out(page, "home"), content_type="multipart/form-data",
                data={"answer": TYPED, "why": "home", "spoken": (io.BytesIO(spoken_wav), "said.wav")})
    assert client.post("/visit/end", data={"why": "stop"}).headers["Location"] == "/"
    assert client.get_cookie("kiosk_draft") is None
    # the next person: a new request, the same question, an empty field and no recording
    start_feedback_to_message(client)
    assert field_on(client) == ""
    assert "data-spoken-kept" not in client.get("/request/questions/message").get_data(as_text=True)


def test_show_it_with_a_photo_instead_answers_where_on_a_repair(client):
    # A new user's walk (issue 23, item 4): one who would rather show could not pass 在哪里？ without words.
    from tests.test_media import _gps_jpeg
    client.post("/services/repairs")
    client.post("/request/questions/what", data={"answer": "light"})
    page = client.get("/request/questions/where?write=1").get_data(as_text=True)
    assert "?leave=photos" in page  # 📷 Show it with a photo instead, a button of the question's form
    response = client.post(way_out(page, "photos"), data={"answer": "", "write": "1"})
    assert response.headers["Location"] == "/request/photos?for=where"
    photos = client.get("/request/photos?for=where").get_data(as_text=True)
    assert 'name="then" value="done"' in photos  # Done adds what was chosen, then goes on from the question
    response = client.post("/request/photos?for=where", content_type="multipart/form-data",
                           data={"photo": (io.BytesIO(_gps_jpeg((800, 600))), "lamp.jpg")})
    assert response.status_code == 302
    assert client.post("/request/photos?for=where", content_type="multipart/form-data",
                       data={"then": "done"}).headers["Location"] == "/request/questions/danger"
    assert client.post("/request/questions/where", data={"answer": "", "write": "1"}).headers["Location"] == \
        "/request/questions/danger"  # the photo answers it, as a recording does
    client.post("/request/questions/danger", data={"answer": "no"})
    client.post("/request/contact", data={"contact": "centre"})
    check = client.get("/request/check")
    assert check.status_code == 200 and "📷 见照片" in check.get_data(as_text=True)
