/* The statistics page: the figures of /api/v1/stats for a season or a date range, drawn as
   charts (inline SVG, no chart library, nothing fetched from outside), the per-region table, the
   concealment check, and the downloads (the same files `burnwatch stats` and `burnwatch export`
   write). It shares the console's login. */
"use strict";

(function () {
  var t = BW.t, el = BW.el;
  var K = { token: "bw.console.token", me: "bw.console.me", outcomes: "bw.outcomes" };
  var token = BW.store(K.token), me = BW.store(K.me);
  var outcomes = BW.store(K.outcomes) || [];
  var report = null, lastQuery = null;
  /* The browser test reads this to know a report has been drawn. */
  var probe = window.bwStats = { loads: 0, drawn: 0 };

  var S = {
    zh: {
      title: "火点统计", to_console: "值班台", period: "时段", from: "起", to: "止", by: "分组", by_county: "按县区",
      by_township: "按乡镇", region: "区域编码（可选）", run: "查询", dates: "自定义日期", chart_daily: "逐日火点与告警",
      chart_regions: "各区域火点（与去年同期）", chart_outcomes: "核实结果", chart_response: "响应时间（分钟，中位数 / 90% 分位，虚线为时限）",
      table: "分区统计", first_fire: "本季首个火点", unverified: "未核实告警（瞒报核查）", downloads: "下载",
      dl_stats_csv: "统计表 CSV", dl_stats_xlsx: "统计表 Excel", x_detections: "火点", x_events: "火情事件", x_alerts: "告警",
      x_verifications: "核实记录", "export": "导出", bulletin_date: "日报日期", bulletin: "打开日报",
      points: "火点", alerts: "告警", verified: "已核实", false_share: "误报率", burned: "过火面积（亩）",
      never_verified: "未核实", per_1000ha: "每千公顷耕地火点", vs_last_year: "较去年同期", suppressed: "已过滤",
      events: "火情", region_col: "区域", received: "接收", on_scene: "到场", verified_step: "核实", median: "中位数",
      p90: "90%分位", missed: "超时", target: "时限", none: "无", prev: "去年", confirmed: "确认秸秆焚烧",
      state: "状态", first_seen: "发现时间", age: "已过（小时）", overdue: "超时", township: "乡镇", county: "县区",
      place: "位置", no_data: "本时段无数据", downloading: "正在下载…", downloaded: "已下载", failed: "失败",
      not_allowed: "当前账号无权查看统计", same_day: "当日内", more: "另有 {n} 条，请下载完整表格", by_reason: "过滤原因",
      definitions: "口径：时段为北京时间日期（含首尾）；火点为未被过滤、位于乡镇内且非非秸秆类的卫星火点；云下火点未观测，不计入。"
    },
    en: {
      title: "Fire statistics", to_console: "Console", period: "Period", from: "From", to: "To", by: "Group by",
      by_county: "County", by_township: "Township", region: "Region code (optional)", run: "Show", dates: "Custom dates",
      chart_daily: "Fire points and alerts per day", chart_regions: "Fire points by region (vs. last year)",
      chart_outcomes: "Verification outcomes", chart_response: "Response times (minutes, median / 90th percentile, dashed: target)",
      table: "By region", first_fire: "First fire of the season", unverified: "Alerts never verified (concealment check)",
      downloads: "Downloads", dl_stats_csv: "Statistics CSV", dl_stats_xlsx: "Statistics Excel", x_detections: "Detections",
      x_events: "Events", x_alerts: "Alerts", x_verifications: "Verifications", "export": "Export",
      bulletin_date: "Bulletin date", bulletin: "Open bulletin", points: "Fire points", alerts: "Alerts", verified: "Verified",
      false_share: "False-alarm share", burned: "Burned area (mu)", never_verified: "Never verified",
      per_1000ha: "Points per 1,000 ha cropland", vs_last_year: "vs. last year", suppressed: "Suppressed", events: "Events",
      region_col: "Region", received: "Received", on_scene: "On scene", verified_step: "Verified", median: "Median",
      p90: "P90", missed: "Missed", target: "Target", none: "none", prev: "Last year", confirmed: "Confirmed straw burns",
      state: "State", first_seen: "First seen", age: "Age (h)", overdue: "Overdue", township: "Township", county: "County",
      place: "Place", no_data: "No data in this period", downloading: "Downloading…", downloaded: "Downloaded",
      failed: "Failed", same_day: "same day", not_allowed: "This account may not read statistics", more: "{n} more: download the full table",
      by_reason: "Suppressed by",
      definitions: "Definitions: the period is Beijing-time dates, both ends included; a fire point is a satellite detection inside a township that no filter held back and that is not classed as not straw; points under cloud are not observed and not counted."
    }
  };
  function s(key) { var l = BW.lang() === "en" ? "en" : "zh"; return S[l][key] || S.zh[key] || t(key); }
  function $(id) { return document.getElementById(id); }
  function show(view) { ["login-view", "main-view"].forEach(function (v) { $(v).hidden = v !== view; }); }

  function applyText() {
    BW.applyText();
    var nodes = document.querySelectorAll("[data-s]");
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = s(nodes[i].getAttribute("data-s"));
    document.title = s("title") + " burnwatch";
  }

  function logout() {
    token = null; me = null;
    BW.store(K.token, null); BW.store(K.me, null);
    $("logout").hidden = true; $("who").textContent = "";
    show("login-view");
  }

  function call(path) {
    return BW.api(token, "GET", path).then(function (r) {
      if (r.status === 401) { logout(); throw { auth: true }; }
      return r;
    });
  }

  function fmt(n, digits) {
    if (n === null || n === undefined || isNaN(n)) return "–";
    return Number(n).toLocaleString(BW.lang() === "en" ? "en-US" : "zh-CN", { maximumFractionDigits: digits === undefined ? 1 : digits });
  }
  function pct(x) { return x === null || x === undefined ? "–" : (x * 100).toFixed(1) + "%"; }
  function regionName(r) { return r.name || r.region_id || "–"; }

  /* ---------- the query ---------- */
  function params() {
    var q = [], season = $("q-season").value;
    if (season && season !== "dates") {
      var p = season.split("|");
      q.push("season=" + encodeURIComponent(p[0]), "year=" + p[1]);
    } else {
      q.push("from=" + $("q-from").value, "to=" + $("q-to").value);
    }
    q.push("by=" + $("q-by").value);
    var region = $("q-region").value.trim();
    if (region) q.push("region=" + encodeURIComponent(region));
    return q;
  }

  function run() {
    $("q-error").textContent = "";
    var q = params();
    lastQuery = q;
    probe.loads++;
    call("/api/v1/stats?" + q.concat("lang=" + BW.lang()).join("&")).then(function (r) {
      if (r.status !== 200) {
        $("q-error").textContent = (r.status === 403 ? s("not_allowed") : s("failed")) +
          (r.data && r.data.message ? ": " + r.data.message : "");
        return;
      }
      report = r.data;
      draw();
    }, function (e) { if (!e || !e.auth) $("q-error").textContent = t("offline"); });
  }

  function loadSeasons() {
    return call("/api/v1/seasons").then(function (r) {
      var sel = $("q-season");
      sel.textContent = "";
      (r.status === 200 ? r.data : []).forEach(function (x) {
        sel.appendChild(el("option", { value: x.name + "|" + x.year, text: x.name + " " + x.year + " (" + x.start + " – " + x.end + ")" }));
      });
      sel.appendChild(el("option", { value: "dates", "data-s": "dates", text: s("dates") }));
      // No seasons configured: the last 30 days (Beijing dates).
      if (sel.value === "dates" && !$("q-to").value) {
        var day = function (ms) { return new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 10); };
        $("q-to").value = day(Date.now());
        $("q-from").value = day(Date.now() - 29 * 86400 * 1000);
      }
      syncDates();
    });
  }

  function syncDates() {
    var v = $("q-season").value, custom = v === "dates";
    $("q-from").disabled = !custom; $("q-to").disabled = !custom;
    if (!custom && v) {
      var opt = $("q-season").selectedOptions[0];
      var m = /\((\d{4}-\d\d-\d\d) – (\d{4}-\d\d-\d\d)\)/.exec(opt.textContent);
      if (m) { $("q-from").value = m[1]; $("q-to").value = m[2]; }
    }
  }

  /* ---------- charts (SVG) ---------- */
  var NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, children) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function text(x, y, str, cls, anchor) {
    var e = svg("text", { x: x, y: y, "class": cls || "lbl", "text-anchor": anchor || "start" });
    e.textContent = str;
    return e;
  }
  function niceMax(v) {
    if (v <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log(v) / Math.LN10)), m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function legend(items, y) {
    var g = svg("g", {}), x = 0;
    items.forEach(function (it) {
      g.appendChild(svg("rect", { x: x, y: y - 9, width: 10, height: 10, "class": it.cls }));
      g.appendChild(text(x + 14, y, it.label));
      x += 24 + it.label.length * (BW.lang() === "en" ? 6.5 : 12);
    });
    return g;
  }

  function dailyChart(days) {
    var W = 640, H = 240, L = 40, B = 40, T = 24, plotW = W - L - 10, plotH = H - T - B;
    var max = niceMax(days.reduce(function (m, d) { return Math.max(m, d.points, d.alerts); }, 0));
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": s("chart_daily"), "class": "chart-svg" });
    for (var i = 0; i <= 4; i++) {
      var y = T + plotH - plotH * i / 4;
      root.appendChild(svg("line", { x1: L, x2: W - 10, y1: y, y2: y, "class": "grid" }));
      root.appendChild(text(L - 4, y + 4, fmt(max * i / 4, 0), "lbl", "end"));
    }
    var n = Math.max(days.length, 1), slot = plotW / n, bw = Math.max(slot * 0.4, 0.6);
    var labelEvery = Math.ceil(n / 10);
    days.forEach(function (d, i) {
      var x = L + i * slot;
      var hp = plotH * d.points / max, ha = plotH * d.alerts / max;
      var bar = svg("rect", { x: x + slot * 0.1, y: T + plotH - hp, width: bw, height: hp, "class": "bar-points" });
      var tip = svg("title"); tip.textContent = d.date + " · " + s("points") + " " + d.points + " · " + s("alerts") + " " + d.alerts;
      bar.appendChild(tip);
      root.appendChild(bar);
      root.appendChild(svg("rect", { x: x + slot * 0.1 + bw, y: T + plotH - ha, width: bw, height: ha, "class": "bar-alerts" }));
      if (i % labelEvery === 0) root.appendChild(text(x + slot / 2, H - B + 14, d.date.slice(5), "lbl", "middle"));
    });
    root.appendChild(legend([{ cls: "bar-points", label: s("points") }, { cls: "bar-alerts", label: s("alerts") }], 14));
    return root;
  }

  function regionChart(rows) {
    var W = 640, rowH = 22, L = 120, T = 24, H = T + rows.length * rowH + 10, plotW = W - L - 60;
    var max = niceMax(rows.reduce(function (m, r) { return Math.max(m, r.detections.points, r.previous ? r.previous.points : 0); }, 0));
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": s("chart_regions"), "class": "chart-svg" });
    rows.forEach(function (r, i) {
      var y = T + i * rowH, w = plotW * r.detections.points / max;
      root.appendChild(text(L - 6, y + 14, regionName(r), "lbl", "end"));
      root.appendChild(svg("rect", { x: L, y: y + 3, width: w, height: rowH - 8, "class": "bar-points", "data-region": r.region_id || "" }));
      if (r.previous) {
        var px = L + plotW * r.previous.points / max;
        root.appendChild(svg("line", { x1: px, x2: px, y1: y + 1, y2: y + rowH - 3, "class": "prev-mark" }));
      }
      root.appendChild(text(L + w + 4, y + 14, fmt(r.detections.points, 0)));
    });
    root.appendChild(legend([{ cls: "bar-points", label: s("points") }, { cls: "prev-key", label: s("prev") }], 14));
    return root;
  }

  function outcomeChart(counts) {
    var keys = Object.keys(counts).filter(function (k) { return counts[k] > 0; });
    var total = keys.reduce(function (n, k) { return n + counts[k]; }, 0);
    var W = 640, H = 40 + Math.ceil(keys.length / 2) * 20 + 10;
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": s("chart_outcomes"), "class": "chart-svg" });
    if (!total) { root.appendChild(text(10, 24, s("none"))); return root; }
    var x = 10, plotW = W - 20;
    keys.forEach(function (k, i) {
      var w = plotW * counts[k] / total;
      var r = svg("rect", { x: x, y: 6, width: w, height: 20, "class": "oc oc" + (i % 8), "data-outcome": k });
      var tip = svg("title"); tip.textContent = BW.outcomeLabel(k, outcomes) + " " + counts[k];
      r.appendChild(tip);
      root.appendChild(r);
      x += w;
    });
    keys.forEach(function (k, i) {
      var lx = 10 + (i % 2) * (W / 2), ly = 46 + Math.floor(i / 2) * 20;
      root.appendChild(svg("rect", { x: lx, y: ly - 10, width: 10, height: 10, "class": "oc oc" + (i % 8) }));
      root.appendChild(text(lx + 14, ly, BW.outcomeLabel(k, outcomes) + " " + counts[k] + " (" + pct(counts[k] / total) + ")"));
    });
    return root;
  }

  function responseChart(a, targets) {
    var steps = [["received", a.received, targets.received_minutes], ["on_scene", a.on_scene, targets.on_scene_minutes],
                 ["verified_step", a.verified_response, targets.verified_minutes]];
    var W = 640, rowH = 34, L = 90, T = 22, H = T + steps.length * rowH + 8, plotW = W - L - 70;
    var max = niceMax(steps.reduce(function (m, st) {
      return Math.max(m, st[1].p90_min || 0, st[1].median_min || 0, st[2] || 0);
    }, 0));
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": s("chart_response"), "class": "chart-svg" });
    steps.forEach(function (st, i) {
      var y = T + i * rowH, r = st[1];
      root.appendChild(text(L - 6, y + 15, s(st[0]), "lbl", "end"));
      if (r.p90_min != null) root.appendChild(svg("rect", { x: L, y: y + 4, width: plotW * r.p90_min / max, height: 16, "class": "bar-p90" }));
      if (r.median_min != null) root.appendChild(svg("rect", { x: L, y: y + 4, width: plotW * r.median_min / max, height: 16, "class": "bar-median" }));
      if (st[2]) {
        var tx = L + plotW * st[2] / max;
        root.appendChild(svg("line", { x1: tx, x2: tx, y1: y, y2: y + 24, "class": "target-mark" }));
      }
      root.appendChild(text(L + plotW + 6, y + 15, fmt(r.median_min, 0) + " / " + fmt(r.p90_min, 0) +
        (st[2] ? "" : " · " + s("same_day")) + (r.missed ? " · " + s("missed") + " " + r.missed : "")));
    });
    root.appendChild(legend([{ cls: "bar-median", label: s("median") }, { cls: "bar-p90", label: s("p90") }], 12));
    return root;
  }

  /* ---------- the report ---------- */
  function card(label, value, sub) {
    return el("div", { cls: "stat" }, [el("div", { cls: "stat-v", text: value }), el("div", { cls: "stat-l", text: label }),
      sub ? el("div", { cls: "stat-s muted small", text: sub }) : null]);
  }

  function change(now, before) {
    if (!before) return null;
    var c = (now - before) / before;
    return s("vs_last_year") + " " + (c >= 0 ? "+" : "") + (c * 100).toFixed(0) + "%";
  }

  function draw() {
    if (!report) return;
    probe.drawn++;
    $("report").hidden = false;
    var p = report.period, tot = report.total, a = tot.alerts;
    $("r-title").textContent = (report.prefecture_name || "") + " " + (p.season ? p.season + " " : "") + p.from + " – " + p.to;
    $("r-defs").textContent = s("definitions");
    var cards = $("r-cards");
    cards.textContent = "";
    cards.appendChild(card(s("points"), fmt(tot.detections.points, 0), change(tot.detections.points, tot.previous && tot.previous.points)));
    cards.appendChild(card(s("alerts"), fmt(a.total, 0), change(a.total, tot.previous && tot.previous.alerts)));
    cards.appendChild(card(s("verified"), fmt(a.verified, 0)));
    cards.appendChild(card(s("false_share"), pct(a.false_alarm_share)));
    cards.appendChild(card(s("burned"), fmt(a.burned_area_mu, 1)));
    cards.appendChild(card(s("never_verified"), fmt(a.never_verified, 0), a.overdue_unverified ? s("overdue") + " " + a.overdue_unverified : null));
    cards.appendChild(card(s("per_1000ha"), fmt(tot.points_per_1000_ha, 2)));
    cards.appendChild(card(s("suppressed"), fmt(tot.detections.suppressed, 0),
      Object.keys(tot.detections.suppressed_by || {}).map(function (k) { return k + " " + tot.detections.suppressed_by[k]; }).join(" · ")));

    function put(id, node) { var c = $(id); c.textContent = ""; c.appendChild(node); }
    put("c-daily", dailyChart(report.daily || []));
    put("c-regions", regionChart(report.rows || []));
    put("c-outcomes", outcomeChart(a.outcomes || {}));
    put("c-response", responseChart(a, report.deadlines || {}));

    var cols = [
      [s("region_col"), function (r) { return regionName(r); }],
      [s("points"), function (r) { return fmt(r.detections.points, 0); }],
      [s("suppressed"), function (r) { return fmt(r.detections.suppressed, 0); }],
      [s("events"), function (r) { return fmt(r.events, 0); }],
      [s("alerts"), function (r) { return fmt(r.alerts.total, 0); }],
      [s("verified"), function (r) { return fmt(r.alerts.verified, 0); }],
      [s("false_share"), function (r) { return pct(r.alerts.false_alarm_share); }],
      [s("burned"), function (r) { return fmt(r.alerts.burned_area_mu, 1); }],
      [s("received") + " " + s("median"), function (r) { return fmt(r.alerts.received.median_min, 0); }],
      [s("on_scene") + " " + s("median"), function (r) { return fmt(r.alerts.on_scene.median_min, 0); }],
      [s("verified_step") + " " + s("median"), function (r) { return fmt(r.alerts.verified_response.median_min, 0); }],
      [s("missed"), function (r) { return fmt(r.alerts.received.missed + r.alerts.on_scene.missed + r.alerts.verified_response.missed, 0); }],
      [s("never_verified"), function (r) { return fmt(r.alerts.never_verified, 0); }],
      [s("per_1000ha"), function (r) { return fmt(r.points_per_1000_ha, 2); }],
      [s("prev") + " " + s("points"), function (r) { return r.previous ? fmt(r.previous.points, 0) : "–"; }]
    ];
    var table = $("r-table");
    table.textContent = "";
    table.appendChild(el("thead", {}, [el("tr", {}, cols.map(function (c) { return el("th", { text: c[0] }); }))]));
    var body = el("tbody");
    (report.rows || []).concat([tot]).forEach(function (r) {
      body.appendChild(el("tr", { cls: r.level === "prefecture" ? "total" : "", "data-region": r.region_id || "" },
        cols.map(function (c) { return el("td", { text: c[1](r) }); })));
    });
    table.appendChild(body);

    var f = report.first_fire;
    $("r-first").textContent = f ? BW.fmtTime(f.at, "full") + " · " + (f.county_name || "") + " " + (f.township_name || "") +
      " · " + f.lat.toFixed(4) + "N " + f.lon.toFixed(4) + "E" + (f.satellite ? " · " + f.satellite : "") : s("no_data");

    var un = report.unverified || [], shown = un.slice(0, 100);
    var ut = $("r-unverified");
    ut.textContent = "";
    ut.appendChild(el("thead", {}, [el("tr", {}, ["id", s("county"), s("township"), s("place"), s("first_seen"), s("state"), s("age")].map(function (h) { return el("th", { text: h }); }))]));
    var ub = el("tbody");
    shown.forEach(function (u) {
      ub.appendChild(el("tr", { cls: u.overdue ? "overdue" : "" }, [
        el("td", { text: "#" + u.alert_id }), el("td", { text: u.county_name || "" }), el("td", { text: u.township_name || "" }),
        el("td", { text: u.lat.toFixed(4) + "N " + u.lon.toFixed(4) + "E" }), el("td", { text: BW.fmtTime(u.first_seen, "full") }),
        el("td", { text: BW.stateLabel(u.state) }), el("td", { text: fmt(u.age_hours, 1) })
      ]));
    });
    if (un.length > shown.length) ub.appendChild(el("tr", {}, [el("td", { colspan: 7, cls: "muted", text: s("more").replace("{n}", un.length - shown.length) })]));
    ut.appendChild(ub);
    // The bulletin of the period's last day with fire points (or its last day).
    var lastFire = (report.daily || []).filter(function (d) { return d.points > 0; }).pop();
    $("b-date").value = lastFire ? lastFire.date : p.to;
  }

  /* ---------- downloads: fetched with the token, then handed to the browser as a file ---------- */
  function download(path, fallbackName) {
    $("dl-status").textContent = s("downloading");
    fetch(path, { headers: { Authorization: "Bearer " + token }, cache: "no-store" }).then(function (r) {
      if (!r.ok) return r.json().then(function (e) { throw e; }, function () { throw { message: r.status }; });
      var cd = r.headers.get("Content-Disposition") || "", m = /filename="([^"]+)"/.exec(cd);
      return r.blob().then(function (b) { return { blob: b, name: m ? m[1] : fallbackName }; });
    }).then(function (f) {
      var url = URL.createObjectURL(f.blob);
      var a = el("a", { href: url, download: f.name });
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      $("dl-status").textContent = s("downloaded") + ": " + f.name + " (" + fmt(f.blob.size, 0) + " B)";
    }, function (e) { $("dl-status").textContent = s("failed") + (e && e.message ? ": " + e.message : ""); });
  }

  function exportRange() {
    var q = ["from=" + $("q-from").value, "to=" + $("q-to").value, "lang=" + BW.lang()];
    var region = $("q-region").value.trim();
    if (region) q.push("region=" + encodeURIComponent(region));
    return q;
  }

  var dl = document.querySelectorAll("[data-dl]");
  for (var i = 0; i < dl.length; i++) dl[i].addEventListener("click", function (e) {
    var fmtName = e.currentTarget.getAttribute("data-dl").split(":")[1];
    download("/api/v1/stats?" + (lastQuery || params()).concat("format=" + fmtName, "lang=" + BW.lang()).join("&"), "stats." + fmtName);
  });
  $("x-go").addEventListener("click", function () {
    var what = $("x-what").value, f = $("x-format").value;
    download("/api/v1/exports/" + what + "?" + exportRange().concat("format=" + f).join("&"), what + "." + f);
  });
  $("b-go").addEventListener("click", function () {
    var d = $("b-date").value;
    if (!d) return;
    $("dl-status").textContent = s("downloading");
    fetch("/api/v1/bulletin?date=" + d + "&lang=" + BW.lang(), { headers: { Authorization: "Bearer " + token } }).then(function (r) {
      if (!r.ok) return r.json().then(function (e) { throw e; });
      return r.blob();
    }).then(function (b) {
      window.open(URL.createObjectURL(b), "_blank");
      $("dl-status").textContent = "";
    }, function (e) { $("dl-status").textContent = s("failed") + (e && e.message ? ": " + e.message : ""); });
  });

  /* ---------- start ---------- */
  function start() {
    show("main-view");
    $("logout").hidden = false;
    $("who").textContent = me ? (me.display_name || me.username) + " · " + t("role_" + me.role) : "";
    $("bulletin-row").hidden = !me || ["duty_officer", "auditor", "admin"].indexOf(me.role) < 0;
    call("/api/v1/outcomes").then(function (r) {
      if (r.status === 200) { outcomes = r.data; BW.store(K.outcomes, outcomes); draw(); }
    }, function () {});
    loadSeasons().then(run, function () {});
  }

  BW.bindLogin($("login-form"), $("login-error"), function (tok, user) {
    token = tok; me = user;
    BW.store(K.token, token); BW.store(K.me, me);
    start();
  });
  $("logout").addEventListener("click", logout);
  $("lang").addEventListener("click", function () {
    BW.setLang(BW.lang() === "zh" ? "en" : "zh");
    applyText();
    if (token) run();
  });
  $("query").addEventListener("submit", function (e) { e.preventDefault(); run(); });
  $("q-season").addEventListener("change", syncDates);

  applyText();
  if (token) start(); else show("login-view");
})();
