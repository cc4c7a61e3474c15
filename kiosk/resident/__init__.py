"""Pages for residents at the touchscreen (and on their phones, for checking progress)."""
from flask import Blueprint

bp = Blueprint("resident", __name__)

from . import attachments, feedback, confirm, help, reuse, views  # noqa: E402,F401  (registers the routes on bp)
