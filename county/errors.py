"""Every refusal in the form its caller reads: an Open311 error list for the API, a short page for clerks.

Open311 clients (the kiosk's engine, ``georeport``) read ``[{"code": …, "description": …}]`` and
nothing else; an HTML error page from Flask would be "a garbled answer" to them, which the kiosk
treats as *maybe stored*. So a body too large (413), an unknown URL (404), a wrong method (405) and a
malformed request (400) all answer in Open311's shape, and the clerk's pages answer in words. A county
in strict mode answers in its own shape instead (:func:`county.strict.error_response`).
"""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from . import strict


def _for_clerk() -> bool:
    return request.blueprint in ("clerk", "auth") or request.path.startswith("/clerk")


def _answer(error: HTTPException):
    code = error.code or 500
    description = error.description or error.name
    if code == 413:
        description = f"request too large: at most {request.max_content_length} bytes"
    if _for_clerk():
        response = render_template("clerk/error.html", code=code, name=error.name, description=description)
        return response, code, dict(error.get_headers()) | {"Content-Type": "text/html; charset=utf-8"}
    response = strict.error_response(code, description)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    # HTTPException covers a bug's 500 too: Flask logs the traceback, then asks for this handler.
    app.register_error_handler(HTTPException, _answer)
