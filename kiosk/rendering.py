"""The kiosk's Flask app class: what every page repeats while it is rendered, done once.

A question page renders in about 2 ms of Python, and profiling showed part of that going into work
whose answer never changes between requests:

- every ``{% from "components/…/macro.html" import … %}`` (seven per question page) made Jinja
  compare the page's globals with the macro file's through a :class:`collections.ChainMap` key view,
  in pure Python, about 30 µs each, before handing back the cached macro module
  (``Template._get_default_module``). :class:`TemplateGlobals` gives the same answer from C.
  (Imports *without* context are cached per environment: the module is made once and kept as long
  as the page's globals are the environment's; imports ``with context`` are made again every time,
  and none of our templates uses one.)
- ``url_for`` built the same addresses over and over (five static files, the header's forms):
  :meth:`KioskFlask.url_for` remembers what it built, per script root, endpoint and values.
"""
from __future__ import annotations

import gzip
import typing as t
from collections import ChainMap

from flask import Flask, has_request_context, request
from flask.templating import Environment


class TemplateGlobals(ChainMap):
    """A template's globals (Jinja's ChainMap of its own over the environment's), whose ``keys()``
    is a real set view: Jinja subtracts it from a set on every import, which a ChainMap's own key
    view does one Python-level ``in`` at a time."""

    def keys(self):  # type: ignore[override]
        return dict.fromkeys(self).keys()


class KioskEnvironment(Environment):
    def make_globals(self, d: t.MutableMapping[str, t.Any] | None) -> t.MutableMapping[str, t.Any]:
        return TemplateGlobals({} if d is None else d, self.globals)


#: How many built addresses are remembered before the memory starts again (each page's own "next"
#: and "back" values make a few new ones; everything else is a handful per language).
URL_MEMORY = 4096


class KioskFlask(Flask):
    """Flask, with a faster Jinja environment and ``url_for`` remembered within a request's setting.

    A built address depends only on the endpoint, its values, the URL map (fixed once the app is
    made), the script root, and the ``url_defaults`` functions — here only
    :mod:`kiosk.static_files`'s version of a static file, which is fixed once known. Addresses built
    for anything else (outside a request, external, with an anchor, scheme or method, relative to a
    blueprint, or with a value that is not a string or a number) go through Flask as before, and so
    does a static file whose version is not known yet (speech rendered later).
    """

    jinja_environment = KioskEnvironment

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._built_urls: dict[tuple, str] = {}

    def url_for(self, endpoint: str, /, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values: t.Any) -> str:
        plain = (_anchor is None and _method is None and _scheme is None and not _external
                 and endpoint[:1] != "." and all(type(v) in (str, int) for v in values.values()))
        if not plain or not has_request_context():
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        key = (request.script_root, endpoint, *sorted(values.items()))
        built = self._built_urls.get(key)
        if built is None:
            built = super().url_for(endpoint, **values)
            if endpoint == "static" and "v=" not in built:
                return built  # not versioned yet: ask again next time
            if len(self._built_urls) >= URL_MEMORY:
                self._built_urls.clear()
            self._built_urls[key] = built
        return built

    def process_response(self, response):
        """After every ``after_request`` (the speech panel's audio, speech mode's map): a page gzipped for a
        browser that takes it, as static files are (kiosk/static_files.py). A start page is 18 KB of HTML,
        about 5 KB gzipped: what a phone on the centre's Wi-Fi waits for (tests/test_static_files.py)."""
        return gzipped(super().process_response(response))


HTML_GZIP_FROM = 1024  # bytes: smaller pages (an htmx fragment) go as they are


def gzipped(response):
    if (response.mimetype != "text/html" or response.direct_passthrough or response.status_code != 200
            or "Content-Encoding" in response.headers or not has_request_context()
            or "gzip" not in request.accept_encodings):
        return response
    body = response.get_data()
    if len(body) < HTML_GZIP_FROM:
        return response
    response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response
