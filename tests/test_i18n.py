from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.i18n import LOCALES, match_tag, negotiate

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("zh-TW", "zh_Hant_TW"),
        ("zh-HK", "zh_Hant_TW"),
        ("zh-MO", "zh_Hant_TW"),
        ("zh-Hant", "zh_Hant_TW"),
        ("zh-Hant-HK", "zh_Hant_TW"),
        ("yue", "zh_Hant_TW"),
        ("zh-CN", "zh_Hans_CN"),
        ("zh-SG", "zh_Hans_CN"),
        ("zh", "zh_Hans_CN"),
        ("zh-Hans", "zh_Hans_CN"),
        ("en-US", "en"),
        ("en", "en"),
        ("fr-FR", None),
        ("not a tag", None),
        ("", None),
    ],
)
def test_match_tag(tag, expected):
    assert match_tag(tag) == expected


def test_negotiate_takes_the_best_supported_language():
    assert negotiate([("fr-FR", 1.0), ("zh-TW", 0.8), ("en", 0.5)], "zh_Hans_CN") == "zh_Hant_TW"
    assert negotiate([("en", 0.3), ("zh-HK", 0.9)], "zh_Hans_CN") == "zh_Hant_TW"
    assert negotiate([("fr-FR", 1.0), ("de", 0.9)], "zh_Hans_CN") == "zh_Hans_CN"
    assert negotiate([("en", 0)], "zh_Hans_CN") == "zh_Hans_CN"


@pytest.mark.parametrize(
    "header, expected_lang",
    [("zh-TW,zh;q=0.9", "zh-Hant"), ("zh-HK", "zh-Hant"), ("zh-CN,en;q=0.5", "zh-Hans"), ("en-US,en;q=0.9", "en"),
     ("fr-FR,fr;q=0.9", "zh-Hans")],
)
def test_pages_follow_accept_language(client, header, expected_lang):
    html = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{expected_lang}"' in html


def test_explicit_choice_beats_the_browser(client):
    client.post("/language", data={"locale": "zh_Hant_TW", "next": "/services/repairs"})
    html = client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert '<html lang="zh-Hant"' in html
    assert "您需要辦什麼事？" in html


def test_language_switch_only_returns_to_local_pages(client):
    response = client.post("/language", data={"locale": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"
    response = client.post("/language", data={"locale": "xx", "next": "/help"})
    assert response.headers["Location"] == "/help"


def test_catalog_folders_are_named_for_flask_babel():
    assert sorted(p.name for p in (ROOT / "locales").iterdir() if p.is_dir()) == sorted(LOCALES)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_every_message_is_translated(locale):
    """Fails when a message in the template (messages.pot) lacks a translation in any locale."""
    template = read_po((ROOT / "locales" / "messages.pot").open("rb"))
    catalog = read_po((ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb"))
    missing = [m.id for m in template if m.id and not (catalog.get(m.id) and catalog.get(m.id).string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"{locale} lacks translations for: {missing}"
    assert not fuzzy, f"{locale} has fuzzy (unchecked) translations: {fuzzy}"


def test_message_template_is_current(tmp_path):
    """The committed messages.pot holds every message the code and templates use."""
    from babel.messages.frontend import CommandLineInterface

    out = tmp_path / "fresh.pot"
    CommandLineInterface().run(["pybabel", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
                                "--no-location", "--sort-output", "-o", str(out), str(ROOT)])
    fresh = {m.id for m in read_po(out.open("rb")) if m.id}
    committed = {m.id for m in read_po((ROOT / "locales" / "messages.pot").open("rb")) if m.id}
    assert fresh - committed == set(), "run `make update-messages` and translate the new messages"


def test_the_county_has_one_name_in_chinese():
    """Worker pages said 区里 beside 县平台 for the same county platform (a new user's walk, issue 23 item 10)."""
    root = ROOT / "locales"
    for locale, word, other in (("zh_Hans_CN", "县平台", "区里"), ("zh_Hant_TW", "縣平台", "區裡")):
        text = (root / locale / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
        assert other not in text and word in text, locale
