"""Receipts on paper: a thermal printer speaking ESC/POS (issue 24).

:mod:`.slip` turns a slip — a few blocks of words already in the resident's language, and a QR code —
into one ESC/POS job; :mod:`.device` reads the box's ``KIOSK_PRINTER`` setting, asks the printer how it
is (DLE EOT) and sends the job, never for longer than a few seconds. Neither imports Flask: the words
come translated from the web app (kiosk/printing.py), and the printer's state goes to the health page.

python-escpos (and through it PyYAML, python-barcode …) is imported only when a job is built or a
printer is opened, never when the web process starts (bench/idle_memory.py counts what a start costs).
"""
from .device import Outcome, Printer, parse_setting, state_of
from .library import keep_in
from .slip import Block, job

__all__ = ["Block", "Outcome", "Printer", "job", "keep_in", "parse_setting", "state_of"]
