/* The door tablet's camera: reads a ticket's QR code (BarcodeDetector, else jsQR, loaded
   on first use) and hands the code to the scan box, as a USB scanner would. Works offline:
   jsQR is one of the files the service worker keeps. Its words come from the page. */
(function () {
  "use strict";

  var scanInput = document.getElementById("q");
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
    if (window.DoorApp) { window.DoorApp.scan(code); return; }
    scanInput.value = code;
    scanInput.form.requestSubmit();
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
