"""Receipts on paper (issue 24, item 4): the bytes python-escpos's Dummy printer collects, read back by
an ESC/POS reader of our own (tests/escpos_paper.py: no registry has a renderer of ESC/POS bytes) and
drawn as the paper; and a real loopback TCP "printer" (tests/fake_printer.py) behind ``KIOSK_PRINTER=
network:…`` that answers DLE EOT like a real one, driven from the receipt page and the worker's pages."""
from __future__ import annotations

import html
import os
import re
import time
from pathlib import Path

import pytest

from core import outbox
from core.catalogue import get_service
from core.db import write_transaction
from core.printing import Block, Printer, job, parse_setting
from core.printing import device
from kiosk.db import get_db

from .escpos_paper import draw, read
from .fake_printer import FakePrinter
from .flows import confirm, fill_service
from .conftest import KIOSK_SIZE, PHONE_SIZE, LiveKiosk
from .worker_helpers import add_accounts, log_in

PHONE = {"REMOTE_ADDR": "192.168.1.23"}


def wait_for_job(printer: FakePrinter, count: int = 1) -> bytes:
    for _ in range(100):
        if len(printer.jobs) >= count:
            return printer.jobs[count - 1]
        time.sleep(0.05)
    raise AssertionError(f"the printer got {len(printer.jobs)} jobs, not {count}")


def saved_receipt(app, client, locale="zh_Hans_CN", environ=None):
    if environ:
        client.environ_base.update(environ)
    client.post("/language", data={"locale": locale})
    with app.app_context():
        service = get_service(get_db(), "repairs", locale)
    fill_service(client, service)
    return confirm(client)


def answer_on(page: str) -> str:
    found = re.search(r'id="print-answer">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


@pytest.fixture
def printer():
    with FakePrinter() as fake:
        yield fake


@pytest.fixture
def printing_app(app, printer):
    app.config.update(PRINTER=printer.setting, CENTRE_NAME="幸福社区服务中心", CENTRE_PHONE="021-5555 1234")
    return app


# --- the job itself -------------------------------------------------------------------------------


def test_a_chinese_receipt_is_gb18030_in_the_printers_chinese_mode_and_reads_back(printing_app, printer, tmp_path):
    client = printing_app.test_client()
    ticket, code = saved_receipt(printing_app, client)
    page = client.post(f"/receipt/{ticket}/print", follow_redirects=True).get_data(as_text=True)
    data = wait_for_job(printer)
    paper = read(data)  # strict: a code-page switch or a stray byte above 0x7F fails here
    assert paper.commands[:2] == ["ESC @", "FS &"] and paper.cut
    first_chinese = next(i for i, b in enumerate(data) if b >= 0x81)
    assert data.index(b"\x1c&") < first_chinese  # Chinese mode is set before the first Chinese byte
    assert "幸福社区服务中心".encode("gb18030") in data and "您的编号".encode("gb18030") in data
    big = [line for line in paper.lines if line.width == 3]
    assert [line.text for line in big] == [" ".join(ticket)]  # the ticket spelled out, in the biggest type
    assert f"{code[:3]} {code[3:]}" in paper.text and "公共设施报修" in paper.text and "021-5555 1234" in paper.text
    assert all(line.height >= 2 for line in paper.lines if line.text and not line.text.startswith("-"))  # big type
    picture = draw(paper)
    picture.save(tmp_path / "receipt.png")
    if os.environ.get("SCREENSHOT_DIR"):  # to look at by eye (as the browser tests' screenshots)
        picture.save(Path(os.environ["SCREENSHOT_DIR"]) / "receipt-paper.png")
    import cv2

    found, *_ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(tmp_path / "receipt.png")))
    assert 'class="qr"' in page and found.endswith(f"/status/{ticket}" + found[found.index("?"):]) and "?t=" in found
    assert client.get(found.split("/", 3)[3].join(["/", ""])).status_code == 200  # the printed QR opens the status page
    assert "王秀兰" not in paper.text and "3-2-501" not in paper.text  # nothing personal on paper


@pytest.mark.parametrize("locale,words", [("en", "Your ticket number"), ("zh_Hant_TW", "您的編號")])
def test_english_and_traditional_receipts_print_their_own_language(printing_app, printer, locale, words):
    client = printing_app.test_client()
    ticket, _ = saved_receipt(printing_app, client, locale)
    client.post(f"/receipt/{ticket}/print")
    paper = read(wait_for_job(printer))
    assert words in paper.text and "幸福社区服务中心" in paper.text  # the centre's own name as written


def test_the_dummy_job_wraps_by_display_width_and_leaves_out_what_no_font_has():
    paper = read(job([Block("text", "维修人员会去查看。" * 8), Block("heading", "Repairs 🛠 of the lift and the stairs"),
                      Block("qr", "http://192.0.2.2/status/A0001?t=x")], paper_mm=58))
    assert all(sum(2 if ord(c) > 0x7F else 1 for c in line.text) * line.width <= 32 for line in paper.lines)
    assert "🛠" not in paper.text and "Repairs of the" in paper.text.replace("\n", " ")
    draw(paper, dots=384)


# --- the printer's state --------------------------------------------------------------------------


def test_settings_are_read_strictly():
    assert str(parse_setting("network:192.0.2.9")) == "network:192.0.2.9:9100"
    assert parse_setting("usb:04B8:0202").target == "04b8:0202"
    assert parse_setting("serial:/dev/ttyUSB0").number == 9600
    assert parse_setting(" None ").kind == "none"
    for wrong in ("lpt1", "network:", "usb:4b8:202", "file:lp0", "network:host;rm -rf /"):
        with pytest.raises(ValueError):
            parse_setting(wrong)


@pytest.mark.parametrize("state,expected", [("ready", device.READY), ("paper_low", device.PAPER_LOW),
                                            ("paper_out", device.PAPER_OUT), ("cover_open", device.OFFLINE)])
def test_the_printers_answers_to_dle_eot_give_its_state(printer, state, expected):
    printer.state = state
    assert Printer(printer.setting).state().state == expected
    assert printer.questions == [1, 4]


def test_a_silent_or_missing_printer_never_holds_a_page(printer, tmp_path):
    printer.state = "silent"
    started = time.monotonic()
    assert Printer(printer.setting).print(b"x\n").state == device.NOT_ANSWERING
    assert time.monotonic() - started < device.ANSWER_SECONDS + 1
    assert Printer("file:" + str(tmp_path / "lp0")).print(b"x\n").state == device.NOT_CONNECTED
    fifo = tmp_path / "fifo"  # a device file nobody reads: a driver that takes no more bytes
    import os

    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        started = time.monotonic()
        assert Printer("file:" + str(fifo), print_seconds=0.5).print(b"x" * 1_000_000).state == device.NOT_ANSWERING
        assert time.monotonic() - started < 2
    finally:
        os.close(reader)


# --- the receipt page -----------------------------------------------------------------------------


def test_print_the_receipt_is_a_form_that_works_without_javascript(printing_app, printer):
    client = printing_app.test_client()
    ticket, _ = saved_receipt(printing_app, client, "en")
    page = client.get(f"/receipt/{ticket}").get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+)" class="js-print-receipt"[^>]*>', page)
    assert form and form.group(1) == f"/receipt/{ticket}/print" 
    assert '<button type="submit" class="button button--secondary ">' in page.split("js-print-receipt")[1][:400]  # not hidden
    answer = client.post(form.group(1))
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert answer_on(page) == "Printed. Take your receipt from the slot below."
    assert ticket in page and 'class="qr"' in page  # the receipt stays on the screen
    assert answer_on(client.get(f"/receipt/{ticket}").get_data(as_text=True)) == ""  # said once


@pytest.mark.parametrize("state,words", [("paper_out", "The printer has run out of paper."),
                                         ("silent", "The printer is not working just now."),
                                         ("cover_open", "The printer is not working just now.")])
def test_a_printer_that_cannot_print_gets_nothing_and_the_resident_is_told(printing_app, printer, state, words):
    printer.state = state
    client = printing_app.test_client()
    ticket, _ = saved_receipt(printing_app, client, "en")
    page = client.post(f"/receipt/{ticket}/print", follow_redirects=True).get_data(as_text=True)
    assert answer_on(page) == words + " Your request is saved. Please write down your ticket number and check code," \
                                      " or ask a worker to help."
    assert ticket in page
    time.sleep(0.3)
    assert printer.jobs == []


def test_without_a_printer_the_screen_says_so_in_the_residents_language(app, client):
    ticket, _ = saved_receipt(app, client, "zh_Hans_CN")
    page = client.post(f"/receipt/{ticket}/print", follow_redirects=True).get_data(as_text=True)
    assert answer_on(page).startswith("这台自助终端没有打印机。") and "请记下您的编号和查询码" in answer_on(page)


def test_only_the_visit_that_owns_a_receipt_may_print_it(printing_app, printer):
    owner = printing_app.test_client()
    ticket, _ = saved_receipt(printing_app, owner, "en")
    stranger = printing_app.test_client()
    stranger.environ_base.update(PHONE)
    assert stranger.post(f"/receipt/{ticket}/print").status_code == 404
    time.sleep(0.3)
    assert printer.jobs == []


def test_a_phone_prints_its_own_receipt_at_the_kiosk_and_is_limited(printing_app, printer):
    printing_app.config.update(PHONE_PRINT_LIMIT="1 per hour")
    phone = printing_app.test_client()
    ticket, _ = saved_receipt(printing_app, phone, "en", PHONE)
    page = phone.post(f"/receipt/{ticket}/print", follow_redirects=True).get_data(as_text=True)
    assert answer_on(page) == "Printed at the kiosk's printer. Collect your receipt there."
    wait_for_job(printer)
    page = phone.post(f"/receipt/{ticket}/print", follow_redirects=True).get_data(as_text=True)
    assert answer_on(page).startswith("This receipt has been printed several times already.")
    assert len(printer.jobs) == 1


def test_one_receipt_is_printed_at_most_three_times(printing_app, printer):
    client = printing_app.test_client()
    ticket, _ = saved_receipt(printing_app, client, "en")
    for _ in range(4):
        page = client.post(f"/receipt/{ticket}/print", follow_redirects=True).get_data(as_text=True)
    wait_for_job(printer, 3)
    assert answer_on(page).startswith("This receipt has been printed several times already.")
    time.sleep(0.3)
    assert len(printer.jobs) == 3


# --- the worker's side ----------------------------------------------------------------------------


def test_the_health_page_shows_the_printers_state(printing_app, printer):
    add_accounts(printing_app)
    worker = printing_app.test_client()
    assert log_in(worker, "alice").status_code == 302
    worker.post("/language", data={"locale": "en"})
    printer.state = "paper_out"
    page = worker.get("/worker/health").get_data(as_text=True)
    assert "Receipt printer" in page and "Out of paper: put in a new roll." in page
    printing_app.config.update(PRINTER="network:127.0.0.1:1")
    assert "Not connected: check its cable" in worker.get("/worker/health").get_data(as_text=True)
    printing_app.config.update(PRINTER="none")
    assert "No printer is set up (KIOSK_PRINTER)." in worker.get("/worker/health").get_data(as_text=True)


def test_a_worker_prints_a_residents_status_letter_in_her_language(printing_app, printer):
    resident = printing_app.test_client()
    ticket, code = saved_receipt(printing_app, resident, "zh_Hans_CN")
    with printing_app.app_context():
        db = get_db()
        request_id = db.execute("SELECT id FROM requests WHERE ticket = ?", [ticket]).fetchone()[0]
        with db.conn:
            for state, data in ((outbox.IN_FLIGHT, {}), (outbox.ACCEPTED, {"service_request_id": "COUNTY-77"}),
                                (outbox.CLOSED, {"status_notes": "电梯已修好"})):
                with write_transaction(db):
                    outbox.record(db, request_id, state, **data)
    add_accounts(printing_app)
    worker = printing_app.test_client()
    assert worker.post(f"/worker/request/{ticket}/print-letter").status_code in (302, 401, 403)  # not logged in
    time.sleep(0.3)
    assert printer.jobs == []
    assert log_in(worker, "alice").status_code == 302
    worker.post("/language", data={"locale": "en"})
    page = worker.get(f"/worker/request/{ticket}").get_data(as_text=True)
    assert "Print a status letter" in page
    page = worker.post(f"/worker/request/{ticket}/print-letter", follow_redirects=True).get_data(as_text=True)
    assert "The status letter is printed. Give it to the resident." in page
    paper = read(wait_for_job(printer))
    assert "您的申请“公共设施报修”已经办完了。" in paper.text.replace("\n", "")  # her language, not the worker's
    assert "县里的答复：电梯已修好" in paper.text and " ".join(ticket) in paper.text and code not in paper.text
    printer.state = "paper_out"
    page = worker.post(f"/worker/request/{ticket}/print-letter", data={"back": "worklist"},
                       follow_redirects=True).get_data(as_text=True)
    assert "The status letter was not printed: Out of paper: put in a new roll." in page


# --- in Chromium ----------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("size", [KIOSK_SIZE, PHONE_SIZE], ids=["kiosk", "phone"])
def test_in_chromium_the_button_prints_and_the_page_says_so_with_the_buttons_in_view(browser, tmp_path, size):
    from .browser import Resident, complete_service
    from .test_entry_browser import seen_whole

    with FakePrinter() as printer:
        kiosk = LiveKiosk(tmp_path / "instance", KIOSK_PRINTER=printer.setting).start()
        context = browser.new_context(viewport=size, locale="zh-CN")
        try:
            page = context.new_page()
            resident = Resident(page, kiosk.url, js=True)
            resident.open("/")
            shown = complete_service(resident, "repairs", "zh_Hans_CN")
            button = page.get_by_role("button", name="打印回执")
            assert seen_whole(page, button)["seen"]
            started = time.perf_counter()
            button.click()
            page.locator("#print-answer").wait_for()
            data = wait_for_job(printer)
            assert printer.last_byte_at - started < 5
            assert page.locator("#print-answer").inner_text() == "已打印。请从下面的出纸口取走回执。"
            for name in ("打印回执", "完成"):
                assert seen_whole(page, page.get_by_role("button", name=name), as_loaded=False)["seen"], name
            answer = seen_whole(page, page.locator("#print-answer"), as_loaded=False)
            # on the kiosk all of it; on a 375×667 phone it begins at the fold, right under the buttons
            assert answer["seen"] if size == KIOSK_SIZE else answer["top"] < size["height"], answer
            assert " ".join(shown["ticket"]) in read(data).text
        finally:
            context.close()
            kiosk.stop()


@pytest.mark.browser
@pytest.mark.slow
def test_speech_mode_prints_the_receipt_at_once_and_says_what_the_printer_did(browser, tmp_path):
    """Issue 24: a resident who cannot see the screen gets her receipt on paper without finding the button.
    Speech mode begun on the receipt (her first keypad key) prints it, once; the printer's answer is the
    first thing said; coming back to the page does not print again."""
    from .browser import Resident, complete_service

    with FakePrinter() as printer:
        kiosk = LiveKiosk(tmp_path / "instance", KIOSK_PRINTER=printer.setting).start()
        context = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN")
        try:
            page = context.new_page()
            resident = Resident(page, kiosk.url, js=True)
            resident.open("/")
            shown = complete_service(resident, "repairs", "zh_Hans_CN")
            receipt = page.url
            assert page.locator("form.js-print-receipt").get_attribute("data-auto-print") == shown["ticket"]
            assert not printer.jobs  # nothing printed for a resident who did not start speech mode
            page.keyboard.press("ArrowDown")  # a keypad key: speech mode starts, and the receipt prints
            page.locator("#print-answer").wait_for()
            data = wait_for_job(printer)
            assert " ".join(shown["ticket"]) in read(data).text
            page.wait_for_function("() => window.kioskSpeech.log.length > 0")
            first = page.evaluate("() => window.kioskSpeech.log[0]")
            # what the printer did first, then the page from its heading: her ticket and code come next
            assert "已打印" in first["lead"] and first["text"] == "您的申请已保存" and first["role"] == "heading", first
            page.goto(receipt)
            page.wait_for_function("() => window.kioskSpeech.log.length > 0")
            time.sleep(0.5)
            assert len(printer.jobs) == 1  # once per ticket
        finally:
            context.close()
            kiosk.stop()


def test_speech_mode_prints_by_itself_only_where_there_is_a_printer(app, printer):
    for setting, prints in (("none", False), (printer.setting, True)):
        app.config["PRINTER"] = setting
        with app.test_client() as visit:
            ticket, _ = saved_receipt(app, visit)
            page = visit.get(f"/receipt/{ticket}").get_data(as_text=True)
            assert "js-print-receipt" in page and ("data-auto-print" in page) == prints
