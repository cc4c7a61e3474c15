"""Plain-words pages for everything that can go wrong, each with a way home and a human to ask."""
from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


def init_app(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/not_found.html"), 404

    @app.errorhandler(405)
    def wrong_method(error):
        return render_template("errors/not_found.html"), 405

    @app.errorhandler(CSRFError)
    def form_expired(error):
        return render_template(
            "errors/problem.html",
            title=_("Please try that again"),
            message=_("This page was open for a long time, so the kiosk could not accept it. Your answers are still here."),
        ), 400

    @app.errorhandler(500)
    def server_error(error):
        return render_template(
            "errors/problem.html",
            title=_("Something went wrong on the kiosk"),
            message=_("This is not your fault. Please ask a worker for help."),
        ), 500
