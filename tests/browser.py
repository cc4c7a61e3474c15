"""Driving the kiosk in real Chromium the way a resident does: one tap at a time."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from core.catalogue import DEMO_FILE

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
SERVICES = {s["service_code"]: s for s in CATALOGUE["services"]}
LANGUAGE_BUTTON = {"zh_Hans_CN": "简体中文", "zh_Hant_TW": "繁體中文", "en": "English"}


class Resident:
    """A page plus a tap counter. ``tap`` clicks and waits for the next page, boosted or not."""

    def __init__(self, page, base_url: str, js: bool):
        self.page, self.base_url, self.js, self.taps = page, base_url, js, 0

    def settle(self) -> None:
        self.page.wait_for_load_state()
        if self.js:
            self.page.wait_for_function(
                "() => window.htmx && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)
        self.settle()

    def tap(self, locator, expect_new_page: bool = True) -> None:
        before = self.page.url
        locator.click()
        self.taps += 1
        if expect_new_page:
            self.page.wait_for_url(lambda url: url != before, timeout=10_000)
        self.settle()

    def tap_expecting_error(self, locator) -> None:
        """Tap something that must be refused: the same page comes back with an error summary."""
        self.tap(locator, expect_new_page=False)
        self.page.wait_for_selector(".error-summary")

    def open_preferences(self) -> None:
        """On a phone the language and text-size buttons are folded behind one summary: tap it open.
        At kiosk size the summary is not shown and the buttons always are."""
        toggle = self.page.locator("summary.preferences__toggle")
        if toggle.is_visible() and not self.page.locator("details.preferences__fold[open]").count():
            toggle.click()
            self.page.wait_for_selector("details.preferences__fold[open]")

    def choose_language(self, locale: str) -> None:
        self.open_preferences()
        button = self.page.locator(f"button[name=locale][value={locale}]")
        button.click()
        self.page.wait_for_selector(f"button[name=locale][value={locale}][aria-pressed=true]", state="attached")
        self.settle()

    def choose_text_size(self, size: int) -> None:
        self.open_preferences()
        self.page.locator(f"button[name=size][value='{size}']").click()
        self.page.wait_for_selector(f"html.text-size-{size}")
        self.settle()

    @property
    def path(self) -> str:
        return self.page.url[len(self.base_url):]


def complete_service(resident: Resident, code: str, locale: str) -> dict:
    """From the start page, choose the service and answer everything; return what the receipt shows.

    Taps are counted from the Start button on the service page, as the issue counts them.
    """
    service = SERVICES[code]
    resident.page.get_by_role("link", name=service["texts"][locale]["service_name"]).click()
    resident.page.wait_for_url(f"**/services/{code}")
    resident.settle()
    resident.taps = 0
    resident.tap(resident.page.locator("main form button.button--primary"))
    for _ in range(10):
        path = resident.path
        if path.startswith("/request/questions/"):
            options = resident.page.locator(".options button")
            if options.count():
                resident.tap(options.first)
            else:
                resident.page.locator("[name=answer]").fill("3号楼 2单元 门口 / Building 3")
                resident.tap(resident.page.locator("main form button.button--primary"))
        elif path == "/request/about-you":
            for field, text in (("#name", "王秀兰"), ("#address", "3-2-501")):
                if resident.page.locator(field).count():
                    resident.page.locator(field).fill(text)
            resident.tap(resident.page.locator("main form button.button--primary"))
        elif path == "/request/contact":
            resident.tap(resident.page.locator("button[name=contact][value=centre]"))
        elif path == "/request/check":
            resident.tap(resident.page.locator("main form button.button--primary"))
        elif path.startswith("/receipt/"):
            break
        else:
            raise AssertionError(f"unexpected page {path}")
    assert resident.path.startswith("/receipt/"), resident.path
    return {
        "ticket": resident.page.locator("#ticket-number").inner_text().strip(),
        "code": resident.page.locator(".check-code").inner_text().strip(),
        "taps": resident.taps,
    }


def decode_qr(png: bytes) -> str:
    """Decode the QR code in a screenshot, as a phone camera would: trying a few clean-ups (grey,
    black-and-white, enlarged, a wider white margin) as a camera app does, first success wins."""
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    variants = [image, grey, binary, cv2.resize(binary, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST),
                cv2.copyMakeBorder(binary, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)]
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        for variant in variants:
            text, _, _ = detector.detectAndDecode(variant)
            if text:
                return text
    return ""


def scan_qr(page) -> str:
    """Point the "camera" at the receipt's QR code: up to three shots, as a person would try again."""
    code = page.locator("svg.qr")
    for _ in range(3):
        code.scroll_into_view_if_needed()
        page.wait_for_timeout(200)
        text = decode_qr(code.screenshot(animations="disabled"))
        if text:
            return text
    return ""
