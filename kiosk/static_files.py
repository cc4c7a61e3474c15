"""Static files: served by WhiteNoise, precompressed, and cached for good under versioned addresses.

A resident's first page is the heaviest thing the box sends (htmx, the style sheet, the page's own
scripts). So:

- every page refers to a static file as ``/static/<file>?v=<first 12 hex of its sha256>``
  (:func:`static_version`, added to ``url_for('static', …)`` for every template);
- such an address is answered with ``Cache-Control: public, max-age=31536000, immutable``: the
  browser never asks again until the file changes, and then the address changes with it. The same
  file asked for without its current version gets ``no-cache`` (asked again each time, answered
  ``304 Not Modified`` when unchanged);
- text files (CSS, JavaScript, SVG) are gzipped once (:func:`compress`, run by ``make setup`` and
  again at start where the folder is writable) and WhiteNoise sends the ``.gz`` to browsers that
  accept it, from memory-mapped files, without going through Flask;
- pre-rendered speech (``static/audio/<key>.opus``) is named by what it says, so it is immutable too.

Files that appear after the app started (speech rendered later) are not known to WhiteNoise and
fall through to Flask's own static route, as before.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import sys
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise

from engines.speech.cache import MIME

COMPRESSED = (".css", ".js", ".svg", ".json", ".txt", ".html")
FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def compress(folder: Path) -> list[Path]:
    """Write ``<file>.gz`` beside every text file whose ``.gz`` is missing or not from its current
    content (the ``.gz`` carries its source's modification time); return what was written."""
    written = []
    for path in sorted(folder.rglob("*")):
        if path.suffix not in COMPRESSED or not path.is_file():
            continue
        packed = path.with_name(path.name + ".gz")
        source_time = path.stat().st_mtime_ns
        if packed.exists() and packed.stat().st_mtime_ns == source_time:
            continue
        partial = packed.with_name(f".{packed.name}.{os.getpid()}.part")
        partial.write_bytes(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
        os.utime(partial, ns=(source_time, source_time))
        os.replace(partial, packed)
        written.append(packed)
    return written


def stale(folder: Path) -> list[Path]:
    """``.gz`` files that no longer match their source (or have none): never to be sent."""
    out = []
    for packed in folder.rglob("*.gz"):
        source = packed.with_name(packed.name[:-3])
        if not source.exists() or source.stat().st_mtime_ns != packed.stat().st_mtime_ns:
            out.append(packed)
    return out


class StaticFiles:
    """WSGI middleware in front of the Flask app: WhiteNoise for ``/static/``, with our cache rule."""

    def __init__(self, app: Flask, folder: Path):
        self.folder = folder
        self.versions: dict[str, str] = {}
        self.flask_wsgi = app.wsgi_app
        self.whitenoise = WhiteNoise(self.flask_wsgi, root=str(folder), prefix="static/", max_age=None,
                                     allow_all_origins=False, add_headers_function=_security_headers,
                                     mimetypes=MIME)  # speech: .opus as Ogg, .wav
        for packed in stale(folder):  # a .gz that could not be remade: WhiteNoise must not send it
            self.whitenoise.files.pop("/static/" + packed.relative_to(folder).as_posix()[:-3], None)

    def version(self, filename: str) -> str | None:
        """The first 12 hex digits of the file's sha256, computed once (None if there is no such file)."""
        known = self.versions.get(filename)
        if known is None:
            try:  # a name too long for the file system, or with a NUL in it, names no file
                path = (self.folder / filename).resolve()
                if not path.is_relative_to(self.folder.resolve()) or not path.is_file():
                    return None
            except (OSError, ValueError):
                return None
            known = self.versions[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return known

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/static/"):
            return self.flask_wsgi(environ, start_response)
        filename = path[len("/static/"):]
        query = environ.get("QUERY_STRING", "")
        wanted = f"v={self.version(filename)}"
        forever = filename.startswith("audio/") or (wanted in query.split("&") and wanted != "v=None")

        def start(status, headers, exc_info=None):
            if status[:3] in ("200", "206", "304"):
                headers = [(k, v) for k, v in headers if k.lower() != "cache-control"]
                headers.append(("Cache-Control", FOREVER if forever else REVALIDATE))
            return start_response(status, headers, exc_info)

        return self.whitenoise(environ, start)


def _security_headers(headers, path: str, url: str) -> None:
    from .security import CSP

    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Content-Security-Policy"] = CSP


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder)
    try:
        made = compress(folder)
    except OSError as exc:  # a read-only install: `make setup` made them; stale ones are left out
        app.logger.warning("could not compress static files in %s: %s", folder, exc)
    else:
        if made:
            app.logger.info("compressed %d static files", len(made))
    static = StaticFiles(app, folder)
    app.wsgi_app = static
    app.extensions["kiosk_static"] = static

    @app.url_defaults
    def _versioned(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            version = static.version(values.get("filename", ""))
            if version:
                values["v"] = version


if __name__ == "__main__":  # `make setup`: python -m kiosk.static_files [FOLDER]
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "static"
    print(f"static files: {len(compress(target))} compressed in {target}")
