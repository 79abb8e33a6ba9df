//! zh-CN labels (the bureau's language, the default) and English ones (`--lang en`).

use burnwatch_core::alert::{AlertState, Outcome};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh_cn" | "cn" => Some(Lang::Zh),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }
}

/// One label in both languages.
#[derive(Debug, Clone, Copy)]
pub struct L(pub &'static str, pub &'static str);

impl L {
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.0,
            Lang::En => self.1,
        }
    }
}

pub fn outcome(o: Outcome, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => o.label_zh(),
        Lang::En => match o {
            Outcome::ConfirmedStrawBurn => "confirmed straw burn",
            Outcome::OtherOpenBurning => "other open burning",
            Outcome::RitualBurning => "ritual burning",
            Outcome::DomesticFire => "domestic fire",
            Outcome::IndustrialHeat => "industrial heat",
            Outcome::BurnScarOnly => "burn scar only",
            Outcome::NothingFound => "nothing found",
            Outcome::OutsideJurisdiction => "outside jurisdiction",
            Outcome::Duplicate => "duplicate",
        },
    }
}

pub fn state(s: AlertState, lang: Lang) -> &'static str {
    let l = match s {
        AlertState::New => L("新预警", "new"),
        AlertState::Dispatched => L("已派发", "dispatched"),
        AlertState::Received => L("已签收", "received"),
        AlertState::EnRoute => L("赶赴中", "en route"),
        AlertState::OnScene => L("已到场", "on scene"),
        AlertState::Verified => L("已核查", "verified"),
        AlertState::Closed => L("已办结", "closed"),
        AlertState::Cancelled => L("已撤销", "cancelled"),
    };
    l.get(lang)
}

/// The kind of a suppression reason is its first `:`-separated part (`registry:12:华能电厂`).
pub fn reason_kind(reason: &str) -> &str {
    reason.split(':').next().unwrap_or(reason)
}

pub fn reason(kind: &str, lang: Lang) -> String {
    let l = match kind {
        "registry" => L("工业热源名录", "industrial registry"),
        "learned" => L("识别的固定热源", "learned persistent source"),
        "feedback" => L("核查反馈热源", "verified heat source"),
        "silence" => L("静默规则", "silence"),
        "product_flag" => L("产品标记非植被火", "product flag (not vegetation)"),
        other => return other.to_owned(),
    };
    l.get(lang).to_owned()
}

pub const PREFECTURE: L = L("全市", "prefecture");
pub const CITY: L = L("市", "city");
pub const COUNTY: L = L("县(市、区)", "county");
pub const TOWNSHIP: L = L("乡镇(街道)", "township");
pub const NO_COUNTY: L = L("(未归县)", "(no county)");
pub const POINTS: L = L("卫星火点", "fire points");
pub const SATELLITE: L = L("卫星探测", "satellite detections");
pub const CAMERA: L = L("视频探测", "camera detections");
pub const SUPPRESSED: L = L("已剔除", "suppressed");
pub const NOT_STRAW: L = L("非耕地热点", "not straw (off cropland)");
pub const OUTSIDE: L = L("辖区外", "outside the prefecture");
pub const EVENTS: L = L("火情", "fire events");
pub const ALERTS: L = L("预警", "alerts");
pub const VERIFIED: L = L("已核查", "verified");
pub const FALSE_ALARM_SHARE: L = L("误报率", "false-alarm share");
pub const BURNED_MU: L = L("过火面积(亩)", "burned area (mu)");
pub const BURNED_REPORTS: L = L("报面积数", "area reports");
pub const CROPLAND_HA: L = L("耕地(公顷)", "cropland (ha)");
pub const PER_1000_HA: L = L("每千公顷火点", "points per 1,000 ha");
pub const RECEIVED: L = L("签收", "received");
pub const ON_SCENE: L = L("到场", "on scene");
pub const VERIFIED_STEP: L = L("核查", "verified");
pub const MEDIAN_MIN: L = L("中位(分)", "median (min)");
pub const P90_MIN: L = L("P90(分)", "p90 (min)");
pub const MISSED: L = L("超时", "missed");
pub const NEVER_VERIFIED: L = L("未核查", "never verified");
pub const OVERDUE: L = L("逾期未核查", "overdue, unverified");
pub const CANCELLED: L = L("已撤销", "cancelled");
pub const PREVIOUS: L = L("去年同期", "previous year");
pub const CHANGE: L = L("同比", "change");
pub const TOTAL: L = L("合计", "total");
pub const FIRST_FIRE: L = L("第一把火", "first fire");
pub const FIRST_CONFIRMED: L = L("首个确认焚烧", "first confirmed burn");
pub const PERIOD: L = L("统计时段", "period");
pub const AS_OF: L = L("截至", "as of");
pub const EXCLUSIONS: L = L("说明", "notes");
pub const NO_DATA: L = L("无", "none");
pub const STATS_TITLE: L = L("秸秆焚烧火点统计", "straw-burning fire statistics");
pub const ALERT_ID: L = L("预警编号", "alert id");
pub const FIRE_TIME: L = L("发现时间", "first seen");
pub const STATE: L = L("状态", "state");
pub const AGE_H: L = L("已过(小时)", "age (h)");
pub const LON: L = L("中心经度", "centre lon");
pub const LAT: L = L("中心纬度", "centre lat");
pub const PASS_TIME: L = L("过境时间", "pass time");
pub const SEQ: L = L("序号", "no.");

/// The exclusion every published count carries: clouds hide fires, and a hidden fire is "not
/// observed", never "no fire".
pub const CLOUD_NOTE: L = L("不含云覆盖下火点", "points under cloud not included");

/// The definitions stated in every statistics output.
pub fn definitions(lang: Lang) -> Vec<&'static str> {
    match lang {
        Lang::Zh => vec![
            "统计时段按北京时间日期计，首尾两日均含；火点按卫星过境时间、火情及预警按首次发现时间归入时段。",
            "卫星火点：落在乡镇辖区内、未被工业热源名录/静默规则等剔除、且未被耕地掩膜判为非耕地热点的卫星探测。",
            "已剔除、非耕地热点、辖区外探测单列，不计入火点。",
            "响应时间自预警生成起算；记录了签收、到场或核查中任一后续环节即视为已达该环节。已撤销预警不计超时、不计未核查。",
            "误报率 = 判定为误报的核查数 ÷ 已核查数（不含“重复火点”“不属本辖区”）。",
        ],
        Lang::En => vec![
            "Periods are local (Asia/Shanghai) dates, both ends included; a detection counts by its pass time, a fire event and its alert by the fire's first sighting.",
            "A fire point is a satellite detection inside a township that no filter (industrial registry, silence, …) held back and that the cropland mask did not class as off cropland.",
            "Suppressed, off-cropland and outside detections are shown apart and are not fire points.",
            "Response times run from the alert; recording received, on scene or verified — or any later field step — counts as reaching it. Cancelled alerts are neither judged against deadlines nor listed as unverified.",
            "False-alarm share = verifications with a false-alarm outcome ÷ verifications (duplicates and outside-jurisdiction excluded).",
        ],
    }
}
