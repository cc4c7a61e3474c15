"""What one sync run carries: its settings, its report, and the part of the engine a sending step uses.

Below :mod:`sync.engine` (which runs the steps) and :mod:`sync.notes` (one of them), so that the notes
step names the engine's type without importing the engine: the modules of sync/ import each other in
one direction only (tests/test_architecture.py).
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlite_utils import Database

from . import runs
from .open311 import Open311Client


@dataclass
class Settings:
    location: str = "社区服务中心"       # the public address_string of every request: the centre, never a home
    batch_size: int = 50
    base_delay: float = 30.0            # first retry after 15–30 s ...
    max_delay: float = 3600.0           # ... doubling up to an hour
    server_error_tries: int = 6         # this many 5xx answers in a row for one request: quarantined (a refusal)
    uuid_lookup: bool = True            # the county answers GET /requests.json?kiosk_uuid=…
    attributes: str = "all"             # "all": answers and the kiosk's keys as attribute[…]; "none": no attribute at all
    lookup_honoured: bool = False       # the county's profile says it honours the kiosk_uuid filter (sync.profile)
    county_locale: str = "zh_Hans_CN"   # the language of the county's catalogue texts
    centre_locale: str = "zh_Hans_CN"   # KIOSK_DEFAULT_LOCALE: what a request says to the county is in it
    kiosk_id: str = "kiosk-1"           # which kiosk a note comes from (requests carry their own)
    media_base: str = ""                # the kiosk's public address where the county takes media (KIOSK_COUNTY_MEDIA)
    notes_via: str = ""                 # how the county takes notes (update | note_request | none), from the kept
                                        # profile (sync/profile.py); "" = asked each run that has notes (sync/notes.py)


@dataclass
class RunReport:
    trigger: str
    sent: int = 0
    accepted: int = 0
    quarantined: int = 0
    retrying: int = 0
    status_updates: int = 0
    notes_sent: int = 0                 # notes about requests the county holds (sync/notes.py)
    notes_waiting: int = 0              # notes left for the next run: how the county takes them could not be asked
    notes_kept: int = 0                 # notes put on the workers' list: the county can take none (of that kind)
    key_refused: bool = False
    unreachable: bool = False
    county_date: str = ""
    clock_offset_seconds: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def clock_skewed(self) -> bool:
        return self.clock_offset_seconds is not None and abs(self.clock_offset_seconds) > runs.CLOCK_SKEW_LIMIT


class Sender(Protocol):
    """What a sending step needs of the engine (:class:`sync.engine.SyncEngine` is one)."""

    db: Database
    client: Open311Client
    settings: Settings
    rng: random.Random
    now: Callable[[], datetime]

    def backoff(self, attempt: int) -> datetime:
        """When to try again after ``attempt`` tries (exponential, with jitter)."""
