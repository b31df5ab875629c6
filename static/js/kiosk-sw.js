// Service worker of the kiosk (served at /kiosk/sw.js, scope /kiosk/): the kiosk
// loads and works without a network. Static files: cache first. The page and the
// questionnaire: network first, the cached copy when offline. /api/ is never cached.
"use strict";
var CACHE = "sipas-kiosk-v1";
var ASSETS = __KIOSK_ASSETS__;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(ASSETS);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) {
      return caches.delete(n);
    }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, {ignoreSearch: false}).then(function (hit) {
      return hit || Response.error();
    });
  });
}

function cacheFirst(request) {
  return caches.match(request).then(function (hit) {
    return hit || fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname.indexOf("/kiosk/") === 0) {
    // the enrolment URL and the kiosk URL are the same page
    var page = url.pathname.replace(/\/enrol$/, "");
    var key = page === url.pathname ? request : new Request(url.origin + page);
    event.respondWith(networkFirst(key));
  }
});
