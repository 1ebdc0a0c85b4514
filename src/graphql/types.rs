//! GraphQL types more than one part of the schema names: the area object (its fields are
//! resolved in `geography`) and the enums of levels and of the index.

use async_graphql::Enum;

use crate::domain::geography::Area;

/// An area of the UK, as a GraphQL object.
#[derive(Clone)]
pub struct AreaNode(pub Area);

/// The level an area is published at.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "AreaLevel", remote = "crate::domain::geography::AreaLevel")]
pub enum AreaLevelInput {
    /// The United Kingdom as a whole (K02000001).
    Uk,
    /// England, Wales, Scotland and Northern Ireland.
    Country,
    /// The nine English regions (E12000001-9). In Wales, Scotland and Northern Ireland the
    /// country plays the region's part, so this level lists the twelve ITL1 areas.
    Region,
    /// International Territorial Level 2 areas (41), the level of much Social Mobility
    /// Commission data. Identified by their ITL code (for example `TLI3`).
    #[graphql(name = "ITL2")]
    Itl2,
    /// International Territorial Level 3 areas (179), identified by their ITL code.
    #[graphql(name = "ITL3")]
    Itl3,
    /// Local authority districts, identified by GSS code: the 379 of the 2020 boundaries and
    /// the 6 unitary authorities created since (North and West Northamptonshire, Cumberland,
    /// Westmorland and Furness, North Yorkshire, Somerset), each listed beside the districts it
    /// replaced and lying in the areas that held all of them.
    LocalAuthority,
    /// The Social Mobility Commission's 205 local areas of its 2025 indices: a local
    /// authority (the district itself), a county with its districts (the county's GSS code),
    /// Northern Ireland, a unitary authority newer than 2020 (its GSS code), or another group
    /// of districts (`SMC25-...`). Each also answers to the Commission's short name (for
    /// example `ABERDEEN_CITY`).
    LocalArea,
    /// Averages published for comparison beside UK figures, such as the OECD's (code
    /// `OECD`): not a place in the UK, so with no parent, within no area and never ranked.
    Comparator,
}

/// How the index groups areas.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(name = "IndexMethod", remote = "crate::domain::index::Method")]
pub enum IndexMethodInput {
    /// Rank areas by score; the top fifth are hot spots, the bottom fifth cold spots (the
    /// 2016-2017 Social Mobility Index).
    Quintiles,
    /// Band scores at ±0.5, ±1.0 and ±1.5 (a value on a cut-off goes to the outer band); the
    /// two unfavourable bands are cold spots, the two favourable ones hot spots (the
    /// Commission's State of the Nation 2024-2025 method).
    ZBands,
}

/// Hot spot, cold spot, or neither.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(
    name = "Classification",
    remote = "crate::domain::index::Classification"
)]
pub enum ClassificationOutput {
    /// Among the areas with the best prospects.
    HotSpot,
    /// Among the areas with the poorest prospects.
    ColdSpot,
    /// Neither.
    Neither,
}

/// The Commission's seven z-score bands, worst first.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(name = "ZBand", remote = "crate::domain::index::Band")]
pub enum ZBandOutput {
    /// z ≤ -1.5.
    MostUnfavourable,
    /// -1.5 < z ≤ -1.0.
    Unfavourable,
    /// -1.0 < z ≤ -0.5.
    LowerMiddling,
    /// -0.5 < z < 0.5.
    Middling,
    /// 0.5 ≤ z < 1.0.
    UpperMiddling,
    /// 1.0 ≤ z < 1.5.
    Favourable,
    /// z ≥ 1.5.
    MostFavourable,
}
