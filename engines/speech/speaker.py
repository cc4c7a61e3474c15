"""The speech process's process: ``python -m engines.speech.speaker RATE JOBS_FD RESULTS_FD``.

Started by :class:`engines.speech.synthesiser.Synthesiser` with :mod:`subprocess`, not :mod:`multiprocessing`:
a ``spawn`` child always brought multiprocessing's resource tracker along, a third Python process
(about 12 MB RSS on a box) idling all day for a child that shares no semaphores or memory. The two
talk over two pipes the child inherits (``pass_fds``): each message a 4-byte big-endian length and a
JSON list. Jobs in: ``[job_id, text, voice, rate, out]``, or ``null`` to end; answers out:
``[0, "ready", pid]`` once the engine is loaded, then ``[job_id, "ok", out]`` or
``[job_id, "error", why]``. End of file on the jobs pipe (the web process went away, however it
died) ends the child too.

This module imports no more than the standard library at the top (the parent reads messages with
:class:`Messages` too); pyttsx3 and espeak-ng are loaded in :func:`main`, in the child only.
"""
from __future__ import annotations

import json
import os
import select
import struct
import sys
import time
import wave

_HEADER = struct.Struct(">I")


def send(fd: int, message) -> None:
    """Write one message (whole: a frame is written to its end, or an OSError says why not)."""
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    data = memoryview(_HEADER.pack(len(body)) + body)
    while data:
        data = data[os.write(fd, data):]


class Messages:
    """Messages read from a pipe, waiting at most as long as asked (a stopped writer cannot hang the reader)."""

    def __init__(self, fd: int):
        self.fd = fd
        self._buffer = b""

    def _frame(self):
        if len(self._buffer) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(self._buffer)
        if len(self._buffer) < _HEADER.size + size:
            return None
        body = self._buffer[_HEADER.size:_HEADER.size + size]
        self._buffer = self._buffer[_HEADER.size + size:]
        return (json.loads(body.decode("utf-8")),)

    def get(self, timeout: float | None = None):
        """The next message; ``None`` inside a 1-tuple is the message null. Raises TimeoutError after
        ``timeout`` seconds (``None``: wait for good) and EOFError when the writer is gone."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            frame = self._frame()
            if frame is not None:
                return frame[0]
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                    raise TimeoutError
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise EOFError("the other end of the pipe is closed")
            self._buffer += chunk


class _Refused(Exception):
    """A job this process cannot do; its message goes back to the parent."""


def main(rate: int, jobs_fd: int, results_fd: int) -> None:
    """One speaking rate for the process's life; one job at a time until told to end."""
    devnull = os.open(os.devnull, os.O_WRONLY)  # espeak's driver prints; the parent gives /dev/null too
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    import ctypes

    import pyttsx3
    from pyttsx3.drivers import _espeak

    jobs = Messages(jobs_fd)
    engine = pyttsx3.init("espeak")
    get_parameter = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int)(("espeak_GetParameter", _espeak.dll))

    def current_rate() -> int:
        return get_parameter(_espeak.RATE, 1)  # 1: the value in use, not the default

    driver = engine.proxy._driver
    driver.setProperty("rate", rate)  # before any voice is loaded: loading a voice is what applies it

    finished: list[bool] = []
    engine.connect("finished-utterance", lambda name, completed: finished.append(completed))
    send(results_fd, [0, "ready", os.getpid()])  # starting counts against its own limit, not the first job's
    while True:
        try:
            job = jobs.get()
        except EOFError:  # the web process is gone
            return
        if job is None:
            return
        job_id, text, voice, job_rate, out = job
        tmp = f"{out}.{os.getpid()}.tmp"
        try:
            # pyttsx3 queues setProperty until its loop runs (and a loop with nothing to say can hang),
            # ignores an unknown voice silently, and declares espeak_GetParameter without its second
            # argument, so its rate read-back is garbage; and espeak-ng takes a new rate only when a
            # voice is loaded, not reliably on a change afterwards. So each child process keeps one
            # rate for its life (set before the first voice), the voice goes straight to the espeak
            # driver (pyttsx3 is pinned at 2.99; tests/test_voice.py fails if this moves), and both
            # are read back properly before speaking.
            if job_rate != rate:
                raise _Refused(f"this process speaks at {rate}, not {job_rate}")
            # Set the rate again before each voice load, and again if it did not take: a child was
            # seen (a few times in a hundred, more under load) reading back espeak-ng's default 175 or
            # pyttsx3's 200 right after setting it.
            for _attempt in range(5):
                driver.setProperty("rate", rate)
                driver.setProperty("voice", voice)
                if driver.getProperty("voice") != voice:
                    raise _Refused(f"espeak-ng has no voice {voice!r}")
                if current_rate() == rate:
                    break
                time.sleep(0.02)
            if current_rate() != rate:
                raise _Refused(f"espeak-ng did not take the rate {rate} (it reports {current_rate()})")
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
                raise _Refused("no audio was written")
            os.replace(tmp, out)
            send(results_fd, [job_id, "ok", out])
        except Exception as exc:  # report, and stay alive for the next job
            if os.path.exists(tmp):
                os.remove(tmp)
            send(results_fd, [job_id, "error", f"{exc}"])


def _readable(path: str) -> bool:
    try:
        with wave.open(path) as audio:
            return audio.getnframes() > 0
    except (OSError, EOFError, wave.Error):
        return False


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:4]))
