/* Small, optional enhancements. Every page works without this file. */
(function () {
  "use strict";
  function enhance(root) {
    root.querySelectorAll(".js-print").forEach(function (button) {
      button.hidden = false;
      if (!button.dataset.bound) {
        button.dataset.bound = "1";
        button.addEventListener("click", function () { window.print(); });
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();

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
