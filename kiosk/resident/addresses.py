"""Choosing an address from the centre's address book: where the chooser pages are, and their links.

A chooser belongs to one ordinary page — a question that opts in (``"choose_from": "address_book"`` on
its catalogue attribute) or "Where you live" on the about-you page — and stores what it chooses where
that page would. Its levels (estate → building → unit → flat) are one URL with the choices so far
in the query (``?estate=…&building=…``), so Back, reload and a language switch keep the place.
A question's chooser then asks the place's shared spots (``&spot=楼道``) and the spot's floors, where
the book has them. ``write=1`` on the ordinary page means "not listed — write it instead" (``other=1``:
"其他", a spot the book does not name: write what it is after the place).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import request, url_for
from werkzeug.datastructures import MultiDict

from core import addresses

from ..db import get_db


@dataclass(frozen=True)
class Target:
    """Where a chooser's answer goes: the chooser's endpoint and the ordinary page's (with its question)."""

    chooser: str
    page: str
    code: str | None = None

    def _url(self, endpoint: str, path: Sequence[str], returning: bool, spot: str | None = None, **more) -> str:
        params = {**({"code": self.code} if self.code else {}), **path_params(path),
                  **({"spot": spot} if spot is not None else {}), **more}
        if returning:
            params["return"] = "check"
        return url_for(endpoint, **params)

    def chooser_url(self, path: Sequence[str] = (), returning: bool = False, spot: str | None = None) -> str:
        """The chooser page that asks the level after ``path`` (after ``spot``: its floor)."""
        return self._url(self.chooser, path, returning, spot)

    def write_url(self, path: Sequence[str] = (), returning: bool = False, spot: str | None = None,
                  other: bool = False) -> str:
        """The ordinary page with its text field ("not listed — write it instead"; ``other``: "其他, write
        what it is"), remembering ``path`` so its Back link returns to the level the resident left."""
        return self._url(self.page, path, returning, spot, write=1, **({"other": 1} if other else {}))


DETAILS = Target("resident.details_address", "resident.details")


def question_target(code: str) -> Target:
    return Target("resident.question_address", "resident.question", code)


def path_params(path: Sequence[str]) -> dict[str, str]:
    return dict(zip(addresses.LEVELS, path))


def given_path(values: MultiDict) -> list[str]:
    """The levels chosen so far, from a query or a form: each level up to the first one missing."""
    path = []
    for level in addresses.LEVELS:
        if level not in values:
            break
        path.append(values.get(level, ""))
    return path


def given_spot(values: MultiDict) -> tuple[str | None, str | None]:
    """The shared spot and its floor chosen so far (None: not yet asked)."""
    return values.get("spot"), values.get("floor")


def book_in_use() -> bool:
    """Whether there is an address book to choose from (without one, residents write, as before)."""
    return not addresses.is_empty(get_db())


def written_instead() -> tuple[bool, list[str]]:
    """``(whether the resident chose "not listed — write it instead", the levels they had chosen)``;
    only levels the book has are kept, whatever the query says."""
    chosen = given_path(request.values)
    if request.values.get("write") != "1" or not chosen:
        return request.values.get("write") == "1", []
    walk = addresses.walk(get_db(), chosen)
    return True, list(walk.path if walk.invalid else walk.path[:len(chosen)])


def written_spot(chosen: Sequence[str]) -> str:
    """The spot the resident had chosen before writing instead, if the book has it at ``chosen``."""
    spot = request.values.get("spot")
    return spot if spot and spot in addresses.spots(get_db(), chosen) else ""
