"""Strict mode: the reference county behaving like the Open311 counties nobody here wrote (issue 21).

The reference county agrees with the kiosk on everything; a real county does not. Strict mode turns on
what independent GeoReport v2 servers were seen to do, each behaviour a named flag, so a test can
describe "a county like X" as a set of flags (as mySociety's FixMyStreet keeps per-endpoint flags):

- ``location_required``: a post needs ``lat`` and ``long``; ``address_string`` alone is not a location.
- ``missing_location_5xx``: ... and a post without them is answered 500, not 400 (a refusal that looks
  like a breakdown, as the county of issue 21 answered every first post).
- ``description_required``: a post with an empty description is refused (400).
- ``no_service_definitions``: ``services.json`` says ``"metadata": false`` and ``services/<code>.json``
  is 404; the county's services define no attributes (none required, none known).
- ``refuse_undefined_attributes``: an ``attribute[...]`` the service does not define is refused (400);
  with ``no_service_definitions`` that is every attribute, the kiosk's ``kiosk_uuid`` too.
- ``unknown_filters_ignored``: the ``kiosk_uuid`` filter on ``GET requests.json`` is not known, so it is
  ignored and the list comes back anyway (the default: the last 90 days).
- ``no_kiosk_uuid_dedupe``: the same request posted twice is held twice (nothing de-duplicates).
- ``own_error_format``: refusals are ``{"error": {"code": …, "message": …}}``, not an Open311 error list.
- ``text_errors``: refusals are plain text (wins over ``own_error_format``).
- ``close_keeps_updated_datetime``: a clerk closing a request does not move its ``updated_datetime``.
- ``no_notes_service``: the kiosk's notes service (``kiosk_note``, any ``files_under`` service) is not
  offered: not listed, and a post for it is an unknown service.
- ``no_update_extension``: no ``servicerequestupdates`` (FixMyStreet's update extension): 404.

``COUNTY_STRICT=1`` (or ``python -m county.serve --strict``) turns on every flag but ``text_errors``;
``COUNTY_STRICT=location_required,no_service_definitions`` only those named. Unset: none, the reference
county as it always was.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from flask import Flask, Response, current_app, jsonify, request


@dataclass(frozen=True)
class Strict:
    location_required: bool = False
    missing_location_5xx: bool = False
    description_required: bool = False
    no_service_definitions: bool = False
    refuse_undefined_attributes: bool = False
    unknown_filters_ignored: bool = False
    no_kiosk_uuid_dedupe: bool = False
    own_error_format: bool = False
    text_errors: bool = False
    close_keeps_updated_datetime: bool = False
    no_notes_service: bool = False
    no_update_extension: bool = False

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def all(cls) -> "Strict":
        """Strict mode: every flag but ``text_errors`` (its errors are JSON of its own shape)."""
        return cls(**{name: name != "text_errors" for name in cls.names()})

    @classmethod
    def of(cls, *names: str) -> "Strict":
        unknown = set(names) - set(cls.names())
        if unknown:
            raise ValueError(f"unknown strict-mode flags: {sorted(unknown)}; known: {', '.join(cls.names())}")
        return cls(**{name: True for name in names})

    @classmethod
    def from_setting(cls, value) -> "Strict":
        """``COUNTY_STRICT`` / config ``STRICT``: a :class:`Strict`, a bool, ``"1"``/``"0"`` and the like,
        or flag names (a comma-separated string or a list)."""
        if isinstance(value, Strict):
            return value
        if value is None or value is False:
            return cls()
        if value is True:
            return cls.all()
        if isinstance(value, str):
            text = value.strip().lower()
            if text in ("", "0", "false", "no", "off"):
                return cls()
            if text in ("1", "true", "yes", "on", "all"):
                return cls.all()
            value = [n.strip() for n in text.split(",") if n.strip()]
        return cls.of(*value)

    def without(self, *names: str) -> "Strict":
        return replace(self, **{name: False for name in names})

    @property
    def on(self) -> tuple[str, ...]:
        return tuple(name for name in self.names() if getattr(self, name))


def mode() -> Strict:
    return current_app.config["COUNTY_STRICT"]


def _no_update_extension():
    """A county without FixMyStreet's update extension: ``servicerequestupdates`` is not there, whatever
    this server offers."""
    if mode().no_update_extension and "servicerequestupdates" in request.path:
        return error_response(404, f"{request.path} not found")
    return None


def init_app(app: Flask) -> None:
    app.config["COUNTY_STRICT"] = Strict.from_setting(app.config.get("STRICT"))  # ValueError: an unknown flag
    app.before_request(_no_update_extension)


def error_response(status: int, description: str) -> Response:
    """A refusal in this county's error format: an Open311 error list unless strict mode says otherwise."""
    flags = mode()
    if flags.text_errors:
        response = Response(f"Error {status}: {description}\n", mimetype="text/plain")
    elif flags.own_error_format:
        response = jsonify({"error": {"code": status, "message": description}})
    else:
        response = jsonify([{"code": status, "description": description}])
    response.status_code = status
    return response
