/* burnwatch pages: shared helpers (language, API calls, times, distances). No frameworks, no
   outside requests: everything a phone needs comes from this server. */
"use strict";

var BW = (function () {
  var TEXT = {
    zh: {
      app_title: "火点巡查", console_title: "值班台", stats_link: "统计", escalated_1: "已上报县级", escalated_2: "已上报市级", login: "登录", username: "用户名", password: "密码",
      logout: "退出", lang_switch: "English", bad_login: "用户名或密码错误", offline: "无信号",
      online: "在线", queued: "待发送", sending: "发送中…", queue: "我的任务", empty: "暂无火点",
      back: "返回", state: "状态", first_seen: "发现时间", last_seen: "最近观测", frp: "火辐射功率",
      confidence: "置信度", radius: "搜索半径", deadline: "时限", overdue: "已超时", township: "乡镇",
      county: "区县", neighbour: "邻近乡镇火点", distance: "距离", bearing: "方位", my_position: "我的位置",
      no_position: "无法获取位置", locating: "正在定位…", accuracy: "精度", navigate: "导航",
      amap: "高德地图", baidu: "百度地图", geo: "其他地图 (geo:)", actions: "处置",
      received: "已接收", en_route: "出发前往", on_scene: "已到现场", verify: "核实结果",
      outcome: "核实结论", choose: "请选择", area: "过火面积（亩）", note: "备注", photos: "照片",
      add_photo: "拍照 / 选择照片", submit_verify: "提交核实", history: "处置记录", no_history: "暂无记录",
      pending_note: "条操作待发送，有信号后自动发送", failed: "发送失败", need_outcome: "请选择核实结论",
      map: "位置图", search_circle: "搜索范围", fire_point: "火点", updated: "更新",
      st_new: "新火点", st_dispatched: "已派发", st_received: "已接收", st_en_route: "前往中",
      st_on_scene: "已到场", st_verified: "已核实", st_closed: "已关闭", st_cancelled: "已撤销",
      conf_low: "低", conf_nominal: "中", conf_high: "高", flag_far: "距离过远", flag_old: "拍摄时间早于火点",
      flag_no_gps: "无GPS", flag_no_time: "无拍摄时间", live: "实时", reconnecting: "重新连接…",
      all_states: "全部状态", open_only: "未完成", alerts: "火点", total: "合计", review: "县级审核",
      approved: "通过", has_issues: "有问题", rejected: "驳回", close: "关闭", taken: "拍摄",
      km: "公里", m: "米", other_apis: "其他数据", photo_saved: "照片已保存", id: "编号",
      verification: "核实信息", enforcement: "执法", case_number: "立案编号", fine: "罚款（元）",
      role_patrol: "巡查队", role_county_supervisor: "县级督导", role_duty_officer: "值班员",
      role_auditor: "审计", role_admin: "管理员", search: "搜索乡镇或编号"
    },
    en: {
      app_title: "Fire patrol", console_title: "Duty console", stats_link: "Statistics", escalated_1: "escalated to the county", escalated_2: "escalated to the prefecture", login: "Log in", username: "User name",
      password: "Password", logout: "Log out", lang_switch: "中文", bad_login: "Wrong user name or password",
      offline: "No signal", online: "Online", queued: "Queued", sending: "Sending…", queue: "My queue",
      empty: "No fire points", back: "Back", state: "State", first_seen: "First seen", last_seen: "Last seen",
      frp: "FRP", confidence: "Confidence", radius: "Search radius", deadline: "Deadline", overdue: "Overdue",
      township: "Township", county: "County", neighbour: "Neighbour's border fire", distance: "Distance",
      bearing: "Bearing", my_position: "My position", no_position: "Position unavailable",
      locating: "Locating…", accuracy: "accuracy", navigate: "Navigate", amap: "Amap", baidu: "Baidu Maps",
      geo: "Other map (geo:)", actions: "Actions", received: "Received", en_route: "On my way",
      on_scene: "On scene", verify: "Verification", outcome: "Outcome", choose: "Choose…",
      area: "Burned area (mu)", note: "Note", photos: "Photos", add_photo: "Take / choose photo",
      submit_verify: "Submit verification", history: "History", no_history: "No entries",
      pending_note: "actions waiting for signal; they are sent automatically",
      failed: "Failed", need_outcome: "Choose an outcome", map: "Map", search_circle: "Search area",
      fire_point: "Fire point", updated: "Updated",
      st_new: "New", st_dispatched: "Dispatched", st_received: "Received", st_en_route: "En route",
      st_on_scene: "On scene", st_verified: "Verified", st_closed: "Closed", st_cancelled: "Cancelled",
      conf_low: "low", conf_nominal: "nominal", conf_high: "high", flag_far: "far from the fire",
      flag_old: "taken before the fire", flag_no_gps: "no GPS", flag_no_time: "no capture time",
      live: "Live", reconnecting: "Reconnecting…", all_states: "All states", open_only: "Open",
      alerts: "Alerts", total: "Total", review: "County review", approved: "Approved",
      has_issues: "Has issues", rejected: "Rejected", close: "Close", taken: "taken", km: "km", m: "m",
      other_apis: "More data", photo_saved: "Photo saved", id: "No.", verification: "Verification",
      enforcement: "Enforcement", case_number: "Case number", fine: "Fine (yuan)",
      role_patrol: "Patrol", role_county_supervisor: "County supervisor", role_duty_officer: "Duty officer",
      role_auditor: "Auditor", role_admin: "Admin", search: "Search township or number"
    }
  };
  /* English names of the verification outcomes; the zh labels come from the server. */
  var OUTCOME_EN = {
    confirmed_straw_burn: "Confirmed straw burning", other_open_burning: "Other open burning",
    ritual_burning: "Ritual burning", domestic_fire: "Domestic fire", industrial_heat: "Industrial heat source",
    burn_scar_only: "Burn scar only", nothing_found: "Nothing found", outside_jurisdiction: "Outside jurisdiction",
    duplicate: "Duplicate"
  };

  function store(key, value) {
    try {
      if (value === undefined) return JSON.parse(localStorage.getItem(key) || "null");
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* storage full or disabled: the page still works online */ }
    return value;
  }

  var lang = store("bw.lang") || "zh";

  function t(key) { return (TEXT[lang] && TEXT[lang][key]) || TEXT.zh[key] || key; }

  function applyText(root) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    var nodes = (root || document).querySelectorAll("[data-t]");
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = t(nodes[i].getAttribute("data-t"));
    var ph = (root || document).querySelectorAll("[data-ph]");
    for (var j = 0; j < ph.length; j++) ph[j].setAttribute("placeholder", t(ph[j].getAttribute("data-ph")));
  }

  function setLang(l) { lang = l; store("bw.lang", l); applyText(); }

  function outcomeLabel(o, labels) {
    if (!o) return "";
    if (lang === "en") return OUTCOME_EN[o] || o;
    var zh = (labels || []).filter(function (x) { return x.id === o; })[0];
    return zh ? zh.label_zh : o;
  }

  /* An API call. Resolves {status, data}; rejects only when the network fails (no signal). */
  function api(token, method, path, body, contentType) {
    var headers = {};
    if (token) headers["Authorization"] = "Bearer " + token;
    var payload;
    if (body instanceof Blob) {
      payload = body;
      headers["Content-Type"] = contentType || body.type || "application/octet-stream";
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    return fetch(path, { method: method, headers: headers, body: payload, cache: "no-store" }).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { code: "bad_response", message: text }; }
        return { status: r.status, data: data };
      });
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* Times are stored in UTC and shown in Beijing time (UTC+8, no daylight saving), whatever the
     phone's own zone setting says. */
  function fmtTime(iso, withDate) {
    if (!iso) return "";
    var d = new Date(Date.parse(iso) + 8 * 3600 * 1000);
    if (isNaN(d.getTime())) return iso;
    var hm = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    var md = pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
    return withDate === "full" ? d.getUTCFullYear() + "-" + md + " " + hm : md + " " + hm;
  }

  var R = 6371.0088;
  function rad(x) { return x * Math.PI / 180; }
  function distanceKm(lon1, lat1, lon2, lat2) {
    var dp = rad(lat2 - lat1), dl = rad(lon2 - lon1);
    var a = Math.pow(Math.sin(dp / 2), 2) + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.pow(Math.sin(dl / 2), 2);
    return 2 * R * Math.asin(Math.sqrt(a));
  }
  function bearingDeg(lon1, lat1, lon2, lat2) {
    var y = Math.sin(rad(lon2 - lon1)) * Math.cos(rad(lat2));
    var x = Math.cos(rad(lat1)) * Math.sin(rad(lat2)) - Math.sin(rad(lat1)) * Math.cos(rad(lat2)) * Math.cos(rad(lon2 - lon1));
    return (Math.atan2(y, x) * 180 / Math.PI + 360) % 360;
  }
  function compass(deg) {
    var zh = ["北", "东北", "东", "东南", "南", "西南", "西", "西北"];
    var en = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    var i = Math.round(deg / 45) % 8;
    return (lang === "zh" ? zh : en)[i];
  }
  function fmtDistance(km) {
    return km < 1 ? Math.round(km * 1000) + " " + t("m") : km.toFixed(km < 10 ? 2 : 1) + " " + t("km");
  }

  /* A random id for a queued action, so the server can tell a resend from a new tap. */
  function uid() {
    var b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    var s = "";
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    return s;
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  function stateLabel(s) { return t("st_" + s); }

  /* The deadline of the next step the alert owes (the server computes it from [deadlines]); the
     page decides "overdue" itself, so it stays right offline. */
  function deadlineOf(a) { return a.deadline_at || null; }
  /* Overdue: still owing a step whose deadline passed (a done alert keeps its escalation mark
     in the record, but is no longer overdue). */
  function isOverdue(a) {
    if (["verified", "closed", "cancelled"].indexOf(a.state) >= 0) return false;
    if (a.overdue_step) return true;
    var d = deadlineOf(a);
    return !!(d && Date.parse(d) < Date.now());
  }

  /* Open alerts first; among them overdue, then the nearest deadline, then the newest fire. */
  var RANK = { "new": 0, dispatched: 0, received: 1, en_route: 2, on_scene: 3, verified: 8, closed: 9, cancelled: 9 };
  function urgencyOrder(a, b) {
    var fa = RANK[a.state] >= 8, fb = RANK[b.state] >= 8;
    if (fa !== fb) return fa ? 1 : -1;
    var oa = isOverdue(a), ob = isOverdue(b);
    if (oa !== ob) return oa ? -1 : 1;
    var da = deadlineOf(a), db = deadlineOf(b);
    if (da && db && da !== db) return Date.parse(da) - Date.parse(db);
    if (!!da !== !!db) return da ? -1 : 1;
    return Date.parse(b.last_seen) - Date.parse(a.last_seen) || b.alert_id - a.alert_id;
  }

  /* The login form every page has: on success the token and user are handed to the page. */
  function bindLogin(form, errorEl, onLogin, onOffline) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      errorEl.textContent = "";
      api(null, "POST", "/api/v1/login", { username: form.username.value.trim(), password: form.password.value }).then(function (r) {
        if (r.status !== 200) { errorEl.textContent = t("bad_login"); return; }
        form.password.value = "";
        onLogin(r.data.token, r.data.user);
      }, function () { errorEl.textContent = t("offline"); if (onOffline) onOffline(); });
    });
  }

  return {
    t: t, applyText: applyText, bindLogin: bindLogin, setLang: setLang, lang: function () { return lang; }, store: store, api: api,
    fmtTime: fmtTime, distanceKm: distanceKm, bearingDeg: bearingDeg, compass: compass, fmtDistance: fmtDistance,
    uid: uid, el: el, stateLabel: stateLabel, outcomeLabel: outcomeLabel, deadlineOf: deadlineOf,
    isOverdue: isOverdue, urgencyOrder: urgencyOrder
  };
})();
