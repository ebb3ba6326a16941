// Offline field work (issue 19 item 3): installable pages and a queue of what was done without a signal.
// A POST form in a page's main part, sent while offline, is kept in IndexedDB with its own idempotency
// key and sent when the connection returns, in order. The queue is shown at the top of every page:
// what waits, what was sent, and what the server refused (for example a request that someone else
// closed meanwhile: the server answers 409 and the item stays, marked, until the worker dismisses it).
(function () {
  "use strict";
  if (!("indexedDB" in window)) return;
  var T = (document.getElementById("offline-i18n") || { dataset: {} }).dataset;
  var DB = "gongzhi-offline", STORE = "outbox";

  if ("serviceWorker" in navigator && document.body.dataset.offline === "on") {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }

  function open() {
    return new Promise(function (resolve, reject) {
      var r = indexedDB.open(DB, 1);
      r.onupgradeneeded = function () { r.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }); };
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }
  function tx(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), out = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function put(item) { return tx("readwrite", function (s) { return s.put(item); }); }
  function del(id) { return tx("readwrite", function (s) { return s.delete(id); }); }

  function newKey() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");
  }

  // --- the visible queue
  function box() {
    var el = document.getElementById("offline-queue");
    if (!el) {
      el = document.createElement("section");
      el.id = "offline-queue";
      el.className = "card offline-queue";
      el.setAttribute("aria-live", "polite");
      var main = document.querySelector("main");
      main.insertBefore(el, main.firstChild);
    }
    return el;
  }
  function render() {
    return all().then(function (items) {
      var el = document.getElementById("offline-queue");
      if (!items.length) { if (el) el.remove(); return items; }
      el = box();
      el.textContent = "";
      var h = document.createElement("h2");
      h.textContent = (T.title || "离线待发送") + " (" + items.length + ")";
      el.appendChild(h);
      if (!navigator.onLine) {
        var p = document.createElement("p");
        p.className = "muted";
        p.textContent = T.offline || "";
        el.appendChild(p);
      }
      var ul = document.createElement("ul");
      items.forEach(function (it) {
        var li = document.createElement("li");
        li.dataset.state = it.state;
        li.textContent = it.label + " · " + new Date(it.created).toLocaleString() + " · ";
        var tag = document.createElement("span");
        tag.className = "tag" + (it.state === "waiting" ? "" : " warn");
        tag.textContent = it.state === "waiting" ? (T.waiting || "待发送") : (T.conflict || "未能办理") + (it.message ? "：" + it.message : "");
        li.appendChild(tag);
        if (it.state !== "waiting") {
          var b = document.createElement("button");
          b.type = "button";
          b.className = "offline-dismiss";
          b.dataset.id = it.id;
          b.textContent = T.dismiss || "知道了";
          li.appendChild(document.createTextNode(" "));
          li.appendChild(b);
        }
        ul.appendChild(li);
      });
      el.appendChild(ul);
      if (navigator.onLine && items.some(function (it) { return it.state === "waiting"; })) {
        var s = document.createElement("button");
        s.type = "button";
        s.className = "primary offline-send";
        s.textContent = T.send || "立即发送";
        el.appendChild(s);
      }
      return items;
    });
  }

  function label(form) {
    var action = form.querySelector("[name=action]");
    var desc = form.querySelector("[name=description]");
    var head = document.querySelector("main h1");
    var what = action ? (form.querySelector("button[type=submit],button:not([type])") || {}).textContent || action.value
      : desc ? desc.value.slice(0, 30) : "";
    return ((head && head.textContent.trim()) || location.pathname) + (what ? " · " + what.trim() : "");
  }

  // --- queueing a form sent while offline
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    // getAttribute: a field named "action" or "method" shadows the form's own properties
    if (navigator.onLine || !form.closest("main") || (form.getAttribute("method") || "").toLowerCase() !== "post") return;
    ev.preventDefault();
    var data = new FormData(form);
    if (ev.submitter && ev.submitter.name) data.append(ev.submitter.name, ev.submitter.value);
    var key = newKey();
    if (data.has("idempotency_key")) data.set("idempotency_key", key);
    var fields = [];
    data.forEach(function (v, k) { fields.push([k, v]); });
    put({ url: new URL(form.getAttribute("action") || location.href, location.href).href, fields: fields, key: key, label: label(form), created: Date.now(), state: "waiting" })
      .then(render)
      .then(function () {
        var k = form.querySelector("[name=idempotency_key]");
        if (k) k.value = newKey();  // the next request taken in offline is another request
        if (form.querySelector("[name=description]")) form.reset();
      });
  }, true);

  // --- sending the queue when the connection returns
  var sending = false;
  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    return all().then(function (items) {
      var waiting = items.filter(function (it) { return it.state === "waiting"; });
      return waiting.reduce(function (p, it) {
        return p.then(function () {
          var body = new FormData();
          it.fields.forEach(function (f) { body.append(f[0], f[1]); });
          return fetch(it.url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-Gongzhi-Offline": "1" } })
            .then(function (resp) {
              if (resp.ok && resp.redirected) return del(it.id);  // done: the page moved on (the request, or the request's page)
              return resp.text().then(function (html) {
                var doc = new DOMParser().parseFromString(html, "text/html");
                var msg = doc.querySelector(".errorlist, .messages li, main p.error, main .error");
                it.state = resp.status === 409 ? "conflict" : "refused";
                it.message = (msg ? msg.textContent.trim() : "") || String(resp.status);
                return put(it);
              });
            })
            .catch(function () { /* still no connection: stays waiting */ });
        });
      }, Promise.resolve());
    }).then(function () { sending = false; return render(); }, function () { sending = false; });
  }

  document.addEventListener("click", function (ev) {
    if (ev.target.matches(".offline-send")) flush();
    if (ev.target.matches(".offline-dismiss")) del(Number(ev.target.dataset.id)).then(render);
  });
  // A log-out forgets the stored pages (they may hold personal data of the worker's grid).
  document.addEventListener("submit", function (ev) {
    if (ev.target.getAttribute("action") === (T.logout || "/logout/") && "caches" in window) {
      caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); });
    }
  });
  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", function () { render(); });
  document.addEventListener("DOMContentLoaded", function () { render().then(flush); });
  window.gongzhiOffline = { flush: flush, items: all };
})();
