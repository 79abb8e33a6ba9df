//! Helpers for the patrol tests: a demo prefecture with users and a running daemon, raw HTTP
//! with any body, photos with hand-written EXIF, and an event-stream listener.

#![allow(dead_code)]

use crate::common::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Demo {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub port: u16,
    pub daemon: std::process::Child,
    /// Every alert (as `burnwatch alerts --format json` lists them).
    pub all: Vec<Value>,
    /// A township with alerts, its county, and one of its own alerts.
    pub town_a: String,
    pub county_a: String,
    pub alert_a: i64,
    /// An alert of a township in another county that town A does not see.
    pub town_b: String,
    pub alert_b: i64,
}

pub const USERS: &[(&str, &str)] = &[
    ("li-patrol", "patrol"),
    ("wang-patrol", "patrol"),
    ("zhao-county", "county_supervisor"),
    ("duty", "duty_officer"),
    ("audit", "auditor"),
    ("root", "admin"),
];

impl Demo {
    /// Samples ingested, the six users of [`USERS`] added, the daemon running on its own port.
    pub fn start() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let (config, all) = ingested_samples(dir.path());
        let town_a = all[0]["region_id"].as_str().unwrap().to_owned();
        let county_a = all[0]["county_id"].as_str().unwrap().to_owned();
        let alert_a = all[0]["alert_id"].as_i64().unwrap();
        let other = all
            .iter()
            .find(|a| {
                a["county_id"] != county_a.as_str()
                    && !a["neighbours"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|n| n == town_a.as_str())
            })
            .expect("an alert in another county");
        let town_b = other["region_id"].as_str().unwrap().to_owned();
        let alert_b = other["alert_id"].as_i64().unwrap();
        for (name, role) in USERS {
            let region = match *name {
                "li-patrol" => Some(town_a.as_str()),
                "wang-patrol" => Some(town_b.as_str()),
                "zhao-county" => Some(county_a.as_str()),
                _ => None,
            };
            add_user(&config, name, role, region);
        }
        let port = free_port();
        daemon_config(&config, port, "");
        let daemon = start_daemon(&config);
        wait_for(30, "the HTTP port", || http_get(port, "/healthz").is_some());
        Demo {
            dir,
            config,
            port,
            daemon,
            all,
            town_a,
            county_a,
            alert_a,
            town_b,
            alert_b,
        }
    }

    pub fn db(&self) -> PathBuf {
        database(self.dir.path())
    }

    pub fn photos_dir(&self) -> PathBuf {
        self.dir.path().join("var/photos")
    }

    pub fn login(&self, username: &str) -> String {
        login(self.port, username)
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let (code, body) = http(self.port, "GET", path, token, None);
        (code, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    pub fn post_json(&self, path: &str, token: &str, body: &str) -> (u16, Value) {
        let (code, body) = self.raw(
            "POST",
            path,
            Some(token),
            Some("application/json"),
            body.as_bytes(),
        );
        (
            code,
            serde_json::from_str(&body.text()).unwrap_or(Value::Null),
        )
    }

    pub fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> (u16, Response) {
        raw_request(self.port, method, path, token, content_type, body, &[])
    }

    pub fn count(&self, sql: &str) -> i64 {
        query_i64(&self.db(), sql)
    }

    /// SIGTERM, and the daemon's exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        terminate(&mut self.daemon, 15)
    }
}

impl Drop for Demo {
    /// A failed test must not leave its daemon running.
    fn drop(&mut self) {
        if let Ok(None) = self.daemon.try_wait() {
            let _ = self.daemon.kill();
            let _ = self.daemon.wait();
        }
    }
}

/// Sends only the head of an upload that declares `length` bytes and reads the answer: the
/// server must refuse it without waiting for the body.
pub fn declared_upload(port: u16, path: &str, token: &str, length: usize) -> (u16, Response) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: image/jpeg\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    read_response(s)
}

/// The bytes of an event stream as they arrive, collected by a background thread.
pub struct Listener {
    pub text: Arc<Mutex<String>>,
    pub status: u16,
}

impl Listener {
    pub fn open(port: u16, token: Option<&str>) -> Listener {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "GET /api/v1/stream HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n{auth}\r\n"
        )
        .unwrap();
        let text = Arc::new(Mutex::new(String::new()));
        let sink = text.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        sink.lock().unwrap().push_str("\n<closed>");
                        return;
                    }
                    Ok(n) => sink
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n])),
                }
            }
        });
        wait_for(10, "the stream's response head", || {
            text.lock().unwrap().contains("\r\n\r\n") || text.lock().unwrap().contains("<closed>")
        });
        let status = text
            .lock()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Listener { text, status }
    }

    pub fn snapshot(&self) -> String {
        self.text.lock().unwrap().clone()
    }

    /// The alerts of every `alerts` event received so far.
    pub fn alert_events(&self) -> Vec<Value> {
        let text = self.snapshot();
        let mut out = Vec::new();
        for block in text.split("\n\n") {
            if !block.lines().any(|l| l == "event: alerts") {
                continue;
            }
            let data: String = block
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .collect::<Vec<_>>()
                .join("\n");
            if let Ok(Value::Array(items)) = serde_json::from_str(&data) {
                out.extend(items);
            }
        }
        out
    }
}

/// A JPEG with an EXIF block written by hand: DateTimeOriginal (+ offset when given), and a GPS
/// fix with a horizontal error of 12.5 m.
pub fn jpeg_with_exif(time: &str, offset: Option<&str>, lon: f64, lat: f64) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([200, (x * 3) as u8, (y * 5) as u8])
    })
    .write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff(time, offset, lon, lat));
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    out
}

fn dms(v: f64) -> Vec<(u32, u32)> {
    let v = v.abs();
    let d = v.floor();
    let m = ((v - d) * 60.0).floor();
    let s = ((v - d) * 60.0 - m) * 60.0;
    vec![
        (d as u32, 1),
        (m as u32, 1),
        ((s * 10000.0).round() as u32, 10000),
    ]
}

/// Little-endian TIFF this time (phones write both): IFD0 → Exif IFD and GPS IFD.
fn tiff(time: &str, offset: Option<&str>, lon: f64, lat: f64) -> Vec<u8> {
    // (tag, type, count, value bytes)
    type Entry = (u16, u16, u32, Vec<u8>);
    fn ascii(tag: u16, s: &str) -> Entry {
        let mut d = s.as_bytes().to_vec();
        d.push(0);
        (tag, 2, d.len() as u32, d)
    }
    fn rational(tag: u16, v: &[(u32, u32)]) -> Entry {
        let d: Vec<u8> = v
            .iter()
            .flat_map(|(n, q)| [n.to_le_bytes(), q.to_le_bytes()].concat())
            .collect();
        (tag, 5, v.len() as u32, d)
    }
    fn ifd(entries: &[Entry], start: u32) -> Vec<u8> {
        let mut out = (entries.len() as u16).to_le_bytes().to_vec();
        let mut extra: Vec<u8> = Vec::new();
        let extra_start = start + 2 + 12 * entries.len() as u32 + 4;
        for (tag, typ, count, data) in entries {
            out.extend(tag.to_le_bytes());
            out.extend(typ.to_le_bytes());
            out.extend(count.to_le_bytes());
            if data.len() <= 4 {
                let mut v = data.clone();
                v.resize(4, 0);
                out.extend(v);
            } else {
                out.extend((extra_start + extra.len() as u32).to_le_bytes());
                extra.extend(data);
                if extra.len() % 2 == 1 {
                    extra.push(0);
                }
            }
        }
        out.extend(0u32.to_le_bytes());
        out.extend(extra);
        out
    }
    let mut exif = vec![ascii(0x9003, time)];
    if let Some(o) = offset {
        exif.push(ascii(0x9011, o));
    }
    let gps = vec![
        (0x0000, 1, 4, vec![2, 3, 0, 0]),
        ascii(0x0001, if lat < 0.0 { "S" } else { "N" }),
        rational(0x0002, &dms(lat)),
        ascii(0x0003, if lon < 0.0 { "W" } else { "E" }),
        rational(0x0004, &dms(lon)),
        rational(0x001F, &[(125, 10)]),
    ];
    let exif_start = 8 + 2 + 24 + 4;
    let exif_ifd = ifd(&exif, exif_start);
    let gps_start = exif_start + exif_ifd.len() as u32;
    let gps_ifd = ifd(&gps, gps_start);
    let mut out = b"II\x2a\0".to_vec();
    out.extend(8u32.to_le_bytes());
    out.extend(ifd(
        &[
            (0x8769, 4, 1, exif_start.to_le_bytes().to_vec()),
            (0x8825, 4, 1, gps_start.to_le_bytes().to_vec()),
        ],
        8,
    ));
    out.extend(exif_ifd);
    out.extend(gps_ifd);
    out
}

/// EXIF time text for a moment, in Beijing time.
pub fn exif_time(t: chrono::DateTime<chrono::Utc>) -> String {
    (t + chrono::Duration::hours(8))
        .format("%Y:%m:%d %H:%M:%S")
        .to_string()
}

/// A point `km` east of (lon, lat).
pub fn east_of(lon: f64, lat: f64, km: f64) -> (f64, f64) {
    (lon + km / (111.32 * lat.to_radians().cos()), lat)
}

/// WGS84 → GCJ-02 written out from the published algorithm (Krasovsky ellipsoid), independent
/// of the code under test.
pub fn gcj02(lon: f64, lat: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    const A: f64 = 6378245.0;
    const EE: f64 = 0.006_693_421_622_965_943;
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sq = magic.sqrt();
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sq) * PI);
    dlon = (dlon * 180.0) / (A / sq * rad.cos() * PI);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 → BD-09 (Baidu's published offset on top of GCJ-02).
pub fn bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = gcj02(lon, lat);
    let xpi = std::f64::consts::PI * 3000.0 / 180.0;
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * xpi).sin();
    let theta = y.atan2(x) + 0.000003 * (x * xpi).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}
