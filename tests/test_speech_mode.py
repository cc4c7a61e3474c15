"""Speech mode's server side (issue 24): what each page may say is known when it renders, on the box's
own screen only; nobody can make the box say a text no page of her visit carried; the keypad's keys
are a setting of the box."""
from __future__ import annotations

import json
import re

import pytest

from core.config import EZ_ACTIONS, load
from engines.speech.page_items import item_texts, text_hash

PHONE = {"REMOTE_ADDR": "192.168.1.23"}


def speech_map(html: str) -> dict | None:
    found = re.search(r'<script type="application/json" id="speech-items">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


def test_the_box_s_own_pages_carry_every_item_s_audio_phones_and_worker_pages_none(client):
    home = client.get("/").get_data(as_text=True)
    mapping = speech_map(home)
    for text in ("您需要办什么事？", "公共设施报修", "请工作人员帮忙", "首页", "English"):
        assert text_hash(text) in mapping["items"], text
    assert set(item_texts(home)) >= {"公共设施报修", "查询办理进度"}
    assert mapping["start"] is True and mapping["keys"] == EZ_ACTIONS and mapping["volume"] == 0.8
    assert set(mapping["chars"]) >= set("0123456789A") and {"button", "repeating", "first", "welcome"} <= set(mapping["words"])
    assert speech_map(client.get("/", environ_base=PHONE).get_data(as_text=True)) is None  # a phone has its own reader
    assert speech_map(client.get("/worker/login").get_data(as_text=True)) is None  # a worker's keyboard is a keyboard


def test_only_the_visit_shown_a_text_can_hear_it(app):
    mine, other = app.test_client(), app.test_client()
    for visit in (mine, other):
        visit.post("/language", data={"locale": "en", "next": "/"})  # each visit has its own session
    mapping = speech_map(mine.get("/").get_data(as_text=True))
    ref = mapping["items"][text_hash("Report something broken")]
    assert ref.startswith("v"), "not pre-rendered here: this visit's, on demand"
    heard = mine.get(f"/voice/{ref[1:]}")
    assert heard.status_code == 200 and heard.headers["Cache-Control"] == "no-store" and heard.data
    assert other.get(f"/voice/{ref[1:]}").status_code == 404
    assert mine.get("/voice/" + "0" * 32).status_code == 404  # no other text can be asked for


def test_a_keypad_entry_s_typed_code_is_never_a_text_to_speak(client):
    page = client.post("/status", data={"key": "7", "entered": "A0001 97531"}).get_data(as_text=True)
    assert "975317" in page.replace(" ", "")  # shown in the entry…
    texts = item_texts(page)
    assert not any("9753" in text for text in texts), texts  # …never among what may be said


def test_the_keys_are_a_setting_of_the_box(tmp_path):
    keys = load(str(tmp_path), {"KIOSK_EZ_KEYS": "help=F1 Insert; worker=F12"})["EZ_KEYS"]
    assert keys["help"] == ["F1", "Insert"] and keys["worker"] == ["F12"] and keys["up"] == ["ArrowUp"]
    for bad in ("jump=F3", "help=", "enter=5", "up=Numpad8"):
        with pytest.raises(ValueError):
            load(str(tmp_path), {"KIOSK_EZ_KEYS": bad})
    with pytest.raises(ValueError):
        load(str(tmp_path), {"KIOSK_EZ_VOLUME": "0"})
