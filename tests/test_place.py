"""What differs between centres is configuration (issue 13, item 5): the address phones reach the box
at (never loopback in a receipt's QR code), and the default speech for Chinese pages, which follows the
centre and the browser's region, never the script."""
from __future__ import annotations

import pytest

from kiosk.receipts import phone_base, status_url
from kiosk.security import lan_address
from engines.speech.voices import default_speech


@pytest.mark.parametrize("host_url, lan, expected", [
    ("http://127.0.0.1:8080/", "192.168.1.5", "http://192.168.1.5:8080/"),
    ("http://localhost/", "10.0.0.2", "http://10.0.0.2/"),
    ("http://[::1]:8080/", "10.0.0.9", "http://10.0.0.9:8080/"),
    ("http://127.8.9.1:8080/", "10.0.0.9", "http://10.0.0.9:8080/"),
    ("http://192.168.1.5:8080/", "10.0.0.9", "http://192.168.1.5:8080/"),  # a phone's own view of the box
    ("http://kiosk.local:8080/", "10.0.0.9", "http://kiosk.local:8080/"),
    ("http://127.0.0.1:8080/", None, "http://127.0.0.1:8080/"),             # no network at all: nothing better
])
def test_a_link_for_a_phone_never_points_at_loopback_when_the_box_has_a_network(host_url, lan, expected):
    assert phone_base(host_url, lan) == expected


def test_the_receipt_on_the_kiosks_own_screen_carries_the_boxs_network_address(app):
    lan = lan_address()
    if lan is None:
        pytest.skip("this machine has no network address")
    with app.test_request_context("/receipt/A0001", base_url="http://127.0.0.1:8080"):
        assert status_url("A0001").startswith(f"http://{lan}:8080/status/A0001?t=")
    app.config["PUBLIC_URL"] = "http://kiosk.centre.example:8080"  # chosen at install: it wins
    with app.test_request_context("/receipt/A0001", base_url="http://127.0.0.1:8080"):
        assert status_url("A0001").startswith("http://kiosk.centre.example:8080/status/A0001?t=")


@pytest.mark.parametrize("locale, accept, centre, expected", [
    ("zh_Hant_TW", [("zh-HK", 1.0)], "mandarin", "cantonese"),
    ("zh_Hant_TW", [("zh-MO", 1.0)], "mandarin", "cantonese"),
    ("zh_Hans_CN", [("yue", 1.0)], "mandarin", "cantonese"),
    ("zh_Hant_TW", [("zh-TW", 1.0)], "cantonese", "mandarin"),
    ("zh_Hant_TW", [("zh-Hant-TW", 1.0)], "cantonese", "mandarin"),
    ("zh_Hans_CN", [("zh-CN", 1.0)], "cantonese", "cantonese"),   # Guangdong: Simplified script, Cantonese speech
    ("zh_Hans_CN", [("zh-CN", 1.0)], "mandarin", "mandarin"),
    ("zh_Hant_TW", [("zh-Hant", 1.0)], "mandarin", "mandarin"),   # the script alone never decides
    ("zh_Hant_TW", [], "cantonese", "cantonese"),
    ("zh_Hans_CN", [("en", 1.0), ("zh-HK", 0.5)], "mandarin", "cantonese"),  # the first Chinese tag speaks
    ("zh_Hans_CN", [("zh-HK", 0.0), ("zh", 0.5)], "mandarin", "mandarin"),   # q=0: not wanted
    ("en", [("zh-HK", 1.0)], "cantonese", "english"),
])
def test_chinese_speech_follows_the_centre_and_the_browsers_region_not_the_script(locale, accept, centre, expected):
    assert default_speech(locale, accept, centre) == expected


def test_the_centres_default_reaches_the_voice_settings_page(tmp_path, monkeypatch):
    from kiosk import create_app

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KIOSK_CHINESE_SPEECH", "cantonese")
    client = create_app({"TESTING": True}).test_client()
    page = client.get("/speech?next=/help", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'value="cantonese" class="button option option--selected"' in page
    page = client.get("/speech?next=/help", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert 'value="mandarin" class="button option option--selected"' in page
    monkeypatch.setenv("KIOSK_CHINESE_SPEECH", "klingon")
    with pytest.raises(Exception, match="CHINESE_SPEECH|klingon|one of"):
        create_app({"TESTING": True})


def test_the_health_page_shows_the_settings_that_differ_between_centres(tmp_path, monkeypatch):
    import json

    from core import addresses
    from core.actions.admin import load_address_book
    from core.catalogue import DEMO_FILE
    from core.actions.admin import load_catalogue
    from kiosk import create_app
    from kiosk.db import get_db

    from .worker_helpers import add_accounts, log_in

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KIOSK_CENTRE_NAME", "幸福里社区服务中心")
    monkeypatch.setenv("KIOSK_CHINESE_SPEECH", "cantonese")
    monkeypatch.setenv("KIOSK_PUBLIC_URL", "http://192.168.8.20:8080")
    monkeypatch.setenv("KIOSK_KIOSK_ID", "kiosk-7")
    monkeypatch.setenv("KIOSK_CENTRE_LAT", "31.2304")
    monkeypatch.setenv("KIOSK_CENTRE_LONG", "121.4737")
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        load_catalogue(get_db(), json.loads(DEMO_FILE.read_text(encoding="utf-8")))
        load_address_book(get_db(), addresses.DEMO_FILE.read_bytes())
    add_accounts(app)
    worker = app.test_client()
    log_in(worker, "alice")
    page = worker.get("/worker/health", headers={"Accept-Language": "en"}).get_data(as_text=True)
    settings = page.split('id="health-settings"')[1]
    for shown in ("幸福里社区服务中心", "kiosk-7", "http://192.168.8.20:8080", "Cantonese", "90 s, then 30 s",
                  "http://127.0.0.1:8311", "7", "3 estates, 336 flats", "latitude 31.2304, longitude 121.4737"):
        assert shown in settings, shown


@pytest.mark.parametrize("lat, long", [("91", "121.4"), ("31.2", "-180.5"), ("31,2304", "121.4737"), ("N31.2", "121.4"),
                                       ("3e1", "121.4"), ("nan", "121.4"), ("31.2304", ""), ("", "121.4737")])
def test_the_centres_coordinates_are_decimal_degrees_in_range_and_go_together(tmp_path, monkeypatch, lat, long):
    from kiosk import create_app

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KIOSK_CENTRE_LAT", lat)
    monkeypatch.setenv("KIOSK_CENTRE_LONG", long)
    with pytest.raises(ValueError, match="degrees|go together"):
        create_app({"TESTING": True})


def test_the_centres_coordinates_are_kept_as_written(tmp_path, monkeypatch):
    from kiosk import create_app

    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KIOSK_CENTRE_LAT", " -33.8688 ")
    monkeypatch.setenv("KIOSK_CENTRE_LONG", "151.2093")
    config = create_app({"TESTING": True}).config
    assert (config["CENTRE_LAT"], config["CENTRE_LONG"]) == ("-33.8688", "151.2093")
