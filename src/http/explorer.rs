//! The reference explorer at `/`: the cold-spot map, area pages, the workforce dashboard and
//! programme charts, as plain HTML, CSS and JavaScript served whole from this binary. Its data
//! comes from the public persisted queries (`/q/{name}`) only, so everything it shows a person
//! any client can fetch the same way; its tables' CSV downloads are those queries' CSV answers.
//!
//! The map draws the Office for National Statistics' generalised boundaries (vendored under
//! `assets/explorer/boundaries/`, OGL v3) with d3-geo and topojson-client (vendored under
//! `assets/explorer/`, ISC), each loaded with its Subresource Integrity hash.

use std::sync::LazyLock;

use axum::Router;
use axum::response::Response;

use super::assets::{self, Asset, CSS, IMMUTABLE, JAVASCRIPT, JSON, REVALIDATE};
use super::state::AppState;

/// Everything from this origin and nothing inline: no inline script or style attribute runs.
/// `connect-src 'self'` is what keeps the page on the public API of the server that served it.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
     script-src 'self'; \
     style-src 'self'; \
     img-src 'self' data:; \
     connect-src 'self'; \
     base-uri 'none'; \
     form-action 'self'; \
     frame-ancestors 'none'";

/// Vendored libraries, as classic scripts in the order they need each other: d3-geo reads
/// the `d3` global d3-array makes.
static LIBRARIES: [Asset; 3] = [
    Asset::new(
        "/explorer/d3-array-3.2.5/d3-array.min.js",
        JAVASCRIPT,
        IMMUTABLE,
        include_bytes!("../../assets/explorer/d3-array.min.js"),
    ),
    Asset::new(
        "/explorer/d3-geo-3.1.2/d3-geo.min.js",
        JAVASCRIPT,
        IMMUTABLE,
        include_bytes!("../../assets/explorer/d3-geo.min.js"),
    ),
    Asset::new(
        "/explorer/topojson-client-3.1.0/topojson-client.min.js",
        JAVASCRIPT,
        IMMUTABLE,
        include_bytes!("../../assets/explorer/topojson-client.min.js"),
    ),
];

/// The explorer's own files: one stylesheet and its JavaScript modules, `app.js` first (the
/// one the page runs; it imports the others).
static OWN: [Asset; 9] = [
    Asset::new(
        "/explorer/explorer.css",
        CSS,
        REVALIDATE,
        include_bytes!("explorer/explorer.css"),
    ),
    Asset::new(
        "/explorer/app.js",
        JAVASCRIPT,
        REVALIDATE,
        include_bytes!("explorer/app.js"),
    ),
    Asset::new(
        "/explorer/api.js",
        JAVASCRIPT,
        REVALIDATE,
        include_bytes!("explorer/api.js"),
    ),
    Asset::new(
        "/explorer/ui.js",
        JAVASCRIPT,
        REVALIDATE,
        include_bytes!("explorer/ui.js"),
    ),
    Asset::new(
        "/explorer/charts.js",
        JAVASCRIPT,
        REVALIDATE,
        include_bytes!("explorer/charts.js"),
    ),
    Asset::new(
        "/explorer/map.js",
        JAVASCRIPT,
        REVALIDATE,
        include_bytes!("explorer/map.js"),
    ),
    Asset::new(
        "/explorer/area.js",
        JAVASCRIPT,
        REVALIDATE,
        include_bytes!("explorer/area.js"),
    ),
    Asset::new(
        "/explorer/workforce.js",
        JAVASCRIPT,
        REVALIDATE,
        include_bytes!("explorer/workforce.js"),
    ),
    Asset::new(
        "/explorer/programmes.js",
        JAVASCRIPT,
        REVALIDATE,
        include_bytes!("explorer/programmes.js"),
    ),
];

/// The map outlines, fetched by the map when it first needs a level. Named by their edition,
/// so they never change under one path.
static BOUNDARIES: [Asset; 3] = [
    Asset::new(
        "/explorer/boundaries/lad-2021-buc.json",
        JSON,
        IMMUTABLE,
        include_bytes!("../../assets/explorer/boundaries/lad-2021.json"),
    ),
    Asset::new(
        "/explorer/boundaries/itl2-2021-buc.json",
        JSON,
        IMMUTABLE,
        include_bytes!("../../assets/explorer/boundaries/itl2-2021.json"),
    ),
    Asset::new(
        "/explorer/boundaries/smc-local-areas-2025.json",
        JSON,
        IMMUTABLE,
        include_bytes!("../../assets/explorer/boundaries/local-areas-2025.json"),
    ),
];

/// The page, built once, with every hash taken from the very bytes the routes serve. The
/// modules are preloaded with their hashes, so the ones `app.js` imports are checked too.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let mut head = Vec::new();
    for asset in OWN.iter().filter(|a| a.is_stylesheet()) {
        head.push(format!(
            r#"<link rel="stylesheet" href="{}" integrity="{}" crossorigin="anonymous">"#,
            asset.path,
            asset.integrity()
        ));
    }
    for asset in &LIBRARIES {
        head.push(format!(
            r#"<script defer src="{}" integrity="{}" crossorigin="anonymous"></script>"#,
            asset.path,
            asset.integrity()
        ));
    }
    let modules: Vec<&Asset> = OWN.iter().filter(|a| a.is_script()).collect();
    for asset in &modules[1..] {
        head.push(format!(
            r#"<link rel="modulepreload" href="{}" integrity="{}" crossorigin="anonymous">"#,
            asset.path,
            asset.integrity()
        ));
    }
    head.push(format!(
        r#"<script type="module" src="{}" integrity="{}" crossorigin="anonymous"></script>"#,
        modules[0].path,
        modules[0].integrity()
    ));
    include_str!("explorer/index.html").replace("{{head}}", &head.join("\n    "))
});

/// The explorer's page, under its Content-Security-Policy.
pub async fn page() -> Response {
    assets::page(PAGE.as_str(), CONTENT_SECURITY_POLICY)
}

/// `/` and a route for each file the page loads, under `/explorer/`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", axum::routing::get(page))
        .merge(assets::routes(&LIBRARIES))
        .merge(assets::routes(&OWN))
        .merge(assets::routes(&BOUNDARIES))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vendored libraries are the ones `assets/explorer/README.md` names: replacing one
    /// means updating the README (and the version in its path) too.
    #[test]
    fn the_vendored_libraries_are_the_pinned_ones() {
        let pinned = [
            (
                "/explorer/d3-array-3.2.5/d3-array.min.js",
                "sha384-BQcSBHiQX+gXE8wzG8NneokXdVCXRZO4OoJJ9613PsDlz2l/6IEE+M+CJchnXowh",
            ),
            (
                "/explorer/d3-geo-3.1.2/d3-geo.min.js",
                "sha384-dmE+Pdk7NZQ/5NXfVkXAaMoLjFU2VFp0AxoKiYKNVG0xoH9ziBwCHKBTDuDo5kqc",
            ),
            (
                "/explorer/topojson-client-3.1.0/topojson-client.min.js",
                "sha384-Ukv1p/xTma6P4/2bY5KzWBw+ydSpXmhCMtyciIQVDJ1RmOxtCYNMF1uXT9T63H67",
            ),
        ];
        assert_eq!(LIBRARIES.len(), pinned.len());
        for (path, hash) in pinned {
            let asset = LIBRARIES.iter().find(|a| a.path == path);
            let asset = asset.unwrap_or_else(|| panic!("{path} is not served"));
            assert_eq!(asset.integrity(), hash, "{path}");
        }
    }

    #[test]
    fn the_page_loads_every_script_and_stylesheet_once_with_its_hash() {
        for asset in LIBRARIES.iter().chain(&OWN) {
            assert_eq!(PAGE.matches(asset.path).count(), 1, "{}", asset.path);
            assert!(PAGE.contains(&asset.integrity()), "{}", asset.path);
        }
        assert!(!PAGE.contains("{{"));
        // The page loads nothing from another origin: no CDN, no font service.
        for load in ["src=\"http", "src=\"//", "href=\"//"] {
            assert!(!PAGE.contains(load), "{load}");
        }
        for tag in PAGE.split('<').filter(|t| t.starts_with("link ")) {
            assert!(
                tag.contains("href=\"/explorer/") || tag.contains("href=\"data:"),
                "{tag}"
            );
        }
    }

    /// Every boundary file is TopoJSON, so the map can draw it.
    #[test]
    fn the_boundaries_are_topologies() {
        for asset in &BOUNDARIES {
            let json: serde_json::Value = serde_json::from_slice(asset.bytes).expect("JSON");
            assert_eq!(json["type"], "Topology", "{}", asset.path);
            assert_eq!(json["objects"].as_object().map(|o| o.len()), Some(1));
        }
    }
}
