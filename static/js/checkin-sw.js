/* The door tablet's service worker, scoped to /checkin/ (served by /checkin/sw.js, which puts
   self.DOOR_CONFIG first: the version and the fingerprinted files of the door pages).

   What it keeps, and only that: the door's static files (cache first: their URL changes
   with their content) and the door pages the server marks "Door-Offline: keep" (network
   first, so a page is never older than it must be). Never a public or admin page (they are
   outside its scope, and never marked), never a response with Cache-Control: no-store,
   never a redirect (the login page), never a fragment loaded by htmx. A new version (new
   file digests) installs beside the old one, copies the pages and deletes the old caches. */
/* global self, caches, fetch, URL, Response */
(function () {
  "use strict";

  var CONFIG = self.DOOR_CONFIG;
  var PREFIX = "door-";
  var FILES = PREFIX + "files-" + CONFIG.version;
  var PAGES = PREFIX + "pages-" + CONFIG.version;
  var scope = new URL(CONFIG.home, self.location.href).pathname;

  function isOurs(name) { return name.indexOf(PREFIX) === 0; }

  function pageKey(url) {
    // A search (?q=) is the same page: keep one copy. The home page keeps its ?day=.
    var parsed = new URL(url);
    return parsed.origin + parsed.pathname + (parsed.pathname === scope ? parsed.search : "");
  }

  function mayKeep(response) {
    if (!response || !response.ok || response.redirected || response.type !== "basic") { return false; }
    var control = response.headers.get("Cache-Control") || "";
    return control.indexOf("no-store") === -1 && response.headers.get("Door-Offline") === "keep";
  }

  function wipePages() {
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf(PREFIX + "pages-") === 0; })
        .map(function (name) { return caches.delete(name); }));
    });
  }

  function tellPages(message) {
    return self.clients.matchAll({ type: "window" }).then(function (clients) {
      clients.forEach(function (client) { client.postMessage(message); });
    });
  }

  self.addEventListener("install", function (event) {
    event.waitUntil(caches.open(FILES).then(function (cache) {
      return cache.addAll(CONFIG.assets);
    }).then(function () { return self.skipWaiting(); }));
  });

  // The pages the old version kept are fetched again (they link the old files), then
  // every other cache of ours goes.
  self.addEventListener("activate", function (event) {
    event.waitUntil(caches.keys().then(function (names) {
      var old = names.filter(function (name) { return isOurs(name) && name !== FILES && name !== PAGES; });
      var oldPages = old.filter(function (name) { return name.indexOf(PREFIX + "pages-") === 0; });
      return Promise.all(oldPages.map(function (name) {
        return caches.open(name).then(function (cache) { return cache.keys(); }).then(function (requests) {
          return Promise.all(requests.map(function (request) { return keepPage(request.url); }));
        });
      })).catch(function () { /* offline while updating: the pages come back on the next visit */ })
        .then(function () { return Promise.all(old.map(function (name) { return caches.delete(name); })); });
    }).then(function () { return self.clients.claim(); }));
  });

  function keepPage(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!mayKeep(response)) { return response; }
      var copy = response.clone();
      return caches.open(PAGES).then(function (cache) { return cache.put(pageKey(url), copy); })
        .then(function () { return response; });
    });
  }

  function signedOut(response) {
    return response.redirected && new URL(response.url).pathname.indexOf(scope) !== 0;
  }

  function kept(request) {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(pageKey(request.url)).then(function (found) {
        return found || cache.match(pageKey(new URL(CONFIG.home, self.location.href).href));
      });
    });
  }

  function page(request) {
    return fetch(request).then(function (response) {
      // A gateway whose uplink is down answers 502/503/504: the kept page is better.
      if (response.status >= 500) {
        return kept(request).then(function (found) { return found || response; });
      }
      if (signedOut(response)) {
        // Sent to the login page: nobody is signed in on this tablet any more.
        return wipePages().then(function () { tellPages({ type: "signed-out" }); return response; });
      }
      if (mayKeep(response)) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { return cache.put(pageKey(request.url), copy); });
      }
      return response;
    }, function () {
      return kept(request).then(function (found) { return found || Response.error(); });
    });
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET") { return; }
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) { return; }
    if (CONFIG.assets.indexOf(url.pathname) !== -1) {
      event.respondWith(caches.open(FILES).then(function (cache) {
        return cache.match(url.pathname).then(function (found) { return found || fetch(request); });
      }));
      return;
    }
    if (request.mode === "navigate" && url.pathname.indexOf(scope) === 0) {
      event.respondWith(page(request));
    }
    // Anything else (the day's data, htmx fragments, other pages) goes to the network as usual.
  });

  self.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "keep-pages" && Array.isArray(data.urls)) {
      event.waitUntil(Promise.all(data.urls.map(function (url) {
        return caches.open(PAGES).then(function (cache) { return cache.match(pageKey(new URL(url, self.location.href).href)); })
          .then(function (found) { return found || keepPage(new URL(url, self.location.href).href).catch(function () { return null; }); });
      })));
    } else if (data.type === "wipe") {
      event.waitUntil(wipePages());
    }
  });
}());
