/* Minér'Alès: the little script the pages need. No inline code, so the CSP stays strict. */
(function () {
  "use strict";

  var POLLER = "[data-live-poll]";

  function statesById() {
    var map = {};
    document.querySelectorAll("[data-state][id]").forEach(function (el) {
      map[el.id] = el.getAttribute("data-state");
    });
    return map;
  }

  // Live seat counts: send the ETag we already show, skip the request while the tab is
  // hidden, and never re-swap identical content (a 304 has no body to swap anyway).
  document.addEventListener("htmx:configRequest", function (evt) {
    var elt = evt.detail.elt;
    if (elt.matches && elt.matches(POLLER) && elt.dataset.etag) {
      evt.detail.headers["If-None-Match"] = '"' + elt.dataset.etag + '"';
    }
  });
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    if (elt.matches && elt.matches(POLLER) && document.hidden) {
      evt.preventDefault();
    }
  });

  var before = null;
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var elt = evt.detail.elt;
    if (!(elt.matches && elt.matches(POLLER))) { return; }
    var xhr = evt.detail.xhr;
    if (xhr.status === 304) { evt.detail.shouldSwap = false; return; }
    var etag = (xhr.getResponseHeader("ETag") || "").replace(/^W\//, "").replace(/"/g, "");
    if (etag && etag === elt.dataset.etag) { evt.detail.shouldSwap = false; return; }
    if (etag) { elt.dataset.etag = etag; }
    before = statesById();
  });

  // Announce, politely and once, only the counts that really changed.
  document.addEventListener("htmx:afterSettle", function (evt) {
    var elt = evt.detail.elt;
    if (!before || !(elt.matches && elt.matches(POLLER))) { return; }
    var changed = [];
    document.querySelectorAll("[data-state][id]").forEach(function (el) {
      if (before[el.id] !== undefined && before[el.id] !== el.getAttribute("data-state")) {
        changed.push(el.getAttribute("data-announce"));
      }
    });
    // A session whose booking just opened: fetch its panel, form and all (see session.html).
    document.querySelectorAll("[data-opens-with]").forEach(function (el) {
      var id = el.getAttribute("data-opens-with");
      var badge = document.getElementById(id);
      var was = before[id] || "";
      if (badge && was.indexOf("not_yet_open") === 0 &&
          badge.getAttribute("data-state").indexOf("not_yet_open") !== 0) {
        window.htmx.trigger(el, "booking-opened");
      }
    });
    before = null;
    var announcer = document.getElementById("live-announcer");
    if (announcer && changed.length) {
      announcer.textContent = changed.slice(0, 3).join(". ");
    }
  });

  // After a fragment that asks for it (a confirmation), move focus to it for screen readers.
  document.addEventListener("htmx:afterSettle", function (evt) {
    var target = evt.detail.target;
    if (target && target.hasAttribute && target.hasAttribute("data-autofocus")) {
      target.focus();
    }
  });

  // When a request cannot be made (offline) or fails, say so instead of doing nothing.
  var banner = null;
  function showBanner(text) {
    banner = banner || document.getElementById("connection-banner");
    if (!banner) { return; }
    banner.textContent = text;
    banner.hidden = false;
  }
  function hideBanner() {
    banner = banner || document.getElementById("connection-banner");
    if (banner) { banner.hidden = true; }
  }
  // The words are the page's (data-offline-message, from the catalogue), in its language.
  document.addEventListener("htmx:sendError", function () {
    banner = banner || document.getElementById("connection-banner");
    if (banner) { showBanner(banner.getAttribute("data-offline-message") || ""); }
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.successful) { hideBanner(); }
  });
  document.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var message = doc.querySelector(".error-message");
    if (message) { showBanner(message.textContent); }
  });
}());
