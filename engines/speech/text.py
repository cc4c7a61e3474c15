"""Text made ready to be spoken: what espeak-ng should and should not be given."""
from __future__ import annotations

import re
import unicodedata

MAX_CHARACTERS = 240  # about a minute of Chinese speech; longer text is cut at a sentence end
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;.])\s*")
_TICKET_WORDS = {"mandarin": "编号", "cantonese": "編號", "english": "Ticket number"}
_CODE_WORDS = {"mandarin": "查询码", "cantonese": "查詢碼", "english": "Check code"}


def speakable(text: str) -> str:
    """Normalised text without what a voice would stumble on.

    Emoji and other pictographs are dropped (espeak-ng would read their English names in the middle of
    Chinese), as are control and direction characters; whitespace collapses; very long text is cut at
    the last sentence end before :data:`MAX_CHARACTERS`.
    """
    text = unicodedata.normalize("NFKC", text or "")
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("So", "Sk", "Cs", "Co", "Cn") or (category.startswith("C") and char not in "\n\t"):
            kept.append(" ")
        elif char in "\u200d\ufe0f":
            continue
        else:
            kept.append(char)
    text = re.sub(r"\s+", " ", "".join(kept)).strip()
    if len(text) > MAX_CHARACTERS:
        cut = text[:MAX_CHARACTERS]
        ends = [m.end() for m in _SENTENCE_END.finditer(cut) if m.end() > MAX_CHARACTERS // 2]
        text = cut[: ends[-1]].strip() if ends else cut
    return text


def spell_ticket(ticket: str, speech: str, check_code: str = "") -> str:
    """A ticket read one character at a time ("A, 0, 4, 2, 7"), never as a number, with its words."""
    english = speech not in _TICKET_WORDS or speech == "english"
    words = "english" if english else speech
    separator, colon, stop = (", ", ": ", ". ") if english else ("，", "：", "。")
    parts = [_TICKET_WORDS[words] + colon + separator.join(ticket)]
    if check_code:
        parts.append(_CODE_WORDS[words] + colon + separator.join(check_code))
    return stop.join(parts)
