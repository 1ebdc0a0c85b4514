//! GraphiQL, served whole from this binary: no CDN, pinned production builds of GraphiQL and
//! React vendored under `assets/graphiql/` (see its README for their provenance), each loaded
//! with a Subresource Integrity hash, and a page under a strict Content-Security-Policy.

use std::sync::LazyLock;

use axum::Router;
use axum::response::Response;

use super::assets::{self, Asset, CSS, IMMUTABLE, JAVASCRIPT, REVALIDATE};
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

/// In the order the page loads them: GraphiQL's bundle needs the `React` and `ReactDOM`
/// globals, and the start-up script needs all three.
static ASSETS: [Asset; 6] = [
    Asset::new(
        "/graphiql/graphiql-4.1.2/graphiql.min.css",
        CSS,
        IMMUTABLE,
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    Asset::new(
        "/graphiql/page.css",
        CSS,
        REVALIDATE,
        include_bytes!("graphiql/page.css"),
    ),
    Asset::new(
        "/graphiql/react-18.3.1/react.production.min.js",
        JAVASCRIPT,
        IMMUTABLE,
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    Asset::new(
        "/graphiql/react-dom-18.3.1/react-dom.production.min.js",
        JAVASCRIPT,
        IMMUTABLE,
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    Asset::new(
        "/graphiql/graphiql-4.1.2/graphiql.min.js",
        JAVASCRIPT,
        IMMUTABLE,
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    Asset::new(
        "/graphiql/init.js",
        JAVASCRIPT,
        REVALIDATE,
        include_bytes!("graphiql/init.js"),
    ),
];

/// The page, built once, with every hash taken from the very bytes the asset routes serve,
/// so the two cannot disagree.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let mut styles = Vec::new();
    let mut scripts = Vec::new();
    for asset in &ASSETS {
        let hash = asset.integrity();
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
    assets::page(PAGE.as_str(), CONTENT_SECURITY_POLICY)
}

/// A route for each file the page loads, under `/graphiql/`.
pub fn routes() -> Router<AppState> {
    assets::routes(&ASSETS)
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
            assert_eq!(asset.integrity(), hash, "{path}");
            assert_eq!(asset.cache_control, IMMUTABLE, "{path}");
        }
        let vendored = ASSETS.iter().filter(|a| a.cache_control == IMMUTABLE);
        assert_eq!(vendored.count(), pinned.len());
    }

    #[test]
    fn the_page_loads_every_asset_once() {
        for asset in &ASSETS {
            assert_eq!(PAGE.matches(asset.path).count(), 1, "{}", asset.path);
        }
        assert!(!PAGE.contains("{{"));
    }
}
