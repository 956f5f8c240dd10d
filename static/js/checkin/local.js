/* What the tablet knows by itself: the day's data from the server with the actions not sent
   yet applied on top, and the answer each new action would get (the door's rules, as far as
   this tablet can tell: a ticket for another session, a party already in, the seats left).
   The server has the last word once the actions reach it. No word of its own: every text
   comes from the page's table (data-texts, from the catalogue). */
(function () {
  "use strict";

  var texts = {};
  var language = document.documentElement.lang || "fr";
  var plurals = new Intl.PluralRules(language);
  var PARIS = "Europe/Paris";

  function fill(text, values) {
    return text.replace(/%\((\w+)\)[sd]/g, function (all, name) {
      return values && values[name] !== undefined ? String(values[name]) : all;
    });
  }

  // A text of the table, its plural form chosen by ``values.num``.
  function say(key, values) {
    var text = texts[key];
    if (Array.isArray(text)) {
      text = plurals.select(values && values.num !== undefined ? values.num : 1) === "one" ? text[0] : text[1];
    }
    return fill(text || key, values);
  }

  // « 14 h », « 14 h 05 » in French; "2 pm", "2:05 pm" in English: as the server's clock.
  function clock(iso) {
    var moment = iso ? new Date(iso) : new Date();
    var parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: PARIS, hour: "numeric", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(moment).forEach(function (part) { parts[part.type] = part.value; });
    var hour = parseInt(parts.hour, 10);
    if (language === "fr") {
      return parts.minute === "00" ? hour + "\u00a0h" : hour + "\u00a0h\u00a0" + parts.minute;
    }
    var options = { timeZone: PARIS, hour: "numeric", hour12: true };
    if (parts.minute !== "00") { options.minute = "2-digit"; }
    return new Intl.DateTimeFormat("en-US", options).format(moment).replace(/\u202f|\u00a0/g, " ").toLowerCase();
  }

  // Accent- and case-blind, like the server's search.
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // « k7mq 3xpa », « K7MQ-3XPA », « k7mq3xpa » all become « K7MQ-3XPA ».
  function normalise(raw) {
    var compact = (raw || "").replace(/[^A-Za-z0-9]/g, "").toUpperCase();
    return compact.length === 8 ? compact.slice(0, 4) + "-" + compact.slice(4) : compact;
  }

  function copy(value) { return JSON.parse(JSON.stringify(value)); }

  // The day's data with the waiting actions applied, session by session.
  function build(day, queue, user) {
    var world = { user: user || (day && day.user) || "", sessions: {}, order: [] };
    ((day && day.sessions) || []).forEach(function (session) {
      var state = copy(session);
      state.bookings.forEach(function (booking) {
        booking.checkins = booking.last ? [booking.last] : [];
      });
      // Once booking has closed, the waiting list's parties: rows that may join the queue.
      state.waiting_list = (state.waiting_list || []).map(function (party) {
        return Object.assign(party, { status: "waiting", "in": 0, checkins: [] });
      });
      world.sessions[state.id] = state;
      world.order.push(state.id);
    });
    (queue || []).forEach(function (action) {
      if (decide(world, action).queue) { apply(world, action); }
    });
    return world;
  }

  function standbySeats(state) {
    return state.standby.reduce(function (sum, entry) { return sum + entry.seats; }, 0);
  }

  // A waiting-list party on the door's queue is still counted as waiting (state.waiting):
  // the counters add only the people who came without a booking.
  function walkUpSeats(state) {
    return state.standby.reduce(function (sum, entry) { return sum + (entry.booking ? 0 : entry.seats); }, 0);
  }

  function waitingParty(state, action) {
    var code = action.booking ? null : normalise(action.code);
    return (state.waiting_list || []).filter(function (party) {
      return action.booking ? party.id === action.booking : party.code === code;
    })[0] || null;
  }

  // Where a waiting-list party stands (or would stand) on the door's queue: after the
  // waiting-list parties ranked before it, before everyone who came without a booking.
  function queuePlace(state, party) {
    for (var i = 0; i < state.standby.length; i += 1) {
      if (state.standby[i].booking === party.id) { return i + 1; }
    }
    return state.standby.filter(function (entry) { return entry.booking && entry.rank < party.rank; }).length + 1;
  }

  // The refusal (or "join the queue") a waiting-list party's ticket gets at the door.
  function waitingAnswer(state, party) {
    if (!state.booking_closed) { return refuse(say("waiting_until", { time: state.closes }), "info"); }
    if (party.at_door) { return refuse(say("already_on_standby", { num: queuePlace(state, party) }), "info"); }
    return refuse(say("on_waiting_list", { num: party.rank }), "info");
  }

  // A waiting-list party joining the queue goes in at once when seats are free for it and
  // nobody before it waits (or is held for).
  function joinsAtOnce(state, party) {
    return state.door_may_take_seats && party.seats <= state.free && !state.standby.some(function (entry) {
      return entry.held || (entry.booking && entry.rank < party.rank);
    });
  }

  function findBooking(world, action) {
    var state = world.sessions[action.session];
    if (action.booking) {
      return state && state.bookings.filter(function (b) { return b.id === action.booking; })[0];
    }
    var code = normalise(action.code);
    for (var i = 0; i < world.order.length; i += 1) {
      var other = world.sessions[world.order[i]];
      var found = other.bookings.filter(function (b) { return b.code === code; })[0];
      if (found) { return found; }
    }
    return null;
  }

  function refusedTicket(world, code) {
    code = normalise(code);
    for (var i = 0; i < world.order.length; i += 1) {
      var found = world.sessions[world.order[i]].refused.filter(function (r) { return r.code === code; })[0];
      if (found) { return found; }
    }
    return null;
  }

  function sessionOf(world, booking) {
    for (var i = 0; i < world.order.length; i += 1) {
      if (world.sessions[world.order[i]].bookings.indexOf(booking) !== -1) { return world.sessions[world.order[i]]; }
    }
    return null;
  }

  function noSeats(free) {
    return free <= 0 ? say("no_seat") : say("few_seats", { num: free });
  }

  function refuse(message, kind) { return { queue: false, kind: kind || "error", message: message }; }
  function accept(message) { return { queue: true, kind: "ok", message: message }; }

  function findCheckIn(state, action) {
    for (var i = 0; i < state.bookings.length; i += 1) {
      var booking = state.bookings[i];
      for (var j = 0; j < booking.checkins.length; j += 1) {
        var entry = booking.checkins[j];
        if ((action.check_in && entry.id === action.check_in) || (action.target && entry.nonce === action.target)) {
          return { booking: booking, entry: entry };
        }
      }
    }
    return null;
  }

  // A ticket or party this tablet has no record of: sent for the server to decide.
  function unknownHere() { return { queue: true, kind: "info", unknown: true, message: say("unknown_here") }; }

  // The answer the door's rules give to ``action`` as far as this tablet knows, and
  // whether it is worth sending (``queue``): a refusal the tablet is sure of is not sent.
  function decide(world, action) {
    var state = world.sessions[action.session];
    if (!state) { return unknownHere(); }
    if (state.cancelled && action.kind !== "leave" && action.kind !== "undo") { return refuse(say("session_cancelled")); }
    if (action.kind === "check_in") { return decideCheckIn(world, state, action); }
    if (action.kind === "walk_in" || action.kind === "standby") {
      var seats = action.seats || 1;
      if (seats < 1 || seats > Math.max(state.capacity, 1)) { return refuse(say("bad_seats", { num: state.capacity })); }
      if (action.kind === "standby") {
        return accept(admitsAtOnce(state, seats) ? say("standby_admitted") : say("standby_added"));
      }
      var waiting = standbySeats(state);
      if (waiting) { return refuse(say("standby_first", { num: waiting })); }
      if (!state.door_may_take_seats) { return refuse(say("waiting_list_first")); }
      if (seats > state.free) { return refuse(noSeats(state.free)); }
      return accept(say("welcome", { name: action.name || say("walk_in_name"), num: seats }));
    }
    if (action.kind === "join") {
      var party = waitingParty(state, action);
      if (!party) { return unknownHere(); }
      if (!state.booking_closed || party.at_door) { return waitingAnswer(state, party); }
      return accept(joinsAtOnce(state, party) ? say("standby_admitted") : say("joined", { num: queuePlace(state, party) }));
    }
    if (action.kind === "undo") {
      var found = findCheckIn(state, action);
      return found ? accept(say("undone", { name: found.booking.name })) : refuse(say("nothing_to_undo"), "info");
    }
    return accept(say("left"));
  }

  function decideCheckIn(world, state, action) {
    if (!action.booking && !normalise(action.code)) { return refuse(say("enter_code")); }
    var booking = findBooking(world, action);
    if (!booking) {
      var waiting = action.code && waitingParty(state, action);
      if (waiting) { return waitingAnswer(state, waiting); }
      var refused = action.code && refusedTicket(world, action.code);
      if (refused && refused.status === "waiting" && !state.booking_closed && state.closes) {
        return refuse(say("waiting_until", { time: state.closes }), "info");
      }
      if (refused) { return refuse(say(refused.status === "waiting" ? "waiting" : refused.status)); }
      return unknownHere();
    }
    var home = sessionOf(world, booking);
    if (home !== state) { return refuse(say("wrong_session", { title: home.title, when: home.when })); }
    var seats = booking.seats;
    if (booking.status === "released") {
      var wanted = action.seats || booking.seats;
      if (wanted < 1 || wanted > booking.seats) { return refuse(say("bad_seats", { num: booking.seats })); }
      if (wanted > state.free) { return refuse(noSeats(state.free)); }
      seats = wanted;
    }
    var remaining = seats - booking["in"];
    if (remaining <= 0) {
      var first = booking.checkins[0] || {};
      return refuse(say("already", { num: booking["in"], time: first.time || "?", by: first.by || "?" }), "info");
    }
    var count = action.seats || remaining;
    if (count < 1 || count > remaining) { return refuse(say("bad_seats", { num: remaining })); }
    return accept(say("welcome", { name: booking.name, num: count }));
  }

  function admitsAtOnce(state, seats) {
    return state.door_may_take_seats && standbySeats(state) === 0 && seats <= state.free;
  }

  function localEntry(world, action, seats) {
    return { nonce: action.nonce, seats: seats, at: action.at, time: clock(action.at), by: world.user, pending: true };
  }

  function walkInRow(world, state, action, seats, name) {
    state.free -= seats;
    state.bookings.push({
      id: null, nonce: action.nonce, name: name || say("walk_in_name"), seats: seats, code: "", status: "confirmed",
      "in": seats, needs: "", walk_in: true, pending: true, checkins: [localEntry(world, action, seats)]
    });
  }

  // Change the tablet's picture as the server will when ``action`` reaches it.
  function apply(world, action) {
    var state = world.sessions[action.session];
    if (!state) { return; }
    if (action.kind === "check_in") {
      var booking = findBooking(world, action);
      if (!booking) { return; }
      if (booking.status === "released") {
        var wanted = action.seats || booking.seats;
        state.free -= wanted;
        booking.seats = wanted;
        booking.status = "confirmed";
      }
      var count = action.seats || booking.seats - booking["in"];
      booking["in"] += count;
      booking.pending = true;
      booking.checkins.push(localEntry(world, action, count));
    } else if (action.kind === "walk_in") {
      walkInRow(world, state, action, action.seats || 1, action.name);
    } else if (action.kind === "standby") {
      var seats = action.seats || 1;
      if (admitsAtOnce(state, seats)) {
        walkInRow(world, state, action, seats, action.name || "");
      } else {
        state.standby.push({ id: null, nonce: action.nonce, name: action.name || "", seats: seats, time: clock(action.at), pending: true });
      }
    } else if (action.kind === "join") {
      var party = waitingParty(state, action);
      if (!party) { return; }
      if (joinsAtOnce(state, party)) {
        state.free -= party.seats;
        state.waiting -= party.seats;
        state.waiting_list.splice(state.waiting_list.indexOf(party), 1);
        state.bookings.push(Object.assign(party, {
          status: "confirmed", "in": party.seats, pending: true, checkins: [localEntry(world, action, party.seats)]
        }));
      } else {
        party.at_door = true;
        party.pending = true;
        state.standby.splice(queuePlace(state, party) - 1, 0, {
          id: null, nonce: action.nonce, booking: party.id, rank: party.rank, name: party.name, seats: party.seats,
          time: clock(action.at), pending: true
        });
      }
    } else if (action.kind === "undo") {
      var found = findCheckIn(state, action);
      if (!found) { return; }
      found.booking.checkins.splice(found.booking.checkins.indexOf(found.entry), 1);
      found.booking["in"] -= found.entry.seats;
      found.booking.pending = true;
      if (found.booking.walk_in && found.booking["in"] <= 0) {
        state.free += found.booking.seats;
        state.bookings.splice(state.bookings.indexOf(found.booking), 1);
      }
    } else if (action.kind === "leave") {
      state.standby = state.standby.filter(function (entry) {
        var leaves = (action.entry && entry.id === action.entry) || (action.target && entry.nonce === action.target);
        if (leaves && entry.booking) {
          (state.waiting_list || []).forEach(function (party) { if (party.id === entry.booking) { party.at_door = false; } });
        }
        return !leaves;
      });
    }
  }

  // The door's counters for one session, as this tablet sees it.
  function counters(state) {
    var expected = 0;
    var arrived = 0;
    state.bookings.forEach(function (booking) {
      if (booking.status === "confirmed" || booking.status === "offered") {
        expected += booking.seats;
        arrived += booking["in"];
      }
    });
    return [expected, arrived, Math.max(expected - arrived, 0), Math.max(state.free, 0), state.waiting + walkUpSeats(state)];
  }

  // The list as the board shows it: those still to come first by name, then the waiting
  // list's parties in its order, then those already in.
  function matching(state, query) {
    var needle = fold(query.trim());
    function group(row) { return row["in"] >= row.seats ? 2 : (row.status === "waiting" ? 1 : 0); }
    return state.bookings.concat(state.waiting_list || []).filter(function (booking) {
      return !needle || fold(booking.name + " " + booking.code).indexOf(needle) !== -1;
    }).sort(function (a, b) {
      return group(a) - group(b) || (group(a) === 1 ? a.rank - b.rank : 0) ||
        a.name.localeCompare(b.name) || (a.id || 0) - (b.id || 0);
    });
  }

  window.DoorLocal = {
    setTexts: function (table) { texts = table || {}; },
    say: say, clock: clock, normalise: normalise, build: build, decide: decide, apply: apply,
    counters: counters, matching: matching
  };
}());
