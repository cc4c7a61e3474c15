"""Embedded defaults for the kiosk, overridable with ``KIOSK_*`` environment variables.

Every default must "just work" on a fresh box with no configuration at all: the database lives in
the instance folder, the secret key is generated once and kept there, and nothing points at the
internet.
"""
from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from . import reach


def _printer(raw: str):
    from .printing.device import parse_setting  # no python-escpos: the setting's words only

    return parse_setting(raw)


def _one_of(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"{raw!r} is not one of {', '.join(allowed)}")
        return value
    return parse


def _coordinate(bound: int) -> Callable[[str], str]:
    """A latitude (``bound`` 90) or longitude (180) in decimal degrees, kept as written ("31.2304"): the
    county gets the centre's own digits. Empty: not set. Anything else (a comma, "N31°", 1e2, nan, out of
    range) stops the kiosk at start with the setting named, rather than putting a request in the sea."""
    pattern = re.compile(r"-?\d{1,3}(\.\d{1,10})?")

    def parse(raw: str) -> str:
        value = raw.strip()
        if value == "":
            return ""
        if not pattern.fullmatch(value) or abs(float(value)) > bound:
            raise ValueError(f"{raw!r} is not a decimal number of degrees from -{bound} to {bound} (e.g. 31.2304)")
        return value
    return parse


def _reach(raw: str) -> int:
    """KIOSK_REACH: "off" (0), "seated" (1220 mm: a forward reach from a wheelchair), or the highest
    reach in whole millimetres above the floor (e.g. 1120 over an obstruction 510 to 635 mm deep)."""
    value = raw.strip().lower()
    if value in ("off", ""):
        return 0
    if value == "seated":
        return 1220
    if re.fullmatch(r"\d{3,4}", value) and 500 <= int(value) <= 1400:
        return int(value)
    raise ValueError(f"{raw!r} is not off, seated, or a reach in millimetres from 500 to 1400")


def _count(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``; anything else stops the kiosk at start with the setting named."""
    def parse(raw: str) -> int:
        value = raw.strip()
        if not re.fullmatch(r"\d{1,6}", value) or not low <= int(value) <= high:
            raise ValueError(f"{raw!r} is not a whole number from {low} to {high}")
        return int(value)
    return parse


#: Speech mode's keys (static/js/speech_mode.js): action → the key names (KeyboardEvent ``key`` or ``code``)
#: that do it. An EZ Access keypad is a USB keyboard; KIOSK_EZ_KEYS changes some actions' keys.
EZ_ACTIONS = {
    "up": ["ArrowUp"], "down": ["ArrowDown"], "enter": ["Enter", "NumpadEnter"], "help": ["F1", "Help"],
    "back": ["Escape", "BrowserBack", "PageUp", "Backspace"], "next": ["PageDown", "BrowserForward"],
    "louder": ["AudioVolumeUp", "NumpadAdd", "+"], "softer": ["AudioVolumeDown", "NumpadSubtract", "-"],
    "worker": ["F2"],
}


def _ez_keys(raw: str) -> dict[str, list[str]]:
    """``"help=F1 Insert; worker=F12"``: each named action gets these keys (the others keep theirs).
    Digits are always digits (the 12-key number pad types numbers)."""
    keys = {action: list(names) for action, names in EZ_ACTIONS.items()}
    for part in raw.split(";"):
        if not part.strip():
            continue
        action, _, names = part.partition("=")
        action, names = action.strip().lower(), names.split()
        if action not in EZ_ACTIONS or not names:
            raise ValueError(f"{part.strip()!r}: write action=Key Key; actions are {', '.join(EZ_ACTIONS)}")
        if any(re.fullmatch(r"[0-9]|(Numpad|Digit)[0-9]", name) for name in names):
            raise ValueError(f"{part.strip()!r}: digits type numbers and cannot be an action's key")
        keys[action] = names
    return keys


#: Name → (default, parser). Environment variable ``KIOSK_<NAME>`` overrides the default.
DEFAULTS: dict[str, tuple[object, Callable[[str], object]]] = {
    # SQLite file; relative paths are resolved against the instance folder.
    "DATABASE": ("kiosk.sqlite3", str),
    # Upper bound on the database size in pages (0 = no cap). Protects the box's disk: when the cap
    # is reached a save fails honestly instead of filling the card.
    "DB_MAX_PAGES": (0, int),
    # Maintenance mode: residents can look things up, but nothing can be saved (and pages say so).
    "DB_READ_ONLY": (False, lambda raw: raw.strip().lower() in ("1", "true", "yes", "on")),
    # Seconds a writer waits for another writer (the sync service) before giving up.
    "DB_BUSY_TIMEOUT": (5.0, float),
    # Base URL printed in the receipt's QR code. Empty: the address the kiosk was reached at,
    # which on the centre's Wi-Fi is the box's own address.
    "PUBLIC_URL": ("", str),
    # More host names (comma-separated) the kiosk answers to, besides localhost, the host of PUBLIC_URL and
    # this box's own names and addresses. A request naming any other Host gets a 400, so a forged Host
    # header can never end up in a receipt's QR code.
    "EXTRA_HOSTS": ([], lambda raw: [h.strip().lower() for h in raw.split(",") if h.strip()]),
    # Largest request body accepted, in bytes. Every form of the kiosk fits in a few kilobytes.
    "MAX_CONTENT_LENGTH": (64 * 1024, int),
    # Groups of the catalogue whose requests may carry up to three photos (a repair, a subsidy: core/media.py).
    "PHOTO_GROUPS": (["home", "disability"], lambda raw: [g.strip() for g in raw.split(",") if g.strip()]),
    # Seconds without a touch before the kiosk asks "还需要继续吗？", and seconds more before it goes back
    # to the start and forgets the visit (the resident's answers are kept under their resume code).
    "IDLE_SECONDS": (90, int),
    "IDLE_WARNING_SECONDS": (30, int),
    # Speech mode for blind residents (docs/accessibility.md): the keypad's keys, and the volume (percent)
    # it starts at on every visit (the start page resets it).
    "EZ_KEYS": (_ez_keys(""), _ez_keys),
    "EZ_VOLUME": (80, _count(10, 100)),
    # Who gets the page's own on-screen keyboard (handwriting, pinyin, keypad): "auto" = the box's own
    # touchscreen (a browser on loopback; phones on the Wi-Fi keep theirs), "on" = everyone, "off" = no one.
    "INPUT_PANEL": ("auto", _one_of("auto", "on", "off")),
    # The box's screen within a seated resident's reach (core/reach.py, docs/accessibility.md): "off" (the
    # header at the top, as always), "seated" (Home, language, text size, Read aloud, Voice settings and Ask
    # a worker for help in one bar at the screen's bottom, between 380 and 1220 mm above the floor), or the
    # highest reach in mm (1120 over a deep obstruction). The bar is only on the box's own screen, never on
    # a phone. The screen's picture: its bottom edge's height above the floor and its height, in mm (a
    # 27-inch portrait panel, bottom edge at 900 mm); the kiosk refuses to start if the bar cannot fit.
    "REACH": (0, _reach),
    "SCREEN_BOTTOM_MM": (900, _count(0, 3000)),
    "SCREEN_HEIGHT_MM": (598, _count(50, 3000)),
    # Wrong ticket look-ups and resume codes allowed per client, and from all phones on the Wi-Fi
    # together, before a polite pause, as "N per hour", "N per 15 minutes" or "N/minute" (kiosk.limits.parse).
    # The phones' window is short so that a burst of guesses holds residents' own phones minutes, not an hour.
    "LOOKUP_LIMIT": ("30 per hour", str),
    "PHONE_LOOKUP_LIMIT": ("20 per 10 minutes", str),
    # The kiosk's own screen, shared by everyone who stands at it: short, so that whoever guessed there
    # holds the next resident's typed look-up for minutes, not an hour (docs/security.md).
    "SCREEN_LOOKUP_LIMIT": ("10 per 10 minutes", str),
    # Prints of one receipt (whoever asks), and receipts printed from one phone on the Wi-Fi (kiosk/printing.py).
    "PRINT_LIMIT": ("3 per 10 minutes", str),
    "PHONE_PRINT_LIMIT": ("4 per hour", str),
    # Requests (drafts) a client may start, as above: a phone on the Wi-Fi, and the kiosk's own screen.
    "DRAFT_LIMIT": ("5 per minute", str),
    "SCREEN_DRAFT_LIMIT": ("60 per minute", str),
    # A ticket's lock-out, whoever guesses: "N per T" = N wrong codes (within a day) pause the ticket for
    # T; each further pause that day lasts twice as long, up to an hour (docs/security.md).
    "TICKET_LOOKUP_LIMIT": ("5 per 5 minutes", str),
    # How long personal data is kept: untouched drafts (hours), and the answers and personal details of
    # requests after the county closed them (days; the ticket's status stays). See docs/security.md.
    "DRAFT_HOURS": (24.0, float),
    "CLOSED_RETENTION_DAYS": (30.0, float),
    # Seconds after its last request that a visit's session (language, receipt, voice) is forgotten.
    "SESSION_IDLE_SECONDS": (4 * 3600.0, float),
    # A worker's login ends after this many seconds without a worker page, and this many after it began.
    "WORKER_IDLE_SECONDS": (15 * 60.0, float),
    "WORKER_MAX_SECONDS": (10 * 3600.0, float),
    # Failed worker logins allowed per login name, and per client address, before a polite pause
    # (every name counts, whether it exists or not; a success forgives the name's failures; a name's are
    # counted apart at the kiosk's own screen and for all phones together: phones never pause the screen).
    "WORKER_LOGIN_LIMIT": ("5 per 15 minutes", str),
    "WORKER_LOGIN_CLIENT_LIMIT": ("20 per 15 minutes", str),
    # Short name of this kiosk, recorded with each request.
    "KIOSK_ID": ("kiosk-1", str),
    # Default language when neither the resident nor the browser says otherwise.
    "DEFAULT_LOCALE": ("zh_Hans_CN", str),
    # The speech Chinese pages get unless the resident chooses: "mandarin" or "cantonese", whatever the
    # script (a centre in Guangdong has Cantonese speakers who read Simplified). A browser asking for
    # zh-HK, zh-MO or yue gets Cantonese; zh-TW, Mandarin.
    "CHINESE_SPEECH": ("mandarin", _one_of("mandarin", "cantonese")),
    # The neural Mandarin voice (engines/speech/neural.py, where `make voice` installed it): "male" (the
    # one an independent listener understood best, bench/clarity.py) or "female". espeak-ng speaks
    # Cantonese, English, and Mandarin wherever the neural voice has not rendered a prompt.
    "VOICE": ("male", _one_of("male", "female")),
    # The centre's own name, shown on the health page and the outcomes wall (empty: not shown).
    "CENTRE_NAME": ("", str),
    # A telephone number a resident can ring the centre on, offered when nobody answers a help call at
    # the kiosk (empty: not offered).
    "CENTRE_PHONE": ("", str),
    # The receipt printer (core/printing/device.py): "none", "network:HOST[:PORT]", "usb:VID:PID",
    # "serial:/dev/ttyUSB0[:BAUD]" or "file:/dev/usb/lp0"; and its paper's width in mm (58 or 80).
    # deploy/install.sh writes them (--printer, --printer-paper).
    "PRINTER": ("none", lambda raw: str(_printer(raw))),
    "PRINTER_PAPER_MM": (80, lambda raw: int(_one_of("58", "80")(raw))),
    # Nightly backups of the database (core/backup.py): the folder (relative to the instance folder)
    # and how many to keep. The sync service makes one after its nightly run.
    "BACKUP_DIR": ("backups", str),
    "BACKUPS_KEPT": (7, int),
    # Time zone for dates shown to residents (stored times are always UTC).
    "TIMEZONE": ("Asia/Shanghai", str),
    # The county platform (Open311 GeoReport v2). Default: the reference county server `make run` starts.
    "COUNTY_URL": ("http://127.0.0.1:8311", str),
    "COUNTY_API_KEY": ("demo-kiosk-key", str),
    "JURISDICTION_ID": ("demo-county", str),
    # Whether the county answers GET /requests.json?kiosk_uuid=… (see docs/open311.md).
    "COUNTY_UUID_LOOKUP": (True, lambda raw: raw.strip().lower() in ("1", "true", "yes", "on")),
    # Whether requests carry attribute[…] (the answers, the kiosk's keys, the home address): "all", "none" (a
    # county that refuses attributes it does not define; the description carries every answer, the home
    # address stays on the kiosk), or "auto": "none" when the county's profile (flask sync check-county)
    # says it publishes no service definitions, else "all" (docs/open311.md).
    "COUNTY_ATTRIBUTES": ("auto", _one_of("all", "none", "auto")),
    # Where the centre is: the public location (Open311 address_string) of every request sent; a
    # resident's own address goes only as a private attribute (docs/open311.md), unless
    # COUNTY_LOCATION is "home" and she said yes.
    "LOCATION": ("社区服务中心", str),
    # ...and its coordinates, in decimal degrees (WGS 84), sent as Open311 lat and long with every request
    # (empty: none are sent; a county that needs a location then refuses every request: `flask sync
    # check-county` says). deploy/install.sh writes them (--centre-lat, --centre-long).
    "CENTRE_LAT": ("", _coordinate(90)),
    "CENTRE_LONG": ("", _coordinate(180)),
    # What location the county needs, from its own documentation (GeoReport v2 publishes no such thing):
    # "either" (the spec: address_string or lat and long), "coordinates" (lat and long, always) or "home"
    # (the county locates a home visit by the resident's address: a service that asks for it asks her too
    # whether the county may show it as the request's public location; without her yes, the centre's).
    "COUNTY_LOCATION": ("either", _one_of("either", "coordinates", "home")),
    # Whether the county takes media, from its own documentation (GeoReport v2 publishes no such thing):
    # "none", or "media_url": a request's first photo goes as media_url, an unguessable address on this
    # kiosk (KIOSK_PUBLIC_URL, which the county must be able to reach) serving it until the purge.
    # Recordings never go: the words a worker wrote down from them do (docs/open311.md, "Media").
    "COUNTY_MEDIA": ("none", _one_of("none", "media_url")),
    # Sync service: nightly run (local time), county probe interval, status refresh interval, HTTP timeout.
    "SYNC_NIGHTLY_AT": ("02:30", str),
    "SYNC_PROBE_SECONDS": (30.0, float),
    "SYNC_STATUS_SECONDS": (300.0, float),
    "SYNC_TIMEOUT": (10.0, float),
    # 5xx answers in a row for one request after which it is taken as a refusal: quarantined with the
    # county's words for a worker, not retried for ever (a county may answer 500 for what is a refusal).
    # Timeouts and dropped connections do not count: they are retried for as long as it takes.
    "SYNC_SERVER_ERROR_TRIES": (6, _count(1, 1000)),
}


def load(instance_path: str, environ: os._Environ | dict | None = None) -> dict:
    """Return the configuration mapping built from defaults and ``KIOSK_*`` variables."""
    environ = os.environ if environ is None else environ
    config: dict[str, object] = {}
    for name, (default, parse) in DEFAULTS.items():
        raw = environ.get(f"KIOSK_{name}")
        config[name] = default if raw is None else parse(raw)
    if bool(config["CENTRE_LAT"]) != bool(config["CENTRE_LONG"]):
        raise ValueError("KIOSK_CENTRE_LAT and KIOSK_CENTRE_LONG go together: set both or neither")
    if config["REACH"]:
        try:
            config["REACH_BAND"] = reach.check(config["SCREEN_BOTTOM_MM"], config["SCREEN_HEIGHT_MM"], config["REACH"])
        except ValueError as e:
            raise ValueError(f"KIOSK_REACH: {e}") from None
    config["SECRET_KEY"] = environ.get("KIOSK_SECRET_KEY") or _credential(environ, SECRET_CREDENTIAL) or _instance_secret(instance_path)
    return config


SECRET_CREDENTIAL = "kiosk-secret-key"  # a systemd credential (LoadCredential=, deploy/systemd), root-owned at rest


def _credential(environ, name: str) -> str:
    """A systemd credential's text, when the service was given one (``$CREDENTIALS_DIRECTORY/name``)."""
    folder = environ.get("CREDENTIALS_DIRECTORY")
    path = Path(folder) / name if folder else None
    return path.read_text().strip() if path and path.is_file() else ""


def _instance_secret(instance_path: str) -> str:
    """Create the session-signing key once per box and keep it, readable by the owner only."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip()
