/* Workers' pages: a chime when a resident calls for help at a kiosk.
   The list of calls (#help-calls, templates/worker/_calls.html) is swapped by htmx every few seconds;
   when it shows a call that was not there before, the chime plays. Browsers play sound only after a
   tap: "Turn the chime on" shows until the worker taps it once, and that tap lasts the login, not the
   page — it is remembered in sessionStorage under this login's mark (the menu's data-login), so every
   worker page after it keeps the chime on, and a new login asks once more. Browsers let a page play
   after a tap on an earlier page of the same site; one that still refuses shows the button again.
   Without this file the list still works (Refresh). */
(function () {
  "use strict";
  var KEY = "kiosk.chime";
  var known = null, audio = null;

  function ids(section) { return (section.dataset.callIds || "").split(",").filter(Boolean); }
  function buttons() { return document.querySelectorAll(".js-chime-on"); }
  function showButtons(show) { buttons().forEach(function (b) { b.hidden = !show; }); }
  function login() {  // this login's mark; none when logged out
    var nav = document.querySelector(".worker-nav[data-login]");
    return nav ? nav.dataset.login : "";
  }
  function remembered() {
    try { return sessionStorage.getItem(KEY); } catch (e) { return null; }
  }
  function remember(value) {
    try {
      if (value) { sessionStorage.setItem(KEY, value); } else { sessionStorage.removeItem(KEY); }
    } catch (e) { /* storage refused: one tap per page, as before */ }
  }
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
      }, function () { delete document.body.dataset.chimeOn; showButtons(true); });  // this page wants its own tap
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
    remember(login());
    showButtons(false);
  });
  function offerSound() {  // show "Turn the chime on" unless this login has tapped it, or sound plays untouched
    var mark = login();
    if (!mark) {  // logged out: the next login asks again
      remember("");
      delete document.body.dataset.chimeOn;
      return;
    }
    if (remembered() === mark) { document.body.dataset.chimeOn = "1"; }
    var policy = navigator.getAutoplayPolicy ? navigator.getAutoplayPolicy("mediaelement") : "disallowed";
    showButtons(policy !== "allowed" && !document.body.dataset.chimeOn);
  }
  document.addEventListener("DOMContentLoaded", function () { offerSound(); check(); });
  document.addEventListener("htmx:afterSettle", offerSound);
  document.addEventListener("htmx:afterSettle", check);
})();
