//! Files built into the binary and served to browsers: the pages' scripts, stylesheets and
//! data files, each under one path with its content type and caching, and the Subresource
//! Integrity hash a page loads it with.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha384};

use super::answer::accepts_gzip;
use super::response_cache;
use super::state::AppState;

/// Vendored files never change under a path that names their version, so browsers may keep
/// them for good; an upgrade changes the path.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// This project's own files change with the binary under the same path: revalidate.
pub const REVALIDATE: &str = "no-cache";

pub const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";
pub const JSON: &str = "application/json";

/// One file a page loads.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    pub bytes: &'static [u8],
    /// Its bytes gzipped, made once on first request: compressing the map's outlines for
    /// every browser would cost more than sending them.
    pub gzipped: OnceLock<Option<Bytes>>,
}

impl Asset {
    pub fn is_script(&self) -> bool {
        self.content_type == JAVASCRIPT
    }

    pub fn is_stylesheet(&self) -> bool {
        self.content_type == CSS
    }

    /// The `integrity` value of its bytes.
    pub fn integrity(&self) -> String {
        format!("sha384-{}", STANDARD.encode(Sha384::digest(self.bytes)))
    }

    /// An asset of this path, type and caching with these bytes.
    pub const fn new(
        path: &'static str,
        content_type: &'static str,
        cache_control: &'static str,
        bytes: &'static [u8],
    ) -> Asset {
        Asset {
            path,
            content_type,
            cache_control,
            bytes,
            gzipped: OnceLock::new(),
        }
    }

    /// Its entity tag: its hash, so a revalidating browser gets a 304 until it changes.
    fn etag(&self, gzip: bool) -> String {
        let hash = self.integrity();
        let hash = hash.trim_start_matches("sha384-");
        if gzip {
            format!("\"{hash}.gz\"")
        } else {
            format!("\"{hash}\"")
        }
    }

    fn serve(&self, request: &HeaderMap) -> Response {
        let gzipped = accepts_gzip(request)
            .then(|| {
                self.gzipped
                    .get_or_init(|| response_cache::gzip(self.bytes))
                    .clone()
            })
            .flatten();
        let etag = self.etag(gzipped.is_some());
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(self.cache_control),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Ok(value) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, value);
        }
        let fresh = request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| tag.trim() == etag || tag.trim() == "*");
        if fresh {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        match gzipped {
            Some(body) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                (headers, body).into_response()
            }
            None => (headers, self.bytes).into_response(),
        }
    }
}

/// A route for each file.
pub fn routes(assets: &'static [Asset]) -> Router<AppState> {
    assets.iter().fold(Router::new(), |router, asset| {
        router.route(
            asset.path,
            get(move |request: HeaderMap| async move { asset.serve(&request) }),
        )
    })
}

/// An HTML page under its Content-Security-Policy, with the headers every page carries.
pub fn page(html: &'static str, policy: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(policy),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE)),
            // The same URL may answer JSON to API clients.
            (header::VARY, HeaderValue::from_static("Accept")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        html,
    )
        .into_response()
}
