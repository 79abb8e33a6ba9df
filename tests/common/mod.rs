//! Helpers for the end-to-end tests: they run the real `burnwatch` binary against a real SQLite
//! file in a temporary folder.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

pub fn burnwatch(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("burnwatch runs")
}

pub fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "burnwatch failed: {}\nstdout: {}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

/// Generates the demo samples into `dir/samples` and returns the config path. The demo config
/// keeps its store in `dir/var/burnwatch.sqlite`, so each test has its own.
pub fn samples(dir: &Path) -> PathBuf {
    let out = Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .args(["simulate", "samples", "--out"])
        .arg(dir.join("samples"))
        .output()
        .expect("burnwatch runs");
    ok(out);
    dir.join("samples/burnwatch.toml")
}

/// The demo samples generated in `dir` and their products ingested by `burnwatch ingest`;
/// returns the configuration and the alerts as `burnwatch alerts --format json` lists them.
pub fn ingested_samples(dir: &Path) -> (PathBuf, Vec<serde_json::Value>) {
    let config = samples(dir);
    let mut args = vec!["ingest".to_owned()];
    args.extend(products(dir).iter().map(|f| f.display().to_string()));
    ok(burnwatch(
        &config,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let alerts = serde_json::from_str(&ok(burnwatch(&config, &["alerts", "--format", "json"])))
        .expect("alerts as JSON");
    (config, alerts)
}

pub fn database(dir: &Path) -> PathBuf {
    dir.join("var/burnwatch.sqlite")
}

pub fn products(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("samples/products"))
        .expect("products folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

pub fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// The shared real data, or None (with a message) when it is absent.
pub fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.join("jining").is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: ../shared/data is absent");
        None
    }
}

/// A port nobody listens on right now (the daemon binds it a moment later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A plain HTTP/1.0 GET on loopback: (status code, body).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((code, body))
}

/// Rewrites the demo config's daemon settings for a test: its own port, a fast inbox.
pub fn daemon_config(config: &Path, port: u16, extra: &str) {
    let text = std::fs::read_to_string(config).expect("config");
    let listen = text
        .lines()
        .find(|l| l.starts_with("listen = "))
        .expect("a listen line")
        .to_owned();
    let text = text
        .replace(&listen, &format!("listen = \"127.0.0.1:{port}\""))
        .replace("scan_interval_secs = 1", "scan_interval_secs = 0.05")
        .replace("settle_secs = 1", "settle_secs = 0.05");
    let text = if extra.is_empty() {
        text
    } else {
        format!("{text}\n{extra}\n")
    };
    std::fs::write(config, text).expect("config written");
}

pub fn start_daemon(config: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .arg("--config")
        .arg(config)
        .arg("run")
        .env("BURNWATCH_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the daemon starts")
}

/// SIGTERM, then the exit status (within `secs`).
pub fn terminate(child: &mut std::process::Child, secs: u64) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the daemon did not stop within {secs} s of SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Waits until `cond` holds, polling; panics with `what` after `secs`.
pub fn wait_for(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

pub fn count_files(dir: &Path) -> usize {
    walk(dir).len()
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn query_i64(db: &Path, sql: &str) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the store read-only");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

/// A plain HTTP/1.0 request on loopback with an optional bearer token and JSON body.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let content_type = body.map(|_| "application/json");
    let (code, resp) = raw_request(
        port,
        method,
        path,
        token,
        content_type,
        body.unwrap_or("").as_bytes(),
        &[],
    );
    (code, String::from_utf8(resp.body).expect("a text response"))
}

pub struct Response {
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// An HTTP/1.0 request with any body (bytes, any content type) and extra headers.
pub fn raw_request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
    extra: &[(&str, String)],
) -> (u16, Response) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n");
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(c) = content_type {
        head.push_str(&format!("Content-Type: {c}\r\n"));
    }
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    read_response(s)
}

pub fn read_response(mut s: TcpStream) -> (u16, Response) {
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).expect("read");
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line");
    (
        code,
        Response {
            head,
            body: bytes[split + 4..].to_vec(),
        },
    )
}

/// Adds a user through `burnwatch users add`; the password is `pw-<username>-2025`.
pub fn add_user(config: &Path, username: &str, role: &str, region: Option<&str>) {
    let mut args = vec![
        "--config",
        config.to_str().expect("utf-8 path"),
        "users",
        "add",
        "--username",
        username,
        "--role",
        role,
    ];
    if let Some(r) = region {
        args.extend(["--region", r]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_burnwatch"))
        .args(&args)
        .env("BURNWATCH_PASSWORD", format!("pw-{username}-2025"))
        .output()
        .expect("burnwatch runs");
    ok(out);
}

/// Logs a user added by [`add_user`] in; returns the bearer token.
pub fn login(port: u16, username: &str) -> String {
    let body = format!(r#"{{"username":"{username}","password":"pw-{username}-2025"}}"#);
    let (code, body) = http(port, "POST", "/api/v1/login", None, Some(&body));
    assert_eq!(code, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body).expect("JSON")["token"]
        .as_str()
        .expect("a token")
        .to_owned()
}
