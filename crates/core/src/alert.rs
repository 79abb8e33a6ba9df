//! The life of an alert in a township's patrol queue, and the outcomes a verification can report.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// new → dispatched → received → en_route → on_scene → verified → closed, or cancelled with a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    New,
    Dispatched,
    Received,
    EnRoute,
    OnScene,
    Verified,
    Closed,
    Cancelled,
}

pub const ALL_STATES: [AlertState; 8] = [
    AlertState::New,
    AlertState::Dispatched,
    AlertState::Received,
    AlertState::EnRoute,
    AlertState::OnScene,
    AlertState::Verified,
    AlertState::Closed,
    AlertState::Cancelled,
];

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::New => "new",
            AlertState::Dispatched => "dispatched",
            AlertState::Received => "received",
            AlertState::EnRoute => "en_route",
            AlertState::OnScene => "on_scene",
            AlertState::Verified => "verified",
            AlertState::Closed => "closed",
            AlertState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ALL_STATES.into_iter().find(|st| st.as_str() == s)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, AlertState::Closed | AlertState::Cancelled)
    }

    /// Checks a requested move. Patrols may skip intermediate field steps (a team already in the
    /// field goes straight to "on scene"), but never go back, never verify what nobody received,
    /// and only close what was verified.
    pub fn check_transition(
        self,
        to: AlertState,
        outcome: Option<Outcome>,
        reason: Option<&str>,
    ) -> Result<(), TransitionError> {
        let refuse = |why: &'static str| TransitionError::Illegal {
            from: self,
            to,
            why,
        };
        if self.is_terminal() {
            return Err(refuse("the alert is already finished"));
        }
        match to {
            AlertState::New => Err(refuse("an alert cannot go back to new")),
            AlertState::Cancelled => match reason.map(str::trim) {
                Some(r) if !r.is_empty() => Ok(()),
                _ => Err(TransitionError::MissingReason),
            },
            AlertState::Closed if self != AlertState::Verified => {
                Err(refuse("only a verified alert can be closed"))
            }
            AlertState::Verified if self < AlertState::Received => {
                Err(refuse("an alert must be received before it is verified"))
            }
            AlertState::Verified if outcome.is_none() => Err(TransitionError::MissingOutcome),
            _ if to <= self => Err(refuse("alert states only move forward")),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TransitionError {
    #[error("cannot move an alert from {} to {}: {why}", from.as_str(), to.as_str())]
    Illegal {
        from: AlertState,
        to: AlertState,
        why: &'static str,
    },
    #[error("a verification needs an outcome")]
    MissingOutcome,
    #[error("a cancellation needs a reason")]
    MissingReason,
}

/// What the patrol found on the ground (field practice, see docs/domain.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    ConfirmedStrawBurn,
    OtherOpenBurning,
    RitualBurning,
    DomesticFire,
    IndustrialHeat,
    BurnScarOnly,
    NothingFound,
    OutsideJurisdiction,
    Duplicate,
}

pub const ALL_OUTCOMES: [Outcome; 9] = [
    Outcome::ConfirmedStrawBurn,
    Outcome::OtherOpenBurning,
    Outcome::RitualBurning,
    Outcome::DomesticFire,
    Outcome::IndustrialHeat,
    Outcome::BurnScarOnly,
    Outcome::NothingFound,
    Outcome::OutsideJurisdiction,
    Outcome::Duplicate,
];

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::ConfirmedStrawBurn => "confirmed_straw_burn",
            Outcome::OtherOpenBurning => "other_open_burning",
            Outcome::RitualBurning => "ritual_burning",
            Outcome::DomesticFire => "domestic_fire",
            Outcome::IndustrialHeat => "industrial_heat",
            Outcome::BurnScarOnly => "burn_scar_only",
            Outcome::NothingFound => "nothing_found",
            Outcome::OutsideJurisdiction => "outside_jurisdiction",
            Outcome::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ALL_OUTCOMES.into_iter().find(|o| o.as_str() == s)
    }

    /// The zh-CN label used on the patrol page and in bulletins.
    pub fn label_zh(self) -> &'static str {
        match self {
            Outcome::ConfirmedStrawBurn => "确认秸秆焚烧",
            Outcome::OtherOpenBurning => "其他露天焚烧",
            Outcome::RitualBurning => "祭祀焚烧",
            Outcome::DomesticFire => "生活用火",
            Outcome::IndustrialHeat => "工业热源",
            Outcome::BurnScarOnly => "仅见黑斑",
            Outcome::NothingFound => "未发现火情",
            Outcome::OutsideJurisdiction => "不属本辖区",
            Outcome::Duplicate => "重复火点",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlertState::*;

    #[test]
    fn the_normal_path_is_legal() {
        let path = [New, Dispatched, Received, EnRoute, OnScene];
        for w in path.windows(2) {
            w[0].check_transition(w[1], None, None).unwrap();
        }
        OnScene
            .check_transition(Verified, Some(Outcome::NothingFound), None)
            .unwrap();
        Verified.check_transition(Closed, None, None).unwrap();
    }

    #[test]
    fn illegal_moves_are_refused_with_a_reason() {
        assert!(Received.check_transition(Dispatched, None, None).is_err());
        assert!(New
            .check_transition(Verified, Some(Outcome::Duplicate), None)
            .is_err());
        assert_eq!(
            OnScene.check_transition(Verified, None, None),
            Err(TransitionError::MissingOutcome)
        );
        assert_eq!(
            New.check_transition(Cancelled, None, Some("  ")),
            Err(TransitionError::MissingReason)
        );
        assert!(Closed.check_transition(Cancelled, None, Some("x")).is_err());
        assert!(OnScene.check_transition(Closed, None, None).is_err());
        let msg = Received
            .check_transition(New, None, None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("received") && msg.contains("new"), "{msg}");
    }

    #[test]
    fn names_round_trip() {
        for s in ALL_STATES {
            assert_eq!(AlertState::parse(s.as_str()), Some(s));
        }
        for o in ALL_OUTCOMES {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
    }
}
