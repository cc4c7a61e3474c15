"""The voice engine with real espeak-ng audio: Mandarin that is Mandarin, Cantonese, English; ticket
numbers spelled; a cache keyed by inputs; a synthesiser that survives being killed, hung or flooded."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import wave

import pytest

from engines.speech.cache import SpeechCache
from engines.speech.text import MAX_CHARACTERS, speakable, spell_ticket
from engines.speech.voices import VOICES, UnknownVoice, espeak_voice
from engines.speech.synthesiser import SpeechError, Synthesiser

pytestmark = pytest.mark.slow


def phonemes(text: str, voice: str) -> str:
    return subprocess.run(["espeak-ng", "-q", "-x", "-v", voice, text], capture_output=True, text=True, check=True).stdout


def duration(path) -> float:
    """Seconds of audio in a WAV, or in an Ogg Opus file decoded back to WAV by opusdec."""
    path = str(path)
    if path.endswith(".opus"):
        with open(path, "rb") as f:
            assert f.read(4) == b"OggS"
        decoded = path + ".check.wav"
        subprocess.run(["opusdec", "--quiet", "--rate", "22050", path, decoded], check=True, capture_output=True)
        try:
            return duration(decoded)
        finally:
            os.remove(decoded)
    with wave.open(path) as audio:
        assert audio.getnchannels() == 1 and audio.getsampwidth() == 2 and audio.getframerate() == 22050
        return audio.getnframes() / audio.getframerate()


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    speech = SpeechCache(tmp_path_factory.mktemp("audio"), Synthesiser(timeout=5))
    yield speech
    speech.synthesiser.close()


def test_mandarin_voice_speaks_mandarin_not_english_letter_names():
    sentence = "您需要办什么事？请慢慢来。"
    ours = phonemes(sentence, espeak_voice("mandarin"))
    assert "(en)" not in ours and not re.search(r"f'aI|v\(|t'u:|T'ri:", ours)  # no "five", "two", "three"
    assert re.search(r"[a-zA-Z']+\d\d", ours)  # tone numbers: Mandarin phonemes
    plain_cmn = phonemes(sentence, "sit/cmn")
    assert "(en)" in plain_cmn  # Debian's sit/cmn switches to English for pinyin: the trap this avoids


def test_ticket_numbers_are_read_character_by_character():
    text = spell_ticket("A0427", "mandarin", "3861")
    assert text == "编号：A，0，4，2，7。查询码：3，8，6，1"
    spoken = phonemes(text, espeak_voice("mandarin"))
    assert "p'aI" not in spoken and "pai" not in spoken.lower()  # no 百 (hundred)
    assert spell_ticket("C0001", "english") == "Ticket number: C, 0, 0, 0, 1"
    assert spell_ticket("C0001", "cantonese").startswith("編號：C，0")
    english = phonemes(spell_ticket("A0427", "english"), espeak_voice("english"))
    assert "h'Vndr" not in english  # never "four hundred and twenty-seven"


@pytest.mark.parametrize("speech, text", [("mandarin", "您需要办什么事？"), ("cantonese", "您需要辦什麼事？"),
                                          ("english", "What do you need help with?")])
def test_real_audio_in_each_voice(cache, speech, text):
    short = duration(cache.get(text, speech))
    longer = duration(cache.get(text + " " + text + " " + text, speech))
    assert 0.3 < short < 8 and longer > short * 2


def test_slow_speed_is_slower_and_cached_separately(cache):
    text = "请到服务台找工作人员。"
    normal, slow = cache.get(text, "mandarin", "normal"), cache.get(text, "mandarin", "slow")
    assert normal != slow and duration(slow) > duration(normal) * 1.15


def test_cache_is_keyed_by_inputs_and_reused(cache):
    first = cache.get("回到首页", "mandarin")
    stamp = first.stat().st_mtime_ns
    again = cache.get("回到首页  ", "mandarin")  # the same words after normalising
    assert again == first and again.stat().st_mtime_ns == stamp
    assert cache.key("回到首页", "mandarin", "normal") != cache.key("回到首页", "cantonese", "normal")


def test_bad_input_gets_a_clear_fallback(cache):
    assert speakable("🔧🔧 楼道灯\x00坏了 👨‍👩‍👧") == "楼道灯 坏了"
    long_text = "这是一句很长的话。" * 200
    assert len(speakable(long_text)) <= MAX_CHARACTERS and speakable(long_text).endswith("。")
    assert duration(cache.get(long_text, "mandarin")) < 90
    with pytest.raises(SpeechError, match="nothing to say"):
        cache.get("🔧🔧", "mandarin")
    with pytest.raises(UnknownVoice):
        cache.get("你好", "klingon")
    with pytest.raises(UnknownVoice):
        cache.get("你好", "mandarin", "very-fast")


@pytest.fixture
def own_synthesiser():
    """Workers of a test's own (these tests kill, stop or confuse them), closed afterwards."""
    made = []

    def make(timeout: float = 5.0) -> Synthesiser:
        made.append(Synthesiser(timeout=timeout))
        return made[-1]

    yield make
    for synthesiser in made:
        synthesiser.close()


def say(synthesiser: Synthesiser, text: str, path, voice: str = VOICES["mandarin"]):
    return synthesiser.synthesize(text, voice, 150, path)


def test_a_voice_espeak_does_not_have_is_an_error_not_english(own_synthesiser, tmp_path):
    synthesiser = own_synthesiser()
    with pytest.raises(SpeechError, match="no voice"):
        say(synthesiser, "你好", tmp_path / "x.wav", voice="sit/cmn-Latn-pinyin")  # not the exact id pyttsx3 reports
    assert not (tmp_path / "x.wav").exists()
    assert duration(say(synthesiser, "你好", tmp_path / "y.wav")) > 0.3


def test_synthesiser_killed_mid_job_then_the_next_request_succeeds(own_synthesiser, tmp_path):
    synthesiser = own_synthesiser()
    say(synthesiser, "你好", tmp_path / "warm.wav")
    threading.Timer(0.01, lambda: os.kill(synthesiser.pid, signal.SIGKILL)).start()
    assert duration(say(synthesiser, "这句话比较长，" * 30, tmp_path / "during.wav")) > 1  # retried in a fresh synthesiser
    assert duration(say(synthesiser, "你好", tmp_path / "after.wav")) > 0.3


def test_hung_synthesiser_times_out_and_is_replaced(own_synthesiser, tmp_path):
    synthesiser = own_synthesiser(timeout=1.5)
    say(synthesiser, "你好", tmp_path / "warm.wav")
    hung = synthesiser.pid
    os.kill(hung, signal.SIGSTOP)  # a real hang: the process stops answering
    start = time.monotonic()
    with pytest.raises(SpeechError, match="restarted"):
        say(synthesiser, "你好吗", tmp_path / "hung.wav")
    assert time.monotonic() - start < 5
    assert duration(say(synthesiser, "你好吗", tmp_path / "next.wav")) > 0.3
    assert synthesiser.pid != hung


def test_a_slow_start_is_not_a_hang(own_synthesiser, tmp_path):
    """A box busy with something else may take seconds to start the child: its first job still speaks."""
    synthesiser = own_synthesiser(timeout=1.5)
    done = []
    job = threading.Thread(target=lambda: done.append(say(synthesiser, "你好", tmp_path / "first.wav")))
    job.start()
    for _ in range(500):  # bounded: the child is spawned within moments
        if synthesiser.pid:
            break
        time.sleep(0.002)
    child = synthesiser.pid
    os.kill(child, signal.SIGSTOP)  # still importing pyttsx3: held for twice the job's limit
    time.sleep(3)
    os.kill(child, signal.SIGCONT)
    job.join(timeout=30)
    assert done and duration(done[0]) > 0.3


def test_twenty_concurrent_requests_for_new_audio(cache):
    results, errors = {}, []

    def ask(i):
        try:
            results[i] = cache.get(f"第{i}号，请到{i}号窗口。", "mandarin")
        except Exception as exc:  # collected, so a failure names itself
            errors.append(exc)

    start = time.monotonic()
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(set(results.values())) == 20
    assert all(duration(p) > 0.5 for p in results.values())
    assert time.monotonic() - start < 30


def test_driver_output_does_not_leak_into_ours(tmp_path):
    code = ("from engines.speech.synthesiser import Synthesiser\nfrom pathlib import Path\n"
            "if __name__ == '__main__':\n    w = Synthesiser()\n"
            f"    w.synthesize('你好', 'sit/cmn-latn-pinyin', 150, Path({str(tmp_path / 'q.wav')!r}))\n    w.close()\n")
    script = tmp_path / "speak.py"
    script.write_text(code)
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                         cwd=os.path.dirname(os.path.dirname(__file__)), env={**os.environ, "PYTHONPATH": "."})
    assert run.returncode == 0, run.stderr
    assert "Audio saved" not in run.stdout + run.stderr and run.stdout == ""


def test_voice_build_goes_on_past_a_failed_prompt_and_a_second_run_makes_it(tmp_path, monkeypatch):
    """``flask voice build`` (kiosk-voice.service) on a slow box: one prompt that cannot be made (here the
    second call of opusenc fails) is reported and skipped, the others are made, the run says it failed (so
    its unit tries again) and the next run makes only what is missing."""
    from core.catalogue import DEMO_FILE
    from core.actions.admin import load_catalogue
    from kiosk import create_app
    from kiosk.db import get_db
    from kiosk.voice_views import cache_for

    demo = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    small = {"groups": demo["groups"][:1], "services": []}  # the start, help and status pages: a short build
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("KIOSK_VOICE_HOME", str(tmp_path / "no-neural-voice"))  # espeak-ng's build (test_voice_neural.py: the other)
    app = create_app({"TESTING": True})
    with app.app_context():
        load_catalogue(get_db(), small)
    public = cache_for(app, private=False)
    if public.suffix != ".opus":
        pytest.skip("the pre-rendered audio is not compressed here")
    public.directory = tmp_path / "audio"
    calls = tmp_path / "opusenc-calls"
    shim = tmp_path / "bin" / "opusenc"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\necho x >> {calls}\n[ "$(wc -l < {calls})" -eq 2 ] && exit 1\n'
                    f'exec {shutil.which("opusenc")} "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}:{os.environ['PATH']}")
    runner = app.test_cli_runner()
    try:
        first = runner.invoke(args=["voice", "build", "--speed", "normal"])
        made = sorted(public.directory.glob("*.opus"))
        assert first.exit_code == 1, first.output
        assert "1 failed" in first.output and "not rendered" in first.output
        assert len(made) == len(calls.read_text().splitlines()) - 1 >= 3  # all but the failed one were kept
        assert not list(public.directory.glob("*.part")) and not list(public.directory.glob("*.wav"))

        second = runner.invoke(args=["voice", "build", "--speed", "normal"])
        assert second.exit_code == 0, second.output
        assert " 0 failed" in second.output
        rendered = int(re.search(r"(\d+) prompts rendered", second.output).group(1))
        assert rendered <= 1 and len(list(public.directory.glob("*.opus"))) == len(made) + rendered
    finally:
        public.synthesiser.close()


def speaking_script(tmp_path, after: str) -> subprocess.CompletedProcess:
    """A process of its own (no test runner's children around) that speaks once, then runs ``after``."""
    code = ("import os, sys\nfrom pathlib import Path\nfrom engines.speech.synthesiser import Synthesiser\n"
            "w = Synthesiser()\n"
            f"w.synthesize('你好', 'sit/cmn-latn-pinyin', 150, Path({str(tmp_path / 'q.wav')!r}))\n"
            "def children():\n"
            "    return [int(k) for t in os.listdir(f'/proc/{os.getpid()}/task')\n"
            "            for k in Path(f'/proc/{os.getpid()}/task/{t}/children').read_text().split()]\n"
            + after)
    script = tmp_path / "speak.py"
    script.write_text(code)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          cwd=os.path.dirname(os.path.dirname(__file__)), env={**os.environ, "PYTHONPATH": "."})


def test_the_speech_process_is_one_plain_child_with_no_resource_tracker(tmp_path):
    """Started with subprocess, not multiprocessing: no resource-tracker process (12 MB RSS) beside it."""
    run = speaking_script(tmp_path, (
        "import json\n"
        "print(json.dumps({'multiprocessing': 'multiprocessing' in sys.modules,\n"
        "                  'children': [Path(f'/proc/{k}/cmdline').read_bytes().decode().split('\\0') for k in children()]}))\n"
        "w.close()\n"))
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    assert len(found["children"]) == 1, found["children"]
    assert found["children"][0][1:4] == ["-m", "engines.speech.speaker", "150"]
    assert not found["multiprocessing"]


def test_the_speech_process_ends_when_its_parent_is_killed(tmp_path):
    """However the web process dies (here SIGKILL: no atexit, nothing cleaned up), its speech process goes too."""
    run = speaking_script(tmp_path, "print(children()[0], flush=True)\nos.kill(os.getpid(), 9)\n")
    assert run.returncode == -signal.SIGKILL
    child = int(run.stdout)
    for _ in range(100):  # bounded: end of file on its jobs pipe is immediate
        try:
            state = open(f"/proc/{child}/stat").read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state == "Z":  # ended, waiting for init to reap it
            return
        time.sleep(0.05)
    pytest.fail(f"the speech process {child} outlived its parent")
