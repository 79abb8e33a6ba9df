//! The normalised detection: one fire pixel (or camera fire) from any product.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which product family a detection came from. Stored as its `as_str` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    FirmsModis,
    FirmsViirs,
    HimawariWlf,
    CsppAfimg,
    Vnp14img,
    /// burnwatch's own detection on a raw granule (`burnwatch-detect`).
    Granule,
    /// A fire seen by tower cameras and located by bearing (`burnwatch-camera`).
    Camera,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::FirmsModis => "firms_modis",
            SourceKind::FirmsViirs => "firms_viirs",
            SourceKind::HimawariWlf => "himawari_wlf",
            SourceKind::CsppAfimg => "cspp_afimg",
            SourceKind::Vnp14img => "vnp14img",
            SourceKind::Granule => "granule",
            SourceKind::Camera => "camera",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            SourceKind::FirmsModis,
            SourceKind::FirmsViirs,
            SourceKind::HimawariWlf,
            SourceKind::CsppAfimg,
            SourceKind::Vnp14img,
            SourceKind::Granule,
            SourceKind::Camera,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Instrument {
    Modis,
    Viirs,
    Ahi,
    /// A tower camera (visible or thermal); `satellite` then names the camera(s).
    Camera,
}

impl Instrument {
    pub fn as_str(self) -> &'static str {
        match self {
            Instrument::Modis => "MODIS",
            Instrument::Viirs => "VIIRS",
            Instrument::Ahi => "AHI",
            Instrument::Camera => "CAMERA",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Instrument::Modis,
            Instrument::Viirs,
            Instrument::Ahi,
            Instrument::Camera,
        ]
        .into_iter()
        .find(|i| i.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ConfidenceClass {
    Low,
    Nominal,
    High,
}

impl ConfidenceClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfidenceClass::Low => "low",
            ConfidenceClass::Nominal => "nominal",
            ConfidenceClass::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "low" => Some(Self::Low),
            "nominal" => Some(Self::Nominal),
            "high" => Some(Self::High),
            _ => None,
        }
    }

    /// FIRMS MODIS classes from the 0–100 confidence: low < 30, nominal 30–79, high ≥ 80.
    pub fn from_percent(p: f64) -> Self {
        if p < 30.0 {
            Self::Low
        } else if p < 80.0 {
            Self::Nominal
        } else {
            Self::High
        }
    }

    /// VIIRS fire-mask / CSPP classes 7, 8, 9.
    pub fn from_mask_class(c: i64) -> Option<Self> {
        match c {
            7 => Some(Self::Low),
            8 => Some(Self::Nominal),
            9 => Some(Self::High),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DayNight {
    #[serde(rename = "D")]
    Day,
    #[serde(rename = "N")]
    Night,
}

impl DayNight {
    pub fn as_str(self) -> &'static str {
        match self {
            DayNight::Day => "D",
            DayNight::Night => "N",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "D" | "d" | "Day" | "day" => Some(Self::Day),
            "N" | "n" | "Night" | "night" => Some(Self::Night),
            _ => None,
        }
    }
}

/// One fire pixel, whatever product it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub source: SourceKind,
    pub instrument: Instrument,
    /// Normalised platform name: "Aqua", "Terra", "Suomi NPP", "NOAA-20", "NOAA-21", "Himawari-9", …
    pub satellite: String,
    pub acq_time: DateTime<Utc>,
    /// WGS84 degrees.
    pub lon: f64,
    pub lat: f64,
    pub frp_mw: Option<f64>,
    pub confidence: ConfidenceClass,
    /// The product's own confidence figure when it has one (MODIS 0–100, CSPP 7/8/9, …), kept for audit.
    pub confidence_raw: Option<String>,
    pub day_night: Option<DayNight>,
    /// Pixel footprint along scan and along track, km.
    pub scan_km: Option<f64>,
    pub track_km: Option<f64>,
    /// FIRMS archive `type`: 0 vegetation, 1 volcano, 2 static land source, 3 offshore.
    pub firms_type: Option<u8>,
    /// Middle-infrared brightness temperature (MODIS `brightness`, VIIRS `bright_ti4`), K.
    pub bright_t4_k: Option<f64>,
    /// Thermal brightness temperature (MODIS `bright_t31`, VIIRS `bright_ti5`), K.
    pub bright_t11_k: Option<f64>,
}

/// Fallback footprint when a product gives none: the nominal nadir pixel of the instrument, km.
pub fn nominal_pixel_km(instrument: Instrument) -> f64 {
    match instrument {
        Instrument::Modis => 1.0,
        Instrument::Viirs => 0.375,
        Instrument::Ahi => 2.0,
        // Camera detections always carry their own uncertainty; this is only a floor.
        Instrument::Camera => 0.1,
    }
}

/// Two detections of the same pass closer than this are the same pixel, km. Far below any pixel
/// spacing (375 m), far above the rounding between a 5-decimal CSV and a float32 NetCDF copy.
pub const SAME_PIXEL_KM: f64 = 0.05;

impl Detection {
    /// Detections with equal pass keys were acquired in one scan of one sensor.
    pub fn pass_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.instrument.as_str(),
            self.satellite,
            self.acq_time.format("%Y%m%dT%H%M")
        )
    }

    /// A stable name for the pixel, unique within a pass; two copies of one pixel from different
    /// files may still differ here by rounding, so identity is decided by [`SAME_PIXEL_KM`] within
    /// the pass, and this key serves as the store's last guard and as a handle.
    pub fn natural_key(&self) -> String {
        format!("{}|{:.4}|{:.4}", self.pass_key(), self.lat, self.lon)
    }

    /// True when `other` is the same pixel of the same pass.
    pub fn same_pixel(&self, other: &Detection) -> bool {
        self.instrument == other.instrument
            && self.satellite == other.satellite
            && self.acq_time.timestamp().div_euclid(60) == other.acq_time.timestamp().div_euclid(60)
            && crate::geodesy::haversine_km(self.lon, self.lat, other.lon, other.lat)
                <= SAME_PIXEL_KM
    }

    /// Radius of the area the patrol must search, km: half the pixel diagonal, since the fire can be
    /// anywhere inside the pixel and the reported point is its centre.
    pub fn search_radius_km(&self) -> f64 {
        let nominal = nominal_pixel_km(self.instrument);
        let scan = self.scan_km.unwrap_or(nominal);
        let track = self.track_km.unwrap_or(nominal);
        0.5 * (scan * scan + track * track).sqrt()
    }

    /// True when the coordinate is a real place on Earth.
    pub fn has_valid_position(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample() -> Detection {
        Detection {
            source: SourceKind::FirmsModis,
            instrument: Instrument::Modis,
            satellite: "Aqua".into(),
            acq_time: Utc.with_ymd_and_hms(2025, 11, 18, 5, 7, 0).unwrap(),
            lon: 116.95,
            lat: 35.69,
            frp_mw: Some(12.0),
            confidence: ConfidenceClass::Nominal,
            confidence_raw: Some("55".into()),
            day_night: Some(DayNight::Day),
            scan_km: Some(2.0),
            track_km: Some(1.5),
            firms_type: None,
            bright_t4_k: Some(320.0),
            bright_t11_k: Some(290.0),
        }
    }

    #[test]
    fn same_pixel_survives_rounding_across_files_but_not_a_neighbour_pixel() {
        let a = sample();
        let mut b = sample();
        // A float32 copy of a 5-decimal CSV value that straddles a 1e-4 rounding edge.
        b.lat = 35.69005_f32 as f64;
        b.source = SourceKind::Vnp14img;
        let mut a2 = a.clone();
        a2.lat = 35.69005;
        assert!(a2.same_pixel(&b));
        assert_eq!(a.pass_key(), b.pass_key());
        b.lat += 0.00337; // the next 375 m pixel
        assert!(!a2.same_pixel(&b));
        let mut later = a.clone();
        later.acq_time += chrono::Duration::minutes(5);
        assert!(!a.same_pixel(&later));
    }

    #[test]
    fn search_radius_is_half_the_pixel_diagonal() {
        assert!((sample().search_radius_km() - 1.25).abs() < 1e-12);
    }

    #[test]
    fn confidence_percent_classes_match_firms() {
        assert_eq!(ConfidenceClass::from_percent(29.9), ConfidenceClass::Low);
        assert_eq!(
            ConfidenceClass::from_percent(30.0),
            ConfidenceClass::Nominal
        );
        assert_eq!(
            ConfidenceClass::from_percent(79.0),
            ConfidenceClass::Nominal
        );
        assert_eq!(ConfidenceClass::from_percent(80.0), ConfidenceClass::High);
    }
}
