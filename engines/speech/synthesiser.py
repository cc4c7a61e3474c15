"""Synthesis in one separate child process, never in a request thread.

pyttsx3 2.99 is not thread-safe and can hang; its ``runAndWait`` may return before the file exists;
setting an unknown voice fails silently; its espeak driver prints to stdout. So: one child process
(:mod:`engines.speech.speaker`, started with :mod:`subprocess` and spoken to over two pipes: no
multiprocessing, so no resource-tracker process beside it) owns the engine and takes one job at a
time; each job is one ``save_to_file`` per ``runAndWait``, then a wait (bounded) for ``finished-utterance`` and a readable WAV; the voice is read
back after synthesis and a mismatch is an error, not a file in the wrong language; files appear
atomically (``os.replace``); the child's stdout and stderr go to /dev/null. A child speaks at one
rate for its life (espeak-ng does not reliably take a rate change later); the parent starts a new one
for another rate. The parent kills and restarts the child after a timeout or a crash, and retries a
job once if the child died under it. The child ends by itself when the web process goes away (end of
file on its jobs pipe), however that died.
"""
from __future__ import annotations

import atexit
import itertools
import os
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

from .speaker import Messages, send

_ROOT = Path(__file__).resolve().parent.parent.parent  # where ``kiosk`` is, for the child's ``-m``
_LIVE: "weakref.WeakSet[Synthesiser]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:  # as multiprocessing did for a daemon child: none outlives a clean exit
    for synthesiser in list(_LIVE):
        synthesiser._stop()


class SpeechError(RuntimeError):
    """Synthesis failed; the message says why."""


class SpeechTimeout(SpeechError):
    """The child process took too long and was restarted."""


class Synthesiser:
    """The parent's handle on the child process. Thread-safe: jobs are serialised."""

    def __init__(self, timeout: float = 10.0, startup_timeout: float = 30.0, command=None, env: dict | None = None,
                 rate_per_process: bool = True):
        """``command(rate)``: the child's command line before its two pipe numbers (default: espeak-ng's
        :mod:`~engines.speech.speaker` at that rate); ``rate_per_process``: whether a new rate needs a new
        child (espeak-ng's does; the neural voice takes a speed per job)."""
        self.timeout = timeout
        self.command = command or (lambda rate: [sys.executable, "-m", "engines.speech.speaker", str(rate)])
        self.env = env or {}
        self.rate_per_process = rate_per_process
        # A fresh child imports pyttsx3 and loads espeak-ng before its first job: a second on a quiet
        # box, many more on one busy with something else.
        self.startup_timeout = startup_timeout
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._process = None
        self._rate: int | None = None
        self._jobs: int | None = None  # the parent's ends of the two pipes
        self._results: Messages | None = None
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
        return process is not None and process.poll() is None

    def _start(self, rate: int) -> None:
        jobs_read, jobs_write = os.pipe()
        results_read, results_write = os.pipe()
        env = {**os.environ, **self.env,
               "PYTHONPATH": os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH")) if p)}
        try:
            self._process = subprocess.Popen(
                [*self.command(rate), str(jobs_read), str(results_write)],
                pass_fds=(jobs_read, results_write), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=env)
        except BaseException:
            for fd in (jobs_read, jobs_write, results_read, results_write):
                os.close(fd)
            raise
        os.close(jobs_read)  # the child's ends: held by the child alone, so its end is our end of file
        os.close(results_write)
        self._jobs, self._results = jobs_write, Messages(results_read)
        self._rate = rate
        _LIVE.add(self)

    def _close_pipes(self) -> None:
        if self._jobs is not None:
            os.close(self._jobs)
            self._jobs = None
        if self._results is not None:
            os.close(self._results.fd)
            self._results = None

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._process = None
        self._close_pipes()
        _LIVE.discard(self)

    def _gone(self) -> None:
        """The child died by itself: reap it and let go of its pipes."""
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:  # closed its pipe but lingers: not ours to wait for
                self._process.kill()
                self._process.wait(timeout=5)
            self._process = None
        self._close_pipes()
        _LIVE.discard(self)

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
            raise SpeechTimeout("the speech process is busy")
        try:
            for attempt in (1, 2):
                if self._process is not None and self._rate != rate and self.rate_per_process:
                    self.close_process()  # a new speaking rate needs a fresh engine
                allowance = 0.0
                if self._process is None or self._process.poll() is not None:
                    self._gone()
                    self._start(rate)
                    allowance = self.startup_timeout
                job_id = next(self._ids)
                try:
                    send(self._jobs, [job_id, text, voice, rate, str(out)])
                except BrokenPipeError:
                    self._gone()  # died before this job: start again and retry once
                    continue
                deadline = time.monotonic() + self.timeout + allowance
                while True:
                    try:
                        got_id, status, payload = self._results.get(timeout=0.05)
                    except EOFError:
                        break  # died under this job: start again and retry once
                    except TimeoutError:
                        if self._process.poll() is not None:
                            break  # died under this job: start again and retry once
                        if time.monotonic() > deadline:
                            self._stop()
                            raise SpeechTimeout(f"no audio after {self.timeout:.0f} s; the speech process was restarted")
                        continue
                    if got_id == 0 and status == "error":  # it could not start (damaged weights): say why
                        self._gone()
                        raise SpeechError(payload)
                    if status == "ready":
                        deadline = time.monotonic() + self.timeout  # started: the job's own time begins
                        continue
                    if got_id != job_id:
                        continue  # a late answer to an abandoned job
                    if status == "error":
                        raise SpeechError(payload)
                    return Path(payload)
                self._gone()
            raise SpeechError("the speech process stopped twice while speaking")
        finally:
            self._lock.release()

    def close_process(self) -> None:
        """Ask the child process to end, and make sure it did (the caller holds the lock)."""
        if self._process is not None and self._process.poll() is None:
            try:
                send(self._jobs, None)
                self._process.wait(timeout=5)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def close(self) -> None:
        with self._lock:
            self.close_process()
