"""Speech mode (EZ Access, issue 24) in real headless Chromium, driven by key presses only.

The test never looks at the screen to decide: like a resident with headphones it acts on what the box
said it was saying (``window.kioskSpeech.log``: the item's words, role and state, and the audio
addresses asked for). Each move is then checked against the element in focus, and each address against
the page's own map (engines/speech/page_items.text_hash) and the server's answers (200, audio)."""
from __future__ import annotations

import json
import re

import pytest
from babel.support import Translations

from engines.speech.page_items import text_hash

from .browser import ROOT
from .conftest import KIOSK_SIZE

pytestmark = pytest.mark.browser
LOCALE = "zh_Hans_CN"

#: The expected words of the focused element, worked out here on its own (its accessible name as a test
#: would read it): aria-label, its <label>, else its text without what is hidden from speech.
EXPECTED = """el => {
  const strip = n => { const c = n.cloneNode(true); c.querySelectorAll('[aria-hidden=true],[hidden],svg').forEach(x => x.remove()); return c.textContent; };
  const t = el.getAttribute('aria-label') || (el.labels && el.labels.length ? strip(el.labels[0]) : strip(el));
  return t.replace(/\\s+/g, '');
}"""


def translate(message: str) -> str:
    return Translations.load(str(ROOT / "locales"), [LOCALE], "messages").gettext(message)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


class Listener:
    """A resident with headphones: presses a key, hears what the box says (the last entry of its log)."""

    def __init__(self, page, base_url: str):
        self.page, self.base_url, self.keys = page, base_url, 0
        self.answers: dict[str, int] = {}
        page.on("response", lambda r: self.answers.__setitem__(r.url[len(base_url):], r.status))

    def entries(self) -> int:
        return self.page.evaluate("kioskSpeech.log.length")

    def press(self, key: str) -> dict:
        before = self.entries()
        self.page.keyboard.press(key)
        self.keys += 1
        self.page.wait_for_function(f"() => kioskSpeech.log.length > {before}")
        return self.heard()

    def heard(self) -> dict:
        return self.page.evaluate("""() => { const e = kioskSpeech.log[kioskSpeech.log.length - 1];
          return {action: e.action, text: e.text || '', role: e.role || '', states: e.states || [], urls: e.urls || [],
                  edge: e.edge || null, repeat: Boolean(e.repeat), focused: e.element === document.activeElement,
                  level: e.level || null, interrupted: Boolean(e.interrupted), parts: e.parts || []}; }""")

    def check(self, said: dict) -> None:
        """What was said is the element in focus, and every address is the page's own for those words."""
        assert said["focused"], said
        expected = self.page.evaluate(EXPECTED, self.page.evaluate_handle("document.activeElement"))
        spoken = squeeze(said["text"])
        if said["role"] in ("button", "link"):
            assert spoken == expected, (said, expected)
        else:  # a field says its label then what is in it; a block of text may hold other blocks
            assert spoken.startswith(expected) or spoken in expected, (said, expected)
        mapping = json.loads(self.page.locator("#speech-items").text_content())
        assert all(text_hash(w) in mapping["items"] for w in self.words_of(said)), ("words the page did not carry", said)
        wanted = [mapping["items"][text_hash(w)] for w in self.words_of(said)]
        refs = ["s" + u.rsplit("/", 1)[1].split(".")[0] if "/static/" in u else "v" + u.rsplit("/", 1)[1] for u in said["urls"]]
        for ref in wanted:
            assert ref in refs, (said, ref)
        if said["role"]:
            assert refs[-1 - len(said["states"])] == mapping["words"][said["role"]], said
        self.page.wait_for_function("urls => urls.every(u => performance.getEntriesByName(location.origin + u).length)",
                                    arg=said["urls"])
        for address in said["urls"]:
            assert self.answers.get(address, 200) in (200, 206), (address, self.answers.get(address))

    @staticmethod
    def words_of(said: dict) -> list[str]:
        return [part["w"] for part in said["parts"] if "w" in part]

    def until(self, text: str, key: str = "ArrowDown", limit: int = 80, within: bool = False) -> dict:
        """Press ``key`` until the box says ``text`` (or words holding it, ``within``), each move checked."""
        for _ in range(limit):
            said = self.press(key)
            self.check(said)
            if squeeze(said["text"]) == squeeze(text) or (within and squeeze(text) in squeeze(said["text"])):
                return said
        raise AssertionError(f"never heard {text!r}")

    def enter_to_new_page(self) -> dict:
        before = self.page.url
        self.page.keyboard.press("Enter")
        self.keys += 1
        self.page.wait_for_url(lambda url: url != before, timeout=15_000)
        self.page.wait_for_function("() => kioskSpeech.log.length && kioskSpeech.log[kioskSpeech.log.length - 1].action === 'page'")
        said = self.heard()
        self.check(said)
        return said

    @property
    def path(self) -> str:
        return self.page.url[len(self.base_url):]


@pytest.fixture(scope="module")
def ears(browser, live_kiosk):
    context = browser.new_context(viewport=KIOSK_SIZE, locale="zh-CN", has_touch=True)
    page = context.new_page()
    page.on("pageerror", lambda e: print("pageerror:", e))
    yield Listener(page, live_kiosk.url)
    context.close()


def receipt_said(ears: Listener) -> list[dict]:
    said = []
    for _ in range(80):
        heard = ears.press("ArrowDown")
        ears.check(heard)
        said.append(heard)
        if heard["edge"]:
            return said
    raise AssertionError("the receipt never ended")


def test_a_blind_resident_files_a_repair_and_checks_it_with_keys_only(ears):
    page = ears.page
    page.goto(ears.base_url + "/")
    page.wait_for_load_state()
    assert page.evaluate("kioskSpeech.on") is False  # off until a key of the keypad
    first = ears.press("ArrowDown")
    assert first["action"] == "start" and first["text"] == translate("What do you need help with?")
    assert first["role"] == "heading"
    ears.check(first)

    ears.until("公共设施报修")
    ears.enter_to_new_page()
    assert ears.path == "/services/repairs"
    start = ears.press("PageDown")  # Next: the page's main button
    ears.check(start)
    assert squeeze(start["text"]) == translate("Start") and start["role"] == "button"
    ears.enter_to_new_page()

    ears.until("楼道灯")
    where = ears.enter_to_new_page()
    assert ears.path == "/request/questions/where" and where["role"] == "heading"
    field = None
    for _ in range(10):
        field = ears.press("ArrowDown")
        ears.check(field)
        if field["role"] == "field":
            break
    assert field["role"] == "field" and "blank" in field["states"]
    for digit in "302":  # the 12-key number pad types into the field, each digit said back
        typed = ears.press(digit)
        assert typed["action"] == "type" and typed["text"] == digit
        assert typed["urls"] == [page.evaluate(f"kioskSpeech.url(JSON.parse(document.getElementById('speech-items').textContent).chars['{digit}'])")]
    assert page.locator("#answer-where").input_value() == "302"
    cont = ears.press("Enter")  # Enter in a field: on to its Continue
    ears.check(cont)
    assert squeeze(cont["text"]) == translate("Continue")
    ears.enter_to_new_page()
    while ears.path.startswith("/request/questions/"):  # any further question: its first answer
        for _ in range(20):
            heard = ears.press("ArrowDown")
            ears.check(heard)
            if heard["role"] == "button" and heard["text"] and page.evaluate("document.activeElement.name") == "answer":
                break
        ears.enter_to_new_page()

    assert ears.path == "/request/contact"
    ears.until(translate("A worker will contact me here at the centre"))
    ears.enter_to_new_page()
    assert ears.path == "/request/check"
    confirm = ears.press("PageDown")
    assert squeeze(confirm["text"]) == squeeze(translate("Confirm and save"))
    ears.enter_to_new_page()
    assert ears.path.startswith("/receipt/")

    ticket = page.locator("#ticket-number").inner_text().strip()
    code = page.locator(".check-code").inner_text().strip()
    heard = receipt_said(ears)
    chars = json.loads(page.locator("#speech-items").text_content())["chars"]
    spelled = {squeeze(h["text"]): h for h in heard}
    assert ticket in spelled, "the ticket is said"
    assert [page.evaluate(f"kioskSpeech.url('{chars[c]}')") for c in ticket] == spelled[ticket]["urls"], "one character at a time"
    code_said = spelled[squeeze(translate("Check code")) + code]
    assert code_said["urls"][-6:] == [page.evaluate(f"kioskSpeech.url('{chars[c]}')") for c in code]
    texts = [squeeze(h["text"]) for h in heard]
    assert squeeze(translate("What happens next")) in texts
    assert squeeze("维修人员会去查看。您可以用回执上的编号查询进度。") in texts
    assert heard[-1]["edge"] == "last" and heard[-1]["repeat"]

    ears.until(translate("Finish"), key="ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_url(ears.base_url + "/")
    page.wait_for_function("() => document.getElementById('speech-items') && kioskSpeech.on === false")  # the start page resets

    again = ears.press("ArrowDown")
    assert again["action"] == "start"
    ears.until(translate("Check progress of a request"))
    ears.enter_to_new_page()
    assert ears.path == "/status"
    ears.until(ticket[0])  # the keypad's letter key: Enter types it
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelector('.ticket-entry input').value.replace(/\\s/g, '') === '{ticket[0]}'")
    tones = page.evaluate("kioskSpeech.tones.length")
    for c in ticket[1:]:
        assert ears.press(c)["text"] == c  # the ticket's digits are said back
    before = ears.entries()
    for c in code:
        page.keyboard.press(c)
        ears.keys += 1
    page.wait_for_function(f"() => kioskSpeech.tones.length === {tones + len(code)}")
    assert ears.entries() == before, "the check code is never spoken, only tones"
    look = ears.press("PageDown")
    assert squeeze(look["text"]) == translate("Look up")
    ears.enter_to_new_page()
    assert ears.path.startswith(f"/status/{ticket}")
    ears.until(translate("Saved on this kiosk"), within=True)
    assert page.evaluate("kioskSpeech.missing") == [], "every item's words had their audio"


def words(page) -> dict:
    mapping = json.loads(page.locator("#speech-items").text_content())
    return {name: page.evaluate(f"kioskSpeech.url('{ref}')") for name, ref in mapping["words"].items()}


def test_interrupt_edges_repeating_help_and_the_worker_key(ears):
    page = ears.page
    page.goto(ears.base_url + "/")
    page.wait_for_load_state()
    welcome = ears.press("ArrowUp")  # any key of the keypad starts it: the welcome, then the page's heading
    said = words(page)
    assert welcome["action"] == "start" and welcome["urls"][0] == said["welcome"]
    page.wait_for_function("() => kioskSpeech.log[kioskSpeech.log.length - 1].firstSound", timeout=30_000)
    ears.press("ArrowUp")  # the next key interrupts it at once
    assert page.evaluate("kioskSpeech.log[kioskSpeech.log.length - 2].interrupted") is True
    assert page.evaluate("() => !kioskSpeech.log[kioskSpeech.log.length - 2].done")

    edges = []
    for _ in range(30):  # up to the first item, then three more presses: said more plainly each time
        heard = ears.press("ArrowUp")
        ears.check(heard)
        if heard["edge"]:
            edges.append(heard)
            if len(edges) == 4:
                break
    assert [e["edge"] for e in edges] == ["first", "first_again", "first_plain", "first_plain"]
    for edge in edges:
        assert edge["urls"][:2] == [said[edge["edge"]], said["repeating"]] and edge["repeat"]

    down = ears.press("ArrowDown")
    assert not down["repeat"] and said["repeating"] not in down["urls"]
    item_help = ears.press("F1")
    assert item_help["level"] == "item" and item_help["urls"][-1] == said["help_choose"]  # a link: Enter chooses it
    page_help = ears.press("F1")
    heading = page.evaluate("JSON.parse(document.getElementById('speech-items').textContent).items")[text_hash(translate("What do you need help with?"))]
    assert page_help["level"] == "page"
    assert page_help["urls"] == [said["page_is"], page.evaluate(f"kioskSpeech.url('{heading}')"), said["help_page"]]

    softer = ears.press("NumpadSubtract")
    assert softer["urls"] == [said["softer"]] and page.evaluate("kioskSpeech.volume()") == pytest.approx(0.7)

    # Back on a question page is its form's Back button: what she typed is kept (issue 23), not lost to history.back()
    page.goto(ears.base_url + "/services/repairs")
    page.wait_for_load_state()
    ears.press("PageDown")
    ears.enter_to_new_page()
    page.goto(ears.base_url + "/request/questions/where")
    page.wait_for_load_state()
    for _ in range(20):
        if ears.press("ArrowDown")["role"] == "field":
            break
    for digit in "302":
        ears.press(digit)
    page.keyboard.press("Escape")
    page.wait_for_url("**/request/questions/what**")
    page.goto(ears.base_url + "/request/questions/where")
    assert page.locator("#answer-where").input_value() == "302"

    page.keyboard.press("F2")  # Ask a worker for help: one key, on any page
    page.wait_for_url("**/help**")
    page.wait_for_function("() => kioskSpeech.log.length && kioskSpeech.log[kioskSpeech.log.length - 1].action === 'page'")
    assert page.locator("h1").first.inner_text().strip() in ears.heard()["text"] or ears.heard()["role"] == "heading"
    assert page.evaluate("kioskSpeech.volume()") == pytest.approx(0.7)  # kept for the visit…
    page.goto(ears.base_url + "/")
    page.wait_for_load_state()
    assert page.evaluate("kioskSpeech.on") is False and page.evaluate("kioskSpeech.volume()") == pytest.approx(0.8)  # …until the start page


def test_touch_to_hear_one_tap_speaks_a_second_acts(ears):
    page = ears.page
    page.goto(ears.base_url + "/")
    page.wait_for_load_state()
    ears.press("ArrowDown")
    tiles = page.locator("main .tiles a")
    first, second = tiles.nth(0), tiles.nth(1)
    box1, box2 = first.bounding_box(), second.bounding_box()
    centre = lambda b: (b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)  # noqa: E731

    before = ears.entries()
    page.touchscreen.tap(*centre(box1))
    page.wait_for_function(f"() => kioskSpeech.log.length > {before}")
    page.wait_for_timeout(500)
    heard = ears.heard()
    assert squeeze(heard["text"]) == first.evaluate(EXPECTED)
    assert heard["action"] == "touch" and ears.path == "/", "one tap speaks and never acts"

    x1, y1 = centre(box1)  # a finger held down, sliding from the first tile to the second
    x2, y2 = centre(box2)
    page.mouse.move(x1, y1)
    page.mouse.down()
    page.mouse.move(x2, y2, steps=12)
    page.mouse.up()
    page.wait_for_timeout(300)
    slid = ears.heard()
    assert slid["action"] == "slide" and squeeze(slid["text"]) == second.evaluate(EXPECTED), slid
    assert ears.path == "/"

    href = second.get_attribute("href")
    page.touchscreen.tap(*centre(box2))  # a deliberate second tap on the item just heard: it acts
    page.wait_for_url("**" + href)
