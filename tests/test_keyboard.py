"""The on-screen keyboard's server side: who is offered it, the fields it serves, handwriting read on
the box (real zinnia, real OpenCC), bad strokes refused politely, keys read aloud.

The panel in a real browser, with touch and no keyboard at all: tests/test_keyboard_browser.py.
"""
from __future__ import annotations

import json
import math

import pytest

from bench.hanzi_medians import medians
from engines.handwriting import strokes
from engines.handwriting.rerank import COMMON, EXPECTED, NEXT, Expectation, rerank
from core.config import load

from core.catalogue import get_service
from kiosk.db import get_db

from .flows import fill_service

TEN = [[[100, 500], [500, 500], [900, 500]], [[500, 100], [500, 500], [500, 900]]]


def to_json(drawn, offset=(0, 0), scale=1.0):
    return [[[round(offset[0] + x * scale, 1), round(offset[1] + y * scale, 1)] for x, y in stroke] for stroke in drawn]


# --- who gets the panel, and which fields -------------------------------------------------------

def test_the_boxs_own_screen_gets_the_panel_and_a_phone_on_the_wifi_does_not(client):
    on_screen = client.get("/services/repairs").get_data(as_text=True)
    assert 'id="keyboard-template"' in on_screen and "js/keyboard.js" in on_screen
    phone = client.get("/services/repairs", environ_base={"REMOTE_ADDR": "192.168.8.23"}).get_data(as_text=True)
    assert "keyboard-template" not in phone and "js/keyboard.js" not in phone


@pytest.mark.parametrize("mode, loopback, phone", [("on", True, True), ("off", False, False), ("auto", True, False)])
def test_the_panel_setting(app, mode, loopback, phone):
    app.config["INPUT_PANEL"] = mode
    client = app.test_client()
    assert ("keyboard-template" in client.get("/").get_data(as_text=True)) is loopback
    assert ("keyboard-template" in client.get("/", environ_base={"REMOTE_ADDR": "10.0.0.9"}).get_data(as_text=True)) is phone


def test_a_wrong_panel_setting_stops_the_start_with_its_choices(tmp_path):
    assert load(str(tmp_path), {"KIOSK_INPUT_PANEL": " ON "})["INPUT_PANEL"] == "on"
    with pytest.raises(ValueError, match="auto, on, off"):
        load(str(tmp_path), {"KIOSK_INPUT_PANEL": "touch"})


def test_each_field_says_which_keys_it_needs_and_what_it_expects(client):
    client.post("/services/repairs")
    page = client.get("/request/questions/where?write=1").get_data(as_text=True)  # "not listed": written
    assert 'data-keys="text"' in page and 'data-expect="service:repairs"' in page
    with client.application.app_context():
        fill_service(client, get_service(get_db(), "home-care", "zh_Hans_CN"))
    about = client.get("/request/about-you?write=1").get_data(as_text=True)
    assert 'data-expect="name"' in about and 'data-expect="address"' in about
    contact = client.get("/request/contact").get_data(as_text=True)
    assert 'id="phone"' in contact and 'data-keys="digits"' in contact
    # the ticket and resume-code entries have their own keypads on the page
    assert "data-keys" not in client.get("/status").get_data(as_text=True)


# --- handwriting --------------------------------------------------------------------------------

def test_a_character_written_anywhere_on_the_pad_at_any_size_is_read(client):
    for offset, scale in (((0, 0), 1.0), ((600, 380), 0.12), ((40, 40), 0.5)):  # full pad, small in a corner
        reply = client.post("/keyboard/handwriting", json={"strokes": to_json(TEN, offset, scale)})
        assert reply.status_code == 200, reply.json
        assert reply.json["candidates"][0] == "十" and len(reply.json["candidates"]) == 10


def test_what_the_field_expects_comes_first(client):
    """幸 drawn by the book: bare zinnia may put other characters first; in a field whose texts say 幸福, 福 follows 幸."""
    fu = to_json(medians("福"))
    alone = client.post("/keyboard/handwriting", json={"strokes": fu}).json["candidates"]
    assert "福" in alone
    expected = Expectation.from_texts(["幸福里小区"])
    assert rerank(alone, expected, before="幸")[0] == "福"


def test_traditional_pages_show_traditional_candidates(client):
    client.post("/language", data={"locale": "zh_Hant_TW", "next": "/"})
    building = client.post("/keyboard/handwriting", json={"strokes": to_json(medians("楼"))}).json["candidates"]
    assert building[0] == "樓" and "楼" not in building
    client.post("/language", data={"locale": "zh_Hans_CN", "next": "/"})
    assert client.post("/keyboard/handwriting", json={"strokes": to_json(medians("楼"))}).json["candidates"][0] == "楼"


@pytest.mark.parametrize("payload, status", [
    ({"strokes": []}, 400),
    ({"strokes": [[], []]}, 400),
    ({"strokes": "十"}, 400),
    ({"strokes": [[["a", 1]]]}, 400),
    ({"strokes": [[[1, 2, 3]]]}, 400),
    ({"strokes": [[[True, 2]]]}, 400),
    ({"strokes": [[[1e308 * 10, 2]]]}, 400),
    ({"strokes": [[[0, 2]]] * (strokes.MAX_STROKES + 1)}, 413),
    ({"strokes": [[[i % 900, 5] for i in range(strokes.MAX_STROKE_POINTS + 1)]]}, 413),
    ({"strokes": [[[i % 900, s] for i in range(strokes.MAX_POINTS // 5 + 1)] for s in range(5)]}, 413),
    ([1, 2], 400),
    ("just a string", 400),
])
def test_bad_strokes_get_a_polite_message_never_an_error(client, payload, status):
    reply = client.post("/keyboard/handwriting", json=payload)
    assert reply.status_code == status and reply.json["candidates"] == []
    assert reply.json["message"].startswith(("请", "这")), reply.json  # in the page's language


def test_not_json_and_too_big_are_refused_too(client):
    assert client.post("/keyboard/handwriting", data="strokes=1").status_code == 400
    huge = {"strokes": [[[1, 1]] * 30000]}
    assert client.post("/keyboard/handwriting", json=huge).status_code == 413


PHONE = {"REMOTE_ADDR": "192.168.1.23"}


@pytest.mark.parametrize("depth", [2000, 100_000])
def test_json_nested_too_deep_is_a_polite_400_not_a_server_error(client, depth):
    """Issue 19, item 6: ``[[[[…`` nested deeper than the JSON reader recurses was a 500 (RecursionError)."""
    body = '{"strokes": ' + "[" * depth + "]" * depth + "}"
    for who in ({}, PHONE):
        reply = client.post("/keyboard/handwriting", data=body, content_type="application/json", environ_base=who)
        assert reply.status_code in (400, 413), reply.status_code  # 413 when over the body cap
        if reply.status_code == 400:
            assert reply.json["candidates"] == [] and reply.json["message"]


def test_real_characters_drawn_as_large_as_the_pad_fit_the_bounds():
    """The bounds are what a finger draws, with a margin: the largest real characters pass."""
    from bench.handwriting_payload import PAD_HEIGHT, PAD_WIDEST, thinned

    for character in "鬮鱻乙齉龘":
        drawn = medians(character)
        if drawn is None:
            continue
        on_pad = [[(x * PAD_WIDEST / 1024, y * PAD_HEIGHT / 1024) for x, y in stroke] for stroke in drawn]
        counts = [thinned(stroke, 1, 1) for stroke in on_pad]
        assert len(counts) <= strokes.MAX_STROKES and max(counts) <= strokes.MAX_STROKE_POINTS
        assert sum(counts) * 1.4 <= strokes.MAX_POINTS, character  # a margin for a wobbly finger


def test_a_phone_flooding_handwriting_never_queues_ahead_of_the_kiosks_screen(app):
    """Issue 19, item 4: 24 phones sending the largest payload made the box's own screen wait 8 s.
    Phones now take turns one at a time and are told "busy" (503) instead of queueing, so the screen
    waits for at most the one phone read running."""
    import threading
    import time

    largest = [[[float((i * 37 + s * 11) % 900), float((i * 53 + s * 7) % 500)] for i in range(60)]
               for s in range(strokes.MAX_STROKES)]
    app.test_client().post("/keyboard/handwriting", json={"strokes": TEN})  # the model is loaded once
    started = time.perf_counter()
    app.test_client().post("/keyboard/handwriting", json={"strokes": largest}, environ_base=PHONE)
    one_read = time.perf_counter() - started
    stop, answers = threading.Event(), []

    body = json.dumps({"strokes": largest})  # made once: the phones' own work is not the box's

    def phone(n):
        client = app.test_client()
        while not stop.is_set():
            reply = client.post("/keyboard/handwriting", data=body, content_type="application/json",
                                environ_base={"REMOTE_ADDR": f"192.168.1.{30 + n}"})
            answers.append(reply.status_code)

    phones = [threading.Thread(target=phone, args=(n,)) for n in range(8)]
    for thread in phones:
        thread.start()
    try:
        time.sleep(0.3)
        waits = []
        for _ in range(3):
            started = time.perf_counter()
            reply = app.test_client().post("/keyboard/handwriting", json={"strokes": TEN})
            waits.append(time.perf_counter() - started)
            assert reply.status_code == 200 and reply.json["candidates"]
    finally:
        stop.set()
        for thread in phones:
            thread.join()
    assert 503 in answers and 200 in answers
    assert app.test_client().post("/keyboard/handwriting", json={"strokes": []}, environ_base=PHONE).status_code == 400
    # the screen waits for one phone read and its own (not for eight queued phones); the GIL shares
    # the CPU with the phones' JSON parsing, hence the margin
    assert max(waits) < 4 * one_read + 0.3, (waits, one_read)


def test_the_messages_follow_the_page_language(client):
    client.post("/language", data={"locale": "en", "next": "/"})
    reply = client.post("/keyboard/handwriting", json={"strokes": []})
    assert reply.json["message"] == "Please write one character on the pad with your finger."


def test_handwriting_needs_no_form_token_and_changes_nothing(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    assert client.post("/keyboard/handwriting", json={"strokes": TEN}).status_code == 200
    assert client.get_cookie("session") is None  # a look at the pad makes no session


# --- the pieces ---------------------------------------------------------------------------------

def test_strokes_are_fitted_to_the_middle_of_the_box_keeping_their_shape():
    fitted = strokes.fitted([[(10, 10), (30, 10)], [(20, 0), (20, 40)]])  # 20 wide, 40 high
    xs = [x for s in fitted for x, _ in s]
    ys = [y for s in fitted for _, y in s]
    assert (min(ys), max(ys)) == (100, 900) and (min(xs), max(xs)) == (300, 700)
    dot = strokes.fitted([[(5, 5)]])
    assert dot == [[(500, 500)]]
    assert strokes.fitted([]) == []


def test_parse_keeps_points_and_drops_empty_strokes():
    assert strokes.parse({"strokes": [[], [[1, 2.5]], []]}) == [[(1.0, 2.5)]]
    with pytest.raises(strokes.BadStrokes):
        strokes.parse({"strokes": [[[math.nan, 1]]]})


def test_reranking_lifts_are_bounded():
    zinnia = [f"x{i}" for i in range(30)]  # none of them expected, none common
    expected = Expectation.from_texts(["幸福"])
    assert rerank([*zinnia[:5], "福", *zinnia[5:]], expected)[0] == "福"  # an expected character 6 places down comes first
    far = rerank([*zinnia[:NEXT + EXPECTED + COMMON], "福"], expected, before="幸")
    assert far[0] == "x0"  # too far down to pass zinnia's own first choice
    assert rerank(["福", "福", "x"], expected) == ["福", "x"]
    assert len(rerank(zinnia)) == 10


# --- keys read aloud ----------------------------------------------------------------------------

def test_read_what_i_typed_says_which_voice_reads_it(client):
    # what she typed is said by espeak-ng, never the natural voice of the pages (issue 22): the button says so
    client.post("/language", data={"locale": "zh_Hans_CN"})
    panel = client.get("/").get_data(as_text=True).split('id="keyboard-template"', 1)[1]
    read = panel.split("keyboard__read\"", 1)[1].split("</button>", 1)[0]
    assert "读出我写的" in read and "简易语音" in read


def test_keys_and_candidates_are_read_aloud_for_this_visit_only(client):
    digit = client.get("/keyboard/say?text=5")
    assert digit.status_code == 200 and digit.mimetype.startswith("audio/")
    assert digit.headers["Cache-Control"] == "no-store"
    assert client.get("/keyboard/say?text=幸，辛，李").status_code == 200
    for bad in ("", "x" * 41, "<script>", "a/b"):
        assert client.get("/keyboard/say", query_string={"text": bad}).status_code == 404


# --- pinyin -------------------------------------------------------------------------------------

def test_pinyin_candidates_say_how_many_letters_they_use_and_the_fields_words_come_first(client):
    row = client.get("/keyboard/pinyin?letters=xingfushequ").json["candidates"]
    assert row[:2] == [{"text": "幸福社区", "consumed": 11}, {"text": "幸福", "consumed": 6}]
    plain = [c["text"] for c in client.get("/keyboard/pinyin?letters=baoxiu").json["candidates"]]
    repairs = [c["text"] for c in client.get("/keyboard/pinyin?letters=baoxiu&expect=service:repairs").json["candidates"]]
    assert plain.index("报修") > 0 and repairs[0] == "报修"  # 公共设施报修 is the repairs service's own word


def test_pinyin_on_traditional_pages_and_bad_letters(client):
    client.post("/language", data={"locale": "zh_Hant_TW", "next": "/"})
    assert client.get("/keyboard/pinyin?letters=loudao").json["candidates"][0]["text"] == "樓道"
    for bad in ("", "123", "楼", "<>", "x" * 5000):
        reply = client.get("/keyboard/pinyin", query_string={"letters": bad})
        assert reply.status_code == 200 and isinstance(reply.json["candidates"], list)


def pinyin_row(client, letters: str, before: str = "", expect: str = "") -> list[str]:
    reply = client.get("/keyboard/pinyin", query_string={"letters": letters, "before": before, "expect": expect})
    assert reply.status_code == 200
    return [c["text"] for c in reply.json["candidates"]]


@pytest.mark.parametrize("expect", ["", "service:complaints", "service:repairs", "address"])
def test_pinyin_knows_what_is_already_in_the_field(client, expect):
    """Issue 23: after 楼道, "deng" gives 灯 first, in any field (the kiosk's own texts speak of 楼道灯),
    not 等 or 登; without the field's text the row is the dictionary's (等 first)."""
    assert pinyin_row(client, "deng", expect=expect)[0] == "等"
    after = pinyin_row(client, "deng", before="楼道", expect=expect)
    assert after[0] == "灯" and {"等", "登"} <= set(after)
    assert pinyin_row(client, "qing", before="门锁坏了，", expect=expect)[0] == "请"  # a clause begins: 请, not 情
    assert pinyin_row(client, "le", before="灯坏", expect=expect)[0] == "了"


def test_pinyin_offers_whole_words_for_all_the_letters(client):
    """Issue 23: several syllables typed in one go come back as what they most likely say, taking all the
    letters (楼道灯坏了), with the first word and the first syllable's characters still in the row."""
    reply = client.get("/keyboard/pinyin?letters=loudaodenghuaile&before=我家").json["candidates"]
    assert reply[0] == {"text": "楼道灯坏了", "consumed": 16}
    assert {"text": "楼道", "consumed": 6} in reply and {"text": "楼", "consumed": 3} in reply
    assert pinyin_row(client, "huaile")[0] == "坏了"  # no dictionary has 坏了 as a word
    assert pinyin_row(client, "bufangbian")[0] == "不方便"
    assert pinyin_row(client, "yuyue")[0] == "预约"  # one word rather than two characters (与月)


def test_pinyin_knows_the_sentence_on_traditional_pages_too(client):
    """The field of a Traditional page holds 樓道: it is read back as 楼道 and the row shown as 燈, 壞了."""
    client.post("/language", data={"locale": "zh_Hant_TW", "next": "/"})
    assert pinyin_row(client, "deng", before="樓道")[0] == "燈"
    assert pinyin_row(client, "loudaodenghuaile", before="我家")[0] == "樓道燈壞了"
    assert pinyin_row(client, "le", before="燈壞")[0] == "了"


def test_the_residents_sentences_come_out_right_through_the_kiosk(client):
    """A floor under bench/pinyin.py's measure (the issue's goal is 90 %): the 50 sentences of
    bench/pinyin_sentences.txt, piece by piece, letter by letter, through GET /keyboard/pinyin on a
    Simplified page; the piece meant must be first for at least 85 % of the pieces (87 % when measured)."""
    from bench.pinyin import kiosk_asker, measure_sentences, sentence_pieces

    found = measure_sentences(sentence_pieces(), kiosk_asker(client))
    assert found["pieces"] >= 250
    assert found["first"] / found["pieces"] >= 0.85, found["misses"]
    assert found["clauses_right"] >= 30, found["clauses_right"]


def test_traditional_forms_come_from_the_index_phrase_by_phrase():
    from engines import pinyin

    assert pinyin.traditional(["头发", "发", "楼道", "幸福", "里"]) == ["頭髮", "發", "樓道", "幸福", "裡"]
    assert pinyin.traditional(["头发楼"]) == ["頭發樓"]  # an unknown phrase: character by character
    assert pinyin.traditional(["ABC", ""]) == ["ABC", ""]
