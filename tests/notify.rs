//! Notifications through the real daemon to receivers on loopback: a webhook that is down for a
//! while, a WeCom robot, a DingTalk robot that checks its signature and hears the county's
//! escalations, and an SMTP server, refusing at first, that hears the prefecture's.
//! Every notification arrives once its receiver is back; none arrives twice per key.

mod common;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use common::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Received {
    webhook: Vec<(String, serde_json::Value)>,
    webhook_refused: usize,
    wecom: Vec<serde_json::Value>,
    dingtalk: Vec<serde_json::Value>,
    bad_signatures: usize,
}

struct Receivers {
    got: Mutex<Received>,
    up_after: Instant,
}

fn hmac(secret: &str, data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

async fn webhook(
    State(r): State<Arc<Receivers>>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let mut got = r.got.lock().unwrap();
    if Instant::now() < r.up_after {
        got.webhook_refused += 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let sig = headers
        .get("x-burnwatch-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let expected = format!(
        "sha256={}",
        hmac("hook-secret", body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    if sig != expected {
        got.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let key = headers
        .get("x-burnwatch-idempotency-key")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    got.webhook
        .push((key, serde_json::from_str(&body).unwrap()));
    StatusCode::OK
}

async fn wecom(State(r): State<Arc<Receivers>>, body: String) -> impl IntoResponse {
    r.got
        .lock()
        .unwrap()
        .wecom
        .push(serde_json::from_str(&body).unwrap());
    axum::Json(serde_json::json!({"errcode": 0, "errmsg": "ok"}))
}

async fn dingtalk(
    State(r): State<Arc<Receivers>>,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> impl IntoResponse {
    let mut got = r.got.lock().unwrap();
    let expected = base64::engine::general_purpose::STANDARD.encode(hmac(
        "SECding",
        format!("{}\nSECding", q["timestamp"]).as_bytes(),
    ));
    if q.get("sign") != Some(&expected) {
        got.bad_signatures += 1;
        return axum::Json(serde_json::json!({"errcode": 310000, "errmsg": "sign not match"}));
    }
    got.dingtalk.push(serde_json::from_str(&body).unwrap());
    axum::Json(serde_json::json!({"errcode": 0, "errmsg": "ok"}))
}

/// One message as the SMTP server received it.
struct Mail {
    from: String,
    rcpt: Vec<String>,
    data: String,
}

/// A small SMTP server (RFC 5321: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on plain TCP. Until
/// `up` is set it answers every connection "421" (service not available), as a server being
/// restarted does.
struct SmtpSink {
    mails: Mutex<Vec<Mail>>,
    refused: Mutex<usize>,
    up: std::sync::atomic::AtomicBool,
}

impl SmtpSink {
    fn start() -> (Arc<SmtpSink>, u16) {
        let sink = Arc::new(SmtpSink {
            mails: Mutex::new(Vec::new()),
            refused: Mutex::new(0),
            up: false.into(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = sink.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = s.session(stream);
                });
            }
        });
        (sink, port)
    }

    fn session(&self, stream: std::net::TcpStream) -> std::io::Result<()> {
        let mut out = stream.try_clone()?;
        if !self.up.load(std::sync::atomic::Ordering::SeqCst) {
            *self.refused.lock().unwrap() += 1;
            return out.write_all(b"421 4.3.2 sink not ready, try later\r\n");
        }
        out.write_all(b"220 sink ESMTP\r\n")?;
        let mut lines = BufReader::new(stream);
        let (mut from, mut rcpt) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end().to_owned();
            let upper = cmd.to_ascii_uppercase();
            let address = || {
                cmd.split_once('<')
                    .and_then(|(_, r)| r.split_once('>'))
                    .map(|(a, _)| a.to_owned())
                    .unwrap_or_default()
            };
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                out.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
            } else if upper.starts_with("MAIL FROM:") {
                from = address();
                rcpt.clear();
                out.write_all(b"250 2.1.0 OK\r\n")?;
            } else if upper.starts_with("RCPT TO:") {
                rcpt.push(address());
                out.write_all(b"250 2.1.5 OK\r\n")?;
            } else if upper == "DATA" {
                out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    // Dot-stuffing (RFC 5321 4.5.2).
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                self.mails.lock().unwrap().push(Mail {
                    from: from.clone(),
                    rcpt: std::mem::take(&mut rcpt),
                    data,
                });
                out.write_all(b"250 2.0.0 queued\r\n")?;
            } else if upper == "RSET" || upper == "NOOP" {
                out.write_all(b"250 OK\r\n")?;
            } else if upper == "QUIT" {
                return out.write_all(b"221 bye\r\n");
            } else {
                out.write_all(b"502 5.5.2 not implemented\r\n")?;
            }
        }
    }
}

/// A header's value with folded lines joined (RFC 5322 2.2.3).
fn header(data: &str, name: &str) -> Option<String> {
    let head = data.split("\r\n\r\n").next()?;
    let mut value: Option<String> = None;
    for l in head.split("\r\n") {
        match &mut value {
            Some(v) if l.starts_with([' ', '\t']) => v.push_str(l),
            Some(_) => break,
            None => {
                if let Some((n, v)) = l.split_once(':') {
                    if n.eq_ignore_ascii_case(name) {
                        value = Some(v.trim().to_owned());
                    }
                }
            }
        }
    }
    value
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`); the space between two of them is dropped.
fn decode_words(v: &str) -> String {
    let mut out = String::new();
    for word in v.split_whitespace() {
        let inner = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let mut p = w.splitn(3, '?');
                let (charset, enc, text) = (p.next()?, p.next()?, p.next()?);
                assert!(charset.eq_ignore_ascii_case("utf-8"), "{v}");
                assert!(enc.eq_ignore_ascii_case("b"), "{v}");
                Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .unwrap(),
                )
            });
        match inner {
            Some(bytes) => out.push_str(&String::from_utf8(bytes).unwrap()),
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
    }
    out
}

/// The text of a single-part message, after its transfer encoding.
fn body_text(data: &str) -> String {
    let body = data.split_once("\r\n\r\n").unwrap().1;
    match header(data, "Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap(),
            )
            .unwrap()
        }
        "8bit" | "7bit" | "" => body.to_owned(),
        other => panic!("unexpected transfer encoding {other}"),
    }
}

#[test]
fn every_notification_arrives_once_and_missed_deadlines_escalate() {
    let receivers = Arc::new(Receivers {
        got: Mutex::new(Received::default()),
        up_after: Instant::now() + Duration::from_secs(4),
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let rport = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(webhook))
        .route("/cgi-bin/webhook/send", axum::routing::post(wecom))
        .route("/robot/send", axum::routing::post(dingtalk))
        .with_state(receivers.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });

    let (smtp, smtp_port) = SmtpSink::start();

    let dir = tempfile::tempdir().unwrap();
    let config = samples(dir.path());
    // The samples' fires were first seen on 2025-06-10, inside their 三夏 season: that season's
    // received deadline of seconds (the general one is ten hours) makes every alert escalate
    // during the test — proof the notifier reads the shared [deadlines] and [[seasons]].
    let text = std::fs::read_to_string(&config).unwrap();
    let general = "[deadlines]\nreceived_minutes = 30\non_scene_minutes = 60\n";
    let summer = "deadlines = { on_scene_minutes = 45 }";
    assert!(text.contains(general) && text.contains(summer), "{text}");
    let text = text
        .replace(
            general,
            "[deadlines]\nreceived_minutes = 600\non_scene_minutes = 600\nverified_minutes = 900\n",
        )
        .replace(summer, "deadlines = { received_minutes = 0.05 }");
    std::fs::write(&config, text).unwrap();
    let port = free_port();
    // The county (level 1) at once, for the first county only; the prefecture (level 2), by
    // e-mail, three seconds after the deadline.
    daemon_config(
        &config,
        port,
        &format!(
            "[notify]\ntick_secs = 0.2\nretry_min_secs = 0.3\nretry_max_secs = 1\n\
             [[notify.escalation]]\nafter_minutes = 0\nto = \"county\"\n\
             [[notify.escalation]]\nafter_minutes = 0.05\nto = \"prefecture\"\n\
             [[notify.channels]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{rport}/hook\"\nsecret_env = \"BW_HOOK_SECRET\"\n\
             [[notify.channels]]\nid = \"wecom-379901\"\nkind = \"wecom\"\nurl = \"http://127.0.0.1:{rport}/cgi-bin/webhook/send?key=K\"\n\
             [[notify.channels]]\nid = \"ding-county\"\nkind = \"dingtalk\"\nurl = \"http://127.0.0.1:{rport}/robot/send?access_token=T\"\nsecret_env = \"BW_DING_SECRET\"\n\
             [[notify.channels]]\nid = \"mail-city\"\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\n\
             from = \"秸秆禁烧监测 <burnwatch@example.cn>\"\nto = [\"duty@example.cn\", \"县督办 <county@example.cn>\"]\n\
             [[notify.routes]]\nregion = \"*\"\nchannels = [\"hook\"]\n\
             [[notify.routes]]\nregion = \"379901\"\nchannels = [\"wecom-379901\"]\n\
             [[notify.routes]]\nregion = \"379901\"\nchannels = [\"ding-county\"]\nnew_alerts = false\nescalations = true\n\
             [[notify.routes]]\nregion = \"379900\"\nchannels = [\"mail-city\"]\nnew_alerts = false\nescalations = true\n"
        ),
    );
    let inbox = dir.path().join("var/inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    for p in products(dir.path()) {
        std::fs::copy(&p, inbox.join(p.file_name().unwrap())).unwrap();
    }
    let mut daemon = std::process::Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("BW_HOOK_SECRET", "hook-secret")
        .env("BW_DING_SECRET", "SECding")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(30, "all products in done/", || {
        count_files(&inbox.join("done")) == 5
    });
    let db = database(dir.path());
    let alerts = query_i64(&db, "SELECT COUNT(*) FROM alerts") as usize;
    let county1 = query_i64(
        &db,
        "SELECT COUNT(*) FROM alerts WHERE county_id = '379901'",
    ) as usize;
    assert!(alerts > 10 && county1 > 0);
    // The first prefecture escalations meet a server that is down; it comes back after that.
    wait_for(60, "an e-mail refused by the SMTP server", || {
        *smtp.refused.lock().unwrap() > 0
    });
    smtp.up.store(true, std::sync::atomic::Ordering::SeqCst);
    wait_for(60, "every webhook and escalation delivered", || {
        let got = receivers.got.lock().unwrap();
        got.webhook.len() >= alerts
            && got.dingtalk.len() >= county1
            && smtp.mails.lock().unwrap().len() >= alerts
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert!(terminate(&mut daemon, 15).success());

    let got = receivers.got.lock().unwrap();
    assert!(got.webhook_refused > 0, "the receiver was down at first");
    assert_eq!(got.bad_signatures, 0);
    let mut keys: Vec<&String> = got.webhook.iter().map(|(k, _)| k).collect();
    keys.sort();
    let before = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), before, "no key delivered twice");
    assert_eq!(keys.len(), alerts, "one webhook per alert");
    assert!(got.webhook[0].1["text"]
        .as_str()
        .unwrap()
        .contains("疑似火点"));
    // The county's WeCom group heard about its county's alerts (and border alerts shown to it).
    assert!(got.wecom.len() >= county1);
    assert_eq!(got.wecom[0]["msgtype"], "markdown");
    // Nobody received within seconds: each county-1 alert escalated once to the county, by
    // DingTalk only (the prefecture's level went to e-mail).
    assert_eq!(got.dingtalk.len(), county1);
    assert!(got.dingtalk[0]["markdown"]["text"]
        .as_str()
        .unwrap()
        .contains("已超时"));
    // The queues show the escalation (the console marks it on each row).
    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"]))).unwrap();
    assert_eq!(listed.len(), alerts);
    assert!(
        listed
            .iter()
            .all(|a| a["overdue_step"] == "received" && a["overdue_level"] == 2),
        "{:?}",
        listed[0]
    );
    // Each alert escalated at both levels, once each; its mark is the latest (level 2).
    assert_eq!(
        query_i64(
            &db,
            "SELECT COUNT(*) FROM alerts WHERE overdue_step = 'received' AND overdue_level = 2"
        ) as usize,
        alerts
    );
    for level in [1, 2] {
        assert_eq!(
            query_i64(
                &db,
                &format!("SELECT COUNT(*) FROM alert_escalations WHERE step = 'received' AND level = {level}")
            ) as usize,
            alerts
        );
    }
    assert_eq!(
        query_i64(
            &db,
            "SELECT COUNT(*) FROM alert_escalations WHERE step != 'received'"
        ),
        0
    );

    // The prefecture's e-mail: refused while the server was down, then one per alert.
    assert!(
        *smtp.refused.lock().unwrap() > 0,
        "the SMTP server was down at first"
    );
    let mails = smtp.mails.lock().unwrap();
    let mut keys: Vec<String> = mails
        .iter()
        .map(|m| header(&m.data, "X-Burnwatch-Idempotency-Key").unwrap())
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), mails.len(), "no e-mail delivered twice");
    assert_eq!(mails.len(), alerts, "one prefecture escalation per alert");
    assert!(keys
        .iter()
        .all(|k| k.starts_with("alert:") && k.ends_with(":overdue:received:2:mail-city")));
    for m in mails.iter() {
        assert_eq!(m.from, "burnwatch@example.cn");
        assert_eq!(m.rcpt, ["duty@example.cn", "county@example.cn"]);
        let subject = decode_words(&header(&m.data, "Subject").unwrap());
        assert!(
            subject.starts_with("【秸秆禁烧】疑似火点 #") && subject.ends_with("【超时督办·市级】"),
            "{subject}"
        );
        let text = body_text(&m.data);
        assert!(text.contains("已超时") && text.contains("签收"), "{text}");
        assert!(header(&m.data, "Content-Type")
            .unwrap()
            .to_ascii_lowercase()
            .contains("charset=utf-8"));
    }
    assert_eq!(
        query_i64(
            &db,
            "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL"
        ),
        0,
        "everything delivered"
    );
    assert!(
        query_i64(&db, "SELECT COUNT(*) FROM deliveries WHERE ok = 0") > 0,
        "failures are logged"
    );
}
