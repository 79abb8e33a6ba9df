/* The duty console: every alert the user may see, grouped by county and township, kept live by
   the server's event stream (GET /api/v1/stream). The stream is read with fetch so the bearer
   token travels in a header, not in the URL; on every (re)connect the list is reloaded, so a
   change made while disconnected is never missed. */
"use strict";

(function () {
  var t = BW.t, el = BW.el;
  var K = { token: "bw.console.token", me: "bw.console.me", outcomes: "bw.outcomes" };
  var token = BW.store(K.token), me = BW.store(K.me);
  var outcomes = BW.store(K.outcomes) || [];
  var alerts = {}, changedAt = {}, selected = null, abort = null, backoff = 1000;
  /* Counters the browser test reads to tell a live update from a reload. */
  var stats = window.bwConsole = { events: 0, listLoads: 0, connected: false };

  function $(id) { return document.getElementById(id); }

  function show(view) { ["login-view", "main-view"].forEach(function (v) { $(v).hidden = v !== view; }); }

  function setLive(on) {
    stats.connected = on;
    var n = $("live");
    n.textContent = on ? t("live") : t("reconnecting");
    n.className = "net " + (on ? "on" : "off");
  }

  function logout() {
    token = null; me = null;
    BW.store(K.token, null); BW.store(K.me, null);
    if (abort) abort.abort();
    $("logout").hidden = true;
    $("who").textContent = "";
    show("login-view");
  }

  function call(method, path, body) {
    return BW.api(token, method, path, body).then(function (r) {
      if (r.status === 401) { logout(); throw { auth: true }; }
      return r;
    });
  }

  function loadAll() {
    stats.listLoads++;
    return call("GET", "/api/v1/alerts").then(function (r) {
      if (r.status !== 200) return;
      alerts = {};
      r.data.forEach(function (a) { alerts[a.alert_id] = a; });
      render();
    });
  }

  /* ---------- the event stream ---------- */
  function handle(block) {
    var event = "message", data = [];
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) event = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
    });
    if (event === "alerts") {
      stats.events++;
      JSON.parse(data.join("\n")).forEach(function (a) { alerts[a.alert_id] = a; changedAt[a.alert_id] = Date.now(); });
      render();
      if (selected && changedAt[selected]) loadDetail(selected);
    } else if (event === "resync") {
      loadAll();
    }
  }

  function connect() {
    if (!token) return;
    abort = new AbortController();
    fetch("/api/v1/stream", { headers: { Authorization: "Bearer " + token, Accept: "text/event-stream" },
                              signal: abort.signal, cache: "no-store" }).then(function (res) {
      if (res.status === 401) { logout(); return; }
      if (!res.ok || !res.body) throw new Error("stream " + res.status);
      setLive(true);
      backoff = 1000;
      loadAll();
      var reader = res.body.getReader(), decoder = new TextDecoder(), buf = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error("stream ended");
          buf += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
          var i;
          while ((i = buf.indexOf("\n\n")) >= 0) { handle(buf.slice(0, i)); buf = buf.slice(i + 2); }
          return pump();
        });
      }
      return pump();
    }).catch(function () {}).then(function () {
      setLive(false);
      if (!token) return;
      /* The server ends streams every few minutes (to re-check the token) and on restart. */
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    });
  }

  /* ---------- rendering ---------- */
  function visible() {
    var st = $("filter-state").value, q = $("filter-text").value.trim().toLowerCase();
    return Object.keys(alerts).map(function (k) { return alerts[k]; }).filter(function (a) {
      if (st === "open" && ["verified", "closed", "cancelled"].indexOf(a.state) >= 0 && !changedAt[a.alert_id]) return false;
      if (!q) return true;
      return String(a.alert_id) === q || (a.region_name || "").toLowerCase().indexOf(q) >= 0 ||
        (a.county_name || "").toLowerCase().indexOf(q) >= 0 || (a.region_id || "").indexOf(q) === 0;
    });
  }

  function render() {
    BW.applyText();
    setLive(stats.connected);
    if (!token) return show("login-view");
    show("main-view");
    $("who").textContent = me ? (me.display_name || me.username) + " · " + t("role_" + me.role) : "";
    $("logout").hidden = false;
    var list = visible();
    var counts = {};
    Object.keys(alerts).forEach(function (k) { var s = alerts[k].state; counts[s] = (counts[s] || 0) + 1; });
    var overdue = Object.keys(alerts).filter(function (k) { return BW.isOverdue(alerts[k]); }).length;
    $("summary").textContent = t("total") + " " + Object.keys(alerts).length + " · " +
      Object.keys(counts).map(function (s) { return BW.stateLabel(s) + " " + counts[s]; }).join(" · ") +
      (overdue ? " · " + t("overdue") + " " + overdue : "");

    var byCounty = {};
    list.forEach(function (a) {
      var c = a.county_name || a.county_id || "—", tw = a.region_name || a.region_id || "—";
      ((byCounty[c] = byCounty[c] || {})[tw] = byCounty[c][tw] || []).push(a);
    });
    var box = $("groups"), now = Date.now();
    box.textContent = "";
    Object.keys(byCounty).sort().forEach(function (county) {
      var towns = byCounty[county];
      var n = Object.keys(towns).reduce(function (s, k) { return s + towns[k].length; }, 0);
      var sec = el("section", { cls: "county" }, [el("h2", { text: county + " (" + n + ")" })]);
      Object.keys(towns).sort().forEach(function (town) {
        var rows = towns[town].sort(BW.urgencyOrder);
        var table = el("table", { cls: "alerts" }, [
          el("caption", { text: town + " (" + rows.length + ")" }),
          el("thead", {}, [el("tr", {}, ["id", "state", "first_seen", "frp", "confidence", "deadline", "outcome", "updated"].map(function (h) {
            return el("th", { text: t(h) });
          }))])
        ]);
        var tbody = el("tbody");
        rows.forEach(function (a) {
          var deadline = BW.deadlineOf(a), od = BW.isOverdue(a);
          var fresh = changedAt[a.alert_id] && now - changedAt[a.alert_id] < 6000;
          tbody.appendChild(el("tr", {
            cls: (fresh ? "changed " : "") + (od ? "overdue " : "") + (selected === a.alert_id ? "selected" : ""),
            "data-alert": a.alert_id, "data-state": a.state,
            onclick: function () { select(a.alert_id); }
          }, [
            el("td", { text: "#" + a.alert_id }),
            el("td", {}, [el("span", { cls: "badge st-" + a.state, text: BW.stateLabel(a.state) })]),
            el("td", { text: BW.fmtTime(a.first_seen) }),
            el("td", { text: a.max_frp_mw != null ? a.max_frp_mw.toFixed(1) : "" }),
            el("td", { text: t("conf_" + a.confidence) }),
            el("td", { cls: od ? "warn" : "", text: (deadline ? BW.fmtTime(deadline) : "") + (od ? " " + t("overdue") : "") }),
            el("td", { text: BW.outcomeLabel(a.outcome, outcomes) }),
            el("td", { text: BW.fmtTime(a.updated_at) })
          ]));
        });
        table.appendChild(tbody);
        sec.appendChild(table);
      });
      box.appendChild(sec);
    });
  }

  function fact(dl, key, value) {
    if (value === null || value === undefined || value === "") return;
    dl.appendChild(el("dt", { text: t(key) }));
    dl.appendChild(el("dd", { text: String(value) }));
  }

  function select(id) { selected = id; render(); loadDetail(id); }

  function loadDetail(id) {
    var a = alerts[id];
    if (!a) return;
    $("detail").hidden = false;
    $("d-title").textContent = "#" + id + " " + (a.region_name || "") + " · " + (a.county_name || "");
    var dl = $("d-facts");
    dl.textContent = "";
    fact(dl, "state", BW.stateLabel(a.state));
    fact(dl, "first_seen", BW.fmtTime(a.first_seen, "full"));
    fact(dl, "last_seen", BW.fmtTime(a.last_seen, "full"));
    fact(dl, "radius", BW.fmtDistance(a.search_radius_km));
    fact(dl, "neighbour", a.neighbours.join(", "));
    var mayReview = me && ["county_supervisor", "duty_officer", "admin"].indexOf(me.role) >= 0;
    $("d-review").hidden = !(mayReview && (a.state === "verified" || a.state === "closed"));
    call("GET", "/api/v1/alerts/" + id + "/verification").then(function (r) {
      if (r.status !== 200 || selected !== id) return;
      var v = r.data, vd = $("d-verification"), d = v.details || {};
      vd.textContent = "";
      fact(vd, "outcome", BW.outcomeLabel(d.outcome, outcomes));
      fact(vd, "area", d.burned_area_mu);
      fact(vd, "case_number", d.enforcement_case);
      fact(vd, "fine", d.fine_yuan);
      fact(vd, "note", d.note);
      fact(vd, "review", v.review_state ? t(v.review_state) : "");
      var ul = $("d-photos");
      ul.textContent = "";
      v.photos.forEach(function (p) {
        var img = el("img", { alt: "photo " + p.id, width: "120", height: "90" });
        fetch(p.url, { headers: { Authorization: "Bearer " + token } }).then(function (res) {
          if (!res.ok) throw new Error(res.status);
          return res.blob();
        }).then(function (b) { img.src = URL.createObjectURL(b); }, function () {});
        ul.appendChild(el("li", { cls: "photo" + (p.far || p.old ? " flagged" : "") }, [
          img,
          el("div", { cls: "small", text: (p.taken_at ? t("taken") + " " + BW.fmtTime(p.taken_at) : "") +
            (p.distance_km != null ? " · " + BW.fmtDistance(p.distance_km) : "") }),
          p.flags.length ? el("div", { cls: "small warn", text: p.flags.map(function (f) { return t("flag_" + f); }).join(" · ") }) : null
        ]));
      });
    }, function () {});
    call("GET", "/api/v1/alerts/" + id + "/history").then(function (r) {
      if (r.status !== 200 || selected !== id) return;
      var ol = $("d-history");
      ol.textContent = "";
      r.data.forEach(function (h) {
        ol.appendChild(el("li", {}, [
          el("span", { cls: "muted", text: BW.fmtTime(h.at, "full") + " " }),
          el("strong", { text: BW.stateLabel(h.to_state) }),
          " " + h.actor + (h.outcome ? " · " + BW.outcomeLabel(h.outcome, outcomes) : "") + (h.note ? " · " + h.note : "") +
          (h.reason ? " · " + h.reason : "")
        ]));
      });
    }, function () {});
  }

  /* Links to the filter's data (suppressed detections, silences, candidates) only when this
     server has those endpoints; the console does not depend on them. */
  function probeOtherApis() {
    call("GET", "/api/v1/openapi.json").then(function (r) {
      if (r.status !== 200 || !r.data || !r.data.paths) return;
      var wanted = Object.keys(r.data.paths).filter(function (p) {
        return /suppress|silence|candidate/.test(p) && p.indexOf("{") < 0 && r.data.paths[p].get;
      });
      var nav = $("other-apis");
      nav.textContent = "";
      nav.hidden = !wanted.length;
      if (!wanted.length) return;
      nav.appendChild(document.createTextNode(t("other_apis") + ": "));
      wanted.forEach(function (p) {
        var span = el("span", { cls: "api", text: p.replace("/api/v1/", "") });
        nav.appendChild(span);
        call("GET", p).then(function (res) {
          if (res.status === 200 && Array.isArray(res.data)) span.textContent += " (" + res.data.length + ")";
        }, function () {});
        nav.appendChild(document.createTextNode(" "));
      });
    }, function () {});
  }

  function start() {
    call("GET", "/api/v1/outcomes").then(function (r) {
      if (r.status === 200) { outcomes = r.data; BW.store(K.outcomes, outcomes); render(); }
    }, function () {});
    probeOtherApis();
    connect();
  }

  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target;
    $("login-error").textContent = "";
    BW.api(null, "POST", "/api/v1/login", { username: f.username.value.trim(), password: f.password.value }).then(function (r) {
      if (r.status !== 200) { $("login-error").textContent = t("bad_login"); return; }
      token = r.data.token; me = r.data.user;
      BW.store(K.token, token); BW.store(K.me, me);
      f.password.value = "";
      render();
      start();
    }, function () { $("login-error").textContent = t("offline"); });
  });
  $("logout").addEventListener("click", logout);
  $("lang").addEventListener("click", function () { BW.setLang(BW.lang() === "zh" ? "en" : "zh"); render(); if (selected) loadDetail(selected); });
  $("filter-state").addEventListener("change", render);
  $("filter-text").addEventListener("input", render);
  $("d-close").addEventListener("click", function () { selected = null; $("detail").hidden = true; render(); });
  var reviewButtons = document.querySelectorAll("[data-review]");
  for (var i = 0; i < reviewButtons.length; i++) reviewButtons[i].addEventListener("click", function (e) {
    var state = e.currentTarget.getAttribute("data-review");
    if (selected) call("POST", "/api/v1/alerts/" + selected + "/review", { state: state }).then(function () { loadDetail(selected); }, function () {});
  });
  /* Fresh-change highlights fade without waiting for the next event. */
  setInterval(function () { if (token && document.querySelector("tr.changed")) render(); }, 3000);

  render();
  if (token) start();
})();
