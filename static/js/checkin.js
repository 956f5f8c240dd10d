/* The door tablet: keep the scan box ready, read QR codes with the camera, and never lose
   a check-in when the Wi-Fi drops (actions wait in localStorage and are sent again with
   the same nonce, which the server recognises). CSP-clean: no inline code, no eval. */
(function () {
  "use strict";

  var QUEUE_KEY = "minerales-door-queue";
  var fr = document.documentElement.lang !== "en";
  var scanForm = document.getElementById("scan-form");
  var scanInput = document.getElementById("q");
  var queueBanner = document.getElementById("door-queue");

  function csrfToken() {
    var field = scanForm && scanForm.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function freshNonce() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // After each scan, the box is emptied and focused again for the next ticket.
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.elt === scanForm && evt.detail.successful !== undefined) {
      if (evt.detail.xhr && evt.detail.xhr.status < 500) { scanInput.value = ""; }
      var nonce = scanForm.querySelector("[data-fresh-nonce]");
      if (nonce) { nonce.value = freshNonce(); }
      scanInput.focus();
    }
  });

  // ---- Offline queue -------------------------------------------------------------
  function readQueue() {
    try { return JSON.parse(window.localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; }
  }
  function writeQueue(queue) {
    window.localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
    if (!queueBanner) { return; }
    queueBanner.hidden = queue.length === 0;
    queueBanner.textContent = queue.length === 0 ? "" : (fr
      ? queue.length + " action(s) en attente d’envoi (connexion perdue) : nouvel essai automatique."
      : queue.length + " action(s) waiting to be sent (connection lost): retrying automatically.");
  }

  document.addEventListener("htmx:sendError", function (evt) {
    var form = evt.detail.elt.closest ? evt.detail.elt.closest("form[data-door-action]") : null;
    if (!form) { return; }
    var fields = {};
    new FormData(form).forEach(function (value, key) { fields[key] = value; });
    if (!fields.nonce) { fields.nonce = freshNonce(); }
    var queue = readQueue();
    queue.push({ url: form.getAttribute("action"), fields: fields, at: Date.now() });
    writeQueue(queue);
  });

  var flushing = false;
  function flush() {
    var queue = readQueue();
    if (flushing || queue.length === 0 || !navigator.onLine) { return; }
    flushing = true;
    var item = queue[0];
    var body = new URLSearchParams();
    Object.keys(item.fields).forEach(function (key) { body.append(key, item.fields[key]); });
    body.set("csrf_token", csrfToken() || item.fields.csrf_token || "");
    fetch(item.url, { method: "POST", body: body, credentials: "same-origin",
                      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" } })
      .then(function (response) {
        // Any answer from the server settles the action (done, or refused with a reason).
        var rest = readQueue().slice(1);
        writeQueue(rest);
        return response.text().then(function (html) {
          var board = document.getElementById("board");
          if (board && html.indexOf('id="board"') !== -1) { htmx.swap(board, html, { swapStyle: "outerHTML" }); }
        });
      })
      .catch(function () { /* still offline: keep it */ })
      .then(function () { flushing = false; if (readQueue().length) { window.setTimeout(flush, 500); } });
  }
  window.addEventListener("online", flush);
  window.setInterval(flush, 5000);
  writeQueue(readQueue());
  flush();

  // ---- Camera --------------------------------------------------------------------
  var cameraButton = document.getElementById("camera-button");
  var dialog = document.getElementById("camera-dialog");
  var video = document.getElementById("camera-video");
  var status = document.getElementById("camera-status");
  var stream = null;
  var running = false;

  function stopCamera() {
    running = false;
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); stream = null; }
    if (dialog && dialog.open) { dialog.close(); }
    scanInput.focus();
  }

  function found(code) {
    stopCamera();
    scanInput.value = code;
    if (window.htmx) { htmx.trigger(scanForm, "submit"); } else { scanForm.submit(); }
  }

  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(window.jsQR); return; }
      var script = document.createElement("script");
      script.src = cameraButton.getAttribute("data-jsqr");
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function scanWithDetector(detector) {
    if (!running) { return; }
    detector.detect(video).then(function (codes) {
      if (codes.length) { found(codes[0].rawValue); } else { window.requestAnimationFrame(function () { scanWithDetector(detector); }); }
    }).catch(function () { window.setTimeout(function () { scanWithDetector(detector); }, 250); });
  }

  function scanWithJsQR(decode) {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    function frame() {
      if (!running) { return; }
      if (video.readyState >= 2) {
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var result = decode(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        if (result && result.data) { found(result.data); return; }
      }
      window.setTimeout(frame, 120);
    }
    frame();
  }

  if (cameraButton && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && dialog) {
    cameraButton.hidden = false;
    cameraButton.addEventListener("click", function () {
      status.textContent = fr ? "Ouverture de la caméra…" : "Opening the camera…";
      dialog.showModal();
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media; video.srcObject = media; running = true;
          return video.play();
        })
        .then(function () {
          status.textContent = fr ? "Cadrez le QR code." : "Frame the QR code.";
          if ("BarcodeDetector" in window) {
            scanWithDetector(new window.BarcodeDetector({ formats: ["qr_code"] }));
          } else {
            loadJsQR().then(scanWithJsQR);
          }
        })
        .catch(function () {
          status.textContent = fr ? "Caméra indisponible : saisissez le code." : "Camera unavailable: type the code.";
        });
    });
    document.getElementById("camera-close").addEventListener("click", stopCamera);
    dialog.addEventListener("cancel", stopCamera);
  }
}());
