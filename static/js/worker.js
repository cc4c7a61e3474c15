/* Workers' pages: a chime when a resident calls for help at a kiosk.
   The list of calls (#help-calls, templates/worker/_calls.html) is swapped by htmx every few seconds;
   when it shows a call that was not there before, the chime plays. Browsers play sound only after a
   tap on the page: if the chime is refused, the "Turn the chime on" button shows, and one tap on it
   is enough for the rest of the page's life. Without this file the list still works (Refresh). */
(function () {
  "use strict";
  var known = null, audio = null;

  function ids(section) { return (section.dataset.callIds || "").split(",").filter(Boolean); }
  function buttons() { return document.querySelectorAll(".js-chime-on"); }
  function sound(section) {
    if (!audio) { audio = new Audio(section.dataset.chimeUrl); }
    return audio;
  }
  function chime(section) {
    document.body.dataset.chimes = String(Number(document.body.dataset.chimes || 0) + 1);
    var playing = sound(section);
    playing.currentTime = 0;
    var started = playing.play();
    if (started && started.then) {
      started.then(function () {
        document.body.dataset.chimesHeard = String(Number(document.body.dataset.chimesHeard || 0) + 1);
      }, function () { buttons().forEach(function (b) { b.hidden = false; }); });
    }
  }
  function check() {
    var section = document.getElementById("help-calls");
    if (!section) { return; }
    var now = ids(section);
    if (known !== null && now.some(function (id) { return known.indexOf(id) < 0; })) { chime(section); }
    known = now;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".js-chime-on");
    var section = document.getElementById("help-calls");
    if (!button || !section) { return; }
    var primed = sound(section);
    primed.muted = true;
    primed.play().then(function () { primed.pause(); primed.muted = false; primed.currentTime = 0; })
      .catch(function () { primed.muted = false; });
    document.body.dataset.chimeOn = "1";
    buttons().forEach(function (b) { b.hidden = true; });
  });
  function offerSound() {  // show "Turn the chime on" unless the browser will play sound untouched
    var policy = navigator.getAutoplayPolicy ? navigator.getAutoplayPolicy("mediaelement") : "disallowed";
    if (policy !== "allowed" && !document.body.dataset.chimeOn) { buttons().forEach(function (b) { b.hidden = false; }); }
  }
  document.addEventListener("DOMContentLoaded", function () { offerSound(); check(); });
  document.addEventListener("htmx:afterSettle", offerSound);
  document.addEventListener("htmx:afterSettle", check);
})();
