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
    filterData = { suppressed: null, silences: null, candidates: null };
    $("filters").hidden = true;
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
    applyFilterText();
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
            el("td", { cls: od ? "warn" : "", "data-escalated": a.overdue_level || 0,
                       text: (deadline ? BW.fmtTime(deadline) : "") + (od ? " " + t("overdue") : "") +
                             (a.overdue_level ? " · " + t("escalated_" + Math.min(a.overdue_level, 2)) : "") }),
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

  /* ---------- the industrial-source filter ---------- */
  /* Its labels live here (zh-CN first, English after), read through the page's language. */
  var FT = {
    zh: {
      f_suppressed: "被过滤的火点", f_reason: "过滤原因", f_reason_ph: "按原因筛选，如 registry、silence:4", f_refresh: "刷新",
      f_acq_time: "观测时间", f_place: "位置", f_source: "数据源", f_lift_cli: "解除过滤后，该火点按正常流程分派（归入或新建火情并生成告警），且只执行一次。", f_lift: "解除过滤", f_lift_note: "解除原因（将记录在案）",
      f_silences: "静默规则", f_show_ended: "显示已结束", f_state: "状态", f_area: "范围", f_start: "开始", f_end: "结束",
      f_by: "创建人", f_comment: "原因", f_new_silence: "新建静默（圆形）", f_lon: "经度", f_lat: "纬度", f_radius: "半径（公里）",
      f_hours: "持续（小时）", f_create: "创建", f_expire: "结束", f_candidates: "疑似工业热源", f_origin: "来源",
      f_evidence: "证据", f_approve: "批准入库", f_reject: "驳回", f_pending: "待定", f_approved: "已批准", f_rejected: "已驳回",
      f_active: "生效中", f_ended: "已结束", f_days: "天", f_months: "个月", f_detections: "次", f_night: "夜间",
      f_confirm_expire: "确定现在结束此静默？", f_overlaps: "与以下静默重叠", f_failed: "操作失败"
    },
    en: {
      f_suppressed: "Suppressed detections", f_reason: "Reason", f_reason_ph: "Filter by reason, e.g. registry, silence:4", f_refresh: "Refresh",
      f_acq_time: "Acquired", f_place: "Place", f_source: "Source", f_lift_cli: "A lifted detection is dispatched as if never filtered (it joins or starts an event and raises its alert), once.", f_lift: "Lift", f_lift_note: "Why lift it (kept on record)",
      f_silences: "Silences", f_show_ended: "Show ended", f_state: "State", f_area: "Area", f_start: "Start", f_end: "End",
      f_by: "Created by", f_comment: "Comment", f_new_silence: "New silence (circle)", f_lon: "Longitude", f_lat: "Latitude", f_radius: "Radius (km)",
      f_hours: "Duration (hours)", f_create: "Create", f_expire: "Expire", f_candidates: "Industrial-source candidates", f_origin: "Origin",
      f_evidence: "Evidence", f_approve: "Approve", f_reject: "Reject", f_pending: "Pending", f_approved: "Approved", f_rejected: "Rejected",
      f_active: "Active", f_ended: "Ended", f_days: "days", f_months: "months", f_detections: "detections", f_night: "night",
      f_confirm_expire: "End this silence now?", f_overlaps: "Overlaps silences", f_failed: "Failed"
    }
  };
  function ft(key) { var l = BW.lang() === "en" ? "en" : "zh"; return FT[l][key] || FT.zh[key] || t(key); }
  var filterPaths = {}, filterData = { suppressed: null, silences: null, candidates: null };

  function applyFilterText() {
    var n = document.querySelectorAll("[data-ft]");
    for (var i = 0; i < n.length; i++) n[i].textContent = ft(n[i].getAttribute("data-ft"));
    var ph = document.querySelectorAll("[data-ftph]");
    for (var j = 0; j < ph.length; j++) ph[j].setAttribute("placeholder", ft(ph[j].getAttribute("data-ftph")));
  }

  function mayChangeFilter() { return !!me && (me.role === "duty_officer" || me.role === "admin"); }
  function mayReadFilter() { return !!me && ["duty_officer", "admin", "auditor", "county_supervisor"].indexOf(me.role) >= 0; }

  function apiError(r) { return ft("f_failed") + " (" + r.status + ")" + (r.data && r.data.message ? ": " + r.data.message : ""); }

  function loadFilters() {
    if (!token || !mayReadFilter()) return;
    if (filterPaths.suppressed) {
      var reason = $("f-reason").value.trim();
      call("GET", "/api/v1/detections/suppressed" + (reason ? "?reason=" + encodeURIComponent(reason) : "")).then(function (r) {
        filterData.suppressed = r.status === 200 ? r.data : null;
        renderFilters();
      }, function () {});
    }
    if (filterPaths.silences && me.role !== "county_supervisor") {
      call("GET", "/api/v1/silences" + ($("f-silences-all").checked ? "?all=true" : "")).then(function (r) {
        filterData.silences = r.status === 200 ? r.data : null;
        renderFilters();
      }, function () {});
    }
    if (filterPaths.candidates && me.role !== "county_supervisor") {
      call("GET", "/api/v1/candidates").then(function (r) {
        filterData.candidates = r.status === 200 ? r.data : null;
        renderFilters();
      }, function () {});
    }
  }

  function renderFilters() {
    applyFilterText();
    var any = false, act = mayChangeFilter();
    var sup = filterData.suppressed, sil = filterData.silences, cand = filterData.candidates;
    $("f-suppressed-box").hidden = !sup;
    if (sup) {
      any = true;
      $("f-suppressed-count").textContent = "(" + sup.length + ")";
      var tb = $("f-suppressed");
      tb.textContent = "";
      sup.forEach(function (d) {
        var x = d.detection || {};
        tb.appendChild(el("tr", { "data-detection": d.id }, [
          el("td", { text: "#" + d.id }),
          el("td", { text: BW.fmtTime(x.acq_time) }),
          el("td", { text: (x.lat != null ? x.lat.toFixed(4) + "N " + x.lon.toFixed(4) + "E" : "") + (d.county_id ? " · " + d.county_id : "") }),
          el("td", { text: [x.source, x.satellite].filter(Boolean).join(" ") }),
          el("td", { cls: "reason", text: d.suppressed_by || "" }),
          el("td", {}, [act ? el("button", { type: "button", cls: "link", "data-lift": d.id, text: ft("f_lift"), onclick: function () {
            var note = window.prompt(ft("f_lift_note"), "");
            if (note === null) return;
            call("POST", "/api/v1/detections/" + d.id + "/lift", note.trim() ? { note: note.trim() } : undefined).then(function (r) {
              if (r.status !== 200) $("f-lift-error").textContent = apiError(r);
              else $("f-lift-error").textContent = "";
              loadFilters();
            }, function () {});
          } }) : null])
        ]));
      });
    }
    $("f-silences-box").hidden = !sil;
    if (sil) {
      any = true;
      $("f-silences-count").textContent = "(" + sil.length + ")";
      $("f-silence-form").hidden = !act;
      var sb = $("f-silences");
      sb.textContent = "";
      sil.forEach(function (s) {
        sb.appendChild(el("tr", { "data-silence": s.id }, [
          el("td", { text: "#" + s.id }),
          el("td", { text: ft("f_" + s.state) }),
          el("td", { text: s.area }),
          el("td", { text: BW.fmtTime(s.starts_at, "full") }),
          el("td", { text: BW.fmtTime(s.effective_end, "full") }),
          el("td", { text: s.created_by + (s.expired_by ? " / " + s.expired_by : "") }),
          el("td", { text: s.comment }),
          el("td", {}, [act && s.state !== "ended" ? el("button", { type: "button", cls: "link", text: ft("f_expire"), onclick: function () {
            if (!window.confirm(ft("f_confirm_expire"))) return;
            call("POST", "/api/v1/silences/" + s.id + "/expire").then(function (r) {
              if (r.status !== 200) $("f-silence-error").textContent = apiError(r);
              loadFilters();
            }, function () {});
          } }) : null])
        ]));
      });
    }
    $("f-candidates-box").hidden = !cand;
    if (cand) {
      any = true;
      $("f-candidates-count").textContent = "(" + cand.length + ")";
      var cb = $("f-candidates");
      cb.textContent = "";
      cand.forEach(function (c) {
        var e = c.evidence || {};
        function decide(what) {
          return el("button", { type: "button", cls: "link", text: ft("f_" + what), onclick: function () {
            $("f-candidate-error").textContent = "";
            call("POST", "/api/v1/candidates/" + c.id + "/" + what, {}).then(function (r) {
              if (r.status !== 200) $("f-candidate-error").textContent = apiError(r);
              loadFilters();
            }, function () {});
          } });
        }
        cb.appendChild(el("tr", { "data-candidate": c.id }, [
          el("td", { text: "#" + c.id }),
          el("td", { text: ft("f_" + c.status) }),
          el("td", { text: c.lat.toFixed(4) + "N " + c.lon.toFixed(4) + "E · " + BW.fmtDistance(c.buffer_km) }),
          el("td", { text: c.origin }),
          el("td", { cls: "small", text: e.days + " " + ft("f_days") + " · " + e.months + " " + ft("f_months") + " · " +
            e.detections + " " + ft("f_detections") + " · " + ft("f_night") + " " + Math.round((e.night_share || 0) * 100) + "%" }),
          el("td", {}, act && c.status === "pending" ? [decide("approve"), " ", decide("reject")] : [])
        ]));
      });
    }
    $("filters").hidden = !any;
  }

  function setupFilters(paths) {
    filterPaths = {
      suppressed: !!(paths["/api/v1/detections/suppressed"] || {}).get,
      silences: !!(paths["/api/v1/silences"] || {}).get,
      candidates: !!(paths["/api/v1/candidates"] || {}).get
    };
    loadFilters();
  }

  $("f-reason-go").addEventListener("click", loadFilters);
  $("f-reason").addEventListener("keydown", function (e) { if (e.key === "Enter") loadFilters(); });
  $("f-silences-all").addEventListener("change", loadFilters);
  $("f-silence-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target, err = $("f-silence-error");
    err.textContent = "";
    var start = f.start.value ? new Date(f.start.value) : new Date();
    var hours = parseFloat(f.hours.value);
    var end = new Date(start.getTime() + (isFinite(hours) ? hours : 0) * 3600000);
    call("POST", "/api/v1/silences", {
      circle: { lon: parseFloat(f.lon.value), lat: parseFloat(f.lat.value), radius_km: parseFloat(f.radius_km.value) },
      start: start.toISOString(), end: end.toISOString(), comment: f.comment.value.trim()
    }).then(function (r) {
      if (r.status !== 201) { err.textContent = apiError(r); return; }
      if (r.data.overlaps && r.data.overlaps.length) {
        err.textContent = ft("f_overlaps") + ": " + r.data.overlaps.map(function (o) { return "#" + o.id + " " + o.comment; }).join(", ");
      }
      f.comment.value = "";
      loadFilters();
    }, function () { err.textContent = t("offline"); });
  });

  /* Links to the filter's data (suppressed detections, silences, candidates) only when this
     server has those endpoints; the console does not depend on them. */
  function probeOtherApis() {
    call("GET", "/api/v1/openapi.json").then(function (r) {
      if (r.status !== 200 || !r.data || !r.data.paths) return;
      var wanted = Object.keys(r.data.paths).filter(function (p) {
        return /suppress|silence|candidate/.test(p) && p.indexOf("{") < 0 && r.data.paths[p].get;
      });
      setupFilters(r.data.paths);
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

  BW.bindLogin($("login-form"), $("login-error"), function (tok, user) {
    token = tok; me = user;
    BW.store(K.token, token); BW.store(K.me, me);
    render();
    start();
  });
  $("logout").addEventListener("click", logout);
  $("lang").addEventListener("click", function () { BW.setLang(BW.lang() === "zh" ? "en" : "zh"); render(); renderFilters(); if (selected) loadDetail(selected); });
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
