"""The box's receipt printer: where it is (``KIOSK_PRINTER``), how it is, and sending it a job.

``KIOSK_PRINTER`` is one of::

    none                      no printer (the default): the receipt page says so, nothing fails
    network:HOST[:PORT]       a printer on the network, raw TCP (port 9100 unless given)
    usb:VID:PID               a USB printer by its vendor and product ids, in hex (04b8:0202); needs pyusb
    serial:/dev/ttyUSB0[:BAUD]  a serial printer (9600 baud unless given); needs pyserial
    file:/dev/usb/lp0         a device file the kernel's printer driver made (one-way: no state is read)

On a two-way connection (network, USB, serial) the printer is asked for its state with ESC/POS's
real-time status (DLE EOT 1, the printer; DLE EOT 4, the paper roll), which a printer answers at once
even while it prints, and a job is sent only to a printer that said it is ready: out of paper, cover
open or no answer, and nothing is sent — the resident is told, and nothing is lost. A ``file:`` printer
cannot answer; a job goes to it when the device exists.

Nothing here waits long: each answer has :data:`ANSWER_SECONDS`, and a whole print
:data:`PRINT_SECONDS`; the work runs in a thread of its own, so even a driver that blocks for ever
(a USB printer driver waiting for paper) holds no page. One job at a time: a print asked while another
is still under way is told the printer is busy.
"""
from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass

from .library import printer_class

NONE, READY, PAPER_LOW, PAPER_OUT, OFFLINE, NOT_ANSWERING, NOT_CONNECTED, BUSY, SENT = (
    "none", "ready", "paper_low", "paper_out", "offline", "not_answering", "not_connected", "busy", "sent")
#: States in which a job is sent (``sent``: a one-way printer that exists; it cannot say more).
PRINTS = (READY, PAPER_LOW, SENT)

DLE_EOT_PRINTER = b"\x10\x04\x01"  # DLE EOT 1: printer status (bit 3: off line)
DLE_EOT_PAPER = b"\x10\x04\x04"    # DLE EOT 4: roll paper sensor (bits 2-3: near its end; bits 5-6: none left)

ANSWER_SECONDS = 1.0   # a printer answers DLE EOT within milliseconds; this is for one that never does
PRINT_SECONDS = 8.0    # the longest a print may hold the page, connecting and sending included

_SETTING = re.compile(
    r"(?P<kind>none)|network:(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\])(?::(?P<port>\d{1,5}))?"
    r"|usb:(?P<vid>[0-9A-Fa-f]{4}):(?P<pid>[0-9A-Fa-f]{4})"
    r"|serial:(?P<tty>/dev/[A-Za-z0-9_./\-]+?)(?::(?P<baud>\d{3,7}))?"
    r"|file:(?P<file>/[A-Za-z0-9_./\-]+)")


@dataclass(frozen=True)
class Connection:
    kind: str            # none, network, usb, serial, file
    target: str = ""     # host, device path, or vendor:product
    number: int = 0      # port, baud rate, or 0

    @property
    def two_way(self) -> bool:
        return self.kind in ("network", "usb", "serial")

    def __str__(self) -> str:
        return self.kind if self.kind == "none" else f"{self.kind}:{self.target}" + (f":{self.number}" if self.number else "")


def parse_setting(raw: str) -> Connection:
    """``KIOSK_PRINTER`` read; anything else stops the kiosk at start with the setting named."""
    value = raw.strip()
    match = _SETTING.fullmatch(value if not value.lower() == "none" else "none")
    if not match:
        raise ValueError(f"{raw!r} is not none, network:HOST[:PORT], usb:VID:PID, serial:/dev/…[:BAUD] or file:/dev/…")
    found = match.groupdict()
    if found["kind"]:
        return Connection("none")
    if found["host"]:
        port = int(found["port"] or 9100)
        if not 0 < port < 65536:
            raise ValueError(f"{raw!r}: the port must be from 1 to 65535")
        return Connection("network", found["host"].strip("[]"), port)
    if found["vid"]:
        return Connection("usb", f"{found['vid'].lower()}:{found['pid'].lower()}")
    if found["tty"]:
        return Connection("serial", found["tty"], int(found["baud"] or 9600))
    return Connection("file", found["file"])


def state_of(printer_status: bytes, paper_status: bytes) -> str:
    """The printer's state from its answers to DLE EOT 1 and DLE EOT 4 (one byte each; bits 1 and 4 are
    always 1 and bits 0 and 7 always 0 in both, so anything else is not a printer's answer)."""
    def valid(answer: bytes) -> bool:
        return len(answer) == 1 and answer[0] & 0x93 == 0x12

    if not (valid(printer_status) and valid(paper_status)):
        return NOT_ANSWERING
    if paper_status[0] & 0x60:
        return PAPER_OUT
    if printer_status[0] & 0x08:
        return OFFLINE  # off line with paper in it: the cover is open, or paper is being fed
    if paper_status[0] & 0x0C:
        return PAPER_LOW
    return READY


@dataclass(frozen=True)
class Outcome:
    """What a print (or a look at the printer) came to: the printer's ``state``, whether the job was
    ``printed`` (sent whole to a printer that could take it), and how long it took."""

    state: str
    printed: bool = False
    seconds: float = 0.0
    why: str = ""  # for the log and the health page's detail, in English


class Printer:
    """The box's printer, from its setting. :meth:`state` and :meth:`print` never take longer than
    :data:`PRINT_SECONDS`."""

    def __init__(self, setting: str | Connection, answer_seconds: float = ANSWER_SECONDS,
                 print_seconds: float = PRINT_SECONDS):
        self.connection = setting if isinstance(setting, Connection) else parse_setting(setting)
        self.answer_seconds = answer_seconds
        self.print_seconds = print_seconds
        self._one_at_a_time = threading.Lock()

    @property
    def configured(self) -> bool:
        return self.connection.kind != "none"

    def state(self) -> Outcome:
        """The printer's state now, without printing."""
        return self._bounded(None)

    def print(self, data: bytes) -> Outcome:
        """Send ``data`` (a whole job) if the printer can take it; the state either way."""
        return self._bounded(data)

    # --- underneath ---------------------------------------------------------------------------------

    def _bounded(self, data: bytes | None) -> Outcome:
        if not self.configured:
            return Outcome(NONE)
        started = time.monotonic()
        if not self._one_at_a_time.acquire(timeout=self.print_seconds if data is not None else self.answer_seconds):
            return Outcome(BUSY, why="another print is still under way")
        result: list[Outcome] = []

        def work():
            try:
                result.append(self._talk(data))
            except Exception as exc:  # noqa: BLE001 - any failure of a device is "not connected", said plainly
                result.append(Outcome(NOT_CONNECTED, why=f"{type(exc).__name__}: {exc}"))
            finally:
                self._one_at_a_time.release()

        worker = threading.Thread(target=work, name="printer", daemon=True)
        worker.start()
        worker.join(self.print_seconds)
        seconds = time.monotonic() - started
        if not result:  # the lock stays held until the stuck thread ends: later prints are told "busy"
            return Outcome(NOT_ANSWERING, seconds=seconds, why=f"no answer within {self.print_seconds:g} s")
        found = result[0]
        return Outcome(found.state, found.printed, seconds, found.why)

    def _talk(self, data: bytes | None) -> Outcome:
        kind = self.connection.kind
        if kind == "file":
            return self._file(data)
        device = self._open()
        try:
            try:
                state = state_of(self._ask(device, DLE_EOT_PRINTER), self._ask(device, DLE_EOT_PAPER))
            except (TimeoutError, OSError) as exc:
                return Outcome(NOT_ANSWERING, why=f"no answer to DLE EOT: {exc}")
            if data is None or state not in PRINTS:
                return Outcome(state)
            device._raw(data)
            return Outcome(state, printed=True)
        finally:
            try:
                device.close()
            except Exception:  # noqa: BLE001 - closing a broken connection can fail too; nothing to do
                pass

    def _open(self):
        """The python-escpos printer for a two-way connection, opened (raises when it cannot be)."""
        c, seconds = self.connection, self.answer_seconds
        if c.kind == "network":
            device = printer_class("Network")(host=c.target, port=c.number, timeout=seconds)
        elif c.kind == "serial":
            device = printer_class("Serial")(devfile=c.target, baudrate=c.number, timeout=seconds)
        else:
            vendor, product = (int(part, 16) for part in c.target.split(":"))
            device = printer_class("Usb")(idVendor=vendor, idProduct=product, timeout=int(seconds * 1000))
        device.open()
        return device

    def _ask(self, device, question: bytes) -> bytes:
        """One DLE EOT question and its one-byte answer (b"" when none came in time)."""
        device._raw(question)
        deadline = time.monotonic() + self.answer_seconds
        answer = b""
        while not answer and time.monotonic() < deadline:
            answer = bytes(device._read() or b"")
            if not answer and self.connection.kind == "network":
                break  # a socket's read waits for the timeout itself; an empty read is a closed connection
        return answer[-1:] if answer else b""

    def _file(self, data: bytes | None) -> Outcome:
        """A one-way device file: there, or not. Written without blocking (a printer driver holds a blocking
        write for as long as the paper is out), within the print's time."""
        path = self.connection.target
        if not os.path.exists(path):
            return Outcome(NOT_CONNECTED, why=f"{path} does not exist (printer off or unplugged?)")
        if data is None:
            return Outcome(SENT, why="a one-way connection: the printer cannot say whether it has paper")
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
        try:
            deadline, rest = time.monotonic() + self.print_seconds, memoryview(data)
            while rest:
                try:
                    rest = rest[os.write(fd, rest):]
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        return Outcome(NOT_ANSWERING, why=f"{path} took no more bytes (out of paper?)")
                    time.sleep(0.05)
        finally:
            os.close(fd)
        return Outcome(SENT, printed=True)
