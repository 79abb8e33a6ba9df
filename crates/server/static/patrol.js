/* The patrol page: my queue, one alert with its map and navigation links, and the field actions.
   Every action goes through an outbox kept in localStorage (photos in IndexedDB) and is sent in
   order when there is signal; each carries an id made on the phone, so a resend after a lost
   answer is recognised by the server and never applied twice. */
"use strict";

(function () {
  var t = BW.t, el = BW.el;
  var K = { token: "bw.patrol.token", me: "bw.patrol.me", alerts: "bw.patrol.alerts", outbox: "bw.patrol.outbox",
            failed: "bw.patrol.failed", outcomes: "bw.outcomes" };
  var token = BW.store(K.token), me = BW.store(K.me);
  var alerts = BW.store(K.alerts) || [];
  var outbox = BW.store(K.outbox) || [];
  var failed = BW.store(K.failed) || [];
  var outcomes = BW.store(K.outcomes) || [];
  var position = null, positionError = null, online = navigator.onLine, flushing = false, current = null;

  function $(id) { return document.getElementById(id); }

  function setOnline(v) {
    online = v;
    var n = $("net");
    n.textContent = v ? t("online") : t("offline");
    n.className = "net " + (v ? "on" : "off");
  }

  function show(view) {
    ["login-view", "queue-view", "alert-view"].forEach(function (v) { $(v).hidden = v !== view; });
  }

  function logout() {
    token = null; me = null;
    BW.store(K.token, null); BW.store(K.me, null);
    show("login-view");
  }

  /* A call with the saved token; a refused token sends the user back to the login form (the
     outbox is kept and sent after logging in again). Rejects when there is no signal. */
  function call(method, path, body) {
    return BW.api(token, method, path, body).then(function (r) {
      setOnline(true);
      if (r.status === 401) { logout(); throw { auth: true }; }
      return r;
    }, function (e) { setOnline(false); throw e; });
  }

  /* ---------- photos waiting to be sent, kept in IndexedDB (too big for localStorage) ---------- */
  var memoryPhotos = {};
  function idb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) return reject(new Error("no IndexedDB"));
      var req = indexedDB.open("burnwatch", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("photos"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function photoOp(mode, key, value) {
    return idb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("photos", mode === "get" ? "readonly" : "readwrite");
        var s = tx.objectStore("photos");
        var req = mode === "put" ? s.put(value, key) : mode === "get" ? s.get(key) : s["delete"](key);
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }).catch(function () {
      /* Without IndexedDB (private mode on some phones) photos wait in memory only. */
      if (mode === "put") memoryPhotos[key] = value;
      else if (mode === "get") return memoryPhotos[key];
      else delete memoryPhotos[key];
    });
  }

  /* ---------- the outbox ---------- */
  function saveOutbox() { BW.store(K.outbox, outbox); }

  function queueAction(alertId, body) {
    body.action_id = BW.uid();
    outbox.push({ id: BW.uid(), kind: "action", alert_id: alertId, body: body, at: new Date().toISOString() });
    saveOutbox();
    render();
    flush();
  }

  function queuePhoto(alertId, file) {
    var key = BW.uid();
    return photoOp("put", key, file).then(function () {
      var fix = position ? { lon: position.lon, lat: position.lat, acc: position.acc } : null;
      outbox.push({ id: key, kind: "photo", alert_id: alertId, photo_key: key, name: file.name, type: file.type, fix: fix });
      saveOutbox();
    });
  }

  function pendingFor(alertId) { return outbox.filter(function (o) { return o.alert_id === alertId; }); }

  function fail(item, r) {
    failed.push({ alert_id: item.alert_id, kind: item.kind, code: r.data && r.data.code, message: r.data && r.data.message });
    failed = failed.slice(-10);
    BW.store(K.failed, failed);
  }

  function sendItem(item) {
    if (item.kind === "action") {
      return call("POST", "/api/v1/alerts/" + item.alert_id + "/actions", item.body).then(function (r) {
        if (r.status === 200 && r.data.alert) updateAlert(r.data.alert);
        return r;
      });
    }
    return photoOp("get", item.photo_key).then(function (blob) {
      if (!blob) return { status: 410, data: { code: "photo_lost", message: item.name } };
      var q = item.fix ? "?lon=" + item.fix.lon + "&lat=" + item.fix.lat + (item.fix.acc != null ? "&acc=" + Math.round(item.fix.acc) : "") : "";
      return BW.api(token, "POST", "/api/v1/alerts/" + item.alert_id + "/photos" + q, blob, item.type || "application/octet-stream")
        .then(function (r) {
          setOnline(true);
          if (r.status === 401) { logout(); throw { auth: true }; }
          if (r.status < 300 || (r.status >= 400 && r.status < 500)) photoOp("delete", item.photo_key);
          return r;
        }, function (e) { setOnline(false); throw e; });
    });
  }

  /* Sends the outbox in order. A server error or no signal stops the run (tried again later);
     a refusal (4xx) drops the item and tells the user, since sending it again cannot help. */
  function flush() {
    if (flushing || !token || !outbox.length) return Promise.resolve();
    flushing = true;
    var sent = 0;
    function next() {
      if (!outbox.length) return Promise.resolve();
      var item = outbox[0];
      return sendItem(item).then(function (r) {
        if (r.status >= 500 || r.status === 429 || r.status === 408) return;
        outbox.shift();
        sent++;
        if (r.status >= 400) fail(item, r);
        saveOutbox();
        return next();
      });
    }
    return next().catch(function () { /* no signal: keep the rest */ }).then(function () {
      flushing = false;
      render();
      if (sent && current) loadAlertExtras(current);
    });
  }

  /* ---------- data ---------- */
  function updateAlert(a) {
    var found = false;
    alerts = alerts.map(function (x) { if (x.alert_id === a.alert_id) { found = true; return a; } return x; });
    if (!found) alerts.push(a);
    BW.store(K.alerts, alerts);
  }

  function loadQueue() {
    return call("GET", "/api/v1/alerts").then(function (r) {
      if (r.status === 200) { alerts = r.data; BW.store(K.alerts, alerts); }
      render();
    }, function () { render(); });
  }

  function loadOutcomes() {
    return call("GET", "/api/v1/outcomes").then(function (r) {
      if (r.status === 200) { outcomes = r.data; BW.store(K.outcomes, outcomes); fillOutcomes(); }
    }, function () {});
  }

  /* What the phone believes the state is: the server's, moved on by queued actions. */
  function effectiveState(a) {
    var q = pendingFor(a.alert_id).filter(function (o) { return o.kind === "action"; });
    return q.length ? q[q.length - 1].body.to : a.state;
  }

  function mine(a) { return me && a.region_id === me.region_id; }
  function canAct(a) { return me && (me.role !== "patrol" || mine(a)) && me.role !== "auditor"; }

  /* ---------- rendering ---------- */
  function render() {
    BW.applyText();
    setOnline(online);
    if (!token) return show("login-view");
    var m = /^#\/alert\/(\d+)/.exec(location.hash);
    if (m) return renderAlert(+m[1]);
    current = null;
    renderQueue();
  }

  function renderPending(node) {
    var n = outbox.length;
    var text = n ? n + " " + t("pending_note") : "";
    if (failed.length) {
      var f = failed[failed.length - 1];
      text += (text ? " · " : "") + t("failed") + " #" + f.alert_id + ": " + (f.message || f.code);
    }
    node.textContent = text;
    node.hidden = !text;
  }

  function renderQueue() {
    show("queue-view");
    $("who").textContent = me ? (me.display_name || me.username) + " · " + t("role_" + me.role) : "";
    renderPending($("pending"));
    var list = $("alert-list");
    list.textContent = "";
    var sorted = alerts.slice().sort(BW.urgencyOrder);
    $("queue-empty").hidden = sorted.length > 0;
    sorted.forEach(function (a) {
      var st = effectiveState(a), queued = st !== a.state;
      var deadline = BW.deadlineOf(a);
      var li = el("li", { cls: "item" + (BW.isOverdue(a) ? " overdue" : ""), "data-alert": a.alert_id }, [
        el("a", { href: "#/alert/" + a.alert_id }, [
          el("div", { cls: "row between" }, [
            el("strong", { text: "#" + a.alert_id + " " + (a.region_name || a.region_id || "") }),
            el("span", { cls: "badge st-" + st, text: BW.stateLabel(st) + (queued ? " · " + t("queued") : "") })
          ]),
          el("div", { cls: "muted small" }, [
            t("first_seen") + " " + BW.fmtTime(a.first_seen) +
            (a.max_frp_mw != null ? " · " + a.max_frp_mw.toFixed(1) + " MW" : "") +
            (mine(a) ? "" : " · " + t("neighbour"))
          ]),
          deadline ? el("div", { cls: "small deadline", text: t("deadline") + " " + BW.fmtTime(deadline) + (BW.isOverdue(a) ? " · " + t("overdue") : "") })
                   : (BW.isOverdue(a) ? el("div", { cls: "small deadline", text: t("overdue") }) : null)
        ])
      ]);
      list.appendChild(li);
    });
  }

  function fact(dl, key, value) {
    dl.appendChild(el("dt", { text: t(key) }));
    dl.appendChild(el("dd", { text: value }));
  }

  function renderAlert(id) {
    show("alert-view");
    var a = alerts.filter(function (x) { return x.alert_id === id; })[0];
    if (current !== id) {
      current = id;
      loadAlertExtras(id);
      call("GET", "/api/v1/alerts/" + id).then(function (r) {
        if (r.status === 200) { updateAlert(r.data); if (current === id) renderAlert(id); }
      }, function () {});
    }
    if (!a) { $("a-title").textContent = "#" + id; return; }
    var st = effectiveState(a);
    $("a-title").textContent = "#" + a.alert_id + " " + (a.region_name || "") + (a.county_name ? " · " + a.county_name : "");
    $("a-state").textContent = BW.stateLabel(st) + (st !== a.state ? " · " + t("queued") : "");
    $("a-state").className = "badge st-" + st;
    var deadline = BW.deadlineOf(a), dn = $("a-deadline");
    dn.hidden = !deadline && !BW.isOverdue(a);
    dn.textContent = (deadline ? t("deadline") + " " + BW.fmtTime(deadline, "full") : "") + (BW.isOverdue(a) ? " · " + t("overdue") : "");
    var dl = $("a-facts");
    dl.textContent = "";
    fact(dl, "first_seen", BW.fmtTime(a.first_seen, "full"));
    fact(dl, "last_seen", BW.fmtTime(a.last_seen, "full"));
    if (a.max_frp_mw != null) fact(dl, "frp", a.max_frp_mw.toFixed(1) + " MW");
    fact(dl, "confidence", t("conf_" + a.confidence) + " · " + a.sources.join(", "));
    fact(dl, "radius", BW.fmtDistance(a.search_radius_km));
    if (a.outcome) fact(dl, "outcome", BW.outcomeLabel(a.outcome, outcomes));
    $("a-where").textContent = "WGS84 " + a.lat.toFixed(5) + ", " + a.lon.toFixed(5);
    drawMap(a);
    renderDistance(a);
    renderNav(a);
    renderActions(a, st);
    /* Photos still waiting for signal; sent ones appear under 照片 once the server has them. */
    var chosen = $("chosen");
    chosen.textContent = "";
    pendingFor(a.alert_id).filter(function (o) { return o.kind === "photo"; }).forEach(function (o) {
      chosen.appendChild(el("li", { cls: "small", text: (o.name || "photo") + " · " + t("queued") }));
    });
  }

  function renderDistance(a) {
    var p = $("a-distance");
    if (!position) { p.textContent = positionError ? t("no_position") : t("locating"); return; }
    var d = BW.distanceKm(position.lon, position.lat, a.lon, a.lat);
    var b = BW.bearingDeg(position.lon, position.lat, a.lon, a.lat);
    p.textContent = t("distance") + " " + BW.fmtDistance(d) + " · " + t("bearing") + " " + BW.compass(b) + " " +
      Math.round(b) + "°" + (position.acc != null ? " (" + t("accuracy") + " ±" + Math.round(position.acc) + " " + t("m") + ")" : "");
  }

  function renderNav(a) {
    var nav = BW.store("bw.nav." + a.alert_id), box = $("a-nav");
    box.textContent = "";
    if (!nav) return;
    box.appendChild(el("span", { cls: "muted", text: t("navigate") + ":" }));
    box.appendChild(el("a", { cls: "btn", id: "nav-amap", href: nav.links.amap, rel: "noreferrer", text: t("amap") }));
    box.appendChild(el("a", { cls: "btn", id: "nav-baidu", href: nav.links.baidu, rel: "noreferrer", text: t("baidu") }));
    box.appendChild(el("a", { cls: "btn", id: "nav-geo", href: nav.links.geo, text: t("geo") }));
  }

  var ORDER = ["new", "dispatched", "received", "en_route", "on_scene", "verified", "closed", "cancelled"];
  function renderActions(a, st) {
    var box = $("a-actions");
    box.hidden = !canAct(a);
    var at = ORDER.indexOf(st), done = at >= ORDER.indexOf("verified");
    var buttons = box.querySelectorAll("button.step");
    for (var i = 0; i < buttons.length; i++) {
      var to = buttons[i].getAttribute("data-to");
      buttons[i].disabled = done || ORDER.indexOf(to) <= at;
      buttons[i].className = "step" + (ORDER.indexOf(to) <= at ? " done" : "");
    }
    var form = $("verify-form");
    form.hidden = done;
    var submit = form.querySelector("button[type=submit]");
    submit.disabled = at < ORDER.indexOf("received");
  }

  function fillOutcomes() {
    var sel = $("outcome"), keep = sel.value;
    sel.textContent = "";
    sel.appendChild(el("option", { value: "", text: t("choose") }));
    outcomes.forEach(function (o) { sel.appendChild(el("option", { value: o.id, text: BW.outcomeLabel(o.id, outcomes) })); });
    sel.value = keep;
  }

  /* History, photos, navigation and the township outline; each kept for use without signal. */
  function loadAlertExtras(id) {
    call("GET", "/api/v1/alerts/" + id + "/nav").then(function (r) {
      if (r.status === 200) { BW.store("bw.nav." + id, r.data); if (current === id) render(); }
    }, function () {});
    var a = alerts.filter(function (x) { return x.alert_id === id; })[0];
    if (a && a.region_id && !BW.store("bw.region." + a.region_id)) {
      call("GET", "/api/v1/regions/" + a.region_id).then(function (r) {
        if (r.status === 200) { BW.store("bw.region." + a.region_id, r.data); if (current === id) render(); }
      }, function () {});
    }
    call("GET", "/api/v1/alerts/" + id + "/history").then(function (r) {
      if (r.status !== 200 || current !== id) return;
      var ol = $("a-history");
      ol.textContent = "";
      r.data.forEach(function (h) {
        ol.appendChild(el("li", {}, [
          el("span", { cls: "muted", text: BW.fmtTime(h.at) + " " }),
          el("strong", { text: BW.stateLabel(h.to_state) }),
          " " + h.actor.replace(/^user:/, "") +
          (h.outcome ? " · " + BW.outcomeLabel(h.outcome, outcomes) : "") +
          (h.burned_area_mu != null ? " · " + h.burned_area_mu + " 亩" : "") +
          (h.note ? " · " + h.note : "")
        ]));
      });
    }, function () {});
    call("GET", "/api/v1/alerts/" + id + "/photos").then(function (r) {
      if (r.status !== 200 || current !== id) return;
      var ul = $("a-photos");
      ul.textContent = "";
      r.data.forEach(function (p) {
        var img = el("img", { alt: "photo " + p.id, width: "96", height: "72" });
        /* An <img src> cannot carry the bearer token, so the picture is fetched and shown from a blob. */
        fetch(p.url, { headers: { Authorization: "Bearer " + token } }).then(function (res) {
          if (!res.ok) throw new Error(res.status);
          return res.blob();
        }).then(function (b) { img.src = URL.createObjectURL(b); }, function () {});
        var flags = p.flags.map(function (f) { return t("flag_" + f); }).join(" · ");
        ul.appendChild(el("li", { cls: "photo" + (p.far || p.old ? " flagged" : ""), "data-photo": p.id }, [
          img,
          el("div", { cls: "small", text: (p.taken_at ? t("taken") + " " + BW.fmtTime(p.taken_at) : "") +
            (p.distance_km != null ? " · " + BW.fmtDistance(p.distance_km) : "") }),
          flags ? el("div", { cls: "small warn", text: flags }) : null
        ]));
      });
    }, function () {});
  }

  /* ---------- the map: our own boundary, drawn as SVG (no tiles) ---------- */
  var SVGNS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  function rings(geometry) {
    if (!geometry) return [];
    if (geometry.type === "Polygon") return geometry.coordinates;
    if (geometry.type === "MultiPolygon") return [].concat.apply([], geometry.coordinates);
    return [];
  }

  function drawMap(a) {
    var box = $("map"), W = 320, H = 240, PAD = 14;
    box.textContent = "";
    var region = a.region_id ? BW.store("bw.region." + a.region_id) : null;
    var rs = rings(region && region.geometry);
    var kx = Math.cos(a.lat * Math.PI / 180);
    var rDeg = a.search_radius_km / 111.32;
    /* Local equirectangular projection around the fire: exact enough over a township. */
    function px(lon, lat) { return [(lon - a.lon) * kx, -(lat - a.lat)]; }
    var pts = [[-rDeg, -rDeg], [rDeg, rDeg]];
    rs.forEach(function (r) { r.forEach(function (c) { pts.push(px(c[0], c[1])); }); });
    var me = position && BW.distanceKm(position.lon, position.lat, a.lon, a.lat) < 20 ? px(position.lon, position.lat) : null;
    if (me) pts.push(me);
    var minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
    pts.forEach(function (p) { minx = Math.min(minx, p[0]); maxx = Math.max(maxx, p[0]); miny = Math.min(miny, p[1]); maxy = Math.max(maxy, p[1]); });
    var s = Math.min((W - 2 * PAD) / (maxx - minx || 1), (H - 2 * PAD) / (maxy - miny || 1));
    var ox = (W - (maxx - minx) * s) / 2 - minx * s, oy = (H - (maxy - miny) * s) / 2 - miny * s;
    function xy(p) { return [(p[0] * s + ox).toFixed(1), (p[1] * s + oy).toFixed(1)]; }
    if (rs.length) {
      var d = rs.map(function (r) {
        return r.map(function (c, i) { var q = xy(px(c[0], c[1])); return (i ? "L" : "M") + q[0] + " " + q[1]; }).join("") + "Z";
      }).join("");
      box.appendChild(svg("path", { d: d, "class": "township", "fill-rule": "evenodd" }));
    }
    var c = xy([0, 0]);
    box.appendChild(svg("circle", { cx: c[0], cy: c[1], r: Math.max(rDeg * s, 4).toFixed(1), "class": "search" }));
    box.appendChild(svg("circle", { cx: c[0], cy: c[1], r: 4, "class": "fire" }));
    if (me) {
      var m = xy(me);
      if (position.acc) box.appendChild(svg("circle", { cx: m[0], cy: m[1], r: Math.max(position.acc / 111320 * s, 3).toFixed(1), "class": "acc" }));
      box.appendChild(svg("circle", { cx: m[0], cy: m[1], r: 4, "class": "me" }));
    }
    /* Scale bar: a round length near a quarter of the width. */
    var kmPerPx = 111.32 / s, target = kmPerPx * W / 4;
    var nice = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50].filter(function (v) { return v <= target; }).pop() || 0.1;
    var len = nice / kmPerPx;
    box.appendChild(svg("line", { x1: 10, y1: H - 10, x2: (10 + len).toFixed(1), y2: H - 10, "class": "scale" }));
    var label = svg("text", { x: 10, y: H - 14, "class": "label" });
    label.textContent = nice < 1 ? nice * 1000 + " m" : nice + " km";
    box.appendChild(label);
    var north = svg("text", { x: W - 16, y: 18, "class": "label" });
    north.textContent = "N↑";
    box.appendChild(north);
  }

  /* ---------- wiring ---------- */
  function watchPosition() {
    if (!navigator.geolocation) { positionError = true; return; }
    navigator.geolocation.watchPosition(function (p) {
      position = { lon: p.coords.longitude, lat: p.coords.latitude, acc: p.coords.accuracy };
      positionError = null;
      if (current) {
        var a = alerts.filter(function (x) { return x.alert_id === current; })[0];
        if (a) { renderDistance(a); drawMap(a); }
      }
    }, function () { positionError = true; if (current) render(); },
    { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 });
  }

  BW.bindLogin($("login-form"), $("login-error"), function (tok, user) {
    token = tok; me = user;
    BW.store(K.token, token); BW.store(K.me, me);
    location.hash = "#/";
    loadOutcomes(); loadQueue(); flush();
  }, function () { setOnline(false); });

  $("logout").addEventListener("click", logout);
  $("back").addEventListener("click", function () { location.hash = "#/"; });
  $("lang").addEventListener("click", function () { BW.setLang(BW.lang() === "zh" ? "en" : "zh"); fillOutcomes(); render(); });
  window.addEventListener("hashchange", render);
  window.addEventListener("online", function () { setOnline(true); flush(); loadQueue(); });
  window.addEventListener("offline", function () { setOnline(false); });

  var buttons = document.querySelectorAll("button.step");
  for (var i = 0; i < buttons.length; i++) buttons[i].addEventListener("click", function (e) {
    if (current) queueAction(current, { to: e.currentTarget.getAttribute("data-to") });
  });

  $("photo-input").addEventListener("change", function (e) {
    var files = Array.prototype.slice.call(e.target.files || []);
    var id = current;
    Promise.all(files.map(function (f) { return queuePhoto(id, f); }))
      .then(function () { e.target.value = ""; render(); flush(); });
  });

  $("verify-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target;
    if (!f.outcome.value) { $("verify-error").textContent = t("need_outcome"); return; }
    $("verify-error").textContent = "";
    var body = { to: "verified", outcome: f.outcome.value };
    if (f.area.value !== "") body.burned_area_mu = parseFloat(f.area.value);
    if (f.note.value.trim()) body.note = f.note.value.trim();
    queueAction(current, body);
    f.reset();
  });

  /* Keeps the page itself for reopening without signal (HTTPS or localhost only). */
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/patrol-sw.js", { scope: "/patrol" }).catch(function () {});

  fillOutcomes();
  render();
  if (token) { loadOutcomes(); loadQueue(); flush(); }
  watchPosition();
  /* Queued actions go out when signal returns; the 'online' event is not reliable everywhere. */
  setInterval(function () { flush(); }, 15000);
  setInterval(function () { if (token && !current && !outbox.length) loadQueue(); }, 60000);
})();
