//! Hikvision ISAPI PTZ status, `GET /ISAPI/PTZCtrl/channels/<n>/status`:
//!
//! ```xml
//! <PTZStatus xmlns="http://www.hikvision.com/ver20/XMLSchema">
//!   <AbsoluteHigh><elevation>12</elevation><azimuth>1835</azimuth><absoluteZoom>40</absoluteZoom></AbsoluteHigh>
//! </PTZStatus>
//! ```
//!
//! All three in tenths: azimuth 0–3600 (degrees clockwise), elevation in tenths of a degree
//! *below* the horizon (Hikvision domes count downwards: 900 looks straight down), zoom ratio ×10
//! (10 = 1×). Parsed with a real XML reader: namespaces, declarations, comments, whitespace and
//! element order are the camera's business; a malformed or incomplete answer is an error.

use quick_xml::events::Event;
use quick_xml::Reader;

/// The absolute position a Hikvision PTZ reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PtzStatus {
    /// Degrees clockwise from the camera's north, 0–360.
    pub azimuth_deg: f64,
    /// Degrees below the horizon (negative = above), as Hikvision counts.
    pub elevation_deg: f64,
    /// Zoom ratio, 1.0 = the wide end.
    pub zoom: f64,
}

impl PtzStatus {
    /// Tilt as burnwatch counts it (negative = looking down).
    pub fn tilt_deg(&self) -> f64 {
        -self.elevation_deg
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IsapiError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("the root element is <{0}>, not <PTZStatus>")]
    Root(String),
    #[error("<PTZStatus> has no <AbsoluteHigh><{0}>")]
    Missing(&'static str),
    #[error("<{field}> is {text:?}, not a number")]
    Number { field: &'static str, text: String },
    #[error("<{field}> {value} is out of range ({range})")]
    Range {
        field: &'static str,
        value: f64,
        range: &'static str,
    },
}

const FIELDS: [&str; 3] = ["azimuth", "elevation", "absoluteZoom"];

/// Reads a PTZ status answer.
pub fn parse_ptz_status(text: &str) -> Result<PtzStatus, IsapiError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    // Element names from the root down, without namespace prefixes.
    let mut path: Vec<String> = Vec::new();
    let mut values: [Option<String>; 3] = [None, None, None];
    let mut seen_root = false;
    loop {
        match reader
            .read_event()
            .map_err(|e| IsapiError::Xml(e.to_string()))?
        {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                if path.is_empty() {
                    if seen_root {
                        return Err(IsapiError::Xml("more than one root element".into()));
                    }
                    if name != "PTZStatus" {
                        return Err(IsapiError::Root(name));
                    }
                    seen_root = true;
                }
                path.push(name);
            }
            Event::Empty(e) if path.is_empty() => {
                return Err(IsapiError::Root(e.local_name().as_ref().to_owned()));
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                if let [_, parent, field] = path.as_slice() {
                    if parent == "AbsoluteHigh" {
                        if let Some(i) = FIELDS.iter().position(|f| f == field) {
                            values[i] = Some(t.xml10_content().trim().to_owned());
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(IsapiError::Xml("no root element".into()));
    }
    if let Some(open) = path.last() {
        return Err(IsapiError::Xml(format!("ends inside <{open}>")));
    }
    let number = |i: usize| -> Result<f64, IsapiError> {
        let text = values[i].as_deref().ok_or(IsapiError::Missing(FIELDS[i]))?;
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| IsapiError::Number {
                field: FIELDS[i],
                text: text.to_owned(),
            })
    };
    let (azimuth, elevation, zoom) = (number(0)?, number(1)?, number(2)?);
    let range = |field, value: f64, ok: bool, range| {
        if ok {
            Ok(value)
        } else {
            Err(IsapiError::Range {
                field,
                value,
                range,
            })
        }
    };
    Ok(PtzStatus {
        azimuth_deg: range(
            "azimuth",
            azimuth,
            (0.0..=3600.0).contains(&azimuth),
            "0–3600",
        )? / 10.0
            % 360.0,
        elevation_deg: range(
            "elevation",
            elevation,
            (-900.0..=900.0).contains(&elevation),
            "−900–900",
        )? / 10.0,
        zoom: range("absoluteZoom", zoom, zoom >= 1.0, "at least 1")? / 10.0,
    })
}

/// The answer a Hikvision camera gives for a pose (the camera simulator's).
pub fn ptz_status_xml(s: &PtzStatus) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <PTZStatus version=\"2.0\" xmlns=\"http://www.hikvision.com/ver20/XMLSchema\">\n\
         <AbsoluteHigh>\n<elevation>{}</elevation>\n<azimuth>{}</azimuth>\n\
         <absoluteZoom>{}</absoluteZoom>\n</AbsoluteHigh>\n</PTZStatus>\n",
        (s.elevation_deg * 10.0).round(),
        (s.azimuth_deg.rem_euclid(360.0) * 10.0).round(),
        (s.zoom * 10.0).round(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hikvision_status_answer_reads_in_degrees() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
            <PTZStatus version=\"2.0\" xmlns=\"http://www.hikvision.com/ver20/XMLSchema\">\n\
            <!-- as a DS-2DE camera answers -->\n\
            <AbsoluteHigh>\n  <elevation>12</elevation>\n  <azimuth>1835</azimuth>\n\
            <absoluteZoom>45</absoluteZoom>\n</AbsoluteHigh>\n</PTZStatus>";
        let s = parse_ptz_status(xml).unwrap();
        assert_eq!((s.azimuth_deg, s.elevation_deg, s.zoom), (183.5, 1.2, 4.5));
        assert_eq!(s.tilt_deg(), -1.2);
        // Prefixed names and another element order read the same.
        let prefixed = "<h:PTZStatus xmlns:h=\"urn:x\"><h:AbsoluteHigh><h:absoluteZoom>45</h:absoluteZoom>\
            <h:azimuth>1835</h:azimuth><h:elevation>12</h:elevation></h:AbsoluteHigh></h:PTZStatus>";
        assert_eq!(parse_ptz_status(prefixed).unwrap(), s);
        // What the simulator writes is read back.
        let back = parse_ptz_status(&ptz_status_xml(&s)).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn bad_answers_say_what_is_wrong() {
        let e = |t: &str| parse_ptz_status(t).unwrap_err();
        assert!(matches!(
            e("<PTZStatus><AbsoluteHigh><azimuth>10</azimuth></PTZStatus>"),
            IsapiError::Xml(_)
        ));
        assert!(matches!(
            e("<PTZStatus><AbsoluteHigh><azimuth>10</azimuth>"),
            IsapiError::Xml(_)
        ));
        assert_eq!(
            e("<ResponseStatus><statusCode>4</statusCode></ResponseStatus>"),
            IsapiError::Root("ResponseStatus".into())
        );
        assert_eq!(
            e("<PTZStatus><AbsoluteHigh><elevation>0</elevation><azimuth>10</azimuth></AbsoluteHigh></PTZStatus>"),
            IsapiError::Missing("absoluteZoom")
        );
        assert_eq!(
            e(
                "<PTZStatus><AbsoluteHigh><elevation>low</elevation><azimuth>10</azimuth>\
               <absoluteZoom>10</absoluteZoom></AbsoluteHigh></PTZStatus>"
            ),
            IsapiError::Number {
                field: "elevation",
                text: "low".into()
            }
        );
        assert!(matches!(
            e(
                "<PTZStatus><AbsoluteHigh><elevation>0</elevation><azimuth>4000</azimuth>\
               <absoluteZoom>10</absoluteZoom></AbsoluteHigh></PTZStatus>"
            ),
            IsapiError::Range {
                field: "azimuth",
                ..
            }
        ));
        assert!(matches!(e("{\"pan_deg\": 1}"), IsapiError::Xml(_)));
    }
}
