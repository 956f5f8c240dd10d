/* The door tablet: keep the scan box ready, read QR codes with the camera, and never lose
   a check-in when the Wi-Fi drops. Every action gets its own nonce when it is taken; an
   action the server did not really answer (no network, a 502/503/504, the login page)
   waits in localStorage and is sent again with that same nonce, which the server
   recognises. CSP-clean: no inline code, no eval. Every word it shows comes from the
   page (data-* attributes written from the translation catalogue), in the page's language. */
(function () {
  "use strict";

  var QUEUE_KEY = "minerales-door-queue";
  var RETRY_MS = 3000;
  // Answers that settle an action: done, or refused by a door rule with its reason (an
  // unknown ticket, a party already in, a bad seat count). Anything else stored nothing
  // and may go through later: it stays queued.
  var SETTLING_REFUSALS = [404, 409, 422];
  var scanForm = document.getElementById("scan-form");
  var scanInput = document.getElementById("q");
  var queueBanner = document.getElementById("door-queue");

  function csrfToken() {
    var field = scanForm && scanForm.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function freshNonce() {
    if (window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function isDoorAction(elt) {
    return !!(elt && elt.matches && elt.matches("form[data-door-action]"));
  }

  function isLoginPage(url) {
    try { return new URL(url, window.location.href).pathname === "/login"; } catch (e) { return false; }
  }

  function settles(status, url) {
    if (isLoginPage(url)) { return false; }  // signed out: the action never reached the door
    return (status >= 200 && status < 300) || SETTLING_REFUSALS.indexOf(status) !== -1;
  }

  // A nonce per action, made when the action is taken: two tickets scanned, two walk-ins
  // or two partial entries are two actions even when the board could not be refreshed
  // between them (offline). A retry sends the nonce of its action, unchanged.
  document.addEventListener("htmx:configRequest", function (evt) {
    var form = evt.detail.elt;
    if (isDoorAction(form) && evt.detail.verb === "post" && form.querySelector("input[name=nonce]")) {
      evt.detail.parameters.nonce = freshNonce();
    }
  });

  // After each scan (sent, answered or queued), the box is emptied and focused again.
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.elt === scanForm) {
      scanInput.value = "";
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
    queueBanner.textContent = queue.length === 0
      ? "" : queueBanner.getAttribute("data-message").replace("{num}", String(queue.length));
  }

  // Keep the request exactly as it was sent (its nonce included) for a later retry.
  function enqueue(detail) {
    var config = detail.requestConfig;
    if (!config || !isDoorAction(config.elt) || config.verb !== "post") { return false; }
    var fields = {};
    config.formData.forEach(function (value, key) { fields[key] = value; });
    var queue = readQueue();
    queue.push({ id: freshNonce(), url: config.path, fields: fields, at: Date.now() });
    writeQueue(queue);
    return true;
  }

  document.addEventListener("htmx:sendError", function (evt) { enqueue(evt.detail); });
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    var config = evt.detail.requestConfig;  // evt.detail.elt is the swap's target here
    if (!config || !isDoorAction(config.elt) || settles(xhr.status, xhr.responseURL)) { return; }
    evt.detail.shouldSwap = false;  // never the login page or an error page in the board
    evt.detail.isError = false;
    enqueue(evt.detail);
  });

  var flushing = false;
  function flush() {
    var queue = readQueue();
    if (flushing || queue.length === 0 || !navigator.onLine) { return; }
    flushing = true;
    var item = queue[0];
    var retry = false;
    var body = new URLSearchParams();
    Object.keys(item.fields).forEach(function (key) { body.append(key, item.fields[key]); });
    body.set("csrf_token", csrfToken() || item.fields.csrf_token || "");
    fetch(item.url, { method: "POST", body: body, credentials: "same-origin",
                      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" } })
      .then(function (response) {
        if (!settles(response.status, response.url)) { retry = true; return null; }
        writeQueue(readQueue().filter(function (queued) { return queued.id !== item.id; }));
        return response.text().then(function (html) {
          var board = document.getElementById("board");
          if (board && html.indexOf('id="board"') !== -1) { htmx.swap(board, html, { swapStyle: "outerHTML" }); }
        });
      })
      .catch(function () { retry = true; /* still offline: keep it */ })
      .then(function () {
        flushing = false;
        if (readQueue().length) { window.setTimeout(flush, retry ? RETRY_MS : 0); }
      });
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
      status.textContent = status.getAttribute("data-opening");
      dialog.showModal();
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media; video.srcObject = media; running = true;
          return video.play();
        })
        .then(function () {
          status.textContent = status.getAttribute("data-ready");
          if ("BarcodeDetector" in window) {
            scanWithDetector(new window.BarcodeDetector({ formats: ["qr_code"] }));
          } else {
            loadJsQR().then(scanWithJsQR);
          }
        })
        .catch(function () {
          status.textContent = status.getAttribute("data-unavailable");
        });
    });
    document.getElementById("camera-close").addEventListener("click", stopCamera);
    dialog.addEventListener("cancel", stopCamera);
  }
}());
