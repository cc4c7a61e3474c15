/* Speech mode (EZ Access) for a resident who cannot see the screen: headphones and a keypad.

   Off until the first key of the keypad (KIOSK_EZ_KEYS: Up, Down, Enter, Help, Back, Next, volume, the
   worker key); then Up and Down move through every item of the page in reading order, each spoken with
   its words, role and state ("继续, 按钮"); Enter activates; Help says the item's help, pressed again
   the page's; at either end the box says so, more plainly each time; an item said again starts with
   "Repeating"; the next key interrupts; the number pad types into the page's field, masked entries
   (a check code, a resume code) answering with tones. A finger on the screen hears what is under it;
   a second tap on the same item (or Enter) activates it. The start page turns speech mode off and
   the volume back. Only on the box's own screen, where the page carries #speech-items
   (kiosk/speech_mode.py): what each text's audio is; nothing else can be said.
   The rules for what an item is are also in engines/speech/page_items.py: keep them together.
   Without this file (or JavaScript) every page works as before, by touch. */
(function () {
  "use strict";
  var SKIP = ["SCRIPT", "STYLE", "TEMPLATE", "SVG", "NOSCRIPT", "AUDIO", "VIDEO", "HEAD", "TITLE"];
  var INLINE = ["ABBR", "B", "BDI", "BDO", "BR", "CITE", "CODE", "DATA", "DFN", "EM", "I", "KBD", "MARK", "Q", "S",
                "SAMP", "SMALL", "SPAN", "STRONG", "SUB", "SUP", "TIME", "U", "VAR", "WBR", "A", "IMG"];
  var FIELDS = ["INPUT", "SELECT", "TEXTAREA"];
  var data = null, items = [], index = -1, lastSaid = null, edge = 0, helpLevel = 0;
  var pool = {}, poolOrder = [], playing = null, current = null, run = 0, volume = 0.8;
  var touched = null, armed = false, tones = null;
  var api = window.kioskSpeech = { on: false, log: [], tones: [], missing: [] };

  function has(list, value) { return list.indexOf(value) >= 0; }
  function tag(el) { return el.tagName.toUpperCase(); }
  function normal(text) { return text.replace(/\s+/g, " ").trim(); }
  function hash(text) {  // FNV-1a over UTF-16 code units, as engines/speech/page_items.text_hash
    var h = 0x811c9dc5;
    for (var i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
    return ("0000000" + h.toString(16)).slice(-8);
  }
  function skipped(el) {
    return has(SKIP, tag(el)) || el.hasAttribute("hidden") || el.getAttribute("aria-hidden") === "true" ||
      (tag(el) === "INPUT" && el.type === "hidden");
  }
  function shown(el) {
    return el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  }
  function interactive(el) {
    var t = tag(el);
    return (t === "A" && el.hasAttribute("href")) || t === "BUTTON" || t === "SUMMARY" || has(FIELDS, t);
  }
  function allText(el) {
    var out = "";
    el.childNodes.forEach(function (child) {
      if (child.nodeType === 3) { out += child.data; } else if (child.nodeType === 1 && !skipped(child)) { out += allText(child); }
    });
    return out;
  }
  /* An element's own text (its inline children's), as parts: {w: words} and {s: characters spelled}. */
  function own(el) {
    if (el.hasAttribute("data-speech-spell")) {
      var all = allText(el).replace(/\s+/g, "");
      return all ? [{ s: all }] : [];
    }
    var parts = [], words = "";
    function flush() { var w = normal(words); if (w) { parts.push({ w: w }); } words = ""; }
    (function collect(node) {
      node.childNodes.forEach(function (child) {
        if (child.nodeType === 3) { words += child.data; return; }
        if (child.nodeType !== 1 || skipped(child) || interactive(child) || !has(INLINE, tag(child))) { return; }
        if (child.hasAttribute("data-speech-spell")) {
          flush();
          var spelled = allText(child).replace(/\s+/g, "");
          if (spelled) { parts.push({ s: spelled }); }
        } else { collect(child); }
      });
    })(el);
    flush();
    return parts;
  }
  function masked(el) { return Boolean(el.closest && el.closest(".ticket-entry")); }
  function labelOf(el) {
    if (el.id) {
      var label = document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
      if (label) { return normal(allText(label)); }
    }
    return "";
  }
  function nameOf(el) {
    var t = tag(el), name = normal(el.getAttribute("aria-label") || "");
    if (!name && has(FIELDS, t)) { name = labelOf(el) || (/^(submit|button|reset)$/.test(el.type) ? normal(el.value) : ""); }
    if (!name && !has(FIELDS, t)) { name = normal(allText(el)); }
    return name || normal(el.getAttribute("title") || "") || normal(el.getAttribute("placeholder") || "");
  }
  function roleOf(el) {
    var t = tag(el);
    if (t === "A") { return "link"; }
    if (t === "BUTTON" || t === "SUMMARY") { return "button"; }
    if (t === "SELECT") { return "list"; }
    if (t === "INPUT") {
      if (/^(submit|button|reset)$/.test(el.type)) { return "button"; }
      if (el.type === "checkbox") { return "checkbox"; }
      if (el.type === "radio") { return "radio"; }
      return "field";
    }
    if (t === "TEXTAREA") { return "field"; }
    return el.closest("h1,h2,h3,h4,h5,h6") ? "heading" : "";
  }
  function statesOf(el) {
    var out = [], pressed = el.getAttribute("aria-pressed"), now = el.getAttribute("aria-current");
    if (pressed === "true" || el.classList.contains("option--selected")) { out.push("selected"); }
    else if (pressed === "false") { out.push("not_selected"); }
    if (now && now !== "false") { out.push("current"); }
    if (el.type === "checkbox" || el.type === "radio") { out.push(el.checked ? "checked" : "not_checked"); }
    if (roleOf(el) === "field" && !el.value) { out.push("blank"); }
    if (el.disabled) { out.push("unavailable"); }
    return out;
  }
  function item(el, parts) { return { el: el, parts: parts, role: roleOf(el), states: statesOf(el) }; }
  function fieldParts(el) {
    var parts = [{ w: nameOf(el) }], value = el.value || "";
    if (value && !masked(el) && el.type !== "password") {
      parts.push(data.items[hash(normal(value))] ? { w: normal(value) } : /^[0-9A-Za-z ]+$/.test(value) ? { s: value.replace(/ /g, "") } : null);
    }
    return parts.filter(Boolean);
  }
  function collect(root) {
    var found = [];
    (function walk(node) {
      Array.prototype.forEach.call(node.children, function (el) {
        // a field's live count ("12 of at most 200 characters", static/js/kiosk.js) changes as she types:
        // words no page carried, so never an item (its field's hint says the limit)
        if (skipped(el) || !shown(el) || el.hasAttribute("data-count")) { return; }
        if (interactive(el)) {
          found.push(item(el, has(FIELDS, tag(el)) ? fieldParts(el) : [{ w: nameOf(el) }]));
          return;
        }
        if (!has(INLINE, tag(el))) {
          var parts = own(el);
          if (parts.length) { found.push(item(el, parts)); }
        }
        walk(el);
      });
    })(root);
    return found;
  }

  /* --- sound -------------------------------------------------------------------------------- */
  function url(ref) {
    if (!ref) { return null; }
    var kind = ref.charAt(0);  // f: the natural voice's file; s: espeak-ng's, pre-rendered; v: this visit's
    if (kind === "f") { return data.root + "/static/audio/" + ref.slice(1); }
    return kind === "s" ? data.root + "/static/audio/" + ref.slice(1) + data.suffix : data.root + "/voice/" + ref.slice(1);
  }
  function audioFor(address) {
    var a = pool[address];
    if (!a) {
      a = new Audio();
      a.preload = "auto";
      a.src = address;
      pool[address] = a;
      poolOrder.push(address);
      while (poolOrder.length > 60) { var old = poolOrder.shift(); if (pool[old] !== playing) { delete pool[old]; } }
    }
    return a;
  }
  function word(name) { return url(data.words[name]); }
  function clips(parts) {
    var out = [];
    parts.forEach(function (part) {
      if (part.w !== undefined) {
        var ref = data.items[hash(part.w)];
        if (ref) { out.push(url(ref)); } else { api.missing.push(part.w); }
      } else {
        part.s.toUpperCase().split("").forEach(function (c) { if (data.chars[c]) { out.push(url(data.chars[c])); } });
      }
    });
    return out;
  }
  function silence() {
    run++;
    if (current && playing && !playing.paused && !playing.ended) { current.interrupted = true; }
    if (playing) { playing.pause(); }
    playing = null;
    document.querySelectorAll("audio").forEach(function (a) { if (!a.paused) { a.pause(); } });  // Read aloud too
  }
  function say(addresses, entry) {
    silence();
    var mine = run, queue = addresses.filter(Boolean);
    entry.urls = queue.slice();
    entry.said = performance.now();
    current = entry;
    api.log.push(entry);
    (function next() {
      if (mine !== run) { return; }
      var address = queue.shift();
      if (!address) { playing = null; entry.done = true; return; }
      var a = audioFor(address);
      playing = a;
      a.volume = volume;
      a.onplaying = function () { if (!entry.firstSound) { entry.firstSound = performance.now(); } };
      a.onended = function () { if (mine === run) { next(); } };
      a.onerror = function () { if (mine === run) { entry.errors = (entry.errors || 0) + 1; next(); } };
      try { a.currentTime = 0; } catch (e) { /* not loaded yet */ }
      var started = a.play();
      if (started && started.catch) { started.catch(function () { if (mine === run && a.error) { next(); } }); }
    })();
  }
  function prefetch(i) {
    var it = items[i];
    if (it) { clips(it.parts).forEach(function (address) { audioFor(address).load(); }); }
  }
  function tone(high) {  // a masked entry: a tone per key, never the key (WebAudio, no file)
    try {
      tones = tones || new (window.AudioContext || window.webkitAudioContext)();
      var osc = tones.createOscillator(), gain = tones.createGain();
      osc.frequency.value = high ? 880 : 660;
      gain.gain.value = 0.25 * volume;
      osc.connect(gain); gain.connect(tones.destination);
      osc.start(); osc.stop(tones.currentTime + 0.12);
    } catch (e) { /* no sound card: nothing said either */ }
    api.tones.push({ at: performance.now(), high: Boolean(high) });
  }

  /* --- moving and speaking -------------------------------------------------------------------- */
  function textOf(parts) { return parts.map(function (p) { return p.w !== undefined ? p.w : p.s; }).join(" "); }
  function focusOn(el) {
    if (!el.matches("a[href], button, input, select, textarea, summary, [tabindex]")) { el.setAttribute("tabindex", "-1"); }
    document.querySelectorAll("[data-speech-current]").forEach(function (e) { e.removeAttribute("data-speech-current"); });
    el.setAttribute("data-speech-current", "");
    el.focus({ preventScroll: true });
    if (typing(el)) { try { el.setSelectionRange(el.value.length, el.value.length); } catch (e) { /* a date, a number */ } }
    el.scrollIntoView({ block: "center" });
  }
  function speakItem(i, how, before, keyTime, leadClips, leadText) {
    var it = items[i];
    if (!it) { return; }
    it.states = statesOf(it.el);
    if (has(FIELDS, tag(it.el))) { it.parts = fieldParts(it.el); }
    var repeat = lastSaid === it.el;
    var list = (leadClips || []).concat((before || []).map(word));
    if (repeat) { list.push(word("repeating")); }
    list = list.concat(clips(it.parts));
    if (it.role) { list.push(word(it.role)); }
    it.states.forEach(function (s) { list.push(word(s)); });
    lastSaid = it.el;
    say(list, { action: how, key: keyTime, index: i, element: it.el, text: textOf(it.parts), role: it.role,
                states: it.states.slice(), repeat: repeat, before: (before || []).slice(), parts: it.parts.slice(),
                lead: leadText || "" });
    if (it.el.closest(".ticket-entry") && it.el.value) { it.el.value.replace(/\s/g, "").split("").forEach(function () { tone(false); }); }
    prefetch(i + 1); prefetch(i - 1);
  }
  function go(i, how, keyTime, before) {
    index = i;
    focusOn(items[i].el);
    speakItem(i, how, before, keyTime);
  }
  function move(step, keyTime) {
    var next = index + step;
    if (next < 0 || next >= items.length) {
      edge++;
      var end = step < 0 ? "first" : "last";
      var message = edge === 1 ? end : edge === 2 ? end + "_again" : end + "_plain";
      speakItem(index, step < 0 ? "up" : "down", [message], keyTime);
      api.log[api.log.length - 1].edge = message;
      return;
    }
    edge = 0;
    go(next, step < 0 ? "up" : "down", keyTime);
  }
  function describedParts(el) {
    var parts = [];
    (el.getAttribute("aria-describedby") || "").split(/\s+/).forEach(function (id) {
      var d = id && document.getElementById(id);
      if (d && shown(d)) { parts = parts.concat(own(d)); }
    });
    return parts;
  }
  function help(keyTime) {
    helpLevel++;
    var it = items[index];
    if (helpLevel === 1 && it) {
      var list = clips(describedParts(it.el));
      list.push(word(it.role === "field" ? "help_field" : (it.role && it.role !== "heading") ? "help_choose" : "help_text"));
      say(list, { action: "help", key: keyTime, level: "item", index: index, element: it.el, text: textOf(it.parts) });
      return;
    }
    var heading = items.filter(function (x) { return tag(x.el) === "H1" || x.el.closest("h1"); })[0];
    var list2 = [word("page_is")].concat(heading ? clips(heading.parts) : []).concat([word("help_page")]);
    say(list2, { action: "help", key: keyTime, level: "page", text: heading ? textOf(heading.parts) : "" });
  }
  function primary() {
    var main = document.querySelector("main form .button--primary, main .button--primary");
    for (var i = 0; i < items.length; i++) { if (items[i].el === main) { return i; } }
    return -1;
  }
  function activate(keyTime) {
    var it = items[index];
    if (!it) { return; }
    var t = tag(it.el);
    if (it.role === "field" || t === "SELECT") {
      var form = it.el.form, i = -1;
      var submit = form && (form.querySelector("button.button--primary[type=submit]") ||  // Continue, not 🎤/📷 before it
        form.querySelector("button[type=submit]:not([name=key]), button:not([type])"));
      for (var n = 0; n < items.length; n++) { if (items[n].el === submit) { i = n; } }
      if (i >= 0) { go(i, "enter", keyTime); return; }
    }
    if (interactive(it.el) && !has(FIELDS, t)) {
      api.log.push({ action: "activate", key: keyTime, element: it.el, text: textOf(it.parts) });
      silence();
      it.el.click();
      return;
    }
    speakItem(index, "enter", [], keyTime);  // text: said again ("Repeating, …")
  }
  function callWorker() {
    var form = document.createElement("form");
    form.method = "post";
    form.action = data.helpCall;
    form.setAttribute("data-hx-boost", "false");
    var from = document.createElement("input");
    from.type = "hidden"; from.name = "from"; from.value = location.pathname + location.search;
    form.appendChild(from);
    document.body.appendChild(form);
    api.log.push({ action: "worker" });
    form.submit();
  }
  function back() {
    var link = document.querySelector(".back-link");  // a link, or on a question page a button that keeps what is typed
    if (link && shown(link)) { link.click(); } else { history.back(); }
  }

  /* --- turning on and off ----------------------------------------------------------------------- */
  function headingIndex() {
    for (var i = 0; i < items.length; i++) { if (items[i].el.closest("main") && (items[i].role === "heading")) { return i; } }
    for (var j = 0; j < items.length; j++) { if (items[j].el.closest("main")) { return j; } }
    return 0;
  }
  function page() {
    var el = document.getElementById("speech-items");
    data = el ? JSON.parse(el.textContent) : null;
    if (!data) { return false; }
    var dialog = document.querySelector("dialog[open]");
    items = collect(dialog || document.body);
    lastSaid = null; edge = 0; helpLevel = 0; touched = null; armed = false;
    if (data.start) {  // the start page: the next resident starts with the box as it was
      sessionStorage.removeItem("kiosk-speech-mode");
      sessionStorage.removeItem("kiosk-speech-volume");
      Object.keys(sessionStorage).forEach(function (k) { if (k.indexOf("kiosk-speech-printed-") === 0) { sessionStorage.removeItem(k); } });
      api.on = false;
    }
    volume = Number(sessionStorage.getItem("kiosk-speech-volume") || data.volume);
    api.on = sessionStorage.getItem("kiosk-speech-mode") === "1";
    document.documentElement.classList.toggle("speech-mode", api.on);
    index = headingIndex();
    return true;
  }
  // Speech mode prints the receipt at once, where the box has a printer (issue 24): once per ticket; the
  // page comes back with what the printer did, and that is said first (arrive).
  function autoPrint() {
    var print = document.querySelector("form.js-print-receipt[data-auto-print]");
    var printed = "kiosk-speech-printed-" + (print ? print.dataset.autoPrint : "");
    if (!print || sessionStorage.getItem(printed)) { return false; }
    sessionStorage.setItem(printed, "1");
    api.log.push({ action: "print", text: print.dataset.autoPrint });
    print.submit();
    return true;
  }
  function arrive() {
    if (!page() || !api.on) { return; }
    if (autoPrint()) { return; }
    // After printing: what the printer did is said first, then the page from its heading as on any arrival
    // (a new user's walk: starting at the answer, below them, she never heard her ticket and code).
    var answer = document.getElementById("print-answer"), lead = null;
    for (var k = 0; answer && k < items.length; k++) { if (items[k].el === answer || answer.contains(items[k].el)) { lead = items[k]; break; } }
    if (lead && items.length) {
      speakItem(index, "page", [], undefined, clips(lead.parts), textOf(lead.parts));
      focusOn(items[index].el);
      return;
    }
    ["repeating", "button", "link", "heading", "selected", "first", "last"].forEach(function (w) { if (word(w)) { audioFor(word(w)); } });
    if (items.length) { go(index, "page"); }
  }
  function start(keyTime) {
    api.on = true;
    sessionStorage.setItem("kiosk-speech-mode", "1");
    sessionStorage.setItem("kiosk-real-keyboard", "1");  // a keypad is a keyboard: no on-screen one
    try { if (window.kioskKeyboard && document.querySelector(".input--keyboard")) { window.kioskKeyboard.close(); } } catch (e) { /* none open */ }
    document.documentElement.classList.add("speech-mode");
    if (autoPrint()) { return; }  // speech mode began on the receipt: it prints, and the answer is said first
    items = collect(document.querySelector("dialog[open]") || document.body);
    index = headingIndex();
    if (items.length) { go(index, "start", keyTime, ["welcome"]); }
  }
  function actionOf(event) {
    for (var name in data.keys) {
      if (has(data.keys[name], event.key) || has(data.keys[name], event.code)) { return name; }
    }
    return null;
  }
  function typing(el) {
    return el && (tag(el) === "TEXTAREA" || (tag(el) === "INPUT" && !/^(submit|button|reset|checkbox|radio)$/.test(el.type)));
  }
  document.addEventListener("keydown", function (event) {
    if (!data || event.ctrlKey || event.altKey || event.metaKey) { return; }
    var act = actionOf(event), field = typing(document.activeElement) ? document.activeElement : null;
    var character = event.key.length === 1 && /[0-9A-Za-z]/.test(event.key);
    if (act === "back" && event.key === "Backspace" && field) { act = "delete"; }
    if (!api.on) {
      // Enter on something in focus is a sighted keyboard user's (or a worker's) own action: it does what it
      // does. Any other keypad key, or Enter with nothing in focus, starts speech mode.
      var focused = document.activeElement && document.activeElement !== document.body;
      if (act === "enter" && focused) { return; }
      if (act && act !== "delete") { event.preventDefault(); event.stopPropagation(); start(event.timeStamp); }
      return;
    }
    if (character && !act) {  // the number pad: into the page's field (its entry, where it has a keypad)
      if (!field) {
        field = document.querySelector(".ticket-entry input") || (items[index] && typing(items[index].el) ? items[index].el : null);
        if (field) { for (var i = 0; i < items.length; i++) { if (items[i].el === field) { index = i; } } focusOn(field); }
      }
      if (!field) { return; }
      var typed = field.value.replace(/\s/g, "");
      if (masked(field) && (field.closest("#code-entry") || /^[A-Za-z]{1,2}[0-9]{4}/.test(typed))) {
        silence(); tone(false);  // a check code, a resume code: a tone, never the digit
      } else {
        say([url(data.chars[event.key.toUpperCase()])], { action: "type", key: event.timeStamp, element: field, text: event.key });
      }
      return;  // the character goes into the field as typed
    }
    if (!act) { return; }
    if (act === "delete") { say([word("deleted")], { action: "delete", key: event.timeStamp, element: field }); return; }
    event.preventDefault();
    event.stopPropagation();
    if (act !== "help") { helpLevel = 0; }
    if (act === "up") { move(-1, event.timeStamp); }
    else if (act === "down") { move(1, event.timeStamp); }
    else if (act === "enter") { activate(event.timeStamp); }
    else if (act === "help") { help(event.timeStamp); }
    else if (act === "back") { silence(); back(); }
    else if (act === "next") { var p = primary(); if (p >= 0) { edge = 0; go(p, "next", event.timeStamp); } }
    else if (act === "louder" || act === "softer") {
      volume = Math.max(0.1, Math.min(1, Math.round((volume + (act === "louder" ? 0.1 : -0.1)) * 10) / 10));
      sessionStorage.setItem("kiosk-speech-volume", String(volume));
      say([word(act)], { action: act, key: event.timeStamp, volume: volume });
    }
    else if (act === "worker") { silence(); callWorker(); }
  }, true);

  /* --- touch to hear ---------------------------------------------------------------------------- */
  function itemAt(x, y) {
    var el = document.elementFromPoint(x, y);
    for (; el; el = el.parentElement) {
      for (var i = 0; i < items.length; i++) { if (items[i].el === el) { return i; } }
    }
    return -1;
  }
  function hear(x, y, how) {
    var i = itemAt(x, y);
    if (i < 0 || items[i].el === touched) { return i; }
    touched = items[i].el;
    armed = false;  // the finger moved on to another item: the next lift acts on nothing
    edge = 0;
    go(i, how, performance.now());
    return i;
  }
  document.addEventListener("pointerdown", function (event) {
    if (!data || !api.on) { return; }
    var i = itemAt(event.clientX, event.clientY);
    armed = i >= 0 && items[i].el === touched;  // a second tap on the item just heard: it may act
    if (!armed) { hear(event.clientX, event.clientY, "touch"); }
  }, true);
  document.addEventListener("pointermove", function (event) {
    if (data && api.on && (event.buttons || event.pointerType !== "mouse")) { hear(event.clientX, event.clientY, "slide"); }
  }, true);
  document.addEventListener("touchmove", function (event) {
    if (data && api.on && event.touches.length) { hear(event.touches[0].clientX, event.touches[0].clientY, "slide"); }
  }, true);
  document.addEventListener("dragstart", function (event) {  // a finger (or pen) sliding over a link hears it, never drags it
    if (data && api.on) { event.preventDefault(); }
  }, true);
  window.addEventListener("click", function (event) {
    if (!data || !api.on || !event.isTrusted || event.detail === 0) { return; }  // Enter's own clicks pass
    if (armed) { armed = false; touched = null; api.log.push({ action: "activate", element: event.target }); return; }
    event.preventDefault();
    event.stopImmediatePropagation();
  }, true);

  document.addEventListener("DOMContentLoaded", arrive);
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target === document.body || (event.detail && event.detail.target === document.body)) { arrive(); }
    else if (data && api.on) {  // a part of the page changed (a keypad's entry): the same place, new words
      var at = items[index] && items[index].el;
      items = collect(document.querySelector("dialog[open]") || document.body);
      index = Math.max(0, items.findIndex(function (x) { return x.el === at; }));
    }
  });
  api.items = function () { return items.map(function (x) { return { text: textOf(x.parts), role: x.role, states: x.states }; }); };
  api.current = function () { return items[index] ? items[index].el : null; };
  api.volume = function () { return volume; };
  api.url = url;
  api.hash = hash;
})();
