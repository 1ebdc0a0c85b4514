//! GraphiQL, served whole from this binary: no CDN, pinned production builds of GraphiQL and
//! React vendored under `assets/graphiql/` (see its README for their provenance), each loaded
//! with a Subresource Integrity hash, and a page under a strict Content-Security-Policy.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha384};

use super::state::AppState;

/// The page's policy: everything comes from this origin, and nothing inline runs or styles.
/// `img-src` and `font-src` allow `data:` because GraphiQL's stylesheet carries its fonts
/// and icons as data URLs (and the page's empty icon is one). `style-src` stays without
/// `'unsafe-inline'`: GraphiQL styles elements through the DOM, which the policy allows; the
/// one `<style>` element it adds, a scroll lock while a dialog is open, is refused (the
/// browser logs it), which changes nothing since `page.css` never lets the page scroll.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
     script-src 'self'; \
     style-src 'self'; \
     img-src 'self' data:; \
     font-src 'self' data:; \
     connect-src 'self'; \
     base-uri 'none'; \
     form-action 'none'; \
     frame-ancestors 'none'";

/// Vendored files never change under a path that names their version, so browsers may keep
/// them for good; an upgrade changes the path.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// This project's own files change with the binary under the same path: revalidate.
const REVALIDATE: &str = "no-cache";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// One file the page loads.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    cache_control: &'static str,
    bytes: &'static [u8],
}

impl Asset {
    fn is_script(&self) -> bool {
        self.content_type == JAVASCRIPT
    }
}

/// In the order the page loads them: GraphiQL's bundle needs the `React` and `ReactDOM`
/// globals, and the start-up script needs all three.
static ASSETS: &[Asset] = &[
    Asset {
        path: "/graphiql/graphiql-4.1.2/graphiql.min.css",
        content_type: CSS,
        cache_control: IMMUTABLE,
        bytes: include_bytes!("../../assets/graphiql/graphiql.min.css"),
    },
    Asset {
        path: "/graphiql/page.css",
        content_type: CSS,
        cache_control: REVALIDATE,
        bytes: include_bytes!("graphiql/page.css"),
    },
    Asset {
        path: "/graphiql/react-18.3.1/react.production.min.js",
        content_type: JAVASCRIPT,
        cache_control: IMMUTABLE,
        bytes: include_bytes!("../../assets/graphiql/react.production.min.js"),
    },
    Asset {
        path: "/graphiql/react-dom-18.3.1/react-dom.production.min.js",
        content_type: JAVASCRIPT,
        cache_control: IMMUTABLE,
        bytes: include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    },
    Asset {
        path: "/graphiql/graphiql-4.1.2/graphiql.min.js",
        content_type: JAVASCRIPT,
        cache_control: IMMUTABLE,
        bytes: include_bytes!("../../assets/graphiql/graphiql.min.js"),
    },
    Asset {
        path: "/graphiql/init.js",
        content_type: JAVASCRIPT,
        cache_control: REVALIDATE,
        bytes: include_bytes!("graphiql/init.js"),
    },
];

/// The `integrity` value of some bytes.
fn integrity(bytes: &[u8]) -> String {
    format!("sha384-{}", STANDARD.encode(Sha384::digest(bytes)))
}

/// The page, built once, with every hash taken from the very bytes the asset routes serve,
/// so the two cannot disagree.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let mut styles = Vec::new();
    let mut scripts = Vec::new();
    for asset in ASSETS {
        let hash = integrity(asset.bytes);
        if asset.is_script() {
            scripts.push(format!(
                r#"<script src="{}" integrity="{hash}" crossorigin="anonymous"></script>"#,
                asset.path
            ));
        } else {
            styles.push(format!(
                r#"<link rel="stylesheet" href="{}" integrity="{hash}" crossorigin="anonymous">"#,
                asset.path
            ));
        }
    }
    include_str!("graphiql/page.html")
        .replace("{{styles}}", &styles.join("\n    "))
        .replace("{{scripts}}", &scripts.join("\n    "))
});

/// The GraphiQL page, under its Content-Security-Policy.
pub fn page() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE)),
            // The same URL answers JSON to API clients.
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
        PAGE.as_str(),
    )
        .into_response()
}

fn serve(asset: &'static Asset) -> Response {
    let headers: [(HeaderName, HeaderValue); 3] = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(asset.cache_control),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    (headers, asset.bytes).into_response()
}

/// A route for each file the page loads, under `/graphiql/`.
pub fn routes() -> Router<AppState> {
    ASSETS.iter().fold(Router::new(), |router, asset| {
        router.route(asset.path, get(move || async move { serve(asset) }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vendored files are the ones `assets/graphiql/README.md` names: replacing one
    /// means updating the README (and the version in its path) too.
    #[test]
    fn the_vendored_files_are_the_pinned_ones() {
        let pinned = [
            (
                "/graphiql/graphiql-4.1.2/graphiql.min.css",
                "sha384-1el1QShFBnnXTx9x/Cprg82hZWKt0ry29OAYIXt05swbi0KcZDFoj0CWguMpopJr",
            ),
            (
                "/graphiql/react-18.3.1/react.production.min.js",
                "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
            ),
            (
                "/graphiql/react-dom-18.3.1/react-dom.production.min.js",
                "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
            ),
            (
                "/graphiql/graphiql-4.1.2/graphiql.min.js",
                "sha384-9XdHu7ajgGJziD4J1zNBKQ842Q/+zZfDv+ib1eMhZWBH6hPAs806x+Jbcf0yNO6B",
            ),
        ];
        for (path, hash) in pinned {
            let asset = ASSETS.iter().find(|a| a.path == path);
            let asset = asset.unwrap_or_else(|| panic!("{path} is not served"));
            assert_eq!(integrity(asset.bytes), hash, "{path}");
            assert_eq!(asset.cache_control, IMMUTABLE, "{path}");
        }
        let vendored = ASSETS.iter().filter(|a| a.cache_control == IMMUTABLE);
        assert_eq!(vendored.count(), pinned.len());
    }

    #[test]
    fn the_page_loads_every_asset_once() {
        for asset in ASSETS {
            assert_eq!(PAGE.matches(asset.path).count(), 1, "{}", asset.path);
        }
        assert!(!PAGE.contains("{{"));
    }
}
