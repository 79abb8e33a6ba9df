//! `[notify]`: who is told about alerts, through which channel, when; and the deadlines whose
//! passing escalates an alert to its county.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    #[serde(default)]
    pub channels: Vec<ChannelConfig>,
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
    #[serde(default)]
    pub deadlines: Deadlines,
    /// Season profiles: inside a season, its deadlines replace the default ones.
    #[serde(default)]
    pub seasons: Vec<SeasonProfile>,
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
            deadlines: Deadlines::default(),
            seasons: Vec::new(),
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    pub id: String,
    pub kind: ChannelKind,
    /// The robot's or the gateway's URL. For SMS, `{phone}` and `{text}` are replaced
    /// (URL-encoded) once per phone number.
    pub url: String,
    /// Environment variable holding the signing secret (webhook, DingTalk).
    pub secret_env: Option<String>,
    /// SMS recipients.
    #[serde(default)]
    pub phones: Vec<String>,
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

/// Minutes from the alert's creation by which each step must be reported.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    #[serde(default = "default_received")]
    pub received_minutes: f64,
    #[serde(default = "default_on_scene")]
    pub on_scene_minutes: f64,
    /// Absent: by the end of the local day the alert was raised ("checked the same day").
    pub verified_minutes: Option<f64>,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            received_minutes: default_received(),
            on_scene_minutes: default_on_scene(),
            verified_minutes: None,
        }
    }
}

fn default_received() -> f64 {
    30.0
}
fn default_on_scene() -> f64 {
    120.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeasonProfile {
    pub name: String,
    /// "MM-DD", inclusive, local dates.
    pub from: String,
    pub to: String,
    pub deadlines: Deadlines,
}

impl NotifyConfig {
    pub(crate) fn validate(&self) -> Result<(), String> {
        let mut ids = std::collections::HashSet::new();
        for c in &self.channels {
            if !ids.insert(c.id.as_str()) {
                return Err(format!("notify channel {:?} appears twice", c.id));
            }
            if c.kind == ChannelKind::Sms && (c.phones.is_empty() || !c.url.contains("{text}")) {
                return Err(format!(
                    "SMS channel {:?} needs phones and a url with {{text}}",
                    c.id
                ));
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
        for s in &self.seasons {
            for d in [&s.from, &s.to] {
                parse_month_day(d)
                    .ok_or_else(|| format!("season {:?}: {d:?} is not \"MM-DD\"", s.name))?;
            }
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

/// "05-20" → (5, 20).
pub fn parse_month_day(s: &str) -> Option<(u32, u32)> {
    let (m, d) = s.split_once('-')?;
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((m, d))
}
