//! The filter stage: decides, per detection, whether it is held back and says why. Held-back
//! detections are stored with the reason, never dropped, and never form events.

use burnwatch_core::Detection;

pub trait Filter: Send + Sync {
    /// `Some(reason)` holds the detection back; the reason is stored with it, so it must say
    /// which rule (and which registry entry or silence) decided.
    fn check(&self, detection: &Detection) -> Option<String>;
}

/// FIRMS archive files flag non-vegetation fires: 1 volcano, 2 other static land source
/// (industry), 3 offshore (gas flares, platforms).
pub struct ProductFlagFilter;

impl Filter for ProductFlagFilter {
    fn check(&self, detection: &Detection) -> Option<String> {
        match detection.firms_type? {
            1 => Some("product_flag:volcano".into()),
            2 => Some("product_flag:static_land_source".into()),
            3 => Some("product_flag:offshore".into()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burnwatch_core::{ConfidenceClass, Instrument, SourceKind};
    use chrono::Utc;

    #[test]
    fn only_non_vegetation_types_are_held_back() {
        let mut d = Detection {
            source: SourceKind::FirmsViirs,
            instrument: Instrument::Viirs,
            satellite: "Suomi NPP".into(),
            acq_time: Utc::now(),
            lon: 116.0,
            lat: 35.0,
            frp_mw: None,
            confidence: ConfidenceClass::High,
            confidence_raw: None,
            day_night: None,
            scan_km: None,
            track_km: None,
            firms_type: None,
            bright_t4_k: None,
            bright_t11_k: None,
        };
        assert_eq!(ProductFlagFilter.check(&d), None);
        d.firms_type = Some(0);
        assert_eq!(ProductFlagFilter.check(&d), None);
        d.firms_type = Some(2);
        assert_eq!(
            ProductFlagFilter.check(&d).as_deref(),
            Some("product_flag:static_land_source")
        );
    }
}
