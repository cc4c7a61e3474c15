// 🎤 Say it to us (kiosk/resident/attachments.py): record with the microphone where the browser gives one
// (the kiosk's own screen: Chromium's policy allows its own address only), at most two minutes, play it
// back, record again; the recording goes into the form's file field and is sent with the form. Where there
// is no microphone (a phone over plain HTTP, no JavaScript), the file field opens the phone's own recorder.
(function () {
  "use strict";

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

    controls.hidden = false;
    fileField.hidden = true;

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
      section.dataset.readyAt = String(performance.now());  // stop → ready to play back (bench/media.py)
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

  function enhance(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-recorder]").forEach(setUp);
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
