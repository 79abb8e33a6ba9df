//! The API under load, in one run: a patrol's queue listing (`GET /api/v1/alerts`) hammered by
//! 64 keep-alive clients for a few seconds; requests per second and latency percentiles. Server
//! and load generator share this machine's 2 cores.
//!
//! `cargo bench --bench api`.

use burnwatch_core::Config;
use burnwatch_pipeline::{Pipeline, ProductFlagFilter, Routing};
use burnwatch_server::{auth, ApiState};
use burnwatch_store::{NewUser, Role, SqliteStore, Store, UserStore};
use std::time::{Duration, Instant};

const CLIENTS: usize = 64;
const SECONDS: u64 = 5;
const SSE_CLIENTS: usize = 1000;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let samples = dir.path().join("samples");
    burnwatch_sim::write_samples(&samples, 20250610).expect("samples");
    let config = Config::load(&samples.join("burnwatch.toml")).expect("config");
    let routing = Routing::load(&config.regions).expect("regions");
    let mut store = SqliteStore::open(&config.store.path).expect("store");
    store
        .replace_regions(&routing.region_rows().expect("rows"))
        .expect("regions stored");
    let mut pipeline = Pipeline::new(store, routing, vec![Box::new(ProductFlagFilter)], &config);
    let mut products: Vec<_> = std::fs::read_dir(samples.join("products"))
        .expect("products")
        .map(|e| e.expect("entry").path())
        .collect();
    products.sort();
    for p in &products {
        pipeline.ingest_file(p).expect("ingest");
    }
    let mut store = pipeline.into_store();
    let township = store.alerts(&Default::default()).expect("alerts")[0]
        .region_id
        .clone()
        .expect("routed");
    let user = store
        .add_user(&NewUser {
            username: "bench".into(),
            display_name: "bench".into(),
            password_hash: auth::hash_password("bench-password").expect("hash"),
            role: Role::Patrol,
            region_id: Some(township.clone()),
        })
        .expect("user");
    let (token, hash) = auth::new_token();
    store
        .add_token(
            &hash,
            user.id,
            chrono::Utc::now() + chrono::Duration::hours(1),
        )
        .expect("token");
    drop(store);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let state = ApiState::open(&config).expect("api state");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    runtime.spawn(async move { axum::serve(listener, burnwatch_server::router(state)).await });

    let sse_token = token.clone();
    let url = format!("http://{addr}/api/v1/alerts");
    let (latencies, body_len) = runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(CLIENTS)
            .build()
            .expect("client");
        let probe = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("probe");
        assert_eq!(probe.status(), 200);
        let body_len = probe.bytes().await.expect("body").len();
        let deadline = Instant::now() + Duration::from_secs(SECONDS);
        let mut tasks = Vec::new();
        for _ in 0..CLIENTS {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let r = client
                        .get(&url)
                        .bearer_auth(&token)
                        .send()
                        .await
                        .expect("request");
                    assert_eq!(r.status(), 200);
                    r.bytes().await.expect("body");
                    lat.push(t.elapsed());
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("task"));
        }
        (all, body_len)
    });
    // SSE fan-out: a duty officer's 1,000 open consoles, one change, every client told.
    let own_township = township.clone();
    let (alert_id, fanout, connect) = runtime.block_on(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut store = SqliteStore::open(&config.store.path).expect("store");
        let alert_id = store.alerts(&Default::default()).expect("alerts").iter().find(|a| a.region_id.as_deref() == Some(own_township.as_str())).expect("own alert").alert_id;
        let needle = format!("\"alert_id\":{alert_id},");
        let t_connect = Instant::now();
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(SSE_CLIENTS);
        let mut tasks = Vec::new();
        for _ in 0..SSE_CLIENTS {
            let (token, needle, ready) = (sse_token.clone(), needle.clone(), ready_tx.clone());
            tasks.push(tokio::spawn(async move {
                let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
                let req = format!("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n");
                s.write_all(req.as_bytes()).await.expect("send");
                let mut buf = vec![0u8; 64 * 1024];
                let mut seen = String::new();
                let mut told = false;
                loop {
                    let n = s.read(&mut buf).await.expect("read");
                    assert!(n > 0, "stream closed");
                    seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if !told && seen.contains("\r\n\r\n") {
                        told = true;
                        seen.clear();
                        ready.send(()).await.expect("ready");
                    } else if told && seen.contains(&needle) && seen.contains("received") {
                        return Instant::now();
                    }
                }
            }));
        }
        for _ in 0..SSE_CLIENTS {
            ready_rx.recv().await.expect("client ready");
        }
        let connect = t_connect.elapsed();
        let t0 = Instant::now();
        tokio::task::spawn_blocking(move || {
            store
                .transition_alert(&burnwatch_store::TransitionRequest {
                    alert_id,
                    to: burnwatch_core::AlertState::Received,
                    actor: "bench".into(),
                    at: chrono::Utc::now(),
                    outcome: None,
                    reason: None,
                    note: None,
                })
                .expect("transition")
        })
        .await
        .expect("join");
        let mut lat = Vec::new();
        for t in tasks {
            lat.push(t.await.expect("client").duration_since(t0));
        }
        lat.sort();
        (alert_id, lat, connect)
    });
    let mut l = latencies;
    l.sort();
    let pct = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)].as_secs_f64() * 1e3;
    println!(
        "GET /api/v1/alerts as a patrol of {township} ({body_len} bytes each), {CLIENTS} clients, {SECONDS} s, server and load on one 2-core machine:"
    );
    println!(
        "  {} requests = {:.0} req/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        l.len(),
        l.len() as f64 / SECONDS as f64,
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    let f = |p: f64| {
        fanout[((fanout.len() as f64 * p) as usize).min(fanout.len() - 1)].as_secs_f64() * 1e3
    };
    println!(
        "SSE fan-out: {SSE_CLIENTS} clients connected in {:.0} ms; alert {alert_id} → received reached all of them: p50 {:.0} ms, max {:.0} ms (the stream polls the store every 500 ms)",
        connect.as_secs_f64() * 1e3,
        f(0.5),
        f(1.0)
    );
}
