/* The door tablet, with or without Wi-Fi.

   Every door action (a scan, a tap, part of a party, undo, a walk-in, the door's queue) is
   answered at once by the tablet (local.js), kept in IndexedDB with its own nonce, and sent
   to /checkin/sync in order; the server applies each exactly once and says what became of
   it. While everything is sent, the board is the server's (htmx); offline, or while actions
   wait, the tablet draws it from the day's data (board.js), polled from /checkin/day with an
   ETag. The service worker (/checkin/sw.js) keeps the pages and files for a reload offline.
   Signed out, a lost role, or the day over: the day's data and the kept pages are erased
   (actions not sent yet stay: they are people who came in). CSP-clean; no word of its own. */
(function () {
  "use strict";

  var app = document.getElementById("door-app");
  if (!app || !window.indexedDB) { return; }
  var Local = window.DoorLocal;
  var Store = window.DoorStore;
  Local.setTexts(JSON.parse(app.getAttribute("data-texts") || "{}"));
  var say = Local.say;

  var POLL_MS = 5000;
  var RETRY_MS = 3000;
  var BATCH = 50;
  var OLD_QUEUE_KEY = "minerales-door-queue";  // the queue of the previous version of this script
  var scope = app.getAttribute("data-scope");
  var sessionId = app.hasAttribute("data-session") ? parseInt(app.getAttribute("data-session"), 10) : null;
  var csrf = app.getAttribute("data-csrf");
  var scanForm = document.getElementById("scan-form");
  var scanInput = document.getElementById("q");
  var banner = document.getElementById("door-queue");
  var conflictsBox = document.getElementById("door-conflicts");

  var state = {
    day: null, queue: [], conflicts: [], flushing: false, failed: false, signedOut: false,
    local: false, result: null, polling: false
  };

  function freshNonce() {
    if (window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function offline() { return !navigator.onLine || state.failed || state.signedOut; }

  function world() { return Local.build(state.day && state.day.data, state.queue); }

  // ---- Forms to actions ------------------------------------------------------------
  function seatsOf(fields, fallback) {
    var raw = String(fields.get("seats") || "").trim();
    if (!raw) { return fallback; }
    var seats = parseInt(raw, 10);
    return isNaN(seats) ? -1 : seats;
  }
  function textOf(fields, name) { return String(fields.get(name) || "").trim().slice(0, 120); }
  function idOf(fields, name) { return parseInt(fields.get(name), 10) || null; }

  var ROUTES = [
    [/\/sessions\/(\d+)\/scan$/, function (m, f) { return { kind: "check_in", session: +m[1], code: textOf(f, "code") || textOf(f, "q") }; }],
    [/\/sessions\/(\d+)\/bookings\/(\d+)\/standby$/, function (m) { return { kind: "join", session: +m[1], booking: +m[2] }; }],
    [/\/sessions\/(\d+)\/bookings\/(\d+)$/, function (m, f) { return { kind: "check_in", session: +m[1], booking: +m[2], seats: seatsOf(f, null) }; }],
    [/\/check-ins\/(\d+)\/undo$/, function (m, f) { return { kind: "undo", session: idOf(f, "session"), check_in: +m[1] }; }],
    [/\/sessions\/(\d+)\/walk-in$/, function (m, f) { return { kind: "walk_in", session: +m[1], seats: seatsOf(f, 1), name: textOf(f, "name") }; }],
    [/\/sessions\/(\d+)\/standby$/, function (m, f) { return { kind: "standby", session: +m[1], seats: seatsOf(f, 1), name: textOf(f, "name") }; }],
    [/\/standby\/(\d+)\/leave$/, function (m, f) { return { kind: "leave", session: idOf(f, "session"), entry: +m[1] }; }]
  ];

  function fromRequest(url, fields) {
    var path = new URL(url, window.location.href).pathname;
    for (var i = 0; i < ROUTES.length; i += 1) {
      var match = ROUTES[i][0].exec(path);
      if (match) { return ROUTES[i][1](match, fields); }
    }
    return null;
  }

  function fromForm(form) {
    var fields = new FormData(form);
    if (form.hasAttribute("data-target")) {
      return { kind: form.getAttribute("data-kind"), session: idOf(fields, "session"), target: form.getAttribute("data-target") };
    }
    return fromRequest(form.getAttribute("action"), fields);
  }

  // What the action is about, for the list of refusals shown after the sync.
  function labelOf(action) {
    var here = world().sessions[action.session];
    var people = (here && here.bookings) || [];
    if (action.kind === "join") {
      var party = ((here && here.waiting_list) || []).concat(people).filter(function (b) { return b.id === action.booking; })[0];
      return party ? party.name : "";
    }
    if (action.kind === "check_in") {
      var booking = people.filter(function (b) { return action.booking ? b.id === action.booking : b.code === Local.normalise(action.code); })[0];
      return booking ? booking.name : Local.normalise(action.code);
    }
    if (action.kind === "walk_in" || action.kind === "standby") {
      return (action.name || say(action.kind === "walk_in" ? "walk_in_name" : "no_name")) + " (" + say("seats", { num: action.seats || 1 }) + ")";
    }
    if (action.kind === "undo") {
      var undone = people.filter(function (b) {
        return b.checkins.some(function (c) { return c.id === action.check_in || (action.target && c.nonce === action.target); });
      })[0];
      return undone ? undone.name : "";
    }
    var entry = ((here && here.standby) || []).filter(function (e) { return e.id === action.entry || e.nonce === action.target; })[0];
    return entry ? entry.name || say("no_name") : "";
  }

  // ---- Taking an action ------------------------------------------------------------
  function looksLikeCode(code) { return /^[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(Local.normalise(code)); }

  function take(action) {
    action.nonce = freshNonce();
    action.at = new Date().toISOString();
    var verdict = Local.decide(world(), action);
    if (action.kind === "check_in" && !action.booking && verdict.queue && verdict.kind === "info" && !looksLikeCode(action.code)) {
      verdict = { queue: false, kind: "error", message: say("unknown") };  // a name typed, not a ticket
    }
    var away = offline();
    var message = verdict.message;
    if (verdict.queue && state.signedOut) {  // online or not, the next sign-in sends it
      message = (verdict.unknown ? say("unknown_signed_out") : message) + " " + say("queued_signed_out");
    } else if (verdict.queue && away) {
      message += " " + say("queued");
    }
    showResult(message, verdict.kind);
    if (!verdict.queue) { return Promise.resolve(); }
    action.label = labelOf(action);
    action.waited = away;
    return Store.enqueue(action).then(function (seq) {
      action.seq = seq;
      state.queue.push(action);
      render();
      flush();
    });
  }

  function showResult(message, kind) {
    state.result = { message: message, kind: kind };
    var box = document.getElementById("door-result");
    if (!box) { return; }
    var line = window.DoorBoard.el("p", { "class": "door-result__message door-result--" + kind }, [message]);
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.appendChild(line);
  }

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.matches("form[data-logout]")) { return; }
    if (!form.matches("form[data-door-action]")) { return; }
    var action = fromForm(form);
    if (!action || !action.session) { return; }  // not one the tablet knows: htmx sends it
    evt.preventDefault();
    evt.stopPropagation();
    take(action);
    if (form === scanForm) {
      scanInput.value = "";
      scanInput.focus();
      if (state.local) { render(); }  // the whole list again, ready for the next ticket
    }
  }, true);

  // The search filters the tablet's own list while it draws the board.
  if (scanInput) {
    scanInput.addEventListener("input", function () { if (state.local) { render(); } });
  }
  // Never a request of the server's board while the tablet draws it; never a nonce reused.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    if (state.local && elt && (elt === scanInput || elt.id === "counters")) { evt.preventDefault(); }
  });
  // The counters' poll or the search sent to the login page once the sign-in lapsed: XHR
  // follows the redirect, and htmx would swap the whole login page into the door page.
  // Never: the board stays, and the tablet says the sign-in lapsed.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    var asked = evt.detail.requestConfig && evt.detail.requestConfig.path;
    if (!xhr || outsideScope(asked) || !lapsed(xhr.status, xhr.responseURL)) { return; }
    evt.detail.shouldSwap = false;
    evt.detail.isError = false;
    signedOut();
  });
  document.addEventListener("htmx:configRequest", function (evt) {
    var form = evt.detail.elt;
    if (form && form.matches && form.matches("form[data-door-action]") && form.querySelector("input[name=nonce]")) {
      evt.detail.parameters.nonce = freshNonce();
    }
  });

  // ---- Sending --------------------------------------------------------------------
  function wire(action) {
    var sent = { nonce: action.nonce, kind: action.kind, session: action.session, at: action.at };
    ["booking", "code", "seats", "name", "check_in", "entry", "target"].forEach(function (key) {
      if (action[key] !== undefined && action[key] !== null && action[key] !== "") { sent[key] = action[key]; }
    });
    return sent;
  }

  // Sent to the login page (or refused by role): the sign-in lapsed. ``url`` is where the
  // request ended up after its redirects.
  function outsideScope(url) { return !!url && new URL(url, window.location.href).pathname.indexOf(scope) !== 0; }
  function isLogin(response) { return response.redirected && outsideScope(response.url); }
  function lapsed(status, url) { return status === 401 || status === 403 || outsideScope(url); }

  function failed() {
    state.failed = true;
    state.queue.forEach(function (action) { action.waited = true; });
    render();
  }

  function flush() {
    // Signed out, a batch would only meet the login page: the day's poll says when someone
    // is signed in again.
    if (state.flushing || !state.queue.length || !navigator.onLine || state.signedOut) { return; }
    state.flushing = true;
    var batch = state.queue.slice(0, BATCH);
    fetch(app.getAttribute("data-sync-url"), {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ actions: batch.map(wire) })
    }).then(function (response) {
      if (isLogin(response) || lapsed(response.status)) { return signedOut(); }
      if (response.status === 422) { return response.json().then(function (body) { return unreadable(batch, body.error); }); }
      if (!response.ok) { return failed(); }
      return response.json().then(function (body) { return settle(batch, body.results || []); });
    }, failed).then(function () {
      state.flushing = false;
      if (state.queue.length) { window.setTimeout(flush, state.failed || state.signedOut ? RETRY_MS : 0); }
    });
  }

  // The server's answer to each action: done, or refused (shown, never dropped silently).
  function settle(batch, results) {
    state.failed = false;
    state.signedOut = false;
    var done = [];
    var last = null;
    var adding = [];
    results.forEach(function (result) {
      var action = batch.filter(function (a) { return a.nonce === result.nonce; })[0];
      if (!action) { return; }
      done.push(action.seq);
      var kind = result.outcome === "done" ? "ok" : (result.code === "already_checked_in" ? "info" : "error");
      last = { message: result.message, kind: kind };
      if (result.outcome !== "done" && action.waited) {
        adding.push(Store.addConflict({ label: action.label, message: result.message, code: result.code, action: action }));
      }
    });
    state.queue = state.queue.filter(function (action) { return done.indexOf(action.seq) === -1; });
    return Promise.all([Store.dequeue(done)].concat(adding)).then(loadConflicts).then(function () {
      if (last) { showResult(last.message, last.kind); }
      if (!state.queue.length && !offline() && sessionId !== null) {
        state.local = false;
        serverBoard();
      }
      return refreshDay();
    }).then(render);
  }

  function unreadable(batch, message) {
    // A batch the server cannot read would be refused forever: shown, then set aside.
    return settle(batch, batch.map(function (action) {
      return { nonce: action.nonce, outcome: "refused", code: "unreadable", message: message };
    }));
  }

  // ---- The day's data -------------------------------------------------------------
  function wipe() {
    state.day = null;
    var pages = window.caches ? window.caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf("door-pages-") === 0; })
        .map(function (name) { return window.caches.delete(name); }));
    }) : Promise.resolve();
    return Promise.all([Store.clearDay(), Store.clearConflicts(), pages]).then(loadConflicts);
  }

  function signedOut() {
    state.signedOut = true;
    state.queue.forEach(function (action) { action.waited = true; });
    return wipe().then(render);
  }

  function dayOver() {
    return state.day && Date.parse(state.day.data.keep_until) <= Date.now();
  }

  function refreshDay() {
    if (!navigator.onLine || state.polling) { return Promise.resolve(); }
    state.polling = true;
    var headers = { "Accept": "application/json" };
    if (state.day && state.day.etag) { headers["If-None-Match"] = state.day.etag; }
    return fetch(app.getAttribute("data-day-url"), { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (isLogin(response) || lapsed(response.status)) { return signedOut(); }
        if (response.headers.get("X-CSRF-Token")) { csrf = response.headers.get("X-CSRF-Token"); }
        var etag = response.headers.get("ETag");
        if (response.status === 304 && state.day && etag && etag !== state.day.etag) {
          state.day.etag = etag;  // the same day under a newer version: asked with it next time
          return Store.putDay(state.day);
        }
        if (response.status === 304 || !response.ok) { return null; }
        return response.json().then(function (data) {
          var someoneElse = state.day && state.day.data.user !== data.user;
          state.signedOut = false;
          state.day = { etag: etag, data: data };
          return (someoneElse ? Store.clearConflicts().then(loadConflicts) : Promise.resolve())
            .then(function () { return Store.putDay(state.day); })
            .then(function () { keepPages(data); render(); flush(); });
        });
      }, function () { /* offline: what the tablet has stays */ })
      .then(function () { state.polling = false; }, function () { state.polling = false; });
  }

  // The pages of the day, for the service worker to keep for a reload offline.
  function keepPages(data) {
    if (!navigator.serviceWorker) { return; }
    var urls = [scope, window.location.pathname];
    data.days.forEach(function (day) { urls.push(scope + "?day=" + day); });
    data.sessions.forEach(function (session) { urls.push(scope + "sessions/" + session.id); });
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) { registration.active.postMessage({ type: "keep-pages", urls: urls }); }
    });
  }

  // ---- Drawing --------------------------------------------------------------------
  function render() {
    var count = state.queue.length;
    if (banner) {
      var text = !navigator.onLine ? say("offline", { num: count })
        : state.signedOut ? (count ? say("lapsed", { num: count }) : say("lapsed_none"))
        : state.queue.some(function (action) { return action.waited; }) ? say("pending", { num: count }) : "";
      banner.hidden = !text;
      if (banner.textContent !== text) { banner.textContent = text; }
    }
    if (sessionId === null || !document.getElementById("board")) { return; }
    if (offline() || (state.local && count)) {
      state.local = true;
      var here = world().sessions[sessionId];
      if (state.signedOut && !here) {
        window.DoorBoard.empty(say("signed_out"), { href: app.getAttribute("data-login-url"), text: say("sign_in") });
      } else if (here) {
        window.DoorBoard.draw(scope, here, scanInput ? scanInput.value : "");
      }
    } else if (state.local && !count) {
      state.local = false;
      serverBoard();
    }
  }

  // Back online with nothing waiting: the server's board again (and its counters' poll).
  function serverBoard() {
    window.DoorBoard.forgetLocal();
    if (!window.htmx) { return; }
    var query = scanInput ? scanInput.value : "";
    var url = window.location.pathname + (query ? "?q=" + encodeURIComponent(query) : "");
    var kept = state.result;
    window.htmx.ajax("GET", url, { target: "#board", swap: "outerHTML" }).then(function () {
      if (kept) { showResult(kept.message, kept.kind); }
    });
  }

  function loadConflicts() {
    return Store.conflicts().then(function (rows) {
      state.conflicts = rows;
      drawConflicts();
    });
  }

  function drawConflicts() {
    if (!conflictsBox) { return; }
    var list = conflictsBox.querySelector("ul");
    var el = window.DoorBoard.el;
    while (list.firstChild) { list.removeChild(list.firstChild); }
    state.conflicts.forEach(function (conflict) {
      var item = el("li", { "class": "door-conflict" }, [
        el("span", {}, [conflict.label ? say("conflict", { what: conflict.label, message: conflict.message }) : conflict.message])
      ]);
      if (conflict.action && conflict.action.kind === "walk_in") {
        item.appendChild(el("button", { type: "button", "class": "door-button", "data-to-standby": String(conflict.seq) },
          [say("to_standby"), el("span", { "class": "visually-hidden" }, [" — " + conflict.label])]));
      }
      item.appendChild(el("button", { type: "button", "class": "door-button", "data-dismiss": String(conflict.seq) },
        [say("dismiss"), el("span", { "class": "visually-hidden" }, [conflict.label ? " — " + conflict.label : ""])]));
      list.appendChild(item);
    });
    conflictsBox.hidden = state.conflicts.length === 0;
  }

  if (conflictsBox) {
    conflictsBox.addEventListener("click", function (evt) {
      var button = evt.target.closest("button");
      if (!button) { return; }
      var seq = parseInt(button.getAttribute("data-dismiss") || button.getAttribute("data-to-standby"), 10);
      var conflict = state.conflicts.filter(function (c) { return c.seq === seq; })[0];
      if (!conflict) { return; }
      var next = button.hasAttribute("data-to-standby")
        ? take({ kind: "standby", session: conflict.action.session, seats: conflict.action.seats, name: conflict.action.name || "" })
        : Promise.resolve();
      next.then(function () { return Store.dropConflict(seq); }).then(loadConflicts);
    });
  }

  // ---- Signing out ----------------------------------------------------------------
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches("form[data-logout], form[action='" + app.getAttribute("data-logout-url") + "']") || form.hasAttribute("data-wiped")) { return; }
    evt.preventDefault();
    form.setAttribute("data-wiped", "");
    wipe().then(function () { form.submit(); }, function () { form.submit(); });
  }, true);

  // ---- Start ----------------------------------------------------------------------
  function migrateOldQueue() {
    var old;
    try { old = JSON.parse(window.localStorage.getItem(OLD_QUEUE_KEY) || "[]"); } catch (e) { old = []; }
    if (!old.length) { return Promise.resolve(); }
    var moved = old.map(function (item) {
      var fields = new URLSearchParams(item.fields || {});
      var action = fromRequest(item.url, fields);
      if (!action) { return Promise.resolve(); }
      action.nonce = fields.get("nonce") || freshNonce();
      action.at = new Date(item.at || Date.now()).toISOString();
      action.waited = true;
      action.label = "";
      return Store.enqueue(action);
    });
    return Promise.all(moved).then(function () { window.localStorage.removeItem(OLD_QUEUE_KEY); });
  }

  // The worker may not have been ready when the day's data came: ask again until it has
  // kept this page.
  function ensureKept() {
    if (!state.day || !window.caches || !navigator.onLine) { return; }
    window.caches.match(window.location.origin + window.location.pathname).then(function (found) {
      if (!found) { keepPages(state.day.data); }
    });
  }

  function tick() {
    if (dayOver()) { wipe().then(render); }
    ensureKept();
    if (!document.hidden) { refreshDay(); }
    flush();
  }

  if (navigator.serviceWorker) {
    navigator.serviceWorker.register(app.getAttribute("data-sw-url"), { scope: scope }).catch(function () { /* no offline pages */ });
    navigator.serviceWorker.addEventListener("message", function (evt) {
      if (evt.data && evt.data.type === "signed-out") { signedOut(); }
    });
  }
  window.addEventListener("online", function () { state.failed = false; render(); flush(); refreshDay(); });
  window.addEventListener("offline", render);

  migrateOldQueue().then(function () {
    return Promise.all([Store.day(), Store.queue(), loadConflicts()]);
  }).then(function (loaded) {
    state.day = loaded[0] || null;
    state.queue = loaded[1] || [];
    if (dayOver()) { return wipe(); }
    return null;
  }).then(function () {
    render();
    flush();
    return refreshDay();
  }).then(function () {
    window.setInterval(tick, POLL_MS);
  });

  window.DoorApp = {
    // A code read by the camera goes the way a typed or scanned one does.
    scan: function (code) {
      if (!scanForm) { return; }
      scanInput.value = code;
      if (scanForm.requestSubmit) { scanForm.requestSubmit(); } else { scanForm.dispatchEvent(new Event("submit", { cancelable: true })); }
    }
  };
}());
