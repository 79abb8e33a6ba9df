/* The patrol page's service worker: keeps the page itself on the phone, so a patrol who closes
   the browser in a field without signal can open it again and still see the queue (kept in
   localStorage) and its queued actions. Network first, so a phone with signal always gets the
   current page; the cache is only the fallback. Browsers run it on HTTPS or on localhost. */
"use strict";
var CACHE = "bw-patrol-1";
var SHELL = ["/patrol", "/static/app.css", "/static/common.js", "/static/patrol.js"];

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches["delete"](k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (e) {
  var url = new URL(e.request.url);
  /* Only the page's own files; the API is never answered from here (the page keeps its data). */
  if (e.request.method !== "GET" || url.origin !== self.location.origin || SHELL.indexOf(url.pathname) < 0) return;
  e.respondWith(fetch(e.request).then(function (r) {
    if (r.ok) {
      var copy = r.clone();
      caches.open(CACHE).then(function (c) { c.put(url.pathname, copy); });
    }
    return r;
  })["catch"](function () {
    return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
  }));
});
