// Gongzhi's service worker (issue 19 item 3): field pages keep working without a signal.
// Served at /sw.js (scope /) by gongzhi.web.views.service_worker.
// - Pages (navigations): network first; a copy of each field page is kept so that it opens offline.
// - Static files: from the cache, refreshed from the network in the background.
// - POSTs are never touched here: the page queues them itself (offline.js) while offline.
"use strict";
var CACHE = "gongzhi-field-v2";
// The pages a grid worker needs in the field, fetched once the worker is installed.
var FIELD_PAGES = ["/", "/requests/new/", "/requests/inbox/grid/", "/requests/mine/", "/requests/bypass/",
  "/patrols/", "/patrols/new/", "/map/communities.geojson", "/requests/grids.geojson"];
// Public data the maps draw their base layer from (kept like the pages, so that maps draw offline).
var DATA = /^\/(map\/communities|requests\/grids)\.geojson$/;
// Only these paths are ever stored (personal pages of other kinds stay out of the cache).
var KEEP = /^\/(|requests\/(new|simple|mine|bypass|inbox\/grid)\/|patrols\/(new\/)?|requests\/r\/[^/]+\/|static\/.*|manifest\.webmanifest|map\/communities\.geojson|requests\/grids\.geojson)$/;

self.addEventListener("install", function (ev) {
  ev.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(FIELD_PAGES.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (resp) {
          if (resp.ok && !resp.redirected) return cache.put(url, resp);
        }).catch(function () {});
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (ev) {
  ev.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keepable(url) {
  return url.origin === self.location.origin && KEEP.test(url.pathname);
}

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    ev.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(req).then(function (hit) {
        var fresh = fetch(req).then(function (resp) {
          if (resp.ok) cache.put(req, resp.clone());
          return resp;
        });
        if (hit) { fresh.catch(function () {}); return hit; }
        return fresh;
      });
    }));
    return;
  }
  ev.respondWith(
    fetch(req).then(function (resp) {
      if (resp.ok && !resp.redirected && keepable(url) && (req.mode === "navigate" || DATA.test(url.pathname))) {
        // Kept before the page gets it: a page seen just before the signal goes is there offline.
        var copy = resp.clone();
        return caches.open(CACHE).then(function (cache) { return cache.put(url.pathname + url.search, copy); })
          .then(function () { return resp; }, function () { return resp; });
      }
      return resp;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(url.pathname + url.search).then(function (hit) {
          if (hit) return hit;
          return cache.match(url.pathname).then(function (hit2) {
            if (hit2) return hit2;
            if (req.mode === "navigate") return cache.match("/");
            return Response.error();
          });
        });
      });
    })
  );
});

self.addEventListener("message", function (ev) {
  // The page asks to forget every stored page (log-out).
  if (ev.data === "forget") ev.waitUntil(caches.delete(CACHE));
});
