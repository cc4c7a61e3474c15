"""Static files: versioned addresses cached for good, gzipped copies that match their source, and a
first page light enough for the box's Wi-Fi (issue 13: at most 60 KB over the wire, htmx included)."""
import gzip
import hashlib
import os
import re
from pathlib import Path

import pytest
from flask import Flask

from kiosk.static_files import FOREVER, StaticFiles, compress, stale

from .conftest import KIOSK_SIZE, PHONE_SIZE

ROOT = Path(__file__).resolve().parent.parent
FIRST_PAGE_BUDGET = 60 * 1024
STATIC_REF = re.compile(r'<(?:script[^>]* src|link[^>]* href)="(/static/[^"]+)"')


def static_refs(html: str) -> list[str]:
    return [ref for ref in STATIC_REF.findall(html) if not ref.startswith("/static/audio/")]


@pytest.mark.parametrize("name", ["a" * 300, "css/" + "b" * 300 + ".css", "a\x00b", "a%00b.css", "js/%00"])
def test_a_name_too_long_or_with_a_nul_is_not_found_not_a_server_error(app, name):
    """Issue 19, item 6: a 300-character name (ENAMETOOLONG) or a NUL (ValueError) was a 500."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    for who in ({}, {"REMOTE_ADDR": "192.168.1.23"}):
        assert app.test_client().get("/static/" + name, environ_base=who).status_code in (400, 404)


def test_pages_refer_to_static_files_by_their_current_content(client):
    refs = static_refs(client.get("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True))
    assert any("htmx" in r for r in refs) and any("kiosk.css" in r for r in refs)
    for ref in refs:
        path, _, query = ref.partition("?")
        digest = hashlib.sha256((ROOT / path.lstrip("/")).read_bytes()).hexdigest()[:12]
        assert query == f"v={digest}", ref


def test_a_versioned_address_is_kept_for_good_and_a_bare_one_asked_again(client):
    ref = next(r for r in static_refs(client.get("/").get_data(as_text=True)) if "kiosk.css" in r)
    kept = client.get(ref)
    assert kept.status_code == 200 and kept.headers["Cache-Control"] == FOREVER
    bare = client.get(ref.partition("?")[0])
    assert bare.status_code == 200 and bare.headers["Cache-Control"] == "no-cache"
    again = client.get(ref.partition("?")[0], headers={"If-None-Match": bare.headers["ETag"]})
    assert again.status_code == 304
    old = client.get(ref.partition("?")[0] + "?v=000000000000")  # an address from an older kiosk.css
    assert old.headers["Cache-Control"] == "no-cache"
    for response in (kept, bare):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["css/kiosk.css", "js/kiosk.js", "js/keyboard.js", "vendor/htmx-2.0.11.min.js"])
def test_gzipped_copies_are_the_files_themselves(client, name):
    source = (ROOT / "static" / name).read_bytes()
    packed = client.get(f"/static/{name}", headers={"Accept-Encoding": "gzip"})
    assert packed.headers.get("Content-Encoding") == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == source
    assert len(packed.get_data()) < len(source) / 2
    plain = client.get(f"/static/{name}")
    assert "Content-Encoding" not in plain.headers and plain.get_data() == source


def test_a_changed_file_gets_a_new_gzip_and_a_stale_one_is_never_sent(tmp_path):
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    sheet = folder / "css" / "a.css"
    sheet.write_text("body { color: black; }\n" * 50)
    assert compress(folder) == [sheet.with_name("a.css.gz")] and compress(folder) == []
    sheet.write_text("body { color: navy; }\n" * 50)
    os.utime(sheet, ns=(1, 1))
    assert stale(folder) == [sheet.with_name("a.css.gz")]
    # A read-only install where the .gz could not be remade: the file goes out plain, and right.
    app = Flask(__name__, static_folder=str(folder))
    app.wsgi_app = StaticFiles(app, folder)
    response = app.test_client().get("/static/css/a.css", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers and b"navy" in response.get_data()
    assert compress(folder) == [sheet.with_name("a.css.gz")] and not stale(folder)
    assert b"navy" in gzip.decompress(sheet.with_name("a.css.gz").read_bytes())


@pytest.mark.browser
@pytest.mark.parametrize("size", [KIOSK_SIZE, PHONE_SIZE], ids=["kiosk", "phone"])
def test_first_page_over_the_wire_and_the_next_from_the_cache(browser, live_kiosk, size):
    """What Chromium really fetched: the start page with everything it loads, then a second page."""
    context = browser.new_context(viewport=size, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(live_kiosk.url + "/", wait_until="load")
        fetched = page.evaluate("""() => [performance.getEntriesByType('navigation')[0],
                                          ...performance.getEntriesByType('resource')]
                                         .map(e => [e.name, e.transferSize, e.decodedBodySize])""")
        total = sum(size for _, size, _ in fetched)
        assert any("htmx" in name for name, _, _ in fetched)
        print(f"first page: {total} bytes over the wire ({len(fetched)} fetches)")
        assert total <= FIRST_PAGE_BUDGET, [(n[-60:], s) for n, s, _ in fetched]
        assert total < sum(decoded for _, _, decoded in fetched) * 0.75  # compression did its part
        page.goto(live_kiosk.url + "/services/repairs", wait_until="load")
        again = page.evaluate("""() => performance.getEntriesByType('resource')
                                       .filter(e => e.name.includes('/static/') && !e.name.includes('/audio/'))
                                       .map(e => [e.name, e.transferSize])""")
        assert again and all(size == 0 for _, size in again), again  # from the browser's cache, not asked
    finally:
        context.close()


def test_pages_are_gzipped_for_a_browser_that_takes_it(client):
    """Pages too, not only static files: the start page is ~18 KB of HTML, ~5 KB gzipped (what a phone on
    the centre's Wi-Fi waits for); a client that does not say it takes gzip gets the page as it is."""
    plain = client.get("/", headers={"Accept-Language": "zh-CN"})
    packed = client.get("/", headers={"Accept-Language": "zh-CN", "Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers and "<html" in plain.get_data(as_text=True)
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    body = gzip.decompress(packed.get_data()).decode()
    assert "<html" in body and len(packed.get_data()) < len(body.encode()) / 2
    fragment = client.get("/static/js/kiosk.js", headers={"Accept-Encoding": "gzip"})  # static: its own .gz
    assert fragment.headers.get("Content-Encoding") == "gzip"
