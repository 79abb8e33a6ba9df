//! Planck's law in the units level-1 granules use: spectral radiance per micrometre
//! (W m⁻² sr⁻¹ µm⁻¹), temperatures in kelvin, bands given by their central wavenumber (cm⁻¹).

/// First radiation constant for radiance, 2hc², W m⁻² sr⁻¹ µm⁴ (CODATA 2018).
pub const C1: f64 = 1.191_042_972e8;
/// Second radiation constant, hc/k, µm K (CODATA 2018).
pub const C2: f64 = 1.438_776_877e4;
/// Stefan–Boltzmann constant, W m⁻² K⁻⁴.
pub const SIGMA: f64 = 5.670_374_419e-8;

/// One spectral band, as the inverse Planck function sees it: the central wavenumber and the
/// sensor's band-correction coefficients, `T_eff = a + b·T` (NOAA/EUMETSAT convention), which
/// absorb the band's spectral width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPlanck {
    pub wavenumber_cm: f64,
    pub a: f64,
    pub b: f64,
}

impl BandPlanck {
    pub fn new(wavenumber_cm: f64, a: f64, b: f64) -> Self {
        Self {
            wavenumber_cm,
            a,
            b,
        }
    }

    /// Central wavelength, µm.
    pub fn wavelength_um(&self) -> f64 {
        1.0e4 / self.wavenumber_cm
    }

    /// Band radiance of a black body at `t_k`, W m⁻² sr⁻¹ µm⁻¹.
    pub fn radiance(&self, t_k: f64) -> f64 {
        planck_radiance(self.wavelength_um(), self.a + self.b * t_k)
    }

    /// Brightness temperature of a band radiance, K. Zero, negative and non-finite radiances
    /// have no temperature (NaN): they are invalid pixels, never cold ones.
    pub fn brightness_temperature(&self, radiance: f64) -> f64 {
        if !(radiance.is_finite() && radiance > 0.0) {
            return f64::NAN;
        }
        let t_eff = inverse_planck(self.wavelength_um(), radiance);
        (t_eff - self.a) / self.b
    }

    /// The constant `a` of the MIR radiance method (Wooster et al. 2003, RSE 86): the best fit of
    /// `L(T) ≈ a·T⁴` over fire temperatures `t_min..=t_max` (least squares, 1 K steps), in
    /// W m⁻² sr⁻¹ µm⁻¹ K⁻⁴. For MODIS band 21/22 this gives ≈ 3.0e-9, the paper's value.
    pub fn frp_coefficient(&self, t_min: f64, t_max: f64) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        let mut t = t_min;
        while t <= t_max {
            let t4 = t.powi(4);
            num += self.radiance(t) * t4;
            den += t4 * t4;
            t += 1.0;
        }
        num / den
    }
}

/// Black-body spectral radiance at wavelength `lambda_um` and temperature `t_k`.
pub fn planck_radiance(lambda_um: f64, t_k: f64) -> f64 {
    C1 / (lambda_um.powi(5) * ((C2 / (lambda_um * t_k)).exp_m1()))
}

/// Temperature of a black body giving `radiance` at `lambda_um`.
pub fn inverse_planck(lambda_um: f64, radiance: f64) -> f64 {
    C2 / (lambda_um * (C1 / (lambda_um.powi(5) * radiance)).ln_1p())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_planck_round_trips_and_matches_a_hand_value() {
        // 3.75 µm (2666.67 cm⁻¹) at 300 K: c2/(λT) = 12.789, L = c1 / (λ⁵ (e^12.789 − 1))
        // = 1.19104e8 / (741.58 × 3.5803e5) = 0.4486 W m⁻² sr⁻¹ µm⁻¹.
        let band = BandPlanck::new(1.0e4 / 3.75, 0.0, 1.0);
        let l = band.radiance(300.0);
        assert!((l - 0.4486).abs() < 0.001, "{l}");
        for t in [180.0, 208.0, 300.0, 367.0, 500.0, 1200.0] {
            assert!((band.brightness_temperature(band.radiance(t)) - t).abs() < 1e-6);
        }
        let corrected = BandPlanck::new(2673.0, 0.5, 0.998);
        assert!((corrected.brightness_temperature(corrected.radiance(320.0)) - 320.0).abs() < 1e-6);
    }

    #[test]
    fn invalid_radiances_are_not_cold_pixels() {
        let band = BandPlanck::new(2673.0, 0.0, 1.0);
        for l in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(band.brightness_temperature(l).is_nan());
        }
    }

    #[test]
    fn frp_coefficient_of_the_modis_band_is_woosters() {
        // MODIS band 21/22 at 3.959 µm; Wooster et al. 2003 give a = 3.0e-9 over 650–1350 K.
        let a = BandPlanck::new(1.0e4 / 3.959, 0.0, 1.0).frp_coefficient(650.0, 1350.0);
        assert!((a - 3.0e-9).abs() < 0.15e-9, "{a:e}");
    }
}
