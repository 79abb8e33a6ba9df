//! The patrol page (`/patrol`) and the duty console (`/console`): static files built into the
//! binary, so a deployment is one file and the phone never needs an outside CDN, font or tile
//! server. Each answer carries an ETag; a phone on a weak signal revalidates with a 304 instead
//! of downloading the page again.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "patrol.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../static/patrol.html"),
    },
    Asset {
        name: "console.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../static/console.html"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/app.css"),
    },
    Asset {
        name: "common.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/common.js"),
    },
    Asset {
        name: "patrol.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/patrol.js"),
    },
    Asset {
        name: "patrol-sw.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/patrol-sw.js"),
    },
    Asset {
        name: "stats.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../static/stats.html"),
    },
    Asset {
        name: "stats.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/stats.js"),
    },
    Asset {
        name: "console.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/console.js"),
    },
];

static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let hash = Sha256::digest(a.body);
            let hex: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
            format!("\"{hex}\"")
        })
        .collect()
});

/// Only our own origin: the pages must work with no outside service, and this keeps it so.
const CSP: &str = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; \
                   script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let asset = &ASSETS[i];
    let etag = &ETAGS[i];
    let common = [
        (header::ETAG, HeaderValue::from_str(etag).expect("hex etag")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        )],
        asset.body,
    )
        .into_response()
}

pub(crate) async fn patrol_page(headers: HeaderMap) -> Response {
    serve("patrol.html", &headers)
}

pub(crate) async fn console_page(headers: HeaderMap) -> Response {
    serve("console.html", &headers)
}

pub(crate) async fn stats_page(headers: HeaderMap) -> Response {
    serve("stats.html", &headers)
}

/// Served from the root so it may control `/patrol`.
pub(crate) async fn service_worker(headers: HeaderMap) -> Response {
    serve("patrol-sw.js", &headers)
}

pub(crate) async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    // Pages and the service worker are reached by their own paths; /static/ holds what they load.
    if name.ends_with(".html") || name == "patrol-sw.js" {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    serve(&name, &headers)
}
