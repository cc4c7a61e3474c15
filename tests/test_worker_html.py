"""Every worker page, in every language, passes the Nu HTML Checker with no errors (one Java run)."""
import json
import shutil
import subprocess
from pathlib import Path

from core import audit
from kiosk.db import get_db

from .conftest import LOCALES
from .test_html_validity import VNU
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
    java = shutil.which("java")
    assert java and VNU.exists(), "`make test` installs Java and the Nu checker (npm vnu-jar)"
    add_accounts(app)
    with app.app_context():
        for _ in range(60):
            audit.record(get_db(), "system", "login.failed", detail={"why": "unknown_name"})
    files = []
    for locale in LOCALES:
        for name, html in collect_pages(app, locale).items():
            path = tmp_path / f"{locale}-{name}.html"
            path.write_text(html, encoding="utf-8")
            files.append(path)
    assert len(files) == 3 * 11
    result = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    problems = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}" for m in messages]
    assert not problems, "\n".join(problems)
