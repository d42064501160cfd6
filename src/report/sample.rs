//! Random samples nobody can choose (CTL-1: 003 art. 6.5, 8.1a) and what they say about
//! the population.
//!
//! The seed is a fresh random value that the audit trail records *before* the draw; the
//! sample of each rule is drawn from that value and the rule id with ChaCha8, over the
//! population's units sorted by pseudonym. Anyone with the trail can redraw the same
//! sample (`logwacht audit --redraw SEED`) within the same key period, and nobody can
//! draw again until a convenient sample comes up without the trail showing every draw.
use rand::SeedableRng;
use rand::seq::index;
use sha2::{Digest, Sha256};

/// A fresh seed: 32 random bytes from the operating system's generator, hex.
pub fn fresh_seed() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The generator of one rule's draw.
pub fn rng_for(seed: &str, rule: &str) -> rand_chacha::ChaCha8Rng {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update(b":");
    h.update(rule.as_bytes());
    rand_chacha::ChaCha8Rng::from_seed(h.finalize().into())
}

/// How many units a rate takes from a population: at least one of a non-empty one.
pub fn sample_size(population: usize, rate: f64) -> usize {
    if population == 0 {
        return 0;
    }
    ((population as f64 * rate).ceil() as usize).clamp(1, population)
}

/// Draws `sample_size(units.len(), rate)` of `units` (sorted first, so the order the
/// query returned them in does not matter); returns the chosen units, sorted.
pub fn draw(seed: &str, rule: &str, units: &[String], rate: f64) -> Vec<String> {
    let mut sorted: Vec<&String> = units.iter().collect();
    sorted.sort();
    sorted.dedup();
    let n = sample_size(sorted.len(), rate);
    let mut rng = rng_for(seed, rule);
    let mut chosen: Vec<String> =
        index::sample(&mut rng, sorted.len(), n).into_iter().map(|i| sorted[i].clone()).collect();
    chosen.sort();
    chosen
}

/// The 95 % Wilson score interval of `hits` out of `n`: (low, high) as fractions.
pub fn wilson(hits: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let z = 1.959_963_984_540_054_f64;
    let (x, n) = (hits as f64, n as f64);
    let p = x / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_sample_whatever_the_order() {
        let units: Vec<String> = (0..200).map(|i| format!("p1-{i:016x}")).collect();
        let mut shuffled = units.clone();
        shuffled.reverse();
        let a = draw("abc", "mail_x", &units, 0.05);
        assert_eq!(a.len(), 10);
        assert_eq!(a, draw("abc", "mail_x", &shuffled, 0.05));
        assert_ne!(a, draw("abd", "mail_x", &units, 0.05), "another seed, another sample");
        assert_ne!(a, draw("abc", "mail_y", &units, 0.05), "another rule, another sample");
        assert_eq!(draw("abc", "r", &units[..3], 0.05).len(), 1);
        assert!(draw("abc", "r", &[], 0.05).is_empty());
        assert_eq!(fresh_seed().len(), 64);
        assert_ne!(fresh_seed(), fresh_seed());
    }

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), table I: 81 of 263 -> 0.2553 to 0.3662.
        let (lo, hi) = wilson(81, 263).unwrap();
        assert!((lo - 0.2553).abs() < 5e-4 && (hi - 0.3662).abs() < 5e-4, "{lo} {hi}");
        // 0 of 10 -> 0 to 0.2775.
        let (lo, hi) = wilson(0, 10).unwrap();
        assert!(lo == 0.0 && (hi - 0.2775).abs() < 5e-4, "{lo} {hi}");
        assert_eq!(wilson(0, 0), None);
    }
}
