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
#: The speech a page's language gets unless the resident chooses otherwise.
DEFAULT_SPEECH = {"zh_Hans_CN": "mandarin", "zh_Hant_TW": "cantonese", "en": "english"}


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
