// The patrol page and the duty console in Debian's chromium (driven by playwright-core), against
// a running daemon: a patrol user on a phone logs in, sees only its township's alerts, opens
// one, marks it received, goes en route without signal (queued, sent once when signal returns),
// reaches the scene and verifies it with a photo carrying EXIF GPS; a duty officer's console in
// a second browser context shows every change live through the event stream.
// Run by scripts/browser-test.sh, which provides the environment below.

import { pathToFileURL } from "node:url";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set (run scripts/browser-test.sh)`);
  return process.env[k];
};
const URL_ = env("BW_URL");
const TOWN = env("BW_TOWN");
const ART = env("BW_ARTIFACTS");
const { chromium } = await import(pathToFileURL(join(env("PLAYWRIGHT_CORE"), "index.mjs")).href);

let passed = 0, failed = 0;
const results = [];
async function check(name, fn) {
  try {
    await fn();
    passed++;
    results.push({ name, ok: true });
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    results.push({ name, ok: false, error: String(e && e.message || e) });
    console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split("\n").slice(0, 4).join("\n  ")}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last && last.message || JSON.stringify(last)})`);
}

// ---------- the API, as the test's own eyes ----------
async function api(token, method, path, body) {
  const r = await fetch(URL_ + path, {
    method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let data = null;
  try { data = JSON.parse(text); } catch { data = text; }
  return { status: r.status, data };
}
async function login(user, password) {
  const r = await api(null, "POST", "/api/v1/login", { username: user, password });
  assert(r.status === 200, `login ${user}: ${JSON.stringify(r.data)}`);
  return r.data.token;
}

// ---------- a JPEG with EXIF GPS, made here ----------
function dms(v) {
  v = Math.abs(v);
  const d = Math.floor(v), m = Math.floor((v - d) * 60), s = ((v - d) * 60 - m) * 60;
  return [[d, 1], [m, 1], [Math.round(s * 10000), 10000]];
}
/** Little-endian TIFF: IFD0 → Exif IFD (DateTimeOriginal, OffsetTimeOriginal) and GPS IFD. */
function exifTiff(time, lon, lat) {
  const ascii = (tag, s) => ({ tag, type: 2, count: s.length + 1, data: Buffer.from(s + "\0", "latin1") });
  const rational = (tag, v) => {
    const b = Buffer.alloc(8 * v.length);
    v.forEach(([n, d], i) => { b.writeUInt32LE(n, 8 * i); b.writeUInt32LE(d, 8 * i + 4); });
    return { tag, type: 5, count: v.length, data: b };
  };
  const long = (tag, v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return { tag, type: 4, count: 1, data: b }; };
  function ifd(entries, start) {
    const head = Buffer.alloc(2 + 12 * entries.length + 4);
    head.writeUInt16LE(entries.length, 0);
    const extras = [];
    let extraAt = start + head.length;
    entries.forEach((e, i) => {
      const o = 2 + 12 * i;
      head.writeUInt16LE(e.tag, o); head.writeUInt16LE(e.type, o + 2); head.writeUInt32LE(e.count, o + 4);
      if (e.data.length <= 4) e.data.copy(head, o + 8);
      else {
        head.writeUInt32LE(extraAt, o + 8);
        const padded = e.data.length % 2 ? Buffer.concat([e.data, Buffer.alloc(1)]) : e.data;
        extras.push(padded);
        extraAt += padded.length;
      }
    });
    return Buffer.concat([head, ...extras]);
  }
  const exifStart = 8 + 2 + 24 + 4;
  const exifIfd = ifd([ascii(0x9003, time), ascii(0x9011, "+08:00")], exifStart);
  const gpsStart = exifStart + exifIfd.length;
  const gpsIfd = ifd([
    { tag: 0, type: 1, count: 4, data: Buffer.from([2, 3, 0, 0]) },
    ascii(1, lat < 0 ? "S" : "N"), rational(2, dms(lat)),
    ascii(3, lon < 0 ? "W" : "E"), rational(4, dms(lon)),
    rational(0x1f, [[8, 1]]),
  ], gpsStart);
  const header = Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0]);
  return Buffer.concat([header, ifd([long(0x8769, exifStart), long(0x8825, gpsStart)], 8), exifIfd, gpsIfd]);
}
function withExif(jpeg, time, lon, lat) {
  const app1 = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), exifTiff(time, lon, lat)]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(app1.length + 2);
  return Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xe1]), len, app1, jpeg.subarray(2)]);
}
function beijingExifTime(d) {
  const b = new Date(d.getTime() + 8 * 3600e3);
  const p = (n) => String(n).padStart(2, "0");
  return `${b.getUTCFullYear()}:${p(b.getUTCMonth() + 1)}:${p(b.getUTCDate())} ${p(b.getUTCHours())}:${p(b.getUTCMinutes())}:${p(b.getUTCSeconds())}`;
}
function beijing(iso) {
  const b = new Date(Date.parse(iso) + 8 * 3600e3);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(b.getUTCMonth() + 1)}-${p(b.getUTCDate())} ${p(b.getUTCHours())}:${p(b.getUTCMinutes())}`;
}
function offsetKm(lon, lat, eastKm, northKm) {
  return [lon + eastKm / (111.32 * Math.cos(lat * Math.PI / 180)), lat + northKm / 111.32];
}

// ---------- the run ----------
const duty = await login(env("BW_DUTY_USER"), env("BW_DUTY_PASSWORD"));
const all = (await api(duty, "GET", "/api/v1/alerts")).data;
const expected = all.filter((a) => a.region_id === TOWN || a.neighbours.includes(TOWN));
const target = expected.filter((a) => a.region_id === TOWN && a.state === "new")
  .sort((a, b) => b.alert_id - a.alert_id)[0];
assert(target, `no new alert of ${TOWN}`);
const ID = target.alert_id;
const [phoneLon, phoneLat] = offsetKm(target.lon, target.lat, -0.3, -0.4);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const outside = [];
function watchRequests(ctx, who) {
  ctx.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(URL_) && !u.startsWith("blob:") && !u.startsWith("data:")) outside.push(`${who}: ${u}`);
  });
}
// The phone's own zone is UTC here on purpose: times must still show in Beijing time.
const consoleCtx = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "zh-CN", timezoneId: "Asia/Shanghai" });
const phoneCtx = await browser.newContext({
  viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  locale: "zh-CN", timezoneId: "UTC", geolocation: { longitude: phoneLon, latitude: phoneLat, accuracy: 15 },
  permissions: ["geolocation"],
});
watchRequests(consoleCtx, "console");
watchRequests(phoneCtx, "phone");
const con = await consoleCtx.newPage();
const phone = await phoneCtx.newPage();
const shot = (page, name) => page.screenshot({ path: join(ART, name), fullPage: true });
const consoleRow = (state) => con.locator(`tr[data-alert="${ID}"][data-state="${state}"]`);
let loadsBefore = 0;
const consoleStats = () => con.evaluate(() => ({ ...window.bwConsole }));

await check("the duty console logs in and goes live on the event stream", async () => {
  await con.goto(URL_ + "/console");
  await con.fill("#login-form [name=username]", env("BW_DUTY_USER"));
  await con.fill("#login-form [name=password]", env("BW_DUTY_PASSWORD"));
  await con.click("#login-form button[type=submit]");
  await con.waitForSelector("#live.on", { timeout: 15000 });
  await consoleRow("new").waitFor({ timeout: 15000 });
  const headings = await con.locator(".county h2").count();
  assert(headings >= 2, `alerts grouped by county: ${headings} groups`);
  const live = await con.textContent("#live");
  assert(live.includes("实时"), `live mark in zh-CN: ${live}`);
  await shot(con, "console-start.png");
});

await check("the patrol page opens in zh-CN and the patrol logs in", async () => {
  await phone.goto(URL_ + "/patrol");
  assert((await phone.getAttribute("html", "lang")) === "zh-CN", "lang zh-CN");
  assert((await phone.textContent("h1")) === "火点巡查", "zh title");
  await shot(phone, "patrol-login.png");
  await phone.fill("#login-form [name=username]", env("BW_PATROL_USER"));
  await phone.fill("#login-form [name=password]", env("BW_PATROL_PASSWORD"));
  await phone.click("#login-form button[type=submit]");
  await phone.waitForSelector("#alert-list li", { timeout: 15000 });
});

await check("the patrol sees exactly its township's alerts (own and border fires), times in Beijing time", async () => {
  const shown = (await phone.locator("#alert-list li").evaluateAll((ls) => ls.map((l) => +l.dataset.alert))).sort((a, b) => a - b);
  const want = expected.map((a) => a.alert_id).sort((a, b) => a - b);
  assert(JSON.stringify(shown) === JSON.stringify(want), `shown ${shown} want ${want}`);
  assert(want.length < all.length, `other townships' alerts exist (${all.length}) and are not shown`);
  const text = await phone.textContent(`li[data-alert="${ID}"]`);
  assert(text.includes(beijing(target.first_seen)), `first seen ${beijing(target.first_seen)} in "${text}"`);
  // Open alerts come before finished ones.
  await shot(phone, "patrol-queue.png");
});

await check("the English switch works and zh-CN comes back", async () => {
  await phone.click("#lang");
  assert((await phone.textContent("h1")) === "Fire patrol", "English title");
  assert((await phone.getAttribute("html", "lang")) === "en", "lang en");
  await shot(phone, "patrol-queue-en.png");
  await phone.click("#lang");
  assert((await phone.textContent("h1")) === "火点巡查", "back to zh");
});

let nav;
await check("the alert view draws the township, the point and the search circle, with distance, bearing and converted links", async () => {
  await phone.click(`li[data-alert="${ID}"] a`);
  await phone.waitForSelector("#map path.township", { timeout: 15000 });
  assert(await phone.locator("#map circle.search").count() === 1, "search circle");
  assert(await phone.locator("#map circle.fire").count() === 1, "fire point");
  await phone.waitForSelector("#map circle.me", { timeout: 15000 });
  const dist = await until("distance and bearing", async () => {
    const t = await phone.textContent("#a-distance");
    return t.includes("距离") && t.includes("方位") ? t : null;
  });
  assert(/距离 (4\d\d|5\d\d) 米/.test(dist), `about 500 m from the phone: ${dist}`);
  assert(dist.includes("东北"), `the fire lies north-east of the phone: ${dist}`);
  nav = (await api(duty, "GET", `/api/v1/alerts/${ID}/nav`)).data;
  await phone.waitForSelector("#nav-amap", { timeout: 15000 });
  const amap = await phone.getAttribute("#nav-amap", "href");
  const baidu = await phone.getAttribute("#nav-baidu", "href");
  const geo = await phone.getAttribute("#nav-geo", "href");
  assert(amap === nav.links.amap && amap.includes(`position=${nav.gcj02.lon},${nav.gcj02.lat}`), `amap ${amap}`);
  assert(nav.gcj02.lon !== nav.wgs84.lon, "GCJ-02 differs from WGS84");
  assert(baidu.includes(`location=${nav.bd09.lat},${nav.bd09.lon}`) && baidu.includes("coord_type=bd09ll"), `baidu ${baidu}`);
  assert(geo.startsWith(`geo:${nav.wgs84.lat},${nav.wgs84.lon}`), `geo ${geo}`);
  await shot(phone, "patrol-alert.png");
});

await check("received on the phone shows on the console live, without a reload", async () => {
  loadsBefore = (await consoleStats()).listLoads;
  const eventsBefore = (await consoleStats()).events;
  await phone.click('button.step[data-to="received"]');
  await until("the phone to show 已接收", async () => (await phone.textContent("#a-state")) === "已接收");
  await consoleRow("received").waitFor({ timeout: 10000 });
  const s = await consoleStats();
  assert(s.listLoads === loadsBefore, `the console reloaded its list (${loadsBefore} → ${s.listLoads})`);
  assert(s.events > eventsBefore, "an alerts event arrived");
  await shot(con, "console-received.png");
});

await check("en route without signal is queued, then sent once when signal returns", async () => {
  await phoneCtx.setOffline(true);
  await phone.click('button.step[data-to="en_route"]');
  const badge = await phone.textContent("#a-state");
  assert(badge.includes("待发送"), `queued badge: ${badge}`);
  const queued = await phone.evaluate(() => JSON.parse(localStorage.getItem("bw.patrol.outbox")));
  assert(queued.length === 1 && queued[0].body.to === "en_route", `outbox ${JSON.stringify(queued)}`);
  await shot(phone, "patrol-offline-queued.png");
  await sleep(1000);
  assert((await api(duty, "GET", `/api/v1/alerts/${ID}`)).data.state === "received", "nothing reached the server offline");
  await phoneCtx.setOffline(false);
  await phone.evaluate(() => window.dispatchEvent(new Event("online")));
  await until("the queued action on the server", async () => (await api(duty, "GET", `/api/v1/alerts/${ID}`)).data.state === "en_route");
  await until("the outbox to empty", async () => (await phone.evaluate(() => JSON.parse(localStorage.getItem("bw.patrol.outbox")).length)) === 0);
  // The same queued action arriving again (an answer lost on a weak signal) is not applied again.
  const patrol = await login(env("BW_PATROL_USER"), env("BW_PATROL_PASSWORD"));
  const again = await api(patrol, "POST", `/api/v1/alerts/${ID}/actions`, queued[0].body);
  assert(again.status === 200 && again.data.action.replayed === true, `replay: ${JSON.stringify(again.data)}`);
  const hist = (await api(duty, "GET", `/api/v1/alerts/${ID}/history`)).data;
  assert(hist.filter((h) => h.to_state === "en_route").length === 1, "one en_route transition");
  await consoleRow("en_route").waitFor({ timeout: 10000 });
});

await check("on scene, then verified with an outcome, burned area, note and a photo with EXIF GPS", async () => {
  await phone.click('button.step[data-to="on_scene"]');
  await until("on scene", async () => (await phone.textContent("#a-state")) === "已到场");
  // A real JPEG from the browser's own encoder, with EXIF written by the test: taken now, 250 m
  // from the fire.
  const dataUrl = await phone.evaluate(() => {
    const c = document.createElement("canvas");
    c.width = 320; c.height = 240;
    const g = c.getContext("2d");
    g.fillStyle = "#5a4a2a"; g.fillRect(0, 0, 320, 240);
    g.fillStyle = "#e25822"; g.beginPath(); g.arc(160, 150, 60, 0, Math.PI * 2); g.fill();
    return c.toDataURL("image/jpeg", 0.8);
  });
  const [pLon, pLat] = offsetKm(target.lon, target.lat, 0.15, 0.2);
  const jpeg = withExif(Buffer.from(dataUrl.split(",")[1], "base64"), beijingExifTime(new Date()), pLon, pLat);
  await phone.setInputFiles("#photo-input", { name: "fire.jpg", mimeType: "image/jpeg", buffer: jpeg });
  await phone.waitForSelector("#a-photos li.photo", { timeout: 15000 });
  const labels = await phone.locator("#outcome option").allTextContents();
  assert(labels.includes("确认秸秆焚烧"), `zh outcome labels: ${labels}`);
  await phone.selectOption("#outcome", "confirmed_straw_burn");
  await phone.fill("#verify-form [name=area]", "2.5");
  await phone.fill("#verify-form [name=note]", "麦茬已烧完，现场无人");
  await shot(phone, "patrol-verify-form.png");
  await phone.click("#verify-form button[type=submit]");
  await until("verified on the phone", async () => (await phone.textContent("#a-state")) === "已核实");
  const v = (await api(duty, "GET", `/api/v1/alerts/${ID}/verification`)).data;
  assert(v.details && v.details.outcome === "confirmed_straw_burn" && v.details.burned_area_mu === 2.5, `details ${JSON.stringify(v.details)}`);
  assert(v.details.note === "麦茬已烧完，现场无人", "note kept");
  assert(v.photos.length === 1, `photos ${v.photos.length}`);
  const p = v.photos[0];
  assert(Math.abs(p.gps.lon - pLon) < 1e-5 && Math.abs(p.gps.lat - pLat) < 1e-5, `EXIF GPS ${JSON.stringify(p.gps)}`);
  assert(p.distance_km > 0.2 && p.distance_km < 0.3 && p.far === false && p.old === false, `photo ${JSON.stringify(p)}`);
  assert(p.device && Math.abs(p.device.lon - phoneLon) < 1e-5, "the phone's own fix recorded with the photo");
  await phone.waitForSelector("#a-history li", { timeout: 10000 });
  await shot(phone, "patrol-verified.png");
});

await check("the console shows the verification live and its evidence on demand", async () => {
  await consoleRow("verified").waitFor({ timeout: 10000 });
  const s = await consoleStats();
  assert(s.listLoads === loadsBefore, `no reload (${loadsBefore} → ${s.listLoads})`);
  await consoleRow("verified").click();
  await until("the photo in the detail panel", async () => (await con.locator("#d-photos li.photo").count()) === 1);
  const details = await con.textContent("#d-verification");
  assert(details.includes("2.5") && details.includes("确认秸秆焚烧"), `details: ${details}`);
  await shot(con, "console-verified.png");
});

await check("the patrol page reopens without signal, from the phone's own copy", async () => {
  await phone.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await phoneCtx.setOffline(true);
  await phone.reload();
  await until("the alert from the phone's cache", async () => (await phone.textContent("#a-state")) === "已核实");
  assert((await phone.textContent("#net")) === "无信号", "shown as without signal");
  assert(await phone.evaluate(() => !!navigator.serviceWorker.controller), "served by the page's service worker");
  await shot(phone, "patrol-offline-reopened.png");
  await phoneCtx.setOffline(false);
});

await check("the duty officer lifts a held-back detection in the console, once, and its alert arrives live", async () => {
  const held = (await api(duty, "GET", "/api/v1/detections/suppressed")).data;
  assert(Array.isArray(held) && held.length > 0, `the demo holds back a detection: ${JSON.stringify(held)}`);
  const id = held[0].id;
  const alertsBefore = (await api(duty, "GET", "/api/v1/alerts")).data.length;
  const button = con.locator(`button[data-lift="${id}"]`);
  await button.waitFor({ timeout: 10000 });
  con.once("dialog", (d) => d.accept("复核：农田秸秆"));
  await button.click();
  await until("the row to leave the held-back list", async () => (await con.locator(`button[data-lift="${id}"]`).count()) === 0);
  assert((await con.textContent("#f-lift-error")) === "", "no error shown");
  const after = (await api(duty, "GET", "/api/v1/detections/suppressed")).data;
  assert(after.every((d) => d.id !== id), "no longer suppressed");
  const again = await api(duty, "POST", `/api/v1/detections/${id}/lift`);
  assert(again.status === 409, `a second lift is refused: ${again.status}`);
  const alertsAfter = (await api(duty, "GET", "/api/v1/alerts")).data;
  assert(alertsAfter.length >= alertsBefore && alertsAfter.length <= alertsBefore + 1, `${alertsBefore} → ${alertsAfter.length}`);
  if (alertsAfter.length > alertsBefore) {
    const fresh = alertsAfter.map((a) => a.alert_id).filter((x) => !all.some((a) => a.alert_id === x));
    await until("the new alert on the console", async () => (await con.locator(`tr[data-alert="${fresh[0]}"]`).count()) === 1);
  }
  await shot(con, "console-lifted.png");
});

await check("the statistics page draws its charts and table from the API, the verification included", async () => {
  const stats = await consoleCtx.newPage();
  await stats.goto(URL_ + "/console/stats");
  await stats.waitForFunction(() => window.bwStats && window.bwStats.drawn > 0, null, { timeout: 15000 });
  // The demo's fires are in the summer harvest (三夏); the page opens on the newest season.
  const summer = await stats.locator("#q-season option").evaluateAll((os) => os.map((o) => o.value).find((v) => v.startsWith("三夏|")));
  assert(summer, "the 三夏 season is offered");
  await stats.selectOption("#q-season", summer);
  const drawn = await stats.evaluate(() => window.bwStats.drawn);
  await stats.click("#query button[type=submit]");
  await stats.waitForFunction((n) => window.bwStats.drawn > n, drawn, { timeout: 15000 });
  const season = await stats.inputValue("#q-season");
  const [name, year] = season.split("|");
  const r = await api(duty, "GET", `/api/v1/stats?season=${encodeURIComponent(name)}&year=${year}&by=county`);
  assert(r.status === 200, `stats ${r.status}`);
  const tot = r.data.total;
  assert(tot.alerts.verified >= 1, `the verification counts: ${tot.alerts.verified}`);
  for (const id of ["c-daily", "c-regions", "c-outcomes", "c-response"]) {
    assert(await stats.locator(`#${id} svg`).count() === 1, `chart ${id}`);
  }
  const bars = await stats.locator("#c-regions rect[data-region]").count();
  assert(bars === r.data.rows.length, `one bar per county: ${bars} vs ${r.data.rows.length}`);
  assert(await stats.locator('#c-outcomes rect[data-outcome="confirmed_straw_burn"]').count() === 1, "the verified outcome is charted");
  const totalRow = await stats.locator("#r-table tr.total td").allTextContents();
  assert(totalRow[1] === String(tot.detections.points) && totalRow[4] === String(tot.alerts.total),
    `total row ${totalRow.join("|")} vs points ${tot.detections.points}, alerts ${tot.alerts.total}`);
  const cards = await stats.textContent("#r-cards");
  assert(cards.includes("误报率") && cards.includes("每千公顷耕地火点"), `zh-CN cards: ${cards}`);
  await shot(stats, "stats.png");

  const [download] = await Promise.all([stats.waitForEvent("download"), stats.click('[data-dl="stats:xlsx"]')]);
  const file = join(ART, download.suggestedFilename());
  await download.saveAs(file);
  const { readFileSync } = await import("node:fs");
  const bytes = readFileSync(file);
  assert(bytes.length > 1000 && bytes[0] === 0x50 && bytes[1] === 0x4b, `an XLSX (zip) file: ${bytes.length} bytes`);
  assert(/^burnwatch-stats-\d{8}-\d{8}\.xlsx$/.test(download.suggestedFilename()), download.suggestedFilename());

  assert(await stats.inputValue("#b-date") === "2025-06-10", `the bulletin date is the fire day: ${await stats.inputValue("#b-date")}`);
  const [bulletin] = await Promise.all([stats.waitForEvent("popup"), stats.click("#b-go")]);
  await bulletin.waitForLoadState();
  const rows = await bulletin.locator("table tr").count();
  assert(rows > tot.alerts.total / 2, `the bulletin's detail table: ${rows} rows`);
  assert(await bulletin.locator("svg").count() >= 1, "the bulletin's map");
  await shot(bulletin, "stats-bulletin.png");
  await bulletin.close();

  await stats.click("#lang");
  await stats.waitForFunction(() => document.querySelector("#r-cards").textContent.includes("False-alarm share"), null, { timeout: 10000 });
  await shot(stats, "stats-en.png");
  await stats.click("#lang");
  await stats.close();
});

await check("neither page loaded anything from outside this server", async () => {
  assert(outside.length === 0, `outside requests: ${outside.join(", ")}`);
});

await check("the console notices the daemon stopping (its stream is closed, not left hanging)", async () => {
  process.kill(Number(env("BW_DAEMON_PID")), "SIGTERM");
  await con.waitForSelector("#live.off", { timeout: 15000 });
});

await browser.close();
writeFileSync(env("BW_RESULTS"), JSON.stringify({ passed, failed, results }, null, 1));
process.exit(failed ? 1 : 0);
