//! Areas, their levels and codes, and the reference rows the geography is built from.

/// The level an area is published at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AreaLevel {
    /// The United Kingdom as a whole.
    Uk,
    /// England, Wales, Scotland, Northern Ireland.
    Country,
    /// The nine English regions; in Wales, Scotland and Northern Ireland the country plays the
    /// region's part, so the twelve ITL1 areas are the regions.
    Region,
    /// International Territorial Level 2 areas (41 in the UK).
    Itl2,
    /// International Territorial Level 3 areas (179 in the UK).
    Itl3,
    /// Local authority districts: the 379 of the 2020 boundaries and the 6 unitary
    /// authorities created since (2021-2023), each beside the districts it replaced.
    LocalAuthority,
    /// The Social Mobility Commission's 205 local areas of its 2025 indices: a local
    /// authority, or a group of them (a county with its districts, Northern Ireland), or a
    /// unitary authority newer than the 2020 boundaries.
    LocalArea,
    /// Averages published for comparison beside UK figures (the OECD's): no place in the UK,
    /// with no parent, within no area and never ranked.
    Comparator,
}

impl AreaLevel {
    /// Every level, largest first.
    pub const ALL: [AreaLevel; 8] = [
        AreaLevel::Uk,
        AreaLevel::Country,
        AreaLevel::Region,
        AreaLevel::Itl2,
        AreaLevel::Itl3,
        AreaLevel::LocalAuthority,
        AreaLevel::LocalArea,
        AreaLevel::Comparator,
    ];

    /// Whether the level is on the statistical (ITL) line rather than the administrative one.
    /// An area's children list the administrative line first (a region's authorities before
    /// its ITL2 areas).
    pub fn is_statistical(self) -> bool {
        matches!(
            self,
            AreaLevel::Itl2 | AreaLevel::Itl3 | AreaLevel::LocalArea
        )
    }

    /// The stored form of the level.
    pub fn as_str(self) -> &'static str {
        match self {
            AreaLevel::Uk => "UK",
            AreaLevel::Country => "COUNTRY",
            AreaLevel::Region => "REGION",
            AreaLevel::Itl2 => "ITL2",
            AreaLevel::Itl3 => "ITL3",
            AreaLevel::LocalAuthority => "LOCAL_AUTHORITY",
            AreaLevel::LocalArea => "LOCAL_AREA",
            AreaLevel::Comparator => "COMPARATOR",
        }
    }
}

/// A level name that is not one of [`AreaLevel::ALL`].
#[derive(Debug, thiserror::Error)]
#[error("unknown area level `{0}`")]
pub struct UnknownLevel(pub String);

crate::domain::named_values!(AreaLevel, as_str, UnknownLevel);

/// An area of the UK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Area {
    /// The primary code: GSS where the area has one, otherwise its ITL code.
    pub code: String,
    /// The official name.
    pub name: String,
    /// The area's own level.
    pub level: AreaLevel,
    /// The next area up the administrative line.
    pub parent: Option<String>,
}

/// An alternative code for an area (an English region's ITL1 code, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AltCode {
    /// The alternative code.
    pub code: String,
    /// The area's primary code.
    pub area: String,
    /// The coding scheme the alternative code belongs to.
    pub scheme: &'static str,
}

/// One of the Commission's 2025 local areas, as its code list gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalAreaSpec {
    /// Its name.
    pub name: String,
    /// Its short name in the Commission's explorer (`aberdeen_city`), kept as an
    /// alternative code.
    pub slug: String,
    /// The GSS codes it covers.
    pub codes: Vec<String>,
}

/// An authority newer than the 2020 boundaries, with the region it lies in and the 2020
/// districts it replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewerAuthority {
    /// GSS code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region (GSS code).
    pub region: String,
    /// The 2020 districts it replaced (GSS codes).
    pub replaces: Vec<String>,
}

/// What adding the local areas did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalAreaReport {
    /// Areas added (not an existing area playing the part), by code.
    pub added: Vec<String>,
    /// Codes of newer authorities met in the code list (each covered by an added area).
    pub newer_codes: Vec<String>,
    /// 2020 districts in no local area (replaced by a newer authority), by code.
    pub unplaced_districts: Vec<String>,
}

/// The scheme of the Commission's local-area short names.
pub const SMC_2025_SCHEME: &str = "SMC_2025";

/// `area` lies within `within`, which is the area of `level` containing it (possibly itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Containment {
    /// The contained area.
    pub area: String,
    /// The level of the containing area.
    pub level: AreaLevel,
    /// The containing area.
    pub within: String,
}

/// One row of the ONS district lookup (LAD -> ITL3 -> ITL2 -> ITL1).
#[derive(Clone, Debug)]
pub struct DistrictRow {
    /// District GSS code.
    pub code: String,
    /// District name.
    pub name: String,
    /// ITL3 code and name.
    pub itl3: (String, String),
    /// ITL2 code and name.
    pub itl2: (String, String),
    /// ITL1 code (its name is taken from the region or country it is).
    pub itl1: String,
}

/// One ITL1 area: the GSS code of the region or country it is, and its country.
#[derive(Clone, Debug)]
pub struct Itl1Row {
    /// ITL1 code (TLC ... TLN).
    pub itl1: String,
    /// GSS code of the region (England) or country (elsewhere).
    pub gss: String,
    /// GSS code of the country it lies in.
    pub country: String,
}

/// A named area with a GSS code: the UK, a country or an English region.
#[derive(Clone, Debug)]
pub struct NamedArea {
    /// GSS code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Parent GSS code, if any.
    pub parent: Option<String>,
}

/// Why reference rows do not make a consistent geography.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GeographyError {
    /// A row points at an area that is not defined.
    #[error("{what} `{code}` refers to unknown {refers_to} `{target}`")]
    UnknownReference {
        /// What kind of row refers.
        what: &'static str,
        /// The referring code.
        code: String,
        /// What kind of area is missing.
        refers_to: &'static str,
        /// The missing code.
        target: String,
    },
    /// Two rows disagree about an area.
    #[error("{code}: {reason}")]
    Inconsistent {
        /// The area in question.
        code: String,
        /// What disagrees.
        reason: String,
    },
}
