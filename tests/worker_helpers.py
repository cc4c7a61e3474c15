"""Workers for the tests: accounts made through core.workers, and logging in the way a browser does."""
from __future__ import annotations

import re

from core import workers
from core.actions import admin
from kiosk.db import get_db

PASSWORDS = {"alice": "alice-password-1", "root": "root-password-12"}


def add_accounts(app) -> None:
    """alice, a worker (王芳); root, an administrator."""
    with app.app_context():
        admin.add_worker(get_db(), "alice", PASSWORDS["alice"], display_name="王芳")
        admin.add_worker(get_db(), "root", PASSWORDS["root"], role="admin", display_name="管理员甲")


def log_in(client, name: str, password: str | None = None, **headers):
    """POST the login form (with the page's CSRF token, when the app checks them); returns the answer."""
    page = client.get("/worker/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    data = {"login": name, "password": PASSWORDS.get(name, "") if password is None else password}
    if token:
        data["csrf_token"] = token.group(1)
    return client.post("/worker/login", data=data, headers=headers)


def session_id(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None
