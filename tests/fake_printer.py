"""A network receipt printer on 127.0.0.1 for tests: it takes raw TCP like a real one on port 9100,
keeps every byte a job sends, and answers ESC/POS real-time status (DLE EOT n) the way an Epson-style
printer does, at once, with one byte: bits 1 and 4 always set; DLE EOT 1 bit 3 when off line; DLE EOT 4
bits 5-6 when the paper is out and bits 2-3 when it is nearly out.

``state`` picks what it answers: "ready", "paper_low", "paper_out", "cover_open" (off line, paper in),
or "silent" (it takes the connection and the bytes, and never answers: a printer that hung).
"""
from __future__ import annotations

import socket
import threading
import time

DLE_EOT = b"\x10\x04"


class FakePrinter:
    def __init__(self, state: str = "ready"):
        self.state = state
        self.jobs: list[bytes] = []          # the bytes of each connection, status questions taken out
        self.questions: list[int] = []       # each DLE EOT n asked
        self.last_byte_at: float | None = None  # time.perf_counter() of the last byte of a job received
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def setting(self) -> str:
        return f"network:127.0.0.1:{self.port}"

    def __enter__(self) -> "FakePrinter":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()

    def _answer(self, n: int) -> bytes | None:
        if self.state == "silent":
            return None
        printer, paper = 0x12, 0x12
        if self.state == "paper_out":
            printer |= 0x08
            paper |= 0x60 | 0x0C
        elif self.state == "paper_low":
            paper |= 0x0C
        elif self.state == "cover_open":
            printer |= 0x08
        return bytes([{1: printer, 4: paper}.get(n, 0x12)])

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, socket.timeout):
                continue
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        job, pending = bytearray(), b""
        with conn:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except (TimeoutError, socket.timeout):
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                data = pending + chunk
                pending = b""
                i = 0
                while i < len(data):  # real-time commands are acted on as they arrive, even inside a job
                    if data.startswith(DLE_EOT, i):
                        if i + 2 >= len(data):
                            pending = data[i:]
                            break
                        n = data[i + 2]
                        self.questions.append(n)
                        answer = self._answer(n)
                        if answer:
                            conn.sendall(answer)
                        i += 3
                    else:
                        job.append(data[i])
                        i += 1
                if job:
                    self.last_byte_at = time.perf_counter()
        if job:
            self.jobs.append(bytes(job))
