/* Minér'Alès widget: tell the framing page how tall the content is, whenever it changes.
   The height is no secret, so any parent may read it; the host script (embed-host.js)
   checks that the message comes from us. */
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var content = document.getElementById("embed");
  if (!content) { return; }
  var sent = 0;

  function send() {
    var height = Math.ceil(content.getBoundingClientRect().height);
    if (height === sent) { return; }
    sent = height;
    window.parent.postMessage({ type: "minerales:height", height: height }, "*");
  }

  if (window.ResizeObserver) {
    new ResizeObserver(send).observe(content);
  }
  window.addEventListener("load", send);
  document.addEventListener("htmx:afterSettle", send);
  send();
}());
