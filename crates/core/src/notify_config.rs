//! `[notify]`: who is told about alerts, through which channel, when; and to whom a missed
//! deadline escalates, level by level. The deadlines themselves are the shared `[deadlines]` and
//! `[[seasons]]` (`schedule`), which the statistics judge by as well.
//!
//! ```toml
//! [[notify.escalation]]       # level 1: as soon as a step's deadline passes…
//! after_minutes = 0
//! to = "county"               # …the escalation routes of the alert's township and county
//! [[notify.escalation]]       # level 2: the step still not done an hour later…
//! after_minutes = 60
//! to = "prefecture"           # …the escalation routes for "*" or reports.prefecture_code
//! ```

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    #[serde(default)]
    pub channels: Vec<ChannelConfig>,
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    /// Escalation levels in order (level 1 first) for a step whose deadline has passed.
    #[serde(default = "default_escalation")]
    pub escalation: Vec<EscalationLevel>,
    #[serde(default = "default_retry_min")]
    pub retry_min_secs: f64,
    #[serde(default = "default_retry_max")]
    pub retry_max_secs: f64,
    /// How often the notifier looks for new alerts, due deliveries and missed deadlines.
    #[serde(default = "default_tick")]
    pub tick_secs: f64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            channels: Vec::new(),
            routes: Vec::new(),
            escalation: default_escalation(),
            retry_min_secs: default_retry_min(),
            retry_max_secs: default_retry_max(),
            tick_secs: default_tick(),
        }
    }
}

fn default_retry_min() -> f64 {
    5.0
}
fn default_retry_max() -> f64 {
    600.0
}
fn default_tick() -> f64 {
    1.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// A generic webhook: the JSON body signed with HMAC-SHA256 in `X-Burnwatch-Signature`.
    Webhook,
    /// A WeCom (企业微信) group robot.
    Wecom,
    /// A DingTalk (钉钉) custom robot, with its timestamp signature when a secret is set.
    Dingtalk,
    /// An SMS gateway called with a URL template.
    Sms,
    /// E-mail through an SMTP server.
    Email,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text: only for a relay on the same host or a trusted network.
    None,
    /// Plain connection upgraded by STARTTLS, which is required (port 587).
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

impl SmtpTls {
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub id: String,
    pub kind: ChannelKind,
    /// The robot's or the gateway's URL (not e-mail). For SMS, `{phone}` and `{text}` are
    /// replaced (URL-encoded) once per phone number.
    #[serde(default)]
    pub url: String,
    /// Environment variable holding the signing secret (webhook, DingTalk).
    pub secret_env: Option<String>,
    /// SMS recipients.
    #[serde(default)]
    pub phones: Vec<String>,
    /// E-mail: the SMTP server.
    pub host: Option<String>,
    /// E-mail: the server's port; by default 25, 587 or 465 after `tls`.
    pub port: Option<u16>,
    /// E-mail: none, starttls (the default) or tls.
    pub tls: Option<SmtpTls>,
    /// E-mail: the SMTP login, if the server wants one.
    pub username: Option<String>,
    /// E-mail: environment variable holding the SMTP password.
    pub password_env: Option<String>,
    /// E-mail: the sender, "名称 <addr@example.cn>" or a bare address.
    pub from: Option<String>,
    /// E-mail recipients.
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: f64,
}

fn default_timeout() -> f64 {
    10.0
}

/// Which channels hear about which region's alerts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// A township or county id, or "*" for every alert.
    pub region: String,
    pub channels: Vec<String>,
    /// New alerts (true) or only escalations of missed deadlines (false).
    #[serde(default = "yes")]
    pub new_alerts: bool,
    #[serde(default)]
    pub escalations: bool,
    /// Local (Asia/Shanghai) hours when nothing is sent but escalations, "22:00-06:00".
    pub quiet_hours: Option<String>,
}

fn yes() -> bool {
    true
}

/// Who hears of a missed step at one escalation level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EscalateTo {
    /// Escalation routes whose region is the alert's township or county.
    County,
    /// Escalation routes whose region is "*" or the prefecture (`reports.prefecture_code`).
    Prefecture,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationLevel {
    /// Minutes after the step's deadline (0: as soon as it passes).
    #[serde(default)]
    pub after_minutes: f64,
    pub to: EscalateTo,
}

/// The county at once; the prefecture when the step is still not done an hour later.
fn default_escalation() -> Vec<EscalationLevel> {
    vec![
        EscalationLevel {
            after_minutes: 0.0,
            to: EscalateTo::County,
        },
        EscalationLevel {
            after_minutes: 60.0,
            to: EscalateTo::Prefecture,
        },
    ]
}

impl NotifyConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        let mut ids = std::collections::HashSet::new();
        for c in &self.channels {
            if !ids.insert(c.id.as_str()) {
                return Err(format!("notify channel {:?} appears twice", c.id));
            }
            if !(c.timeout_secs.is_finite() && c.timeout_secs > 0.0) {
                return Err(format!(
                    "notify channel {:?}: timeout_secs must be a positive number of seconds, got {}",
                    c.id, c.timeout_secs
                ));
            }
            match c.kind {
                ChannelKind::Sms if c.phones.is_empty() || !c.url.contains("{text}") => {
                    return Err(format!(
                        "SMS channel {:?} needs phones and a url with {{text}}",
                        c.id
                    ));
                }
                ChannelKind::Email => {
                    if c.host.as_deref().is_none_or(|h| h.trim().is_empty())
                        || c.from.is_none()
                        || c.to.is_empty()
                    {
                        return Err(format!("e-mail channel {:?} needs host, from and to", c.id));
                    }
                    if c.username.is_some() != c.password_env.is_some() {
                        return Err(format!(
                            "e-mail channel {:?}: username and password_env go together",
                            c.id
                        ));
                    }
                }
                ChannelKind::Webhook
                | ChannelKind::Wecom
                | ChannelKind::Dingtalk
                | ChannelKind::Sms
                    if c.url.trim().is_empty() =>
                {
                    return Err(format!("notify channel {:?} needs a url", c.id));
                }
                _ => {}
            }
        }
        for r in &self.routes {
            for ch in &r.channels {
                if !ids.contains(ch.as_str()) {
                    return Err(format!(
                        "notify route for {:?} names unknown channel {ch:?}",
                        r.region
                    ));
                }
            }
            if let Some(q) = &r.quiet_hours {
                parse_quiet_hours(q)
                    .ok_or_else(|| format!("quiet_hours {q:?} is not \"HH:MM-HH:MM\""))?;
            }
        }
        if self.escalation.is_empty() {
            return Err("notify.escalation needs at least one level".into());
        }
        let mut previous = 0.0;
        for (i, l) in self.escalation.iter().enumerate() {
            if !(l.after_minutes.is_finite() && l.after_minutes >= previous) {
                return Err(format!(
                    "notify.escalation level {}: after_minutes must be a number no smaller than the level before's ({previous}), got {}",
                    i + 1,
                    l.after_minutes
                ));
            }
            previous = l.after_minutes;
        }
        Ok(())
    }
}

/// "22:00-06:00" → minutes of the day (start, end); the span may cross midnight.
pub fn parse_quiet_hours(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('-')?;
    let minutes = |t: &str| -> Option<u32> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    Some((minutes(a)?, minutes(b)?))
}
