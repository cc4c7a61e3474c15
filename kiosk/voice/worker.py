"""Synthesis in one separate worker process, never in a request thread.

pyttsx3 2.99 is not thread-safe and can hang; its ``runAndWait`` may return before the file exists;
setting an unknown voice fails silently; its espeak driver prints to stdout. So: one child process
(``spawn``) owns the engine and takes one job at a time; each job is one ``save_to_file`` per
``runAndWait``, then a wait (bounded) for ``finished-utterance`` and a readable WAV; the voice is read
back after synthesis and a mismatch is an error, not a file in the wrong language; files appear
atomically (``os.replace``); the child's stdout and stderr go to /dev/null. A child speaks at one
rate for its life (espeak-ng does not reliably take a rate change later); the parent starts a new one
for another rate. The parent kills and restarts the child after a timeout or a crash, and retries a
job once if the child died under it.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import threading
import time
import wave
from pathlib import Path


class SpeechError(RuntimeError):
    """Synthesis failed; the message says why."""


class SpeechTimeout(SpeechError):
    """The worker took too long and was restarted."""


def _child(jobs, results, rate: int) -> None:  # runs in the worker process; one speaking rate for its life
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    import ctypes

    import pyttsx3
    from pyttsx3.drivers import _espeak

    engine = pyttsx3.init("espeak")
    get_parameter = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int)(("espeak_GetParameter", _espeak.dll))

    def current_rate() -> int:
        return get_parameter(_espeak.RATE, 1)  # 1: the value in use, not the default

    driver = engine.proxy._driver
    driver.setProperty("rate", rate)  # before any voice is loaded: loading a voice is what applies it

    finished: list[bool] = []
    engine.connect("finished-utterance", lambda name, completed: finished.append(completed))
    results.put((0, "ready", os.getpid()))  # starting counts against its own limit, not the first job's
    while True:
        job = jobs.get()
        if job is None:
            return
        job_id, text, voice, job_rate, out = job
        tmp = f"{out}.{os.getpid()}.tmp"
        try:
            # pyttsx3 queues setProperty until its loop runs (and a loop with nothing to say can hang),
            # ignores an unknown voice silently, and declares espeak_GetParameter without its second
            # argument, so its rate read-back is garbage; and espeak-ng takes a new rate only when a
            # voice is loaded, not reliably on a change afterwards. So each worker process keeps one
            # rate for its life (set before the first voice), the voice goes straight to the espeak
            # driver (pyttsx3 is pinned at 2.99; tests/test_voice.py fails if this moves), and both
            # are read back properly before speaking.
            if job_rate != rate:
                raise SpeechError(f"this worker speaks at {rate}, not {job_rate}")
            # Set the rate again before each voice load, and again if it did not take: a worker was
            # seen (a few times in a hundred, more under load) reading back espeak-ng's default 175 or
            # pyttsx3's 200 right after setting it.
            for _attempt in range(5):
                driver.setProperty("rate", rate)
                driver.setProperty("voice", voice)
                if driver.getProperty("voice") != voice:
                    raise SpeechError(f"espeak-ng has no voice {voice!r}")
                if current_rate() == rate:
                    break
                time.sleep(0.02)
            if current_rate() != rate:
                raise SpeechError(f"espeak-ng did not take the rate {rate} (it reports {current_rate()})")
            # espeak-ng synthesises on its own thread (pyttsx3 asks for AUDIO_OUTPUT_RETRIEVAL) and
            # pyttsx3's loop returns before it is done; a previous utterance still ending there was
            # seen (about once in a few hundred jobs, under load) to write this job's file a second
            # time, empty. So wait until espeak-ng is idle before and after, and try once more.
            for _try in (1, 2):
                _espeak.Synchronize()
                driver._stopping = False
                before = len(finished)
                engine.save_to_file(text, tmp)
                engine.runAndWait()
                deadline = time.monotonic() + 8.0
                while time.monotonic() < deadline and (len(finished) == before or not _readable(tmp)):
                    time.sleep(0.01)
                _espeak.Synchronize()
                if _readable(tmp):
                    break
            else:
                raise SpeechError("no audio was written")
            os.replace(tmp, out)
            results.put((job_id, "ok", out))
        except Exception as exc:  # report, and stay alive for the next job
            if os.path.exists(tmp):
                os.remove(tmp)
            results.put((job_id, "error", f"{exc}"))


def _readable(path: str) -> bool:
    try:
        with wave.open(path) as audio:
            return audio.getnframes() > 0
    except (OSError, EOFError, wave.Error):
        return False


class SpeechWorker:
    """The parent's handle on the worker process. Thread-safe: jobs are serialised."""

    def __init__(self, timeout: float = 10.0, startup_timeout: float = 30.0):
        self.timeout = timeout
        # A fresh child imports pyttsx3 and loads espeak-ng before its first job: a second on a quiet
        # box, many more on one busy with something else.
        self.startup_timeout = startup_timeout
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._process = None
        self._rate: int | None = None
        self._jobs = self._results = None
        self.last_heard: float | None = None    # Unix time of the last audio it made (the health page)
        self.last_failure: float | None = None  # … and of the last job that failed, with what it said
        self.failure = ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether its process is alive now (it is started on first use, and again after a hang)."""
        process = self._process
        return process is not None and process.is_alive()

    def _start(self, rate: int) -> None:
        self._jobs, self._results = self._context.Queue(), self._context.Queue()
        self._process = self._context.Process(target=_child, args=(self._jobs, self._results, rate), daemon=True,
                                              name="kiosk-speech")
        self._process.start()
        self._rate = rate

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(timeout=5)
            self._process = None

    def synthesize(self, text: str, voice: str, rate: int, out: Path) -> Path:
        """Write ``text`` spoken by ``voice`` at ``rate`` to the WAV file ``out``; return ``out``."""
        try:
            made = self._synthesize(text, voice, rate, out)
        except SpeechError as exc:
            self.last_failure, self.failure = time.time(), str(exc)
            raise
        self.last_heard = time.time()
        return made

    def _synthesize(self, text: str, voice: str, rate: int, out: Path) -> Path:
        if not self._lock.acquire(timeout=self.timeout * 3):
            raise SpeechTimeout("the speech worker is busy")
        try:
            for attempt in (1, 2):
                if self._process is not None and self._rate != rate:
                    self.close_process()  # a new speaking rate needs a fresh engine
                allowance = 0.0
                if self._process is None or not self._process.is_alive():
                    self._start(rate)
                    allowance = self.startup_timeout
                job_id = next(self._ids)
                self._jobs.put((job_id, text, voice, rate, str(out)))
                deadline = time.monotonic() + self.timeout + allowance
                while True:
                    try:
                        got_id, status, payload = self._results.get(timeout=0.05)
                    except queue.Empty:
                        if not self._process.is_alive():
                            break  # died under this job: start again and retry once
                        if time.monotonic() > deadline:
                            self._stop()
                            raise SpeechTimeout(f"no audio after {self.timeout:.0f} s; the speech worker was restarted")
                        continue
                    if status == "ready":
                        deadline = time.monotonic() + self.timeout  # started: the job's own time begins
                        continue
                    if got_id != job_id:
                        continue  # a late answer to an abandoned job
                    if status == "error":
                        raise SpeechError(payload)
                    return Path(payload)
                self._process = None
            raise SpeechError("the speech worker stopped twice while speaking")
        finally:
            self._lock.release()

    def close_process(self) -> None:
        """Ask the worker process to end, and make sure it did (the caller holds the lock)."""
        if self._process is not None and self._process.is_alive():
            self._jobs.put(None)
            self._process.join(timeout=5)
        self._stop()

    def close(self) -> None:
        with self._lock:
            self.close_process()
