"""python-escpos, imported at the first job or the first look at the printer, never at start.

Importing it costs the process about 6 MB and, the first time on a box, a quarter of a second: its list
of printer models (capabilities.json) is read with PyYAML and kept as a pickle in
``ESCPOS_CAPABILITIES_PICKLE_DIR``. Left unset, that is a new temporary folder in every process, so
every first print after a start paid the quarter second again; :func:`keep_in` points it at a folder of
the kiosk's own (its instance folder), so only the box's very first print does.
"""
from __future__ import annotations

import os
from pathlib import Path

PICKLE_DIR = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def keep_in(folder: str | Path) -> None:
    """Keep python-escpos's parsed list of printers in ``folder`` (before its first import)."""
    if PICKLE_DIR not in os.environ:
        Path(folder).mkdir(parents=True, exist_ok=True)
        os.environ[PICKLE_DIR] = str(folder)


def printer_class(name: str):
    """``escpos.printer.<name>`` (Dummy, Network, Serial, Usb)."""
    import escpos.printer  # noqa: PLC0415 - here, at a print: see the module's docstring

    return getattr(escpos.printer, name)
