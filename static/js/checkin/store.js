/* The door tablet's storage (IndexedDB): the day's data, the actions not sent yet, and the
   server's refusals of actions taken offline. It survives a reload, the tablet sleeping
   and a restart of the browser. */
(function () {
  "use strict";

  var NAME = "minerales-door";
  var opening = null;

  function open() {
    if (opening) { return opening; }
    opening = new Promise(function (resolve, reject) {
      var request = window.indexedDB.open(NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        db.createObjectStore("day");
        db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        db.createObjectStore("conflicts", { keyPath: "seq", autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return opening;
  }

  // One transaction on one store; ``work`` gets the store and returns a request or nothing.
  function run(storeName, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result;
        var request = work(tx.objectStore(storeName));
        if (request) { request.onsuccess = function () { result = request.result; }; }
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function all(storeName) {
    return run(storeName, "readonly", function (store) { return store.getAll(); })
      .then(function (rows) { return rows || []; });
  }

  window.DoorStore = {
    day: function () { return run("day", "readonly", function (store) { return store.get("current"); }); },
    putDay: function (record) { return run("day", "readwrite", function (store) { return store.put(record, "current"); }); },
    clearDay: function () { return run("day", "readwrite", function (store) { return store.clear(); }); },
    queue: function () { return all("queue"); },
    enqueue: function (action) { return run("queue", "readwrite", function (store) { return store.add(action); }); },
    dequeue: function (seqs) {
      return run("queue", "readwrite", function (store) { seqs.forEach(function (seq) { store.delete(seq); }); });
    },
    conflicts: function () { return all("conflicts"); },
    addConflict: function (conflict) { return run("conflicts", "readwrite", function (store) { return store.add(conflict); }); },
    dropConflict: function (seq) { return run("conflicts", "readwrite", function (store) { store.delete(seq); }); },
    clearConflicts: function () { return run("conflicts", "readwrite", function (store) { return store.clear(); }); }
  };
}());
