//! Per-client rate limits: each client (an API key when it sends one, else its address) may
//! make so many requests a minute, refilled steadily (GCRA, from `governor`). Every limited
//! answer says where the client stands in `RateLimit-Policy`, `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset` (the IETF draft's fields); one over the limit
//! gets 429 with `Retry-After`.
//!
//! The limits are per replica: clients of N replicas behind a balancer get up to N times the
//! rate. A `304 Not Modified` is not counted: handlers check the limit only once they know
//! the answer is not a revalidation.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::{StateInformationMiddleware, StateSnapshot};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use sha2::{Digest, Sha256};

use super::refusals::error_response;
use crate::config::RateLimitSettings;

/// The header carrying a client's API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Who is limited: an API key's holder, or an address (an IPv6 client by its /64, which one
/// subscriber usually holds whole, so rotating addresses within it does not escape).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Client {
    Key(Arc<str>),
    /// A key of the store's (`Authorization: Bearer`), by its id.
    Bearer(i32),
    Address(IpAddr),
}

type Limiter =
    RateLimiter<Client, DefaultKeyedStateStore<Client>, DefaultClock, StateInformationMiddleware>;

/// The limits, and every client's standing.
pub struct RateLimits {
    by_address: Option<Limiter>,
    by_key: Option<Limiter>,
    /// Known keys by the SHA-256 of their secret, with their names.
    keys: Vec<([u8; 32], Arc<str>)>,
    trust_forwarded: bool,
}

/// Where a client stands after a counted request: the headers to add to its answer.
#[derive(Debug, Default)]
pub struct Standing {
    headers: Vec<(&'static str, String)>,
}

impl Standing {
    /// Adds the rate limit headers to `response`.
    pub fn apply(&self, response: &mut Response) {
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.headers_mut().insert(*name, value);
            }
        }
    }
}

fn limiter(per_minute: u32) -> Option<Limiter> {
    let per_minute = NonZeroU32::new(per_minute)?;
    Some(RateLimiter::keyed(Quota::per_minute(per_minute)).with_middleware())
}

/// The headers describing `quota` with `remaining` requests left.
fn standing(quota: Quota, remaining: u32) -> Vec<(&'static str, String)> {
    let limit = quota.burst_size().get();
    let interval = quota.replenish_interval();
    // Until the whole quota is back: one interval for each request spent.
    let reset = (interval * (limit - remaining.min(limit)))
        .as_secs_f64()
        .ceil() as u64;
    let window = quota.burst_size_replenished_in().as_secs().max(1);
    vec![
        ("ratelimit-policy", format!("{limit};w={window}")),
        ("ratelimit-limit", limit.to_string()),
        ("ratelimit-remaining", remaining.to_string()),
        ("ratelimit-reset", reset.to_string()),
    ]
}

impl RateLimits {
    /// The limits of `settings`.
    pub fn new(settings: &RateLimitSettings) -> RateLimits {
        RateLimits {
            by_address: limiter(settings.per_minute),
            by_key: limiter(settings.key_per_minute),
            keys: settings
                .api_keys
                .iter()
                .map(|(name, secret)| (Sha256::digest(secret.as_bytes()).into(), name.clone()))
                .collect(),
            trust_forwarded: settings.trust_forwarded_for,
        }
    }

    /// Counts one request of the client sending `headers` from `peer`, with the checked
    /// key of id `bearer` if it sent one: its standing, or the answer refusing it (429 over
    /// the limit, 401 for an `x-api-key` this server does not know). A key, either kind, has
    /// the key's limit; any other client its address's.
    pub fn check(
        &self,
        headers: &HeaderMap,
        peer: Option<SocketAddr>,
        bearer: Option<i32>,
    ) -> Result<Standing, Box<Response>> {
        let (client, limiter) = match headers.get(API_KEY_HEADER) {
            Some(secret) => {
                let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
                let Some((_, name)) = self.keys.iter().find(|(known, _)| *known == digest) else {
                    return Err(Box::new(error_response(
                        StatusCode::UNAUTHORIZED,
                        "UNKNOWN_API_KEY",
                        "this server does not know the API key in `x-api-key`; leave it out \
                         to be limited by address",
                    )));
                };
                (Client::Key(name.clone()), &self.by_key)
            }
            None => match bearer {
                Some(id) => (Client::Bearer(id), &self.by_key),
                None => (
                    Client::Address(self.address(headers, peer)),
                    &self.by_address,
                ),
            },
        };
        let Some(limiter) = limiter else {
            return Ok(Standing::default());
        };
        match limiter.check_key(&client) {
            Ok(snapshot) => Ok(Standing {
                headers: snapshot_headers(&snapshot),
            }),
            Err(not_until) => {
                let wait = not_until.wait_time_from(limiter.clock().now());
                let retry_after = wait.as_secs_f64().ceil().max(1.0) as u64;
                let mut response = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RATE_LIMITED",
                    &format!(
                        "this client has made more requests than the limit allows; try again \
                         in {retry_after} s (the limits are in the response headers)"
                    ),
                );
                let mut headers = standing(not_until.quota(), 0);
                headers.push(("retry-after", retry_after.to_string()));
                Standing { headers }.apply(&mut response);
                Err(Box::new(response))
            }
        }
    }

    /// The client's address: the peer's, or with `TRUST_FORWARDED_FOR` the last address the
    /// proxy in front appended to `X-Forwarded-For` (earlier ones are the client's word).
    fn address(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> IpAddr {
        let forwarded = self
            .trust_forwarded
            .then(|| {
                headers
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                    .next_back()
            })
            .flatten();
        let address = forwarded
            .or(peer.map(|p| p.ip()))
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        match address {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let mut octets = v6.octets();
                    octets[8..].fill(0);
                    IpAddr::from(octets)
                }
            },
            v4 => v4,
        }
    }

    /// Forgets clients whose standing is back to a full quota, so the memory held follows
    /// the clients of the last minute, not every client ever seen.
    pub fn forget_idle(&self) {
        for limiter in [&self.by_address, &self.by_key].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn snapshot_headers(snapshot: &StateSnapshot) -> Vec<(&'static str, String)> {
    standing(snapshot.quota(), snapshot.remaining_burst_capacity())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_minute: u32) -> RateLimits {
        RateLimits::new(&RateLimitSettings {
            per_minute,
            key_per_minute: per_minute * 10,
            api_keys: vec![("partner".into(), "s3cret-key-of-a-partner".to_owned())],
            trust_forwarded_for: false,
        })
    }

    fn peer(address: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(address.parse().expect("address"), 40000))
    }

    #[test]
    fn an_address_is_refused_past_its_quota_and_others_are_not() {
        let limits = limits(3);
        let headers = HeaderMap::new();
        let one = peer("192.0.2.1");
        for _ in 0..3 {
            limits.check(&headers, one, None).expect("within the quota");
        }
        let refused = limits.check(&headers, one, None).expect_err("over it");
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.headers().contains_key("retry-after"));
        assert_eq!(refused.headers()["ratelimit-remaining"], "0");
        limits
            .check(&headers, peer("192.0.2.2"), None)
            .expect("another address has its own quota");
    }

    #[test]
    fn addresses_of_one_ipv6_subscriber_share_a_quota() {
        let limits = limits(2);
        let headers = HeaderMap::new();
        limits
            .check(&headers, peer("2001:db8::1"), None)
            .expect("first");
        limits
            .check(&headers, peer("2001:db8::2:3"), None)
            .expect("second");
        limits
            .check(&headers, peer("2001:db8::ffff"), None)
            .expect_err("the same /64");
        limits
            .check(&headers, peer("2001:db8:0:1::1"), None)
            .expect("another /64");
    }

    #[test]
    fn a_known_key_has_its_own_quota_and_an_unknown_one_is_refused() {
        let limits = limits(1);
        let one = peer("192.0.2.1");
        limits.check(&HeaderMap::new(), one, None).expect("first");
        let mut keyed = HeaderMap::new();
        keyed.insert(
            API_KEY_HEADER,
            HeaderValue::from_static("s3cret-key-of-a-partner"),
        );
        let standing = limits.check(&keyed, one, None).expect("the key's quota");
        let headers: Vec<_> = standing
            .headers
            .iter()
            .map(|(n, v)| (*n, v.as_str()))
            .collect();
        assert!(headers.contains(&("ratelimit-limit", "10")), "{headers:?}");
        keyed.insert(API_KEY_HEADER, HeaderValue::from_static("guessed"));
        let refused = limits.check(&keyed, one, None).expect_err("unknown key");
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn each_bearer_key_has_the_key_quota_of_its_own() {
        let limits = limits(1);
        let (one, none) = (peer("192.0.2.1"), HeaderMap::new());
        limits
            .check(&none, one, None)
            .expect("the address's one request");
        for _ in 0..10 {
            limits.check(&none, one, Some(7)).expect("key 7's quota");
        }
        limits
            .check(&none, one, Some(7))
            .expect_err("past key 7's quota");
        limits
            .check(&none, one, Some(8))
            .expect("key 8 has its own");
        limits
            .check(&none, one, None)
            .expect_err("the address is still spent");
    }
}
