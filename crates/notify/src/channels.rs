//! Delivery to each channel kind. Every request carries the idempotency key so a receiver can
//! drop the rare repeat that at-least-once delivery allows.

use base64::Engine;
use burnwatch_core::notify_config::{ChannelConfig, ChannelKind};
use burnwatch_store::OutboxRow;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DeliveryError {
    #[error("request failed: {0}")]
    Request(#[from] reqwest::Error),
    #[error("HTTP {0}: {1}")]
    Status(u16, String),
    #[error("the robot refused the message: {0}")]
    Refused(String),
    #[error("the secret variable {0} is not set")]
    NoSecret(String),
    #[error("bad channel URL: {0}")]
    Url(String),
    #[error("e-mail not sent: {0}")]
    Email(String),
}

pub const IDEMPOTENCY_HEADER: &str = "X-Burnwatch-Idempotency-Key";
pub const SIGNATURE_HEADER: &str = "X-Burnwatch-Signature";

fn hmac_sha256(secret: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn secret(channel: &ChannelConfig) -> Result<Option<String>, DeliveryError> {
    channel
        .secret_env
        .as_ref()
        .map(|var| std::env::var(var).map_err(|_| DeliveryError::NoSecret(var.clone())))
        .transpose()
}

/// The body a generic webhook receives, and its signature header value.
pub fn webhook_body(item: &OutboxRow, secret: Option<&str>) -> (String, Option<String>) {
    let body = serde_json::json!({
        "idempotency_key": item.idempotency_key,
        "kind": item.kind,
        "alert_id": item.alert_id,
        "subject": item.subject,
        "text": item.body,
    })
    .to_string();
    let signature = secret.map(|s| {
        format!(
            "sha256={}",
            hex(&hmac_sha256(s.as_bytes(), body.as_bytes()))
        )
    });
    (body, signature)
}

/// DingTalk's signed robot URL: `&timestamp=…&sign=…` with sign = base64(HMAC-SHA256(secret,
/// "timestamp\nsecret")).
pub fn dingtalk_url(
    url: &str,
    secret: &str,
    timestamp_ms: i64,
) -> Result<reqwest::Url, DeliveryError> {
    let sign = base64::engine::general_purpose::STANDARD.encode(hmac_sha256(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    ));
    let mut u = reqwest::Url::parse(url).map_err(|e| DeliveryError::Url(e.to_string()))?;
    u.query_pairs_mut()
        .append_pair("timestamp", &timestamp_ms.to_string())
        .append_pair("sign", &sign);
    Ok(u)
}

async fn check(response: reqwest::Response, robot: bool) -> Result<String, DeliveryError> {
    let code = response.status();
    let text = response.text().await.unwrap_or_default();
    if !code.is_success() {
        return Err(DeliveryError::Status(
            code.as_u16(),
            text.chars().take(200).collect(),
        ));
    }
    if robot {
        // WeCom and DingTalk answer 200 with {"errcode": n}; only 0 is delivered.
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|_| DeliveryError::Refused(text.clone()))?;
        if v["errcode"].as_i64() != Some(0) {
            return Err(DeliveryError::Refused(text));
        }
    }
    Ok(format!("HTTP {}", code.as_u16()))
}

pub async fn deliver(
    client: &reqwest::Client,
    channel: &ChannelConfig,
    item: &OutboxRow,
) -> Result<String, DeliveryError> {
    let timeout = Duration::from_secs_f64(channel.timeout_secs);
    match channel.kind {
        ChannelKind::Webhook => {
            let secret = secret(channel)?;
            let (body, signature) = webhook_body(item, secret.as_deref());
            let mut req = client
                .post(&channel.url)
                .timeout(timeout)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(IDEMPOTENCY_HEADER, &item.idempotency_key)
                .body(body);
            if let Some(sig) = signature {
                req = req.header(SIGNATURE_HEADER, sig);
            }
            check(req.send().await?, false).await
        }
        ChannelKind::Wecom => {
            let body =
                serde_json::json!({"msgtype": "markdown", "markdown": {"content": item.body}});
            let req = client
                .post(&channel.url)
                .timeout(timeout)
                .header(IDEMPOTENCY_HEADER, &item.idempotency_key)
                .json(&body);
            check(req.send().await?, true).await
        }
        ChannelKind::Dingtalk => {
            let url = match secret(channel)? {
                Some(s) => dingtalk_url(&channel.url, &s, chrono::Utc::now().timestamp_millis())?,
                None => reqwest::Url::parse(&channel.url)
                    .map_err(|e| DeliveryError::Url(e.to_string()))?,
            };
            let body = serde_json::json!({"msgtype": "markdown", "markdown": {"title": item.subject, "text": item.body}});
            let req = client
                .post(url)
                .timeout(timeout)
                .header(IDEMPOTENCY_HEADER, &item.idempotency_key)
                .json(&body);
            check(req.send().await?, true).await
        }
        ChannelKind::Sms => {
            // SMS is short: the subject only.
            let mut sent = Vec::new();
            for phone in &channel.phones {
                let url = channel
                    .url
                    .replace("{phone}", &encode(phone))
                    .replace("{text}", &encode(&item.subject))
                    .replace("{key}", &encode(&item.idempotency_key));
                let req = client
                    .get(url)
                    .timeout(timeout)
                    .header(IDEMPOTENCY_HEADER, &item.idempotency_key);
                sent.push(check(req.send().await?, false).await?);
            }
            Ok(sent.join(", "))
        }
        ChannelKind::Email => {
            crate::email::Mailer::new(channel)
                .map_err(DeliveryError::Email)?
                .send(item)
                .await
        }
    }
}

fn encode(s: &str) -> String {
    reqwest::Url::parse_with_params("http://x/", &[("v", s)])
        .ok()
        .and_then(|u| u.query().map(|q| q.trim_start_matches("v=").to_owned()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dingtalk_signature_matches_its_documented_construction() {
        let u = dingtalk_url(
            "https://oapi.dingtalk.com/robot/send?access_token=T",
            "SECabc",
            1_700_000_000_000,
        )
        .unwrap();
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["access_token"], "T");
        assert_eq!(q["timestamp"], "1700000000000");
        let expected = base64::engine::general_purpose::STANDARD
            .encode(hmac_sha256(b"SECabc", b"1700000000000\nSECabc"));
        assert_eq!(q["sign"], expected);
    }

    #[test]
    fn webhook_signature_is_hmac_of_the_exact_body() {
        let item = OutboxRow {
            id: 1,
            idempotency_key: "alert:1:new:w".into(),
            channel_id: "w".into(),
            alert_id: Some(1),
            kind: "alert_new".into(),
            subject: "s".into(),
            body: "b".into(),
            attempts: 0,
            delivered_at: None,
            last_error: None,
        };
        let (body, sig) = webhook_body(&item, Some("k"));
        assert_eq!(
            sig.unwrap(),
            format!("sha256={}", hex(&hmac_sha256(b"k", body.as_bytes())))
        );
        assert!(webhook_body(&item, None).1.is_none());
        assert_eq!(encode("a b&c=中"), "a+b%26c%3D%E4%B8%AD");
    }
}
