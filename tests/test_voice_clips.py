"""Tickets and check codes assembled from clips, with real espeak-ng audio: one clip per character, a real
pause between every character (repeated digits included), clear failures the caller falls back on; and
the receipt's words cut into parts without spelling its label."""
import io
import time
import wave

import pytest

from core.tickets import LETTERS
from engines.speech import clips
from engines.speech.clips import ClipFormatError, MissingClip, assemble, missing, pieces_for, ticket_parts
from engines.speech.page_text import Spell, Words, page_parts, page_text
from engines.speech.synthesiser import Synthesiser
from engines.speech.voices import RATES, espeak_voice

pytestmark = pytest.mark.slow
RATE = 22050  # espeak-ng's


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every Mandarin piece, rendered once by the kiosk's own synthesiser (as ``voice build`` would)."""
    directory = tmp_path_factory.mktemp("clips")
    synthesiser = Synthesiser(timeout=10)
    try:
        files = {text: synthesiser.synthesize(text, espeak_voice("mandarin"), RATES["normal"], directory / f"{n}.wav")
                 for n, text in enumerate(pieces_for("mandarin"))}
    finally:
        synthesiser.close()
    return files


def samples(data: bytes) -> tuple[list[int], int]:
    with wave.open(io.BytesIO(data)) as audio:
        assert audio.getnchannels() == 1 and audio.getsampwidth() == 2
        frames = audio.readframes(audio.getnframes())
        return [int.from_bytes(frames[i:i + 2], "little", signed=True) for i in range(0, len(frames), 2)], audio.getframerate()


def runs(values: list[int], rate: int, zero: bool, shortest: float) -> list[tuple[int, int]]:
    """(start, end) of every run of exact-zero samples (or of sound between them) at least ``shortest`` s long."""
    found, start = [], None
    for i, value in enumerate(values + [1 if zero else 0]):
        if (value == 0) == zero:
            start = i if start is None else start
        elif start is not None:
            if i - start >= shortest * rate:
                found.append((start, i))
            start = None
    return found


def clip_seconds(path) -> float:
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


def test_ticket_and_code_are_clips_with_real_pauses_between_every_character(rendered):
    parts = ticket_parts("A0001", "mandarin", "000100")
    assert parts == [Words("编号"), Spell("A0001"), Words("查询码"), Spell("000100")]
    values, rate = samples(assemble(parts, rendered.get, RATE))
    assert rate == RATE
    pauses = runs(values, rate, zero=True, shortest=0.2)
    # 编号 · A · 0 · 0 · 0 · 1 ·· 查询码 · 0 · 0 · 0 · 1 · 0 · 0: the repeated zeros are three clips, not one
    wanted = [clips.SPELL_PAUSE] * 5 + [clips.SENTENCE_PAUSE] + [clips.SPELL_PAUSE] * 6
    heard = [(end - start) / rate for start, end in pauses]
    assert len(heard) == len(wanted), heard
    for got, want in zip(heard, wanted):
        assert want <= got < want + 2 * clips.MARGIN + 0.01  # the pause, and at most the clips' kept margins
    spoken = [values[s:e] for s, e in zip([0] + [e for _, e in pauses], [s for s, _ in pauses] + [len(values)])]
    assert len(spoken) == 13 and all(max(abs(v) for v in piece) > 3000 for piece in spoken)  # each is a voice
    texts = ["编号", "诶", "零", "零", "零", "幺", "查询码", "零", "零", "零", "幺", "零", "零"]
    for piece, text in zip(spoken, texts):  # each clip, its silent ends cut: never longer than the file
        assert 0.1 < len(piece) / rate <= clip_seconds(rendered[text])
    total = len(values) / rate
    assert sum(wanted) + 13 * 0.1 < total < sum(wanted) + sum(clip_seconds(rendered[t]) for t in texts)
    assert pauses[0][0] < 1.5 * rate and pauses[-1][1] > len(values) - 0.8 * rate  # no pause before or after


def test_a_separator_in_a_telephone_number_is_a_longer_pause(rendered):
    values, rate = samples(assemble([Words("电话"), Spell("0755-12")], rendered.get, RATE))
    heard = [round((end - start) / rate, 1) for start, end in runs(values, rate, zero=True, shortest=0.2)]
    assert heard == [0.3, 0.3, 0.3, 0.3, 0.5, 0.3]


def test_a_missing_clip_or_a_clip_unlike_the_others_is_a_clear_fallback(rendered, tmp_path):
    parts = ticket_parts("E0017", "mandarin", "123456")
    without_one = {text: path for text, path in rendered.items() if text != "七"}
    with pytest.raises(MissingClip) as failure:
        assemble(parts, without_one.get, RATE)
    assert failure.value.text == "七"
    assert missing(parts, without_one.get) == ["七"] and missing(parts, rendered.get) == []
    page = [Words("您的编号。"), Spell("E0017")]  # a page sentence no build rendered
    with pytest.raises(MissingClip, match="您的编号"):
        assemble(page, rendered.get, RATE)
    with pytest.raises(ClipFormatError, match="22050 Hz, not 24000 Hz"):
        assemble(parts, rendered.get, 24000)  # a neural voice's clips beside espeak-ng's: never mixed
    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as audio:
        audio.setnchannels(2), audio.setsampwidth(2), audio.setframerate(RATE), audio.writeframes(bytes(400))
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not a wave")
    for bad in (stereo, broken):
        with pytest.raises(ClipFormatError):
            assemble(parts, {**rendered, "幺": bad}.get, RATE)
    assert issubclass(MissingClip, clips.ClipsUnavailable) and issubclass(ClipFormatError, clips.ClipsUnavailable)


def test_a_receipt_is_assembled_well_within_200_ms(rendered):
    parts = [Words("编号"), Spell("AC0427"), Words("查询码"), Spell("038615"), Words("电话"), Spell("0755-12345678")]
    assemble(parts, rendered.get, RATE)
    took = []
    for _ in range(5):
        start = time.perf_counter()
        assemble(parts, rendered.get, RATE)
        took.append(time.perf_counter() - start)
    assert min(took) < 0.2, took


def test_every_ticket_a_kiosk_gives_can_be_assembled_and_sounds_apart():
    pieces = pieces_for("mandarin")
    for character in LETTERS + "0123456789":
        assert clips.piece_for(character, "mandarin") in pieces
    assert clips.piece_for("1", "mandarin") == "幺" != clips.piece_for("E", "mandarin")  # E (伊) and 1 never alike
    spoken = [clips.piece_for(c, "mandarin") for c in LETTERS + "0123456789"]
    assert len(set(spoken)) == len(spoken)
    assert {"编号", "查询码", "电话"} <= set(pieces)
    assert {"零", "一", "七", "A", "E"} <= set(pieces_for("cantonese")) and "one" in pieces_for("english")
    assert clips.needed(ticket_parts("A0011", "mandarin"), "mandarin") == ["编号", "诶", "零", "幺"]
    with pytest.raises(ValueError):
        pieces_for("klingon")


def test_letter_phonemes_hook(monkeypatch):
    assert clips.phonemes_for("诶", "mandarin") == "ˈA."  # the neural voice says the letter's name
    assert clips.phonemes_for("零", "mandarin") is None
    monkeypatch.setattr(clips, "letter_phonemes", {"A": "ˈeɪ"})
    assert clips.phonemes_for("诶", "mandarin") == "ˈeɪ" and clips.phonemes_for("零", "mandarin") is None


def test_receipt_parts_spell_the_ticket_and_code_but_not_their_labels(app, client):
    from .flows import confirm, fill_service
    from core.catalogue import get_service
    from kiosk.db import get_db

    client.post("/language", data={"locale": "zh_Hans_CN"})
    with app.app_context():
        fill_service(client, get_service(get_db(), "repairs", "zh_Hans_CN"))
    ticket, code = confirm(client)
    html = client.get(f"/receipt/{ticket}").get_data(as_text=True)
    text = page_text(html, "mandarin")
    assert "查，询，码" not in text  # the label was spelled with the code
    assert f"您的编号。 {'，'.join(ticket)}。 查询码 {'，'.join(code)}。" in text
    parts = page_parts(html, "mandarin")
    at = parts.index(Spell(ticket))
    assert parts[at - 1:at + 3] == [Words("您的编号。"), Spell(ticket), Words("查询码"), Spell(code)]
    assert all(p.text.strip() == p.text and p.text for p in parts if isinstance(p, Words))
    # the status page's heading spells the ticket too (it was read as a number: "A零零一二")
    status = client.get(f"/status/{ticket}?c={code}", follow_redirects=True).get_data(as_text=True)
    assert Spell(ticket) in page_parts(status, "mandarin") and f"编号 {'，'.join(ticket)} 的办理进度" in page_text(status, "mandarin")


def test_dates_are_said_from_clips_every_minute_of_every_day_covered():
    """A date as the pages show it (Simplified and Traditional) becomes the clips it is said from; every
    minute of every day in the years a box will serve is covered by date_pieces (what voice build makes)."""
    import random
    from datetime import datetime, timedelta

    from babel.dates import format_datetime

    assert clips.number_words(12) == "十二" and clips.number_words(20) == "二十" and clips.number_words(5) == "五"
    said = clips.with_dates([Words("养老待遇资格认证 · 2026年12月8日 01:12:14。"), Spell("A0001")])
    assert said == [Words("养老待遇资格认证"), Words("二零二六年"), Words("十二月"), Words("八号"), Words("一点"),
                    Words("十二分"), Spell("A0001")]
    assert clips.with_dates([Words("2026年1月2日 下午2:00:00。")])[3:] == [Words("下午"), Words("两点"), Words("整")]
    assert clips.with_dates([Words("1999年1月1日 08:00:00。")]) == [Words("1999年1月1日 08:00:00")]  # espeak-ng's
    pieces, rng = set(clips.date_pieces()), random.Random(22)
    for _ in range(400):
        when = datetime(2024, 1, 1) + timedelta(minutes=rng.randrange(17 * 365 * 24 * 60))
        for locale in ("zh_Hans_CN", "zh_Hant_TW"):
            words = clips.with_dates([Words(format_datetime(when, "medium", locale=locale) + "。")])
            assert all(w.text in pieces for w in words), (when, locale, words)
