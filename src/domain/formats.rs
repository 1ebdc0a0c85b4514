//! The CSV formats the explorer reads: each kind's required and optional columns. Imports
//! check files against them; the demo data is written in them.

/// Staff records (`import workforce`).
pub mod workforce {
    /// Columns every file must have (in any order).
    pub const REQUIRED_COLUMNS: [&str; 12] = [
        "person_ref",
        "employer",
        "year",
        "business_unit",
        "grade",
        "grade_level",
        "work_area",
        "parental_occupation",
        "school_type",
        "free_school_meals",
        "parental_degree",
        "self_assessed",
    ];

    /// Columns a file may add: the year the person joined and their engagement score (a
    /// file without the column has neither for anyone), the employer's display name and
    /// sector, whether the rows are synthetic (`true`; demo data says so on every row), and
    /// each record's permanent record key for disclosure control (0-255; without the column
    /// it is derived from the keyed person hash).
    pub const OPTIONAL_COLUMNS: [&str; 6] = [
        "joined_year",
        "engagement",
        "employer_name",
        "employer_sector",
        "synthetic",
        "record_key",
    ];
}

/// Indicator definitions and values (`import indicators`).
pub mod indicators {
    /// Columns of a definitions file.
    pub const DEFINITION_COLUMNS: [&str; 8] = [
        "code",
        "name",
        "description",
        "unit",
        "domain",
        "higher_is_better",
        "source",
        "licence",
    ];

    /// Optional column of a definitions file: `true` for invented demo indicators.
    pub const DEFINITION_OPTIONAL: [&str; 1] = ["synthetic"];

    /// Columns every values file has.
    pub const VALUE_COLUMNS: [&str; 6] = [
        "indicator",
        "area_code",
        "period",
        "value",
        "lower",
        "upper",
    ];

    /// Columns a values file may add.
    pub const VALUE_OPTIONAL: [&str; 4] = ["sample_size", "breakdown", "note", "published_group"];
}

/// Programme figures and descriptions (`import programmes`).
pub mod programmes {
    /// Columns of a figures file (those of the published `programme_figures.csv`).
    pub const FIGURE_COLUMNS: [&str; 8] = [
        "programme",
        "metric",
        "unit",
        "period",
        "kind",
        "value",
        "area_code",
        "note",
    ];

    /// Columns a figures file may add: a metric's display name, for a percentage the count
    /// metrics it derives from, and a caveat where the source is ambiguous about the figure.
    pub const FIGURE_OPTIONAL: [&str; 4] = ["metric_name", "numerator", "denominator", "caveat"];

    /// Columns of a programmes file.
    pub const PROGRAMME_COLUMNS: [&str; 6] = [
        "code",
        "name",
        "description",
        "stage",
        "owner",
        "owner_name",
    ];

    /// Optional columns of a programmes file: `true` for invented demo programmes, and who
    /// published the figures under which licence.
    pub const PROGRAMME_OPTIONAL: [&str; 3] = ["synthetic", "source", "licence"];
}
