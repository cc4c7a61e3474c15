"""Every resident page, in every language, at kiosk and phone size: zero axe-core violations for
WCAG 2.x A, AA and AAA (run together), and the kiosk's own rules read from the rendered page:
text at least 28 px on the kiosk and 24 px on a phone, running text with line height 1.5, touch
targets at least 64 x 64 px with at least 8 px between them."""
import sqlite3

import pytest

from .browser import ROOT, Resident
from .conftest import KIOSK_SIZE, LOCALES, PHONE_SIZE, LiveKiosk

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules/axe-core/axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag2aaa", "wcag21a", "wcag21aa", "wcag22aa"]

MEASURE = """
(base) => {
  const problems = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 2 && r.height > 2 && s.visibility !== 'hidden' && r.right > 0 && r.bottom > 0;
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30) + '"';
  // An open modal dialog makes the rest of the page inert: then only the dialog can be read or touched.
  const scope = document.querySelector('dialog[open]') || document.body;
  const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !visible(el) || el.closest('.visually-hidden, svg, script')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < base - 0.01) problems.push(`text ${size}px under ${base}px: ${describe(el)}`);
  }
  const running = scope === document.body ? 'main p, main li, main dt, main dd, main label, .hint' : 'p, li, label';
  for (const el of scope.querySelectorAll(running)) {
    if (!visible(el) || el.closest('h1, h2, h3')) continue;  // headings are not running text
    const s = getComputedStyle(el), size = parseFloat(s.fontSize);
    const height = s.lineHeight === 'normal' ? 1.2 * size : parseFloat(s.lineHeight);
    if (height / size < 1.49) problems.push(`line height ${(height / size).toFixed(2)}: ${describe(el)}`);
  }
  const targets = [...scope.querySelectorAll('a[href], button, input:not([type=hidden]), textarea, select')]
    .filter(visible).map((el) => [el, el.getBoundingClientRect()]);
  for (const [el, r] of targets) {
    if (r.width < 63.5 || r.height < 63.5) problems.push(`target ${Math.round(r.width)}x${Math.round(r.height)}: ${describe(el)}`);
  }
  for (let i = 0; i < targets.length; i++) {
    for (let j = i + 1; j < targets.length; j++) {
      const [a, ra] = targets[i], [b, rb] = targets[j];
      if (a.contains(b) || b.contains(a)) continue;
      const gap = Math.max(rb.left - ra.right, ra.left - rb.right, rb.top - ra.bottom, ra.top - rb.bottom);
      if (gap < 7.5) problems.push(`targets ${Math.round(gap)}px apart: ${describe(a)} / ${describe(b)}`);
    }
  }
  return problems;
}
"""


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory):
    """Its own server, with a short busy timeout so the "not saved" page can be shown quickly."""
    live = LiveKiosk(tmp_path_factory.mktemp("a11y") / "instance", KIOSK_DB_BUSY_TIMEOUT="0.3").start()
    yield live
    live.stop()


class Auditor:
    def __init__(self, resident: Resident, base_px: int):
        self.resident, self.base_px, self.problems, self.pages = resident, base_px, [], 0

    def __call__(self, name: str) -> None:
        page = self.resident.page
        if not page.evaluate("() => !!window.axe"):
            page.add_script_tag(path=str(AXE))
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
        for violation in result["violations"]:
            nodes = ", ".join(" ".join(n["target"]) for n in violation["nodes"][:3])
            self.problems.append(f"{name}: axe {violation['id']} ({violation['impact']}): {violation['help']} at {nodes}")
        self.problems += [f"{name}: {p}" for p in page.evaluate(MEASURE, self.base_px)]
        self.pages += 1


@pytest.mark.parametrize("size", [KIOSK_SIZE, PHONE_SIZE], ids=["kiosk", "phone"])
@pytest.mark.parametrize("locale", LOCALES)
def test_every_resident_page_is_accessible(browser, kiosk, locale, size):
    context = browser.new_context(viewport=size, bypass_csp=True)  # CSP would block injecting axe
    page = context.new_page()
    resident = Resident(page, kiosk.url, js=True)
    audit = Auditor(resident, 28 if size is KIOSK_SIZE else 24)
    primary = "main form button.button--primary"
    try:
        resident.open("/")
        resident.choose_language(locale)
        audit("start")
        resident.open("/services/repairs")
        audit("service")
        resident.tap(page.locator(primary))
        audit("question with answers to tap")
        resident.tap(page.locator(".options button").first)
        audit("question to type")
        resident.tap_expecting_error(page.locator(primary))
        audit("question with an error")
        page.locator("[name=answer]").fill("3号楼")
        resident.tap(page.locator(primary))
        resident.tap(page.locator(".options button").first)
        audit("contact")
        page.locator("#phone").fill("12")
        page.locator("#phone").press("Enter")  # Enter sends the phone form, not the first button on the page
        page.wait_for_selector(".error-summary")
        audit("contact with an error")
        resident.tap(page.locator("button[value=centre]"))
        audit("check your answers")
        resident.tap(page.locator("a[href='/request/photos?return=check']"))
        audit("photos")  # issue 23: a repair shown with a photo
        resident.tap(page.locator("main [data-camera-finish]"))  # Done: a button of the photo's form
        resident.tap(page.locator(primary))
        audit("receipt")
        ticket, code = page.locator("#ticket-number").inner_text(), page.locator(".check-code").inner_text()
        resident.tap(page.locator("form[action='/receipt/done'] button"))
        resident.choose_language(locale)

        resident.open("/services/home-care")
        resident.tap(page.locator(primary))
        resident.tap(page.locator(".options button").first)
        resident.tap(page.locator(".options button").first)
        audit("about you")
        resident.tap_expecting_error(page.locator(primary))
        audit("about you with errors")
        page.evaluate("document.getElementById('idle-dialog').showModal()")
        audit("the walk-away question")
        page.evaluate("document.getElementById('idle-dialog').close()")
        page.locator("#name").fill("王秀兰")
        page.locator("#address").fill("3-2-501")
        resident.tap(page.locator(primary))
        resident.tap(page.locator("button[value=centre]"))
        lock = sqlite3.connect(kiosk.database, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            resident.tap(page.locator(primary), expect_new_page=False)
            page.wait_for_selector(".panel--warning")
            audit("not saved")
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        resident.tap(page.locator("button[value=home]"))
        audit("stop here?")
        resident.tap(page.locator("main a.button--secondary"))

        resident.open("/status")
        audit("keypad")
        page.locator("#entered").fill("A99990000")
        resident.tap_expecting_error(page.locator(primary))
        audit("keypad with an error")
        resident.open(f"/status/{ticket}?c={code}")
        audit("status ladder")
        resident.open("/status/A9999?c=0000")
        audit("ticket not found")
        resident.open("/help")
        audit("help")
        resident.open("/visit/resume")
        audit("resume keypad")
        page.locator("#entered").fill("123")
        resident.tap_expecting_error(page.locator(primary))
        audit("resume keypad with an error")
        resident.open("/speech?next=/help")
        audit("voice settings")
        resident.open("/no-such-page")
        audit("page not found")
        resident.open("/services/repairs")
        page.evaluate("document.querySelector('main form [name=csrf_token]').value = 'stale'")
        resident.tap(page.locator(primary), expect_new_page=False)
        page.wait_for_selector("main h1")
        audit("form expired")
        resident.open("/")
        resident.choose_text_size(2)
        audit.base_px = int(audit.base_px * 1.5)
        audit("start, largest text")
        resident.open("/services/repairs")
        resident.tap(page.locator(primary))
        audit("question, largest text")
    finally:
        context.close()
    assert audit.pages == 27
    assert not audit.problems, "\n".join(audit.problems)
