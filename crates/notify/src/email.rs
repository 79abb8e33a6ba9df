//! The e-mail channel: one message per notification over SMTP (lettre, rustls). The subject and
//! body are zh-CN; lettre encodes them for the wire (RFC 2047 encoded words in the subject, a
//! UTF-8 text body with a transfer encoding), so every mail client shows them as written.

use crate::channels::{DeliveryError, IDEMPOTENCY_HEADER};
use burnwatch_core::notify_config::{ChannelConfig, SmtpTls};
use burnwatch_store::OutboxRow;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// An e-mail channel's settings, checked once when the notifier starts so a bad address fails at
/// start-up rather than on every retry.
#[derive(Debug, Clone)]
pub struct Mailer {
    host: String,
    port: u16,
    tls: SmtpTls,
    username: Option<String>,
    password_env: Option<String>,
    from: Mailbox,
    to: Vec<Mailbox>,
    timeout: Duration,
}

impl Mailer {
    pub fn new(channel: &ChannelConfig) -> Result<Self, String> {
        let host = channel
            .host
            .clone()
            .filter(|h| !h.trim().is_empty())
            .ok_or("an e-mail channel needs a host")?;
        let tls = channel.tls.unwrap_or(SmtpTls::Starttls);
        let mailbox = |s: &str| {
            s.parse::<Mailbox>()
                .map_err(|e| format!("{s:?} is not an e-mail address: {e}"))
        };
        let from = mailbox(
            channel
                .from
                .as_deref()
                .ok_or("an e-mail channel needs from")?,
        )?;
        let to = channel
            .to
            .iter()
            .map(|s| mailbox(s))
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err("an e-mail channel needs at least one address in to".into());
        }
        Ok(Self {
            host,
            port: channel.port.unwrap_or(tls.default_port()),
            tls,
            username: channel.username.clone(),
            password_env: channel.password_env.clone(),
            from,
            to,
            timeout: Duration::from_secs_f64(channel.timeout_secs),
        })
    }

    /// The message for one notification. Its Message-ID derives from the idempotency key, so a
    /// repeat after a crash between sending and marking is the same message to mail clients.
    pub fn message(&self, item: &OutboxRow) -> Result<Message, DeliveryError> {
        // A hash, not the key with its punctuation replaced: distinct keys must never share a
        // Message-ID, and a channel id in Chinese is no valid address part.
        let id_left: String = Sha256::digest(item.idempotency_key.as_bytes())[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(item.subject.clone())
            .message_id(Some(format!("<{id_left}@burnwatch>")))
            .header(ContentType::TEXT_PLAIN)
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str(IDEMPOTENCY_HEADER),
                item.idempotency_key.clone(),
            ));
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .body(item.body.clone())
            .map_err(|e| DeliveryError::Email(e.to_string()))
    }

    pub async fn send(&self, item: &OutboxRow) -> Result<String, DeliveryError> {
        let mut builder = match self.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
                .map_err(|e| DeliveryError::Email(e.to_string()))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)
                .map_err(|e| DeliveryError::Email(e.to_string()))?,
        }
        .port(self.port)
        .timeout(Some(self.timeout));
        if let (Some(user), Some(var)) = (&self.username, &self.password_env) {
            let password = std::env::var(var).map_err(|_| DeliveryError::NoSecret(var.clone()))?;
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        let response = builder
            .build()
            .send(self.message(item)?)
            .await
            .map_err(|e| DeliveryError::Email(e.to_string()))?;
        Ok(format!(
            "SMTP {} to {}",
            response.code(),
            self.to
                .iter()
                .map(|m| m.email.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burnwatch_core::notify_config::ChannelKind;

    fn channel(to: &[&str]) -> ChannelConfig {
        ChannelConfig {
            id: "mail".into(),
            kind: ChannelKind::Email,
            url: String::new(),
            secret_env: None,
            phones: Vec::new(),
            host: Some("smtp.example.cn".into()),
            port: None,
            tls: Some(SmtpTls::Tls),
            username: None,
            password_env: None,
            from: Some("秸秆禁烧监测 <burnwatch@example.cn>".into()),
            to: to.iter().map(|s| s.to_string()).collect(),
            timeout_secs: 5.0,
        }
    }

    #[test]
    fn a_zh_cn_message_is_encoded_for_the_wire() {
        let m = Mailer::new(&channel(&["duty@example.cn", "县督办 <county@example.cn>"])).unwrap();
        assert_eq!(m.port, 465, "tls defaults to the SMTPS port");
        let item = OutboxRow {
            id: 1,
            idempotency_key: "alert:7:new:mail".into(),
            channel_id: "mail".into(),
            alert_id: Some(7),
            kind: "alert_new".into(),
            subject: "【秸秆禁烧】疑似火点 #7 东县 甲镇".into(),
            body: "位置：116.10000, 35.05000\n请于 30 分钟内签收。".into(),
            attempts: 0,
            delivered_at: None,
            last_error: None,
        };
        let wire = String::from_utf8(m.message(&item).unwrap().formatted()).unwrap();
        assert!(wire.is_ascii(), "headers and body are transfer-encoded");
        assert!(wire.contains("Subject: =?utf-8?"), "{wire}");
        // The same key gives the same Message-ID; keys that differ only in punctuation do not.
        let id = |key: &str| {
            let mut other = item.clone();
            other.idempotency_key = key.into();
            let wire = String::from_utf8(m.message(&other).unwrap().formatted()).unwrap();
            wire.lines()
                .find(|l| l.starts_with("Message-ID: <"))
                .map(str::to_owned)
                .unwrap()
        };
        assert_eq!(id("alert:7:new:mail"), id("alert:7:new:mail"));
        assert_ne!(id("alert:7:new:mail"), id("alert:7:new.mail"));
        assert!(id("alert:7:new:邮件").ends_with("@burnwatch>"), "{wire}");
        assert!(
            wire.contains("X-Burnwatch-Idempotency-Key: alert:7:new:mail"),
            "{wire}"
        );
        assert!(wire.contains("duty@example.cn") && wire.contains("<county@example.cn>"));
        assert!(wire.contains("charset=utf-8"), "{wire}");
    }

    #[test]
    fn bad_addresses_are_refused_when_the_notifier_starts() {
        let e = Mailer::new(&channel(&["not an address"])).unwrap_err();
        assert!(e.contains("not an address"), "{e}");
        assert!(Mailer::new(&channel(&[])).is_err());
    }
}
