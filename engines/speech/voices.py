"""Which espeak-ng voice speaks what, at what speed.

Debian 12's espeak-ng 1.51 ``sit/cmn`` voice reads the pinyin it derives from Chinese characters with
English rules ("nin2" as "nin two"); ``sit/cmn-latn-pinyin`` reads it as Mandarin. Cantonese is
``sit/yue``. A resident may choose Mandarin or Cantonese speech whatever the script on screen.
"""
from __future__ import annotations

VOICES = {
    "mandarin": "sit/cmn-latn-pinyin",
    "cantonese": "sit/yue",
    "english": "gmw/en",
}
#: Words per minute for espeak-ng (its default is 175): unhurried, and slower on request.
RATES = {"normal": 150, "slow": 110}
#: Regions whose Chinese speech is known whatever the centre's default: Cantonese in Hong Kong and
#: Macao, Mandarin in Taiwan and Singapore. Mainland browsers (zh-CN) say nothing of it: in Guangdong
#: the centre's default (``CHINESE_SPEECH``) may well be Cantonese.
CANTONESE_REGIONS = ("HK", "MO")
MANDARIN_REGIONS = ("TW", "SG")


def default_speech(locale: str, accept_language: list[tuple[str, float]], centre_default: str = "mandarin") -> str:
    """The speech a page gets unless the resident chooses: English for English pages; for Chinese pages
    Cantonese when the browser's first Chinese tag is ``yue`` or names Hong Kong or Macao, Mandarin when
    it names Taiwan or Singapore, else the centre's own default (``CHINESE_SPEECH``). The script on
    screen never decides: Simplified and Traditional are read in either."""
    if locale == "en":
        return "english"
    for tag, quality in sorted(accept_language, key=lambda pair: -pair[1]):
        parts = tag.replace("_", "-").split("-")
        language = parts[0].lower()
        if quality <= 0 or language not in ("zh", "yue"):
            continue
        if language == "yue" or any(p.upper() in CANTONESE_REGIONS for p in parts[1:]):
            return "cantonese"
        if any(p.upper() in MANDARIN_REGIONS for p in parts[1:]):
            return "mandarin"
        break  # zh, zh-CN, zh-Hant, zh-Hans: the centre decides
    return centre_default if centre_default in ("mandarin", "cantonese") else "mandarin"


class UnknownVoice(ValueError):
    """A voice or speed the kiosk does not offer."""


def espeak_voice(speech: str) -> str:
    try:
        return VOICES[speech]
    except KeyError:
        raise UnknownVoice(f"no such speech {speech!r}; choose from {sorted(VOICES)}") from None


def words_per_minute(speed: str) -> int:
    try:
        return RATES[speed]
    except KeyError:
        raise UnknownVoice(f"no such speed {speed!r}; choose from {sorted(RATES)}") from None
