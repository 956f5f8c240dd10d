/* Minér'Alès widget, for the page that frames it: size each frame to its content.
   Include it once, next to the frames:
     <iframe src="https://…/embed/" title="…" data-minerales-embed></iframe>
     <script src="https://…/embed/host.js" defer></script>
   No inline code, so it fits a page with a strict Content-Security-Policy. Only
   messages from the widget's own origin, and from one of the frames, are listened to. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var origin = new URL(script.src).origin;
  var MIN = 80;
  var MAX = 20000;

  // The snippet's width="600" is for pages without this script; with it, the frame takes
  // its column's width (phones included), unless the page styled it already.
  function fit() {
    var frames = document.querySelectorAll("iframe[data-minerales-embed]");
    for (var i = 0; i < frames.length; i += 1) {
      if (!frames[i].style.width) { frames[i].style.width = "100%"; }
      if (!frames[i].style.border) { frames[i].style.border = "0"; }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fit);
  } else {
    fit();
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin) { return; }
    var data = event.data;
    if (!data || data.type !== "minerales:height" || typeof data.height !== "number") { return; }
    var height = Math.min(Math.max(Math.ceil(data.height), MIN), MAX);
    var frames = document.querySelectorAll("iframe[data-minerales-embed]");
    for (var i = 0; i < frames.length; i += 1) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = height + "px";
      }
    }
  });
}());
