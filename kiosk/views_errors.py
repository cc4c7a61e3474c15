"""Plain-words pages for everything that can go wrong, each with a way home and a human to ask."""
from __future__ import annotations

import sqlite3

from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import SecurityError

from .validation import MAX_LENGTH

# Form pages that show a resident's earlier answer again when a body over the cap is refused
# (kiosk.resident.views.form_step): the same page, its draft's answer, a message at the field.
SHOWN_AGAIN = ("resident.question", "resident.details", "resident.contact")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["FIELD_LIMITS"] = MAX_LENGTH  # stated under each field ("最多 2000 字")

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/not_found.html"), 404

    @app.errorhandler(405)
    def wrong_method(error):
        return render_template("errors/not_found.html"), 405

    @app.errorhandler(SecurityError)
    def unknown_host(error):
        # A Host header this box does not answer to (TRUSTED_HOSTS): nothing is built from it.
        return render_template("errors/unknown_host.html"), 400

    @app.errorhandler(413)
    def too_large(error):
        # The body over the cap is never read (Werkzeug here; waitress, kiosk/serve.py, hands the app the
        # headers only), so nothing of it can be shown again: a cut of it would be the silent truncation
        # the fields never do. A form page comes back as it is now, with the draft's earlier answer and a
        # message at the field, in the page's language; other pages say the same in a page of their own.
        if request.method == "POST" and request.endpoint in SHOWN_AGAIN:
            g.body_refused = True
            request.method = "GET"  # the page as it is now: nothing of the refused body is looked at
            request.form = ImmutableMultiDict()
            page = current_app.view_functions[request.endpoint](**(request.view_args or {}))
            if isinstance(page, tuple):
                return page[0], 413
        return render_template(
            "errors/problem.html",
            title=_("That was too long for the kiosk"),
            message=_("Nothing was changed, and your earlier answers are still here. Please go back and write it more briefly, or ask a worker for help."),
        ), 413

    @app.errorhandler(CSRFError)
    def form_expired(error):
        return render_template(
            "errors/problem.html",
            title=_("Please try that again"),
            message=_("This page was open for a long time, so the kiosk could not accept it. Your answers are still here."),
        ), 400

    @app.errorhandler(sqlite3.Error)
    def database_unavailable(error):
        # Locked by another writer, disk full, read-only card: say plainly that nothing was saved.
        current_app.logger.error("database error: %s", error)
        return render_template(
            "errors/problem.html",
            title=_("Not saved – please ask a worker"),
            message=_("The kiosk could not save that just now. Anything saved before is safe. Please ask a worker, or try again in a moment."),
        ), 503

    @app.errorhandler(500)
    def server_error(error):
        return render_template(
            "errors/problem.html",
            title=_("Something went wrong on the kiosk"),
            message=_("This is not your fault. Please ask a worker for help."),
        ), 500
