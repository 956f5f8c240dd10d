/* The door board drawn by the tablet itself (offline, or while actions wait): the same
   rows, buttons and names as the server's board (templates/checkin/_board.html), built
   from the tablet's picture (local.js). Names are people's input: set as text, never HTML. */
(function () {
  "use strict";

  var say = window.DoorLocal.say;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] !== null && attrs[name] !== undefined && attrs[name] !== false) { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function hidden(text) { return el("span", { "class": "visually-hidden" }, [text]); }

  // A door form, read by main.js when submitted: the same addresses as the server's forms
  // when the server knows the row; an action taken offline is named by its nonce.
  function form(attrs, fields, button) {
    var node = el("form", Object.assign({ method: "post", "data-door-action": "", "data-door-local": "" }, attrs));
    Object.keys(fields).forEach(function (name) {
      node.appendChild(el("input", { type: "hidden", name: name, value: String(fields[name]) }));
    });
    node.appendChild(button);
    return node;
  }

  function row(scope, state, booking) {
    var remaining = booking.seats - booking["in"];
    var last = booking.checkins[booking.checkins.length - 1];
    var meta = [say("seats", { num: booking.seats })];
    var metaNode = el("span", { "class": "door-row__meta" }, [meta[0]]);
    if (booking.code) {
      metaNode.appendChild(document.createTextNode(" · "));
      metaNode.appendChild(el("code", {}, [booking.code]));
    }
    if (booking.status === "released") { metaNode.appendChild(document.createTextNode(" · " + say("released"))); }
    if (booking.status === "waiting") {
      metaNode.appendChild(document.createTextNode(" · " + say("waiting_rank", { num: booking.rank }) +
        (booking.at_door ? " · " + say("at_the_door") : "")));
    }
    if (booking.needs) {
      metaNode.appendChild(el("br"));
      metaNode.appendChild(el("span", { "class": "needs" }, ["\u267f " + booking.needs]));
    }
    if (booking.answers) {
      metaNode.appendChild(el("br"));
      metaNode.appendChild(el("span", { "class": "door-row__answers" }, [booking.answers]));
    }
    if (last) {
      metaNode.appendChild(el("br"));
      metaNode.appendChild(document.createTextNode(say("entered", { num: booking["in"], time: last.time, by: last.by })));
    }
    if (booking.pending) {
      metaNode.appendChild(document.createTextNode(" · "));
      metaNode.appendChild(el("em", { "class": "door-row__pending" }, [say("pending_row")]));
    }
    var actions = el("div", { "class": "door-row__actions" });
    if (booking.status === "waiting") {
      if (!booking.at_door) {
        actions.appendChild(form({ action: scope + "sessions/" + state.id + "/bookings/" + booking.id + "/standby" }, {},
          el("button", { type: "submit", "class": "door-button door-button--in" },
            [say("join", { num: booking.rank }), hidden(" — " + booking.name)])));
      }
    } else if (remaining > 0 && booking.id) {
      var tap = scope + "sessions/" + state.id + "/bookings/" + booking.id;
      actions.appendChild(form({ action: tap }, {}, el("button", { type: "submit", "class": "door-button door-button--in" },
        [say("enter", { num: remaining }), hidden(" — " + booking.name)])));
      if (remaining > 1) {
        var partial = form({ action: tap, "class": "door-partial" }, {}, el("button", { type: "submit", "class": "door-button" },
          [say("partial"), hidden(" — " + booking.name)]));
        partial.insertBefore(el("label", {}, [say("seats_label") + " ",
          el("input", { type: "number", name: "seats", min: "1", max: String(remaining), value: "1", inputmode: "numeric" })]), partial.firstChild);
        actions.appendChild(partial);
      }
    }
    if (last) {
      var undoAttrs = last.id ? { action: scope + "check-ins/" + last.id + "/undo" } : { action: scope, "data-kind": "undo", "data-target": last.nonce };
      actions.appendChild(form(undoAttrs, { session: state.id }, el("button", { type: "submit", "class": "door-button door-button--undo" },
        [say("undo"), hidden(" — " + booking.name)])));
    }
    var classes = "door-row" + (remaining <= 0 ? " door-row--in" : "") +
      (booking.status === "released" || booking.status === "waiting" ? " door-row--released" : "");
    return el("li", { "class": classes }, [
      el("div", { "class": "door-row__who" }, [el("span", { "class": "door-row__name" }, [booking.name]), metaNode]),
      actions
    ]);
  }

  // One party on the door's queue, as the server's board shows it: its number, who, how
  // many, since when, its waiting-list rank, whether the next seats are held for it.
  function standbyRow(scope, state, entry, index) {
    var attrs = entry.id ? { action: scope + "standby/" + entry.id + "/leave" } : { action: scope, "data-kind": "leave", "data-target": entry.nonce };
    var words = [el("strong", {}, [say("standby_number", { num: index + 1 })]),
      " · " + (entry.name || say("no_name")) + " · " + say("seats", { num: entry.seats }) + " · " + entry.time +
      (entry.rank ? " · " + say("waiting_rank", { num: entry.rank }) : "")];
    if (entry.pending) { words.push(" · ", el("em", { "class": "door-row__pending" }, [say("pending_row")])); }
    if (entry.held) { words.push(el("br"), el("strong", {}, [say("held")])); }
    return el("li", {}, [
      el("span", {}, words),
      form(attrs, { session: state.id }, el("button", { type: "submit", "class": "door-button door-button--undo" },
        [say("gone"), hidden(" — " + entry.name)]))
    ]);
  }

  function replace(list, items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (item) { list.appendChild(item); });
  }

  // Draw the list, the door's queue and the counters of ``state``; say they are local.
  function draw(scope, state, query) {
    var board = document.getElementById("board");
    if (!board) { return; }
    var list = board.querySelector(".door-list");
    var people = window.DoorLocal.matching(state, query);
    replace(list, people.length ? people.map(function (booking) { return row(scope, state, booking); })
      : [el("li", { "class": "empty" }, [query.trim() ? say("no_match") : say("no_booking")])]);
    var queue = board.querySelector(".door-standby");
    if (queue) {
      replace(queue, state.standby.length ? state.standby.map(function (entry, index) { return standbyRow(scope, state, entry, index); })
        : [el("li", { "class": "empty" }, [say("nobody_waits")])]);
    }
    var release = board.querySelector(".door-button--danger");
    if (release && release.parentNode) { release.parentNode.hidden = true; }  // needs the server
    counters(window.DoorLocal.counters(state));
  }

  function counters(values, noteKey) {
    var box = document.getElementById("counters");
    if (!box) { return; }
    box.querySelectorAll(".door-counters__value").forEach(function (node, index) {
      if (values[index] !== undefined) { node.textContent = String(values[index]); }
    });
    var note = document.getElementById("door-counters-note");
    if (!note) {
      note = el("p", { id: "door-counters-note", "class": "door-counters__note" });
      box.parentNode.insertBefore(note, box.nextSibling);
    }
    var words = say(noteKey || "local_counters");
    if (note.textContent !== words) { note.textContent = words; }
    box.classList.add("door-counters--local");
  }

  // Back to the server's board: the counters are the server's again.
  function forgetLocal() {
    var note = document.getElementById("door-counters-note");
    if (note) { note.parentNode.removeChild(note); }
    var box = document.getElementById("counters");
    if (box) { box.classList.remove("door-counters--local"); }
  }

  // Signed out (or the account lost its role): the tablet shows nobody's name, and says
  // where to sign in again (``link``: href and text).
  function empty(text, link) {
    var board = document.getElementById("board");
    var list = board && board.querySelector(".door-list");
    var words = [text];
    if (link && link.href) { words.push(" ", el("a", { href: link.href }, [link.text])); }
    if (list) { replace(list, [el("li", { "class": "empty" }, words)]); }
    var queue = board && board.querySelector(".door-standby");
    if (queue) { replace(queue, []); }
    counters([], "lapsed_counters");  // the last counts this tablet knew, said to be its own
  }

  window.DoorBoard = { draw: draw, forgetLocal: forgetLocal, empty: empty, el: el };
}());
