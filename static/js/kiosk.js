/* Small, optional enhancements. Every page works without this file. */

/* Read aloud: one big button plays the page's audio and stops it; "always read" plays on arrival.
   Without this file the <audio controls> element works on its own. */
(function () {
  "use strict";
  function setUp(root) {
    var button = root.querySelector(".js-speech-play");
    var audio = root.querySelector("#speech-audio");
    if (!button || !audio || button.dataset.bound) { return; }
    button.dataset.bound = "1";
    var label = button.querySelector(".js-speech-label");
    var status = root.querySelector(".js-speech-status");
    button.hidden = false;
    audio.classList.add("speech__audio--enhanced");
    function show(playing) { label.textContent = playing ? button.dataset.stop : button.dataset.play; }
    button.addEventListener("click", function () {
      if (!audio.paused) { audio.pause(); audio.currentTime = 0; show(false); return; }
      audio.play().then(function () { show(true); }).catch(function () { status.textContent = button.dataset.unavailable; });
    });
    audio.addEventListener("ended", function () { show(false); });
    audio.addEventListener("pause", function () { show(false); });
    audio.addEventListener("play", function () { show(true); });
    audio.addEventListener("error", function () { status.textContent = button.dataset.unavailable; show(false); });
    if (audio.hasAttribute("data-autoplay")) {
      audio.play().catch(function () { /* the browser wants a tap first: the button is there */ });
    }
  }
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:load", function () { setUp(document); });
})();

/* Walk-away: after a quiet spell the kiosk asks "Do you need more time?" (shown and spoken, never the
   resume code); "No, finish now", or no answer, ends the visit (POST /visit/end, why=idle) and goes
   back to the start. Any touch, key or
   typing counts as an answer; nothing counts as quiet while audio is playing or a resident is speaking. The page says how long
   (data-idle-seconds, data-idle-warning on #idle-dialog); pages with nothing to forget have no dialog. */
(function () {
  "use strict";
  var quietTimer = null, resetTimer = null;
  function dialog() { return document.getElementById("idle-dialog"); }
  function listening() {  // audio playing, or a spoken answer being recorded (static/js/recorder.js)
    return Boolean(document.querySelector("[data-recorder][data-recording]")) ||
      Array.prototype.some.call(document.querySelectorAll("audio"), function (a) { return !a.paused && !a.ended; });
  }
  function stopAsking(d) {
    clearTimeout(resetTimer);
    if (d && d.open) {
      d.close();
      var audio = d.querySelector(".js-idle-audio");
      if (audio) { audio.pause(); }
    }
  }
  function schedule() {
    clearTimeout(quietTimer);
    var d = dialog();
    stopAsking(d);
    if (!d) { return; }
    quietTimer = setTimeout(ask, 1000 * Number(d.dataset.idleSeconds || 90));
  }
  function ask() {
    var d = dialog();
    if (!d) { return; }
    if (listening()) { schedule(); return; }
    d.showModal();
    var audio = d.querySelector(".js-idle-audio");
    if (audio) { audio.currentTime = 0; audio.play().catch(function () { /* shown, if not spoken */ }); }
    resetTimer = setTimeout(function () {
      var form = d.querySelector(".js-idle-reset");
      if (form) { form.submit(); }  // a full page load, not a swap: nothing of this visit stays on screen
    }, 1000 * Number(d.dataset.idleWarning || 30));
  }
  ["pointerdown", "keydown", "input", "wheel"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.closest && event.target.closest(".js-idle-finish")) { return; }  // "finish now" is no answer to go on
      schedule();
    }, true);
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".js-idle-continue")) { schedule(); }
  });
  document.addEventListener("ended", function (event) {  // a page's audio finished: the quiet spell starts now
    var d = dialog();
    if (d && d.open) { return; }  // the question's own voice ending is no answer to it
    schedule();
  }, true);
  document.addEventListener("DOMContentLoaded", schedule);
  document.addEventListener("htmx:afterSettle", schedule);
  window.kioskIdle = { schedule: schedule };  // for tests and the worker's tools
})();

/* A field's limit while typing (issue 19): the text_field component states it ("最多 2000 字") and
   carries its own words for the count (data-count, data-over); this keeps the line counting. Past
   the limit it says how much too long, never cuts: the server answers the same with the text kept. */
(function () {
  "use strict";
  function count(field) {
    var line = document.getElementById(field.id + "-limit");
    if (!line) { return; }
    var limit = Number(field.dataset.limit), length = Array.from(field.value.trim()).length;
    var over = length - limit;
    line.textContent = over > 0 ? line.dataset.over.replace("{over}", over) : line.dataset.count.replace("{count}", length);
    line.classList.toggle("field-limit--over", over > 0);
  }
  document.addEventListener("input", function (event) {
    if (event.target.dataset && event.target.dataset.limit) { count(event.target); }
  }, true);
  function setUp(root) { root.querySelectorAll("[data-limit]").forEach(count); }
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
})();

/* The contact page (issue 19): once a phone number is typed, "Phone me on this number" becomes the big
   default choice and "at the centre" the smaller one; the page does the same without this file once
   the number is kept. */
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    if (event.target.id !== "phone") { return; }
    var phone = document.querySelector(".js-contact-phone"), centre = document.querySelector(".js-contact-centre");
    if (!phone || !centre) { return; }
    var typed = (event.target.value.match(/[0-9]/g) || []).length >= 7;
    phone.classList.toggle("button--primary", typed); phone.classList.toggle("button--secondary", !typed);
    centre.classList.toggle("button--primary", !typed); centre.classList.toggle("button--secondary", typed);
  }, true);
})();

/* The screen's heartbeat (kiosk/screen.py): on the box's own screen only, once the page has been
   painted (two animation frames after load or a boosted swap), and every 15 s while it stays, a beacon tells the
   box "drawn". Animation frames stop when the renderer dies, hangs or the page is not shown, so the
   beats stop with a white or frozen screen; kiosk-screen-watchdog then restarts the browser. */
(function () {
  "use strict";
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(location.hostname) || !navigator.sendBeacon) { return; }
  function beat() {
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { navigator.sendBeacon("/screen/drawn", location.pathname); });
    });
  }
  window.addEventListener("load", beat);
  document.addEventListener("htmx:afterSettle", beat);  // a boosted page: drawn without a load event
  setInterval(beat, 15000);
})();
