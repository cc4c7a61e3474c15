// 🎤 Say it to us (kiosk/resident/attachments.py): record with the microphone where the browser gives one
// (the kiosk's own screen: Chromium's policy allows its own address only), at most two minutes, play it
// back, record again; the recording goes into the form's file field and is sent with the form. Where there
// is no microphone (a phone over plain HTTP, no JavaScript), the file field opens the phone's own recorder.
// Loaded by the pages that use it (templates/resident/_spoken.html, photos.html), not by every page: the
// first page's weight stays in budget. Run again by a boosted swap, it only enhances the new page.
(function () {
  "use strict";
  if (window.kioskMedia) { window.kioskMedia(document); return; }

  function clock(seconds) {
    var whole = Math.round(seconds);
    return Math.floor(whole / 60) + ":" + String(whole % 60).padStart(2, "0");
  }

  function setUp(section) {
    if (section.dataset.recorderReady) { return; }
    section.dataset.recorderReady = "1";
    if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
    var controls = section.querySelector("[data-recorder-controls]");
    var fileField = section.querySelector("[data-recorder-file]");
    var input = fileField.querySelector("input[type=file]");
    var recordButton = section.querySelector("[data-rec-record]");
    var stopButton = section.querySelector("[data-rec-stop]");
    var playButton = section.querySelector("[data-rec-play]");
    var time = section.querySelector("[data-time]");
    var recorded = section.querySelector("[data-recorded]");
    var noMicrophone = section.querySelector("[data-no-microphone]");
    var playback = section.querySelector("[data-playback]");
    var seconds = section.querySelector("[data-seconds]");
    var limit = Number(section.dataset.maxSeconds || 120);
    var recorder = null, chunks = [], startedAt = 0, ticker = null, limitTimer = null, stream = null;

    var keep = section.querySelector("[data-keep]");
    controls.hidden = false;
    fileField.hidden = true;
    if (keep) { keep.hidden = true; }  // Continue sends a recording made here; Keep is for staying on the page

    // Continue (or any of the form's buttons) pressed while she is still speaking: stop, put the recording
    // into the file field, then send the form as that button would have. Without this the form went at
    // once, with an empty file field, and what she had said was lost (a new user's walk found it).
    var form = section.closest("form"), sendWhenStopped = null;
    if (form) {
      form.addEventListener("submit", function (event) {
        if (!recorder || recorder.state !== "recording") { return; }
        event.preventDefault();
        event.stopImmediatePropagation();  // before htmx's own handler on this form
        sendWhenStopped = event.submitter || form;
        recorder.stop();
      }, true);
    }

    function stopTracks() {
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    }

    recordButton.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({audio: true}).then(function (got) {
        stream = got;
        chunks = [];
        var type = MediaRecorder.isTypeSupported("audio/webm;codecs=opus") ? "audio/webm;codecs=opus" : "";
        recorder = new MediaRecorder(stream, type ? {mimeType: type, audioBitsPerSecond: 32000} : {});
        recorder.addEventListener("dataavailable", function (e) { if (e.data.size) { chunks.push(e.data); } });
        recorder.addEventListener("stop", finished);
        recorder.start(1000);
        startedAt = performance.now();
        section.dataset.recording = "1";  // static/js/kiosk.js: no walk-away question while she speaks
        recordButton.hidden = true; playButton.hidden = true; recorded.hidden = true; stopButton.hidden = false;
        stopButton.focus();
        ticker = setInterval(function () { time.textContent = clock((performance.now() - startedAt) / 1000) + " / " + clock(limit); }, 500);
        limitTimer = setTimeout(function () { if (recorder && recorder.state === "recording") { recorder.stop(); } }, limit * 1000);
      }).catch(function () {
        noMicrophone.hidden = false;
        controls.querySelectorAll("button").forEach(function (b) { b.hidden = true; });
        fileField.hidden = false;
      });
    });

    stopButton.addEventListener("click", function () {
      section.dataset.stoppedAt = String(performance.now());
      if (recorder && recorder.state === "recording") { recorder.stop(); }
    });

    function finished() {
      clearInterval(ticker); clearTimeout(limitTimer);
      delete section.dataset.recording;
      stopTracks();
      var length = (performance.now() - startedAt) / 1000;
      var blob = new Blob(chunks, {type: recorder.mimeType || "audio/webm"});
      var file = new File([blob], "spoken.webm", {type: blob.type});
      var transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      seconds.value = length.toFixed(1);
      if (playback.src) { URL.revokeObjectURL(playback.src); }
      playback.src = URL.createObjectURL(blob);
      time.textContent = clock(length);
      stopButton.hidden = true; recordButton.hidden = false; playButton.hidden = false; recorded.hidden = false;
      recordButton.querySelector(".button__text").textContent = section.dataset.again || recordButton.querySelector(".button__text").textContent;
      section.dataset.recorded = "1";
      if (keep) { keep.hidden = false; }
      section.dataset.readyAt = String(performance.now());  // stop → ready to play back (bench/media.py)
      if (sendWhenStopped) {
        var by = sendWhenStopped;
        sendWhenStopped = null;
        if (by === form) { form.requestSubmit(); } else { form.requestSubmit(by); }
        return;
      }
      playButton.focus();
    }

    playButton.addEventListener("click", function () {
      playback.currentTime = 0;
      var playing = playback.play();
      if (playing && playing.then) {
        playing.then(function () { section.dataset.playingAt = String(performance.now()); }).catch(function () {});
      }
    });
  }

  window.kioskRecorder = setUp;
})();

// 📷 A camera on the kiosk (a USB document camera), on the photo page (kiosk/resident/attachments.py): what it
// sees, Take the photo, and a JPEG of it goes into the form's file field. A phone keeps its file field,
// which opens its own camera.
(function () {
  "use strict";
  if (window.kioskMedia) { return; }  // loaded before: the first part enhanced the page

  function setUp(section) {
    if (section.dataset.cameraReady) { return; }
    section.dataset.cameraReady = "1";
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
    var form = section.closest("form");
    var input = form.querySelector("input[type=file]");
    var view = section.querySelector("[data-camera-view]");
    var takenHolder = section.querySelector("[data-camera-taken]");
    var taken = document.createElement("img");  // made here: an <img> without a source is not valid HTML
    taken.className = "camera__taken";
    taken.alt = takenHolder.dataset.alt;
    takenHolder.appendChild(taken);
    var take = section.querySelector("[data-camera-take]");
    var again = section.querySelector("[data-camera-again]");
    var none = document.querySelector("[data-camera-none]");
    var add = form.querySelector("[data-camera-add]");  // offered once a photo is taken, not before
    var live = section.querySelector("[data-camera-live]");
    var done = section.querySelector("[data-camera-done]");
    function showTaken(isTaken) {
      takenHolder.hidden = !isTaken; view.hidden = isTaken; live.hidden = isTaken; done.hidden = !isTaken;
      take.hidden = isTaken; again.hidden = !isTaken;
      if (add) { add.hidden = !isTaken; }
    }
    navigator.mediaDevices.getUserMedia({video: {width: {ideal: 1920}, height: {ideal: 1080}}}).then(function (stream) {
      section.hidden = false;
      if (add) { add.hidden = true; }
      if (none) { none.hidden = true; }
      view.addEventListener("loadeddata", function () { section.dataset.live = "1"; });  // the camera's picture is here
      view.srcObject = stream;
      view.play().catch(function () {});
      document.addEventListener("htmx:beforeSwap", function () { stream.getTracks().forEach(function (t) { t.stop(); }); }, {once: true});
      take.addEventListener("click", function () {
        var canvas = document.createElement("canvas");
        canvas.width = view.videoWidth; canvas.height = view.videoHeight;
        canvas.getContext("2d").drawImage(view, 0, 0);
        canvas.toBlob(function (blob) {
          var transfer = new DataTransfer();
          transfer.items.add(new File([blob], "camera.jpg", {type: "image/jpeg"}));
          input.files = transfer.files;
          if (taken.src) { URL.revokeObjectURL(taken.src); }
          taken.src = URL.createObjectURL(blob);
          showTaken(true);
          section.dataset.taken = "1";
        }, "image/jpeg", 0.9);
      });
      again.addEventListener("click", function () {
        input.value = "";
        showTaken(false);
        delete section.dataset.taken;
      });
    }).catch(function () { /* no camera: the page says a worker can add it from a phone */ });
  }

  function enhance(root) {
    var scope = root.querySelectorAll ? root : document;
    scope.querySelectorAll("[data-recorder]").forEach(window.kioskRecorder);
    scope.querySelectorAll("[data-camera]").forEach(setUp);
  }
  window.kioskMedia = enhance;
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
})();
