"""Every worker page, in every language, passes the Nu HTML Checker with no errors (one Java run)."""
from core import audit
from core.db import write_transaction
from kiosk.db import get_db

from .conftest import LOCALES
from .html_check import nu_problems
from .worker_helpers import add_accounts, log_in


def collect_pages(app, locale: str) -> dict[str, str]:
    pages = {}
    client = app.test_client()
    client.post("/language", data={"locale": locale})

    def keep(name, response):
        pages[name] = response.get_data(as_text=True)

    keep("login", client.get("/worker/login"))
    keep("login-error", log_in(client, "alice", "wrong-password"))
    keep("login-ended", client.get("/worker/login?ended=1&next=/worker/audit"))
    log_in(client, "alice")
    keep("home-worker", client.get("/worker/"))
    keep("refused", client.get("/worker/audit"))
    client.post("/worker/logout")
    keep("logged-out", client.get("/worker/login?out=1"))
    log_in(client, "root")
    keep("home-admin", client.get("/worker/"))
    keep("audit", client.get("/worker/audit?page=1"))
    keep("audit-second-page", client.get("/worker/audit?page=2"))
    keep("audit-error", client.get("/worker/audit?request=Z9999"))
    keep("audit-empty", client.get("/worker/audit?actor=nobody"))
    client.post("/worker/logout")
    return pages


def test_every_worker_page_is_valid_html(app, tmp_path):
    add_accounts(app)
    with app.app_context():
        for _ in range(60):
            with write_transaction(get_db()):
                audit.record(get_db(), "system", "login.failed", detail={"why": "unknown_name"})
    pages = {f"{locale}-{name}": html for locale in LOCALES for name, html in collect_pages(app, locale).items()}
    assert len(pages) == 3 * 11
    problems = nu_problems(pages, tmp_path)
    assert not problems, "\n".join(problems)
