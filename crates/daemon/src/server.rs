//! The HTTP port: `/healthz` (JSON, 503 when the worker is gone), `/metrics` (Prometheus) and
//! the API under `/api/v1` (burnwatch-server).

use crate::status::Status;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use tokio::sync::watch;

pub fn router(status: Arc<Status>, api: burnwatch_server::ApiState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(status)
        .merge(burnwatch_server::router(api))
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    status: Arc<Status>,
    api: burnwatch_server::ApiState,
    mut stop: watch::Receiver<bool>,
) {
    let result = axum::serve(listener, router(status, api))
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "HTTP server failed");
    }
}

async fn healthz(State(status): State<Arc<Status>>) -> impl IntoResponse {
    let alive = status.worker_alive();
    let body = serde_json::json!({
        "status": if alive { "ok" } else { "worker stopped" },
        "started": status.started(),
        "sources": status.sources(),
    });
    let code = if alive {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}

async fn metrics(State(status): State<Arc<Status>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        status.encode_metrics(),
    )
}
