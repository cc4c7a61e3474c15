"""The items of a page as speech mode walks them (static/js/speech_mode.js): every heading, text, link,
button and field of the ``<body>``, in reading order, each with the words it is spoken with.

The browser decides which item is where (it knows what is shown); the server decides what may be
said: every text this module finds in a page is given an audio address when the page is rendered
(:mod:`kiosk.speech_mode`), and nothing else can be spoken. Both sides follow the same rules, written
twice (here and in the script): keep them together.

- skipped: ``script``, ``style``, ``template``, ``svg``, ``noscript``, ``audio``, ``head``, anything
  ``aria-hidden="true"`` or ``type="hidden"`` (and, by the script, anything not shown);
- an item is a link with ``href``, a button, a field (``input``, ``select``, ``textarea``) or a
  ``summary``, named by its ``aria-label``, its ``<label for>``, its ``value`` (a submit input) or its
  text; or any other element that is not inline and has text of its own (the text of its inline
  children, up to the next item or block);
- an element marked ``data-speech-spell`` (a ticket, a check code) is read one character at a time:
  its characters are spoken from clips of single characters, and the words around it are texts of
  their own ("Check code").
"""
from __future__ import annotations

from html.parser import HTMLParser

SKIP = {"script", "style", "template", "svg", "noscript", "audio", "video", "head", "title"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
INLINE = {"abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s",
          "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "a", "img"}
FIELDS = {"input", "select", "textarea"}


class Node:
    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag: str, attrs: dict, parent: "Node | None"):
        self.tag, self.attrs, self.children, self.parent = tag, attrs, [], parent


class _Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.here = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.here)
        self.here.children.append(node)
        if tag not in VOID:
            self.here = node

    def handle_startendtag(self, tag, attrs):
        self.here.children.append(Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.here))

    def handle_endtag(self, tag):
        node = self.here
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.here = node.parent

    def handle_data(self, data):
        self.here.children.append(data)


def normal(text: str) -> str:
    """Whitespace as the script makes it: runs of it one space, none at either end."""
    return " ".join(text.split())


def skipped(node: Node) -> bool:
    a = node.attrs
    # not ``hidden``: a script may show it (Print the receipt, Read aloud); the script skips what is not shown
    return (node.tag in SKIP or a.get("aria-hidden") == "true"
            or (node.tag == "input" and a.get("type") == "hidden"))


def interactive(node: Node) -> bool:
    return ((node.tag == "a" and "href" in node.attrs) or node.tag in ("button", "summary") or node.tag in FIELDS)


def all_text(node: Node) -> str:
    """Every text under ``node`` that is not skipped."""
    out = []
    for child in node.children:
        if isinstance(child, str):
            out.append(child)
        elif not skipped(child):
            out.append(all_text(child))
    return "".join(out)


def _own(node: Node, runs: list, spelled: list) -> None:
    """The text of ``node``'s inline children, cut at spelled elements: ``runs`` is a list of lists of
    strings (one list per run of words), ``spelled`` the spelled texts between them."""
    for child in node.children:
        if isinstance(child, str):
            runs[-1].append(child)
        elif skipped(child) or interactive(child) or child.tag not in INLINE:
            continue
        elif "data-speech-spell" in child.attrs:
            spelled.append("".join(all_text(child).split()))
            runs.append([])
        else:
            _own(child, runs, spelled)


def own_texts(node: Node) -> list[str]:
    """The texts an element is spoken with when it is an item of text: each run of words (a spelled
    element ends one), and, where there is more than one run or a spelled part, the whole."""
    if "data-speech-spell" in node.attrs:
        return []  # all of it spelled: said from the character clips
    runs, spelled = [[]], []
    _own(node, runs, spelled)
    words = [normal("".join(run)) for run in runs]
    return [w for w in words if w]


def walk(node: Node, labels: dict, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, str) or skipped(child):
            continue
        if interactive(child):
            out.extend(names(child, labels))
            continue
        if child.tag not in INLINE:
            out.extend(own_texts(child))
        walk(child, labels, out)


def masked(node: Node) -> bool:
    """A keypad's entry (the ticket and check code, the resume code): what is typed there is never a
    text to speak (the script gives tones)."""
    while node is not None:
        if "ticket-entry" in node.attrs.get("class", "").split():
            return True
        node = node.parent
    return False


def names(node: Node, labels: dict) -> list[str]:
    """What a link, button or field may be called (the script picks the first it has), and a field's value."""
    a = node.attrs
    found = [a.get("aria-label", ""), a.get("title", ""), a.get("placeholder", "")]
    if node.tag in FIELDS:
        found.append(labels.get(a.get("id", ""), ""))
        if a.get("type") in ("submit", "button", "reset"):
            found.append(a.get("value", ""))
        elif a.get("type") not in ("password", "checkbox", "radio") and not masked(node):
            found.append(a.get("value", ""))  # what the page shows in the field: her answer kept
        if node.tag == "textarea":
            found.append(all_text(node))
    else:
        found.append(all_text(node))
    return [normal(text) for text in found if normal(text)]


def _labels(node: Node, found: dict) -> dict:
    for child in node.children:
        if isinstance(child, str):
            continue
        if child.tag == "label" and child.attrs.get("for"):
            found[child.attrs["for"]] = all_text(child)
        _labels(child, found)
    return found


def item_texts(html: str) -> list[str]:
    """Every text speech mode may say for this page, in reading order, each once."""
    tree = _Tree()
    tree.feed(html)
    tree.close()
    body = _find(tree.root, "body") or tree.root
    out: list[str] = []
    walk(body, _labels(body, {}), out)
    return list(dict.fromkeys(out))


def _find(node: Node, tag: str) -> Node | None:
    for child in node.children:
        if isinstance(child, str):
            continue
        if child.tag == tag:
            return child
        found = _find(child, tag)
        if found is not None:
            return found
    return None


def text_hash(text: str) -> str:
    """FNV-1a (32 bits) over the text's UTF-16 code units, as hex: how the script finds a text's audio
    without the page carrying every text twice. Two texts of one page that collide only share a sound."""
    value = 0x811C9DC5
    data = text.encode("utf-16-le")
    for i in range(0, len(data), 2):
        value ^= data[i] | (data[i + 1] << 8)
        value = (value * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"
