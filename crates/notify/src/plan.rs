//! What to send, to whom, and when: pure functions over alerts and the configuration.

use burnwatch_core::notify_config::{parse_quiet_hours, EscalateTo, NotifyConfig, RouteConfig};
use burnwatch_core::{Config, Schedule, Step};
use burnwatch_store::{AlertView, OutboxItem, PendingAlert};
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Timelike, Utc};

/// Asia/Shanghai: UTC+8 all year.
fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

/// What the notifier reads from the configuration: `[notify]`, the shared `[deadlines]` and
/// `[[seasons]]`, and the prefecture's id (whose routes hear prefecture-level escalations).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub notify: NotifyConfig,
    pub schedule: Schedule,
    pub prefecture_id: Option<String>,
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            notify: config.notify.clone(),
            schedule: config.schedule(),
            prefecture_id: config.reports.prefecture_code.clone(),
        }
    }
}

fn route_matches(route: &RouteConfig, alert: &AlertView) -> bool {
    let r = route.region.as_str();
    r == "*"
        || alert.region_id.as_deref() == Some(r)
        || alert.county_id.as_deref() == Some(r)
        || alert.neighbours.iter().any(|n| n == r)
}

/// Whether an escalation route hears an escalation to `to`: the county level is the alert's own
/// township and county (not its neighbours, who owe nothing); the prefecture level is "*" and
/// the prefecture's id.
fn escalation_route_matches(
    route: &RouteConfig,
    alert: &AlertView,
    to: EscalateTo,
    prefecture_id: Option<&str>,
) -> bool {
    let r = route.region.as_str();
    match to {
        EscalateTo::County => {
            alert.region_id.as_deref() == Some(r) || alert.county_id.as_deref() == Some(r)
        }
        EscalateTo::Prefecture => r == "*" || prefecture_id == Some(r),
    }
}

/// The end of the quiet period containing `now`, or `now` when it is not quiet.
pub fn after_quiet_hours(quiet: Option<&str>, now: DateTime<Utc>) -> DateTime<Utc> {
    let Some((start, end)) = quiet.and_then(parse_quiet_hours) else {
        return now;
    };
    let local = now.with_timezone(&cst());
    let minute = local.hour() * 60 + local.minute();
    let quiet_now = if start <= end {
        minute >= start && minute < end
    } else {
        minute >= start || minute < end
    };
    if !quiet_now {
        return now;
    }
    let end_time = NaiveTime::from_hms_opt(end / 60, end % 60, 0).expect("valid time");
    let mut day = local.date_naive();
    if start > end && minute >= start {
        day = day.succ_opt().unwrap_or(day);
    }
    cst()
        .from_local_datetime(&day.and_time(end_time))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now)
}

fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&cst()).format("%m-%d %H:%M").to_string()
}

pub fn message(alert: &AlertView, deadline_note: &str) -> (String, String) {
    let place = format!(
        "{} {}",
        alert.county_name.as_deref().unwrap_or(""),
        alert.region_name.as_deref().unwrap_or("辖区外")
    );
    let subject = format!("【秸秆禁烧】疑似火点 #{} {}", alert.alert_id, place.trim());
    let body = format!(
        "{subject}\n位置：{:.5}, {:.5}（WGS84，搜索半径 {:.1} 公里）\n发现时间：{}（北京时间）\n来源：{}　FRP {} MW　置信度 {}\n{deadline_note}",
        alert.lon,
        alert.lat,
        alert.search_radius_km,
        alert.last_seen.with_timezone(&cst()).format("%Y-%m-%d %H:%M"),
        alert.sources.join("+"),
        alert.max_frp_mw.map(|f| format!("{f:.1}")).unwrap_or_else(|| "-".into()),
        alert.confidence.as_str(),
    );
    (subject, body)
}

/// The notifications a new alert raises: one per matching route and channel.
pub fn new_alert_items(
    alert: &AlertView,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Vec<OutboxItem> {
    let deadlines = settings.schedule.deadlines_for(alert.first_seen);
    let verified = match deadlines.verified_minutes {
        None => "当天".to_owned(),
        Some(_) => format!(
            "{} 前",
            local_time(deadlines.due(Step::Verified, alert.created_at))
        ),
    };
    let (subject, body) = message(
        alert,
        &format!(
            "请于 {} 分钟内（{} 前）签收，{verified}核查反馈。",
            deadlines.received_minutes,
            local_time(deadlines.due(Step::Received, alert.created_at))
        ),
    );
    let mut items: Vec<OutboxItem> = Vec::new();
    for route in settings
        .notify
        .routes
        .iter()
        .filter(|r| r.new_alerts && route_matches(r, alert))
    {
        for channel in &route.channels {
            let key = format!("alert:{}:new:{channel}", alert.alert_id);
            if items.iter().any(|i| i.idempotency_key == key) {
                continue;
            }
            items.push(OutboxItem {
                idempotency_key: key,
                channel_id: channel.clone(),
                alert_id: Some(alert.alert_id),
                kind: "alert_new".into(),
                subject: subject.clone(),
                body: body.clone(),
                not_before: after_quiet_hours(route.quiet_hours.as_deref(), now),
            });
        }
    }
    items
}

/// One escalation a pending alert is owed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    pub step: Step,
    /// 1-based, in the order of `[[notify.escalation]]`.
    pub level: u32,
    /// The step's deadline.
    pub due: DateTime<Utc>,
}

/// The escalations a pending alert is owed at `now` and has not had: for the step it missed
/// most recently (a later missed step supersedes an earlier one), every level whose delay after
/// the deadline has passed.
pub fn escalations_due(
    alert: &PendingAlert,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Vec<Escalation> {
    let deadlines = settings.schedule.deadlines_for(alert.first_seen);
    let Some((step, due)) = deadlines.latest_missed(alert.state, alert.created_at, now) else {
        return Vec::new();
    };
    settings
        .notify
        .escalation
        .iter()
        .zip(1u32..)
        .filter(|(l, _)| {
            now > due + Duration::milliseconds((l.after_minutes * 60_000.0).round() as i64)
        })
        .filter(|(_, level)| !alert.escalated.contains(&(step, *level)))
        .map(|(_, level)| Escalation { step, level, due })
        .collect()
}

/// The notifications of one escalation: that level's routes, never held by quiet hours.
pub fn escalation_items(
    alert: &AlertView,
    escalation: Escalation,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Vec<OutboxItem> {
    let Escalation { step, level, due } = escalation;
    let Some(config) = settings.notify.escalation.get(level as usize - 1) else {
        return Vec::new();
    };
    let who = match config.to {
        EscalateTo::County => "县级",
        EscalateTo::Prefecture => "市级",
    };
    let (subject, body) = message(
        alert,
        &format!(
            "⚠ 已超时：应于 {} 前{}，当前状态 {}。第 {level} 级督办，请{who}督办。",
            local_time(due),
            step.label_zh(),
            alert.state.as_str()
        ),
    );
    let subject = format!("{subject}【超时督办·{who}】");
    let mut items: Vec<OutboxItem> = Vec::new();
    for route in settings.notify.routes.iter().filter(|r| {
        r.escalations
            && escalation_route_matches(r, alert, config.to, settings.prefecture_id.as_deref())
    }) {
        for channel in &route.channels {
            let key = format!(
                "alert:{}:overdue:{}:{level}:{channel}",
                alert.alert_id,
                step.as_str()
            );
            if items.iter().any(|i| i.idempotency_key == key) {
                continue;
            }
            items.push(OutboxItem {
                idempotency_key: key,
                channel_id: channel.clone(),
                alert_id: Some(alert.alert_id),
                kind: "alert_overdue".into(),
                subject: subject.clone(),
                body: body.clone(),
                not_before: now,
            });
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use burnwatch_core::AlertState;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn quiet_hours_hold_until_their_local_end() {
        // 23:30 CST = 15:30 UTC: quiet until 06:00 CST next day = 22:00 UTC.
        let t = after_quiet_hours(Some("22:00-06:00"), utc("2025-06-10T15:30:00Z"));
        assert_eq!(t, utc("2025-06-10T22:00:00Z"));
        // 03:00 CST: quiet until 06:00 CST the same day.
        let t = after_quiet_hours(Some("22:00-06:00"), utc("2025-06-10T19:00:00Z"));
        assert_eq!(t, utc("2025-06-10T22:00:00Z"));
        // 10:00 CST: not quiet.
        let now = utc("2025-06-10T02:00:00Z");
        assert_eq!(after_quiet_hours(Some("22:00-06:00"), now), now);
        assert_eq!(after_quiet_hours(None, now), now);
    }

    fn settings(routes: &str) -> Settings {
        #[derive(serde::Deserialize)]
        struct Wrap {
            notify: NotifyConfig,
        }
        let text = format!(
            "[[notify.channels]]\nid = \"c\"\nkind = \"webhook\"\nurl = \"http://x/\"\n\
             [[notify.channels]]\nid = \"p\"\nkind = \"webhook\"\nurl = \"http://x/\"\n\
             [[notify.channels]]\nid = \"n\"\nkind = \"webhook\"\nurl = \"http://x/\"\n{routes}"
        );
        Settings {
            notify: toml::from_str::<Wrap>(&text).unwrap().notify,
            schedule: Schedule::default(),
            prefecture_id: Some("379900".into()),
        }
    }

    fn pending(state: AlertState, escalated: Vec<(Step, u32)>) -> PendingAlert {
        PendingAlert {
            alert_id: 1,
            state,
            created_at: utc("2025-06-10T02:00:00Z"), // 10:00 CST
            first_seen: utc("2025-06-10T01:40:00Z"),
            region_id: Some("379901001".into()),
            county_id: Some("379901".into()),
            escalated,
        }
    }

    fn view() -> AlertView {
        let t = utc("2025-06-10T02:00:00Z");
        AlertView {
            alert_id: 1,
            event_id: 1,
            state: AlertState::New,
            outcome: None,
            region_id: Some("379901001".into()),
            region_name: Some("甲镇".into()),
            county_id: Some("379901".into()),
            county_name: Some("东县".into()),
            neighbours: vec!["379902001".into()],
            lon: 116.1,
            lat: 35.05,
            search_radius_km: 0.4,
            first_seen: t,
            last_seen: t,
            max_frp_mw: Some(12.0),
            confidence: burnwatch_core::ConfidenceClass::Nominal,
            cluster_size: 1,
            detection_ids: vec![1],
            sources: vec!["viirs".into()],
            day_night: Some("D".into()),
            created_at: t,
            updated_at: t,
            overdue_step: None,
            overdue_level: None,
        }
    }

    #[test]
    fn levels_come_due_after_their_delay_and_each_only_once() {
        // Default levels: the county at once, the prefecture an hour later.
        let s = settings("");
        let at = |t| escalations_due(&pending(AlertState::New, vec![]), &s, utc(t));
        assert!(at("2025-06-10T02:29:00Z").is_empty());
        let due = utc("2025-06-10T02:30:00Z");
        assert_eq!(
            at("2025-06-10T02:31:00Z"),
            vec![Escalation {
                step: Step::Received,
                level: 1,
                due
            }]
        );
        // Past the on-scene deadline (60 min) the later step supersedes received.
        let levels: Vec<_> = at("2025-06-10T03:01:00Z")
            .iter()
            .map(|e| (e.step, e.level))
            .collect();
        assert_eq!(levels, vec![(Step::OnScene, 1)]);
        // An hour after on_scene's deadline, level 2 as well — unless it was already made.
        let levels: Vec<_> = at("2025-06-10T04:01:00Z")
            .iter()
            .map(|e| (e.step, e.level))
            .collect();
        assert_eq!(levels, vec![(Step::OnScene, 1), (Step::OnScene, 2)]);
        let done = pending(AlertState::New, vec![(Step::OnScene, 1)]);
        let levels: Vec<_> = escalations_due(&done, &s, utc("2025-06-10T04:01:00Z"))
            .iter()
            .map(|e| (e.step, e.level))
            .collect();
        assert_eq!(levels, vec![(Step::OnScene, 2)]);
        // Done steps escalate nothing.
        let on_scene = pending(AlertState::OnScene, vec![]);
        assert!(escalations_due(&on_scene, &s, utc("2025-06-10T05:00:00Z")).is_empty());
    }

    #[test]
    fn a_season_changes_when_escalation_starts() {
        let mut s = settings("");
        s.schedule.seasons = burnwatch_core::Seasons::new(vec![burnwatch_core::Season {
            name: "三夏".into(),
            start: chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap(),
            end: chrono::NaiveDate::from_ymd_opt(2025, 7, 31).unwrap(),
            deadlines: burnwatch_core::schedule::DeadlineOverrides {
                received_minutes: Some(15.0),
                ..Default::default()
            },
        }])
        .unwrap();
        let e = escalations_due(
            &pending(AlertState::New, vec![]),
            &s,
            utc("2025-06-10T02:16:00Z"),
        );
        assert_eq!(e[0].due, utc("2025-06-10T02:15:00Z"));
    }

    #[test]
    fn county_and_prefecture_levels_reach_their_own_routes() {
        let s = settings(
            "[[notify.routes]]\nregion = \"379901\"\nchannels = [\"c\"]\nnew_alerts = false\nescalations = true\n\
             [[notify.routes]]\nregion = \"*\"\nchannels = [\"p\"]\nescalations = true\n\
             [[notify.routes]]\nregion = \"379902001\"\nchannels = [\"n\"]\nescalations = true\n",
        );
        let now = utc("2025-06-10T04:01:00Z");
        let due = utc("2025-06-10T03:00:00Z");
        let one = |level| {
            escalation_items(
                &view(),
                Escalation {
                    step: Step::OnScene,
                    level,
                    due,
                },
                &s,
                now,
            )
        };
        let l1 = one(1);
        assert_eq!(
            l1.iter()
                .map(|i| i.idempotency_key.as_str())
                .collect::<Vec<_>>(),
            vec!["alert:1:overdue:on_scene:1:c"],
            "the county only: not the neighbour, not the prefecture"
        );
        assert!(l1[0].subject.contains("县级") && l1[0].body.contains("到场"));
        assert_eq!(l1[0].not_before, now, "escalations ignore quiet hours");
        let l2 = one(2);
        assert_eq!(
            l2.iter()
                .map(|i| i.idempotency_key.as_str())
                .collect::<Vec<_>>(),
            vec!["alert:1:overdue:on_scene:2:p"]
        );
        assert!(l2[0].subject.contains("市级"));
        // A route for the prefecture's own id is a prefecture route too.
        let s = settings(
            "[[notify.routes]]\nregion = \"379900\"\nchannels = [\"p\"]\nnew_alerts = false\nescalations = true\n",
        );
        let e = Escalation {
            step: Step::Received,
            level: 2,
            due,
        };
        assert_eq!(escalation_items(&view(), e, &s, now).len(), 1);
        let e = Escalation { level: 1, ..e };
        assert!(escalation_items(&view(), e, &s, now).is_empty());
        // New alerts still reach neighbours and "*".
        let s = settings(
            "[[notify.routes]]\nregion = \"379902001\"\nchannels = [\"n\"]\n\
             [[notify.routes]]\nregion = \"*\"\nchannels = [\"p\"]\n",
        );
        let items = new_alert_items(&view(), &s, now);
        assert_eq!(items.len(), 2);
        assert!(items[0].body.contains("10:30 前") && items[0].body.contains("当天核查"));
    }
}
