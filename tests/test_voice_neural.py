"""The neural Mandarin voice (Kokoro-82M, engines/speech/neural*.py) as installed by ``make voice``: its
weights refused when damaged, ``flask voice build`` rendering Mandarin prompts and clips with it, the
pages finding them, and a receipt assembled from its clips while the resident waits. How well it is
understood is judged by a listener nobody here trained: tests/test_voice_clarity.py."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
import time
import wave
from pathlib import Path

import pytest

from engines.speech import neural
from engines.speech.neural_install import KOKORO_JS, MODEL_FILE
from engines.speech.synthesiser import SpeechError

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(neural.installed() is None, reason="make voice installs the neural voice (make test does)")]
ROOT = Path(__file__).resolve().parent.parent
HOME = neural.default_home()


def seconds(path: Path) -> float:
    with wave.open(str(path)) as audio:
        assert audio.getframerate() == 24000 and audio.getnchannels() == 1 and audio.getsampwidth() == 2
        return audio.getnframes() / audio.getframerate()


def weights_with(tmp_path: Path, damaged: str) -> Path:
    """A copy of the voice's weights (links to the big files) with one file changed by a byte."""
    folder = tmp_path / "kokoro"
    shutil.copytree(HOME / "kokoro", folder, copy_function=lambda src, dst: Path(dst).symlink_to(src))
    target = folder / damaged
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.unlink()
    target.write_bytes(bytes(data))
    return folder


def test_the_neural_voice_speaks_mandarin_at_both_speeds(tmp_path):
    voice = neural.NeuralVoice()
    try:
        normal = voice.synthesize("请选择您要办理的服务。", "male", "normal", tmp_path / "n.wav")
        slow = voice.synthesize("请选择您要办理的服务。", "male", "slow", tmp_path / "s.wav")
        female = voice.synthesize("请选择您要办理的服务。", "female", "normal", tmp_path / "f.wav")
        assert 1.0 < seconds(normal) < 6.0 and seconds(slow) > seconds(normal) * 1.1
        assert seconds(female) > 1.0
        with pytest.raises(SpeechError, match="no such voice"):
            voice.synthesize("你好", "af_heart", "normal", tmp_path / "x.wav")
        pid = voice.synthesiser.pid
        threads = int(next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                           if line.startswith("Threads:")).split()[1])
        assert threads <= 3, f"one thread for the model (onnxruntime keeps its own idle one or two): {threads}"
    finally:
        voice.close()


def test_damaged_weights_are_refused_with_a_reason_not_spoken(tmp_path):
    """A flipped byte in the model stops the voice process before it loads (the kiosk then speaks with
    espeak-ng); in a voice, the job is refused and the process lives on."""
    voice = neural.NeuralVoice(data=weights_with(tmp_path / "m", MODEL_FILE))
    try:
        started = time.monotonic()
        with pytest.raises(SpeechError, match="damaged"):
            voice.synthesize("你好。", "male", "normal", tmp_path / "a.wav")
        assert time.monotonic() - started < 30  # said at once, not after a time-out
    finally:
        voice.close()
    voice = neural.NeuralVoice(data=weights_with(tmp_path / "v", "voices/zm_yunjian.bin"))
    try:
        with pytest.raises(SpeechError, match="zm_yunjian is damaged"):
            voice.synthesize("你好。", "male", "normal", tmp_path / "b.wav")
        assert seconds(voice.synthesize("你好。", "female", "normal", tmp_path / "c.wav")) > 0.3
    finally:
        voice.close()


def test_the_installer_refuses_a_tarball_that_is_not_the_published_one(tmp_path):
    """The voices come from npm's kokoro-js 1.2.1, checked against the registry's sha512 before anything
    is read from it; a changed tarball installs nothing and says why."""
    changed = tmp_path / KOKORO_JS
    with tarfile.open(changed, "w:gz") as archive:
        info = tarfile.TarInfo("package/voices/zm_yunjian.bin")
        info.size = 4
        archive.addfile(info, fileobj=__import__("io").BytesIO(b"evil"))
    folder = tmp_path / "kokoro"
    done = subprocess.run([str(HOME / "bin" / "python"), "-m", "engines.speech.neural_install", str(folder)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "KIOSK_KOKORO_JS_TARBALL": str(changed), "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1 and "integrity" in done.stderr, done.stderr
    assert not (folder / "manifest.json").exists()  # no manifest, no neural voice
    assert (folder / MODEL_FILE).exists()  # what was sound is kept for the next try


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A kiosk with the demo catalogue's first group and none of its services (the start, help and status
    pages), built by ``flask voice build`` with the neural voice (normal speed, Simplified pages) into a
    folder of its own; then one service offered, as a catalogue refreshed before the next night's build."""
    from core.actions.admin import load_catalogue
    from core.catalogue import DEMO_FILE
    from kiosk import create_app
    from kiosk.db import get_db
    from kiosk.voice_views import cache_for

    folder = tmp_path_factory.mktemp("neural")
    demo = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    import os
    os.environ["KIOSK_INSTANCE_PATH"] = str(folder / "instance")
    try:
        app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    finally:
        del os.environ["KIOSK_INSTANCE_PATH"]
    with app.app_context():
        load_catalogue(get_db(), {"groups": demo["groups"][:1], "services": []})
    public = cache_for(app, private=False)
    public.directory = folder / "audio"
    started = time.monotonic()
    from engines.speech import clips
    every_date_piece = clips.date_pieces
    with pytest.MonkeyPatch.context() as patch:  # the 156 date clips (test_voice_clips.py checks their list) are
        patch.setattr(clips, "date_pieces", lambda: every_date_piece()[:3])  # ~3 min of CPU: three of them here
        result = app.test_cli_runner().invoke(args=["voice", "build", "--speed", "normal", "--locale", "zh_Hans_CN"])
    took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    with app.app_context():  # a service offered after the build: its receipt's sentences have no clips yet
        load_catalogue(get_db(), {"groups": demo["groups"][:1], "services": demo["services"][:1]})
    yield app, public, result.output, took
    public.synthesiser.close()


def test_voice_build_speaks_mandarin_prompts_in_the_neural_voice(built):
    app, public, output, took = built
    assert "Mandarin in the neural voice (zm_yunjian)" in output, output
    made = re.search(r"(\d+) clips of the neural voice rendered", output)
    assert made and int(made.group(1)) >= 39, output  # every digit and letter (and the receipts' sentences)
    client = app.test_client()
    page = client.get("/status", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)  # unchanged since the build
    src = re.search(r'id="speech-audio"[^>]*src="([^"]+)"', page) or re.search(r'src="([^"]+)"[^>]*id="speech-audio"', page)
    assert src and src.group(1).startswith("/static/audio/"), page[:200]
    from engines.speech.page_text import page_text
    text = page_text(page, "mandarin")
    assert src.group(1).endswith(public.path(text, "mandarin", "normal", "male").name)  # the neural rendering
    key = client.get("/keyboard/say", query_string={"text": "1"})  # a key typed: its clip (1 is read 幺)
    from engines.speech.clip_store import ClipStore
    assert key.status_code == 200 and key.mimetype == "audio/wav" and key.headers["Cache-Control"] == "no-store"
    assert key.data == ClipStore(public, "zm_yunjian").find("幺", "normal").read_bytes()
    english = app.test_client().get("/status", headers={"Accept-Language": "en"})  # a new visit: English, espeak-ng's
    assert "/static/audio/" in english.get_data(as_text=True) or "/voice/" in english.get_data(as_text=True)


def test_a_receipt_is_assembled_from_the_clips_at_once(built):
    """The resident's ticket and check code read from the neural voice's clips; what has no clip (her
    answers, never pre-rendered; here the new service's sentences too) said by espeak-ng, counted in
    X-Speech-Plain, and not kept."""
    app, public, _, _ = built
    from core.catalogue import get_service, list_groups
    from kiosk.db import get_db
    from tests.flows import fill_service

    client = app.test_client()
    client.post("/language", data={"locale": "zh_Hans_CN"})
    with app.app_context():
        code = list_groups(get_db(), "zh_Hans_CN")[0]["services"][0].code
        service = get_service(get_db(), code, "zh_Hans_CN")
    fill_service(client, service)
    receipt = client.get(client.post("/request/check").headers["Location"]).get_data(as_text=True)
    ticket = re.search(r'id="ticket-number"[^>]*>([A-Z0-9]+)<', receipt).group(1)
    src = re.search(r'id="speech-audio"[^>]*src="([^"]+)"', receipt) or re.search(r'src="([^"]+)"[^>]*id="speech-audio"', receipt)
    assert src and src.group(1).startswith("/voice/"), "a receipt is never a static file"
    started = time.perf_counter()
    audio = client.get(src.group(1))
    took = time.perf_counter() - started
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    assert audio.headers["Cache-Control"] == "no-store" and int(audio.headers["X-Speech-Plain"]) >= 1
    with wave.open(__import__("io").BytesIO(audio.data)) as wav:
        assert wav.getframerate() == 24000 and wav.getnframes() / 24000 > 10
    assert took < 5.0, f"assembled in {took:.2f} s (bench/voice_clips.py measures the ticket alone)"
    assert ticket and not list((Path(app.instance_path) / "audio" / "plain").glob("*.wav"))  # her words not kept
    code = re.search(r'class="check-code"[^>]*>(\d{6})<', receipt).group(1)
    status = client.get(f"/status/{ticket}?c={code}", follow_redirects=True).get_data(as_text=True)
    src = re.search(r'id="speech-audio"[^>]*src="([^"]+)"', status)
    spoken = client.get(src.group(1))  # the status page spells the ticket: joined from clips as well
    assert spoken.status_code == 200 and spoken.mimetype == "audio/wav" and "X-Speech-Plain" in spoken.headers


def test_speech_modes_items_are_said_in_the_neural_voice(built):
    """Issue 24, found by a new user's walk: a blind resident's speech mode said every item in espeak-ng's
    Mandarin, of which the listener made nothing. Now each item of a page the build knows, the words items
    are said with, and the characters a ticket is spelled from are the natural voice's files."""
    import json as json_
    from engines.speech.clip_store import ClipStore
    from engines.speech.page_items import item_texts, text_hash

    app, public, _, _ = built
    page = app.test_client().get("/status", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)  # the box
    data = json_.loads(re.search(r'<script type="application/json" id="speech-items">(.*?)</script>', page).group(1))
    texts = item_texts(page)
    assert texts and all(data["items"][text_hash(text)].startswith("f") for text in texts), data["items"]
    for ref in list(data["items"].values()) + list(data["words"].values()):
        assert ref.startswith("f") and (public.directory / ref[1:]).is_file(), ref
    one = ClipStore(public, "zm_yunjian").find("幺", "normal")
    assert data["chars"]["1"] == "fclips/" + one.name  # 1 as a ticket's digit is read, 幺
    english = app.test_client().get("/status", headers={"Accept-Language": "en"}).get_data(as_text=True)
    refs = json_.loads(re.search(r'id="speech-items">(.*?)</script>', english).group(1))["items"].values()
    assert not any(ref.startswith("f") for ref in refs)  # English: espeak-ng's
