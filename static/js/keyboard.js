/* The kiosk's own on-screen keyboard (templates/keyboard/_panel.html, kiosk/keyboard/).

   Only on the box's own touchscreen (the server includes the panel) and only on a wide screen: on a
   phone, with a real keyboard, or without this file, every field is the ordinary field.
   Tapping a field with data-keys opens the panel right under it. Text is always added at the end of
   the field (no caret to place with a finger). Modes: write by hand (strokes go to the server after
   each stroke; candidates come back as big buttons, the first preselected, a tap appends one),
   pinyin (letters build a syllable, candidates from the server), letters, digits (3×4 keypad).
   Nothing is timed except the wait for the recogniser, which gives up after RECOGNISE_TIMEOUT and
   says to use the keys. */
(function () {
  "use strict";
  var RECOGNISE_TIMEOUT = 3000;
  var MIN_WIDTH = "(min-width: 600px)";
  var MAX_STROKES = 40, MAX_STROKE_POINTS = 650, MAX_POINTS = 2400;  // engines/handwriting/strokes.py

  var panel = null, field = null, mode = null, composing = "", shift = false, undoValue = null;
  var strokes = [], points = 0, drawing = null, asked = 0, inFlight = null, pinyinAsked = 0;

  function q(selector) { return panel.querySelector(selector); }
  function msg(name) { return panel.dataset["msg" + name.charAt(0).toUpperCase() + name.slice(1)] || ""; }
  function status(text) { q(".keyboard__status").textContent = text || ""; }

  function say(text) {
    if (!text) { return; }
    var audio = q(".keyboard__audio");
    audio.src = panel.dataset.sayUrl + "?text=" + encodeURIComponent(text);
    audio.play().catch(function () { /* no voice: the text is on screen */ });
  }

  function changed() {
    field.dispatchEvent(new Event("input", { bubbles: true }));
    if (undoValue !== null) { undoValue = null; showClear(); }
  }
  function append(text) {
    if (!text) { return; }
    var max = field.maxLength > 0 ? field.maxLength : Infinity;
    field.value = (field.value + text).slice(0, max);
    changed();
  }

  /* --- candidates (handwriting and pinyin) --------------------------------------------------- */
  function showCandidates(list) {
    var row = q(".keyboard__candidates");
    row.textContent = "";
    list.forEach(function (candidate, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button keyboard__candidate" + (index === 0 ? " keyboard__candidate--first" : "");
      button.lang = document.documentElement.lang;
      button.textContent = candidate.text;
      button.dataset.consumed = candidate.consumed || "";
      row.appendChild(button);
    });
    q(".keyboard__read-candidates").disabled = list.length === 0;
  }
  function candidateTexts() {
    return Array.prototype.map.call(panel.querySelectorAll(".keyboard__candidate"), function (b) { return b.textContent; });
  }
  function choose(button) {
    append(button.textContent);
    if (mode === "pinyin") {
      composing = composing.slice(Number(button.dataset.consumed) || composing.length);
      showComposing();
      askPinyin();
    } else {
      clearPad();
      status(msg("write"));
    }
    if (panel.dataset.speakKeys) { say(button.textContent); }
  }

  /* --- the writing pad ------------------------------------------------------------------------ */
  function pad() { return q(".keyboard__pad"); }
  function sizePad() {
    var canvas = pad(), box = canvas.getBoundingClientRect();
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(box.width * ratio);
    canvas.height = Math.round(box.height * ratio);
    redraw();
  }
  function redraw() {
    var canvas = pad(), ctx = canvas.getContext("2d"), ratio = canvas.width / (canvas.getBoundingClientRect().width || 1);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.lineWidth = 14; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#000";
    strokes.concat(drawing ? [drawing] : []).forEach(function (stroke) {
      ctx.beginPath();
      stroke.forEach(function (p, i) { if (i === 0) { ctx.moveTo(p[0], p[1]); ctx.lineTo(p[0] + 0.1, p[1]); } else { ctx.lineTo(p[0], p[1]); } });
      ctx.stroke();
    });
  }
  function clearPad() {
    strokes = []; points = 0; drawing = null; asked += 1;
    panel.dataset.recognised = "0";
    if (inFlight) { inFlight.abort(); inFlight = null; }
    redraw();
    showCandidates([]);
  }
  function padPoint(event) {
    var box = pad().getBoundingClientRect();
    return [Math.round(event.clientX - box.left), Math.round(event.clientY - box.top)];
  }
  function startStroke(event) {
    if (strokes.length >= MAX_STROKES) { return; }
    event.preventDefault();
    try { pad().setPointerCapture(event.pointerId); } catch (e) { /* synthetic events */ }
    drawing = [padPoint(event)];
    redraw();
  }
  function moveStroke(event) {
    if (!drawing) { return; }
    event.preventDefault();
    var p = padPoint(event), last = drawing[drawing.length - 1];
    if (Math.abs(p[0] - last[0]) + Math.abs(p[1] - last[1]) < 4 || points + drawing.length >= MAX_POINTS ||
        drawing.length >= MAX_STROKE_POINTS) { return; }
    drawing.push(p);
    redraw();
  }
  function endStroke(event) {
    if (!drawing) { return; }
    event.preventDefault();
    strokes.push(drawing);
    points += drawing.length;
    drawing = null;
    recognise();
  }
  function recognise() {
    if (!strokes.length) { showCandidates([]); return; }
    var mine = ++asked;
    if (inFlight) { inFlight.abort(); }
    var controller = inFlight = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, RECOGNISE_TIMEOUT);
    fetch(panel.dataset.handwritingUrl, {
      method: "POST", signal: controller.signal, credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ strokes: strokes, expect: field.dataset.expect || "", before: field.value })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (reply) {
      if (mine !== asked) { return; }
      panel.dataset.recognised = String(strokes.length);  // how many strokes the candidates shown are for
      if (!reply.ok) { status(reply.body.message || msg("unreadable")); showCandidates([]); return; }
      status(msg("pick"));
      showCandidates(reply.body.candidates.map(function (text) { return { text: text }; }));
    }).catch(function () {
      if (mine !== asked) { return; }
      status(msg("slow"));   /* a slow or absent recogniser never holds the resident up: the keys work */
      setMode("pinyin");
    }).then(function () { clearTimeout(timer); });
  }

  /* --- pinyin -------------------------------------------------------------------------------- */
  function showComposing() {
    var line = q(".keyboard__composing");
    line.textContent = composing;
    line.hidden = mode !== "pinyin";
  }
  function askPinyin() {
    var mine = ++pinyinAsked;
    if (!composing) { showCandidates([]); return; }
    fetch(panel.dataset.pinyinUrl + "?letters=" + encodeURIComponent(composing) + "&before=" + encodeURIComponent(field.value.slice(-20)) +
          "&expect=" + encodeURIComponent(field.dataset.expect || ""),
          { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (body) { if (mine === pinyinAsked) { showCandidates(body.candidates); } })
      .catch(function () { if (mine === pinyinAsked) { showCandidates([]); } });
  }

  /* --- keys and actions ------------------------------------------------------------------------ */
  function key(value) {
    if (mode === "pinyin" && /^[a-z]$/.test(value)) {
      composing = (composing + value).slice(0, 30);
      showComposing();
      askPinyin();
      return;
    }
    if (mode === "letters" && shift && /^[a-z]$/.test(value)) {
      value = value.toUpperCase();
      shift = false;
      q(".keyboard__shift").setAttribute("aria-pressed", "false");
    }
    if (mode === "pinyin" && value === " " && composing) {  // space takes the first candidate, as phones do
      var first = q(".keyboard__candidate");
      if (first) { choose(first); return; }
    }
    append(value);
    if (panel.dataset.speakKeys && value.trim()) { say(value); }
  }
  function deleteOne() {
    if (mode === "write" && strokes.length) { strokes.pop(); redraw(); recognise(); return; }
    if (mode === "pinyin" && composing) { composing = composing.slice(0, -1); showComposing(); askPinyin(); return; }
    field.value = Array.from(field.value).slice(0, -1).join("");
    changed();
  }
  function showClear() {
    var button = q(".keyboard__clear");
    q(".keyboard__clear-label").textContent = undoValue === null ? button.dataset.clear : button.dataset.undo;
  }
  function clearOrUndo() {
    if (undoValue !== null) {
      field.value = undoValue; undoValue = null;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      status("");
    } else if (field.value) {
      var before = field.value;
      field.value = "";
      field.dispatchEvent(new Event("input", { bubbles: true }));
      undoValue = before;  // one tap clears; the same button brings it back until the next key
      status(msg("cleared"));
    }
    composing = ""; showComposing(); clearPad();
    showClear();
  }
  function mainButton(form) {
    return form && form.querySelector("button[type=submit]:not([name=key]), button:not([type])");
  }
  /* Issue 19: with the keyboard open, the page's main button stays in view (on the box's 1080×1920 a
     question, the handwriting pad and Continue are taller than the screen): the page moves up just
     enough, never so far that the field's label leaves the top. Issue 24: with the controls' bar at the
     screen's bottom (KIOSK_REACH), the button stops above the bar, and the field (not its label) stays. */
  function keepMainButtonInView() {
    var bar = document.querySelector(".reach-bar"), barTop = bar && bar.getBoundingClientRect().top;
    var button = mainButton(field && field.form), holder = field && (bar ? field : (field.closest(".field") || field));
    if (!button || !holder) { return; }
    var below = button.getBoundingClientRect().bottom + 16 - (bar && barTop > 0 ? barTop : window.innerHeight);
    var room = holder.getBoundingClientRect().top - 8;
    if (below > 0 && room > 0) { window.scrollBy({ top: Math.min(below, room), behavior: "instant" }); }
  }
  function done() {
    var first = q(".keyboard__candidate");
    if (first && ((mode === "write" && strokes.length) || (mode === "pinyin" && composing))) { choose(first); }
    var form = field.form, target = field;
    close();
    var submit = mainButton(form);
    target = submit || target;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "center" });
  }

  function setMode(next) {
    if (field.dataset.keys === "digits") { next = "digits"; }
    mode = next;
    panel.querySelectorAll(".keyboard__mode").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.mode === mode ? "true" : "false");
    });
    q(".keyboard__modes").hidden = field.dataset.keys === "digits";
    panel.querySelectorAll("[data-part]").forEach(function (part) {
      part.hidden = part.dataset.part.split(" ").indexOf(mode) < 0;
    });
    if (mode !== "write") { clearPad(); }
    if (mode !== "pinyin") { composing = ""; }
    showComposing();
    showCandidates([]);
    if (mode === "pinyin") { askPinyin(); }
    if (mode === "write") { sizePad(); status(msg("write")); }
    keepMainButtonInView();
  }

  /* --- opening and closing --------------------------------------------------------------------- */
  function act(target) {
    if (target.classList.contains("keyboard__mode")) { status(""); setMode(target.dataset.mode); }
    else if (target.classList.contains("keyboard__candidate")) { choose(target); }
    else if (target.classList.contains("keyboard__shift")) { shift = !shift; target.setAttribute("aria-pressed", String(shift)); }
    else if (target.classList.contains("keyboard__delete")) { deleteOne(); }
    else if (target.classList.contains("keyboard__clear")) { clearOrUndo(); }
    else if (target.classList.contains("keyboard__done")) { done(); }
    else if (target.classList.contains("keyboard__rewrite")) { clearPad(); status(msg("write")); }
    else if (target.classList.contains("keyboard__read")) { say(field.value); }
    else if (target.classList.contains("keyboard__read-candidates")) { say(candidateTexts().join("，")); }
    else if (target.dataset.key !== undefined) { key(target.dataset.key); }
  }

  function build() {
    var template = document.getElementById("keyboard-template");
    panel = template.content.firstElementChild.cloneNode(true);
    // A key acts when the finger lifts off it (touch and pen), or on a click (mouse, and Enter or
    // Space on a focused key). After a quick stroke on the pad Chromium may take the next tap for
    // "stop scrolling" and send no click at all: acting on the lift never loses that tap.
    var liftedAt = 0;
    panel.addEventListener("pointerup", function (event) {
      if (event.pointerType === "mouse") { return; }
      var target = event.target.closest("button");
      if (!target || !panel.contains(target) || target.disabled) { return; }
      liftedAt = Date.now();
      act(target);
    });
    panel.addEventListener("click", function (event) {
      var target = event.target.closest("button");
      if (!target || !panel.contains(target)) { return; }
      if (event.detail !== 0 && Date.now() - liftedAt < 1000) { return; }  // the lift already acted
      act(target);
    });
    var canvas = q(".keyboard__pad");
    canvas.addEventListener("pointerdown", startStroke);
    canvas.addEventListener("pointermove", moveStroke);
    canvas.addEventListener("pointerup", endStroke);
    canvas.addEventListener("pointercancel", endStroke);
    return panel;
  }
  function open(target) {
    if (field === target && panel && panel.isConnected) { return; }
    if (!panel) { build(); }
    field = target;
    undoValue = null; showClear(); status("");
    var holder = field.closest(".field") || field;
    var next = holder.nextElementSibling;  // a link meant to be seen with the field (🎤 Say it instead) stays above
    (next && next.hasAttribute("data-keyboard-after") ? next : holder).after(panel);
    field.classList.add("input--keyboard");
    var keys = field.dataset.keys;  // "latin" (a login name, a ticket): letters first, whatever the page's language
    setMode(keys === "digits" ? "digits" : keys === "latin" ? "letters" : (mode && mode !== "digits" ? mode : panel.dataset.firstMode));
  }
  function close() {
    if (panel && panel.isConnected) { panel.remove(); }
    if (field) { field.classList.remove("input--keyboard"); }
    clearPad();
    composing = "";
  }

  function enhance(root) {
    if (!document.getElementById("keyboard-template") || !window.matchMedia(MIN_WIDTH).matches) { return; }
    if (sessionStorage.getItem("kiosk-real-keyboard")) { return; }
    var fields = root.querySelectorAll("[data-keys]");
    fields.forEach(function (input) {
      if (input.dataset.keyboardBound) { return; }
      input.dataset.keyboardBound = "1";
      input.dataset.inputmode = input.getAttribute("inputmode") || "";
      input.setAttribute("inputmode", "none");  // no system keyboard on top of ours
      input.addEventListener("focus", function () { open(input); });
      input.addEventListener("pointerdown", function () { open(input); });
      input.addEventListener("keydown", function (event) {
        // A real keyboard: let it be (for this visit's pages, until the browser tab closes).
        if (event.isTrusted && (event.key.length === 1 || event.key === "Backspace")) {
          sessionStorage.setItem("kiosk-real-keyboard", "1");
          close();
          document.querySelectorAll("[data-keys]").forEach(function (f) {
            if (f.dataset.inputmode) { f.setAttribute("inputmode", f.dataset.inputmode); } else { f.removeAttribute("inputmode"); }
          });
        }
      });
    });
    var first = Array.prototype.find.call(document.querySelectorAll("[data-keys]"), function (f) {
      return !f.closest("details:not([open])");  // a field folded away (✍ Something else? Write it) waits to be opened
    });
    if (first && !(panel && panel.isConnected)) { open(first); }  // one question per page: its field is ready
  }
  document.addEventListener("toggle", function (event) {  // a folded field opened: its keyboard under it, ready
    var opened = event.target.open && event.target.querySelector && event.target.querySelector("[data-keys][data-keyboard-bound]");
    if (opened) { open(opened); opened.focus(); }
  }, true);
  window.addEventListener("resize", function () { if (panel && panel.isConnected && mode === "write") { sizePad(); } });
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function () {  // a boosted page or a partial came in
    if (panel && !panel.isConnected) { panel = null; field = null; mode = null; }
    enhance(document);
  });
  window.kioskKeyboard = { open: function (el) { open(el); }, close: close };  // for tests
})();
