//! Workforce concepts: how staff records are grouped and filtered, and how a person reference
//! becomes a pseudonymous key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a distribution can be broken down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// The employer.
    Employer,
    /// The snapshot year.
    Year,
    /// The business unit (within its employer).
    BusinessUnit,
    /// The grade level (1 = most junior).
    GradeLevel,
    /// The region of the place of work (an English region, or Wales, Scotland, Northern
    /// Ireland).
    Region,
    /// The local authority of the place of work.
    LocalAuthority,
}

/// The values of the dimensions a group was formed by; the others are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    /// Employer id.
    pub employer: Option<i32>,
    /// Year.
    pub year: Option<i32>,
    /// Business unit id.
    pub business_unit: Option<i32>,
    /// Grade level.
    pub grade_level: Option<i32>,
    /// Region code.
    pub region: Option<String>,
    /// Local authority code.
    pub local_authority: Option<String>,
}

/// Which staff records a figure covers, with every name already resolved to ids and codes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Employer ids (never empty when records exist: the default is every real employer, or
    /// the demo ones when there are none).
    pub employers: Vec<i32>,
    /// Years.
    pub years: Vec<i32>,
    /// Only these business units (ids), when set.
    pub business_units: Option<Vec<i32>>,
    /// Only these grade levels, when set.
    pub grade_levels: Option<Vec<i32>>,
    /// Only staff working in these local authorities, when set.
    pub work_areas: Option<Vec<String>>,
    /// Only staff who joined in the snapshot's year.
    pub joiners_only: bool,
}

/// The secret that turns person references into pseudonymous keys (HMAC-SHA-256).
///
/// The same reference under the same key always gives the same key, so a person can be
/// followed from year to year; without the key the reference cannot be recovered or checked.
#[derive(Clone)]
pub struct PersonKey(Hmac<Sha256>);

impl std::fmt::Debug for PersonKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonKey(***)")
    }
}

/// Keys shorter than this are refused: they could be guessed.
pub const MIN_KEY_BYTES: usize = 16;

impl PersonKey {
    /// A key from its secret bytes; `None` when too short.
    pub fn new(secret: &[u8]) -> Option<PersonKey> {
        if secret.len() < MIN_KEY_BYTES {
            return None;
        }
        Hmac::<Sha256>::new_from_slice(secret).ok().map(PersonKey)
    }

    /// A key for synthetic data, whose person references are invented, so any key serves.
    pub fn for_synthetic_data() -> PersonKey {
        PersonKey(
            Hmac::<Sha256>::new_from_slice(b"synthetic data: no real person in it")
                .expect("HMAC takes keys of any length"),
        )
    }

    /// The pseudonymous key of a person reference: 128 bits of the HMAC, in hex.
    pub fn pseudonym(&self, person_ref: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(person_ref.as_bytes());
        let digest = mac.finalize().into_bytes();
        hex::encode(&digest[..16])
    }
}

/// The record key of a record whose file gives none: the first byte of its person's
/// pseudonym. The pseudonym is a keyed hash, so the key is uniform over 0-255, cannot be worked
/// out without the secret, and stays the same whenever the same person is imported again.
pub fn derived_record_key(pseudonym: &str) -> u8 {
    pseudonym
        .get(..2)
        .and_then(|byte| u8::from_str_radix(byte, 16).ok())
        .unwrap_or(0)
}

/// Which of the stored employer `codes` a code given by a user (a file, a filter, a
/// command) names: the one spelt exactly so, else the only one equal to it ignoring case.
/// Otherwise the codes it might mean: none (unknown), or several that differ only in case.
pub fn employer_named<'a>(codes: &[&'a str], code: &str) -> Result<usize, Vec<&'a str>> {
    if let Some(exact) = codes.iter().position(|c| *c == code) {
        return Ok(exact);
    }
    let upper = code.to_uppercase();
    let folded: Vec<usize> = (0..codes.len())
        .filter(|&i| codes[i].to_uppercase() == upper)
        .collect();
    match folded.as_slice() {
        [one] => Ok(*one),
        several => Err(several.iter().map(|&i| codes[i]).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_per_key_and_differ_between_keys() {
        let a = PersonKey::new(b"0123456789abcdef").expect("long enough");
        let b = PersonKey::new(b"fedcba9876543210").expect("long enough");
        assert_eq!(a.pseudonym("P001"), a.pseudonym("P001"));
        assert_ne!(a.pseudonym("P001"), a.pseudonym("P002"));
        assert_ne!(a.pseudonym("P001"), b.pseudonym("P001"));
        assert_eq!(a.pseudonym("P001").len(), 32);
        assert!(!a.pseudonym("P001").contains("P001"));
    }

    #[test]
    fn derived_record_keys_are_the_first_byte_of_the_pseudonym() {
        let key = PersonKey::new(b"0123456789abcdef").expect("long enough");
        let pseudonym = key.pseudonym("P001");
        let first = u8::from_str_radix(&pseudonym[..2], 16).expect("hex");
        assert_eq!(derived_record_key(&pseudonym), first);
        assert_eq!(derived_record_key("ff00"), 255);
        // Over many people every key turns up.
        let keys: std::collections::HashSet<u8> = (0..5000)
            .map(|i| derived_record_key(&key.pseudonym(&format!("P{i}"))))
            .collect();
        assert_eq!(keys.len(), 256);
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(PersonKey::new(b"short").is_none());
    }

    #[test]
    fn an_employer_is_named_exactly_or_by_the_only_code_equal_ignoring_case() {
        let codes = ["ACME", "Acme", "DEMO-JUS"];
        assert_eq!(employer_named(&codes, "Acme"), Ok(1));
        assert_eq!(employer_named(&codes, "demo-jus"), Ok(2));
        assert_eq!(employer_named(&codes, "acme"), Err(vec!["ACME", "Acme"]));
        assert_eq!(employer_named(&codes, "NOBODY"), Err(vec![]));
        assert_eq!(employer_named(&codes[2..], "DEMO-JUS"), Ok(0));
    }
}
