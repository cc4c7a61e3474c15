"""Misbehaviour on demand, chosen per run with ``COUNTY_FAULTS`` (JSON), for testing the sync engine.

Fields (all optional):

- ``seed``: random seed, so a run's faults are reproducible.
- ``error_rate``: share of ``POST /requests.json`` answered 500 before anything is stored.
- ``timeout_rate``, ``timeout_seconds``: share of posts stored, then answered only after a delay
  longer than the client waits (the client cannot know whether it was stored).
- ``drop_rate``: share of posts stored, then the connection closed without an answer.
- ``slow_seconds``: every answer waits this long first.
- ``reject_text``: a post with this text anywhere in its values is refused with 400 and an Open311
  error body (a "poison" request).
- ``token_mode``: posts are answered with a token; the id comes later through ``/tokens/{token}.json``.
- ``malformed``: ``bad_json`` | ``wrong_types`` | ``huge``: posts are stored, then answered with a body
  the client cannot use.
"""
from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field, fields


@dataclass
class Faults:
    seed: int | None = None
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 3.0
    drop_rate: float = 0.0
    slow_seconds: float = 0.0
    reject_text: str = ""
    token_mode: bool = False
    malformed: str = ""
    _random: random.Random = field(default_factory=random.Random, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_json(cls, text: str) -> "Faults":
        data = json.loads(text or "{}")
        known = {f.name for f in fields(cls) if not f.name.startswith("_")}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown COUNTY_FAULTS fields: {sorted(unknown)}")
        faults = cls(**data)
        faults._random.seed(faults.seed)
        return faults

    def roll(self, rate: float) -> bool:
        """True with probability ``rate`` (thread-safe, reproducible for a seed)."""
        if rate <= 0:
            return False
        with self._lock:
            return self._random.random() < rate
