//! Who may do what: the roles of API keys, the callers a request can come from, and the keys
//! themselves (made, shown once, and checked against a salted hash).
//!
//! A key reads `mx_<id>_<secret>`: the id finds the stored key without a scan, and the
//! secret (32 random bytes, hex) is checked against `HMAC-SHA-256(salt, secret)`. The
//! secret is random, so a fast hash is as safe as a slow one would be: there is no
//! dictionary to try. The comparison takes the same time however many bytes match.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything: submit for any employer, publish releases, read the audit log.
    Admin,
    /// Submit its own employer's returns and see its own drafts.
    Employer,
    /// Read published figures, as the public does, under its own name.
    Partner,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Admin, Role::Employer, Role::Partner];

    /// The role's name, as stored and as the command line takes it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Employer => "employer",
            Role::Partner => "partner",
        }
    }
}

/// A role name that is not a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no role is named `{0}`: use admin, employer or partner")]
pub struct UnknownRole(pub String);

super::named_values!(Role, name, UnknownRole);

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// No key.
    Public,
    /// A valid key.
    Key(KeyHolder),
}

/// The holder of a valid key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    /// The key's id.
    pub id: i32,
    /// Who holds it.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The employer of an employer key.
    pub employer: Option<String>,
}

impl Caller {
    /// The key's id, if there is a key.
    pub fn key_id(&self) -> Option<i32> {
        match self {
            Caller::Public => None,
            Caller::Key(k) => Some(k.id),
        }
    }

    /// The caller in words, as the audit log names it.
    pub fn describe(&self) -> String {
        match self {
            Caller::Public => "public (no key)".to_owned(),
            Caller::Key(k) => k.describe(),
        }
    }
}

impl KeyHolder {
    /// The holder in words: `key 3 (ACME returns, employer ACME)`.
    pub fn describe(&self) -> String {
        match &self.employer {
            Some(code) => format!("key {} ({}, {} {code})", self.id, self.name, self.role),
            None => format!("key {} ({}, {})", self.id, self.name, self.role),
        }
    }
}

/// A key's prefix.
const PREFIX: &str = "mx_";

/// Random bytes in a secret and in a salt.
const SECRET_BYTES: usize = 32;

/// A new key's secret and what is stored of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSecret {
    /// The secret, hex: shown once, never stored.
    pub secret: String,
    /// The salt, hex.
    pub salt: String,
    /// The salted hash, hex.
    pub hash: String,
}

impl NewSecret {
    /// A fresh random secret with a fresh salt.
    pub fn generate() -> NewSecret {
        let mut secret = [0u8; SECRET_BYTES];
        let mut salt = [0u8; SECRET_BYTES];
        // The thread's generator is a cryptographically secure one seeded by the system.
        let mut rng = rand::rng();
        rng.fill_bytes(&mut secret);
        rng.fill_bytes(&mut salt);
        let (secret, salt) = (hex::encode(secret), hex::encode(salt));
        let hash = hex::encode(mac(&salt, &secret).finalize().into_bytes());
        NewSecret { secret, salt, hash }
    }

    /// The whole key for the key of id `id`, as its holder sends it.
    pub fn key(&self, id: i32) -> String {
        format!("{PREFIX}{id}_{}", self.secret)
    }
}

/// The HMAC of `secret` keyed by `salt`.
fn mac(salt: &str, secret: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(salt.as_bytes()).expect("any key length");
    mac.update(secret.as_bytes());
    mac
}

/// A key as sent: its id and secret; `None` when it is not shaped like a key.
pub fn parse_key(key: &str) -> Option<(i32, &str)> {
    let rest = key.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id: i32 = id.parse().ok().filter(|id: &i32| *id > 0)?;
    let shaped = secret.len() == SECRET_BYTES * 2 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    shaped.then_some((id, secret))
}

/// Whether `secret` is the one whose salted hash is stored.
pub fn secret_matches(secret: &str, salt: &str, hash: &str) -> bool {
    match hex::decode(hash) {
        Ok(expected) => mac(salt, secret).verify_slice(&expected).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_found_by_its_id_and_checked_by_its_secret() {
        let made = NewSecret::generate();
        let key = made.key(42);
        let (id, secret) = parse_key(&key).expect("shaped like a key");
        assert_eq!(id, 42);
        assert!(secret_matches(secret, &made.salt, &made.hash));
        // The secret is not stored: neither the salt nor the hash holds it.
        assert!(!made.hash.contains(secret) && !made.salt.contains(secret));
    }

    #[test]
    fn another_secret_or_salt_does_not_match() {
        let made = NewSecret::generate();
        let other = NewSecret::generate();
        assert!(!secret_matches(&other.secret, &made.salt, &made.hash));
        assert!(!secret_matches(&made.secret, &other.salt, &made.hash));
        assert!(!secret_matches(&made.secret, &made.salt, "not hex"));
        assert_ne!(made.secret, other.secret);
        assert_ne!(made.salt, other.salt);
    }

    #[test]
    fn what_is_not_shaped_like_a_key_is_refused_before_any_lookup() {
        let made = NewSecret::generate();
        for bad in [
            String::new(),
            "mx_".to_owned(),
            format!("mx_0_{}", made.secret),
            format!("mx_-1_{}", made.secret),
            format!("mx_x_{}", made.secret),
            format!("mx_1_{}", &made.secret[1..]),
            format!("mx_1_{}g", &made.secret[1..]),
            format!("xx_1_{}", made.secret),
            made.secret.clone(),
        ] {
            assert_eq!(parse_key(&bad), None, "{bad}");
        }
    }

    #[test]
    fn roles_read_back_from_their_names() {
        for role in Role::ALL {
            assert_eq!(role.name().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
