//! What to send, to whom, and when: pure functions over alerts and the configuration.

use burnwatch_core::notify_config::{
    parse_month_day, parse_quiet_hours, Deadlines, NotifyConfig, RouteConfig,
};
use burnwatch_core::AlertState;
use burnwatch_store::{AlertView, OutboxItem, PendingAlert};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveTime, TimeZone, Timelike, Utc};

/// Asia/Shanghai: UTC+8 all year.
fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

fn route_matches(route: &RouteConfig, alert: &AlertView) -> bool {
    let r = route.region.as_str();
    r == "*"
        || alert.region_id.as_deref() == Some(r)
        || alert.county_id.as_deref() == Some(r)
        || alert.neighbours.iter().any(|n| n == r)
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
    config: &NotifyConfig,
    now: DateTime<Utc>,
) -> Vec<OutboxItem> {
    let deadlines = deadlines_at(config, alert.created_at);
    let (subject, body) = message(
        alert,
        &format!(
            "请于 {} 分钟内签收，当天核查反馈。",
            deadlines.received_minutes
        ),
    );
    let mut items: Vec<OutboxItem> = Vec::new();
    for route in config
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

/// The deadlines in force for an alert raised at `created`: a season profile's, or the default.
pub fn deadlines_at(config: &NotifyConfig, created: DateTime<Utc>) -> Deadlines {
    let local = created.with_timezone(&cst());
    let md = (local.month(), local.day());
    config
        .seasons
        .iter()
        .find(
            |s| match (parse_month_day(&s.from), parse_month_day(&s.to)) {
                (Some(a), Some(b)) if a <= b => md >= a && md <= b,
                (Some(a), Some(b)) => md >= a || md <= b,
                _ => false,
            },
        )
        .map(|s| s.deadlines)
        .unwrap_or(config.deadlines)
}

/// The step a pending alert has most recently missed, with its deadline.
pub fn missed_step(
    alert: &PendingAlert,
    config: &NotifyConfig,
    now: DateTime<Utc>,
) -> Option<(&'static str, DateTime<Utc>)> {
    let d = deadlines_at(config, alert.created_at);
    let minutes = |m: f64| alert.created_at + Duration::seconds((m * 60.0) as i64);
    let verified_by = match d.verified_minutes {
        Some(m) => minutes(m),
        None => {
            // The end of the local day the alert was raised.
            let local = alert.created_at.with_timezone(&cst()).date_naive();
            let next = local
                .succ_opt()
                .unwrap_or(local)
                .and_hms_opt(0, 0, 0)
                .expect("midnight");
            cst()
                .from_local_datetime(&next)
                .single()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(alert.created_at)
        }
    };
    let steps = [
        (
            "received",
            AlertState::Received,
            minutes(d.received_minutes),
        ),
        ("on_scene", AlertState::OnScene, minutes(d.on_scene_minutes)),
        ("verified", AlertState::Verified, verified_by),
    ];
    steps
        .into_iter()
        .filter(|(_, reached, due)| alert.state < *reached && now > *due)
        .max_by_key(|(_, _, due)| *due)
        .map(|(step, _, due)| (step, due))
}

/// The escalations for a missed step: the county's escalation routes, never held by quiet hours.
pub fn escalation_items(
    alert: &AlertView,
    step: &str,
    due: DateTime<Utc>,
    config: &NotifyConfig,
    now: DateTime<Utc>,
) -> Vec<OutboxItem> {
    let step_zh = match step {
        "received" => "签收",
        "on_scene" => "到场",
        _ => "核查反馈",
    };
    let (subject, body) = message(
        alert,
        &format!(
            "⚠ 已超时：应于 {} 前{step_zh}，当前状态 {}。请县级督办。",
            due.with_timezone(&cst()).format("%m-%d %H:%M"),
            alert.state.as_str()
        ),
    );
    let subject = format!("{subject}【超时督办】");
    let mut items: Vec<OutboxItem> = Vec::new();
    for route in config
        .routes
        .iter()
        .filter(|r| r.escalations && route_matches(r, alert))
    {
        for channel in &route.channels {
            let key = format!("alert:{}:overdue:{step}:{channel}", alert.alert_id);
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

    #[test]
    fn the_latest_missed_step_is_reported_and_seasons_change_deadlines() {
        let mut config = NotifyConfig::default();
        let alert = PendingAlert {
            alert_id: 1,
            state: AlertState::New,
            created_at: utc("2025-06-10T02:00:00Z"), // 10:00 CST
            region_id: None,
            county_id: None,
            overdue_step: None,
        };
        assert_eq!(
            missed_step(&alert, &config, utc("2025-06-10T02:20:00Z")),
            None
        );
        assert_eq!(
            missed_step(&alert, &config, utc("2025-06-10T02:31:00Z"))
                .unwrap()
                .0,
            "received"
        );
        assert_eq!(
            missed_step(&alert, &config, utc("2025-06-10T04:01:00Z"))
                .unwrap()
                .0,
            "on_scene"
        );
        // Same day = until 24:00 CST = 16:00 UTC.
        let (step, due) = missed_step(&alert, &config, utc("2025-06-10T16:01:00Z")).unwrap();
        assert_eq!((step, due), ("verified", utc("2025-06-10T16:00:00Z")));
        let received = PendingAlert {
            state: AlertState::OnScene,
            ..alert.clone()
        };
        assert_eq!(
            missed_step(&received, &config, utc("2025-06-10T05:00:00Z")),
            None
        );

        config
            .seasons
            .push(burnwatch_core::notify_config::SeasonProfile {
                name: "三夏".into(),
                from: "05-20".into(),
                to: "07-31".into(),
                deadlines: Deadlines {
                    received_minutes: 15.0,
                    on_scene_minutes: 30.0,
                    verified_minutes: Some(240.0),
                },
            });
        assert_eq!(
            missed_step(&alert, &config, utc("2025-06-10T02:16:00Z"))
                .unwrap()
                .0,
            "received"
        );
    }
}
