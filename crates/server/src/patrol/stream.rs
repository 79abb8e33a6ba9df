//! `GET /api/v1/stream`: alert changes as server-sent events, scoped like the alert list.
//!
//! One task per server polls the store's change marks every 500 ms (the worker writes through
//! its own connection, so there is no in-process signal to hook) and, when something moved,
//! loads the changed alerts once and fans them out through a broadcast channel. Each client only
//! filters by what its user may see, so a thousand consoles cost one query, not a thousand.

use crate::{can_see, ApiState, Caller};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::Extension;
use burnwatch_store::{AlertView, Store, User, VerificationStore};
use std::convert::Infallible;
use std::sync::{Arc, Once, Weak};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

const POLL: Duration = Duration::from_millis(500);
/// A stream ends after this long and the client reconnects, which re-checks its token: a
/// disabled user or an expired session does not keep listening for the rest of the season.
const STREAM_LIFETIME: Duration = Duration::from_secs(300);
/// Changes waiting for a slow client; one that falls further behind is told to reload.
const BACKLOG: usize = 256;

/// Alerts changed in one poll, each with its JSON rendered once for every client.
pub(crate) struct Change {
    alerts: Vec<(AlertView, String)>,
}

pub(crate) struct Hub {
    tx: broadcast::Sender<Arc<Change>>,
    closing: watch::Sender<bool>,
    started: Once,
}

impl Hub {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            tx: broadcast::channel(BACKLOG).0,
            closing: watch::channel(false).0,
            started: Once::new(),
        })
    }

    /// Starts the shared poller with the first client (the router is built before any runtime
    /// exists in some callers, so it cannot start earlier).
    fn start(self: &Arc<Self>, state: &ApiState) {
        self.started.call_once(|| {
            tokio::spawn(poll(Arc::downgrade(self), state.clone()));
            tokio::spawn(end_streams_on_signal(Arc::downgrade(self)));
        });
    }
}

async fn poll(hub: Weak<Hub>, state: ApiState) {
    let mut marks = None;
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        // The router (and with it the hub) is gone: nobody can subscribe any more.
        let Some(hub) = hub.upgrade() else { return };
        let since = marks.clone();
        let listening = hub.tx.receiver_count() > 0;
        let result = state
            .with_store(move |s| {
                let now = s.change_marks()?;
                let changed = match (&since, listening) {
                    (Some(since), true) => s
                        .alerts_changed(since, &now)?
                        .into_iter()
                        .map(|id| s.alert(id))
                        .collect::<Result<Vec<_>, _>>()?,
                    _ => Vec::new(),
                };
                Ok((now, changed))
            })
            .await;
        match result {
            Ok((now, changed)) => {
                marks = Some(now);
                if !changed.is_empty() {
                    let alerts = changed
                        .into_iter()
                        .filter_map(|a| {
                            let shown = state.show(a.clone());
                            serde_json::to_string(&shown).ok().map(|j| (a, j))
                        })
                        .collect();
                    let _ = hub.tx.send(Arc::new(Change { alerts }));
                }
            }
            // A busy or briefly locked database: try again on the next tick (the error was
            // logged where it was made).
            Err(e) => tracing::debug!(code = e.code, "alert stream poll failed"),
        }
    }
}

/// The daemon's graceful stop waits for every open response, and an event stream never ends on
/// its own: on SIGTERM or SIGINT the streams are closed so the server can stop.
async fn end_streams_on_signal(hub: Weak<Hub>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    if let Some(hub) = hub.upgrade() {
        let _ = hub.closing.send(true);
    }
}

struct Subscriber {
    rx: broadcast::Receiver<Arc<Change>>,
    closing: watch::Receiver<bool>,
    user: User,
    until: Instant,
    hello: Option<Event>,
}

impl Subscriber {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        if let Some(hello) = self.hello.take() {
            return Some((Ok(hello), self));
        }
        loop {
            let event = tokio::select! {
                _ = self.closing.wait_for(|c| *c) => return None,
                _ = tokio::time::sleep_until(self.until) => return None,
                msg = self.rx.recv() => match msg {
                    Ok(change) => {
                        let visible: Vec<&str> = change
                            .alerts
                            .iter()
                            .filter(|(a, _)| can_see(&self.user, a))
                            .map(|(_, json)| json.as_str())
                            .collect();
                        if visible.is_empty() {
                            continue;
                        }
                        Event::default().event("alerts").data(format!("[{}]", visible.join(",")))
                    }
                    // Missed changes cannot be replayed from here: the client reloads its list.
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        Event::default().event("resync").data(format!("{{\"missed\":{n}}}"))
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            return Some((Ok(event), self));
        }
    }
}

pub(crate) async fn stream(
    State(state): State<ApiState>,
    Extension(shared): Extension<Arc<super::Shared>>,
    Caller(user): Caller,
) -> impl IntoResponse {
    let hub = &shared.hub;
    hub.start(&state);
    let hello = Event::default()
        .event("ready")
        .data(serde_json::json!({ "user": user.username, "at": chrono::Utc::now() }).to_string());
    let sub = Subscriber {
        rx: hub.tx.subscribe(),
        closing: hub.closing.subscribe(),
        user,
        until: Instant::now() + STREAM_LIFETIME,
        hello: Some(hello),
    };
    let events = futures_util::stream::unfold(sub, Subscriber::next);
    (
        // Proxies must pass events through as they come.
        [("x-accel-buffering", "no")],
        Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    )
}
