//! The Commission's 2025 local areas (its code list) and the newer authorities the list uses.

use serde::Deserialize;

use crate::domain::geography::{LocalAreaSpec, NewerAuthority};
use crate::import::pipeline::{self, Format, Input, Problem, bundled};

const LOCAL_AREAS: (&str, &str) = bundled!("smc/areas_2025_codes.json");
const NEWER_AUTHORITIES: (&str, &str) = bundled!("smc/newer_authorities.csv");

#[derive(Deserialize)]
struct LocalAreaFile {
    #[serde(rename = "205_regions")]
    areas: Vec<LocalAreaRecord>,
}

#[derive(Deserialize)]
struct LocalAreaRecord {
    name: String,
    url: String,
    codes: Vec<String>,
}

/// The Commission's 2025 local areas and the newer authorities their code list uses.
pub fn local_areas(problems: &mut Vec<Problem>) -> (Vec<LocalAreaSpec>, Vec<NewerAuthority>) {
    let (file, text) = LOCAL_AREAS;
    let specs = match serde_json::from_str::<LocalAreaFile>(text) {
        Ok(f) => f
            .areas
            .into_iter()
            .map(|a| LocalAreaSpec {
                name: a.name,
                slug: a.url,
                codes: a.codes,
            })
            .collect(),
        Err(e) => {
            problems.push(Problem::whole(file, e.to_string()));
            Vec::new()
        }
    };
    let (file, text) = NEWER_AUTHORITIES;
    let newer = pipeline::read(
        Input::text(file, text),
        &Format::strict(&["code", "name", "region", "replaces"], &[]),
        problems,
        |r, problems| {
            let (code, name, region, replaces) = (
                r.required("code", problems),
                r.required("name", problems),
                r.required("region", problems),
                r.required("replaces", problems),
            );
            Some(NewerAuthority {
                code: code?.to_owned(),
                name: name?.to_owned(),
                region: region?.to_owned(),
                replaces: replaces?.split_whitespace().map(str::to_owned).collect(),
            })
        },
    );
    (specs, newer)
}
