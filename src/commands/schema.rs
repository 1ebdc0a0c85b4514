//! The checked-in schema: exported, or checked for drift.

use std::path::Path;
use std::process::ExitCode;

use super::output::{CommandError, note, report};

pub(super) fn export_schema(check: bool, path: &Path) -> Result<ExitCode, CommandError> {
    let sdl = crate::graphql::sdl();
    let file_error = |source| CommandError::File {
        path: path.display().to_string(),
        source,
    };
    if !check {
        std::fs::write(path, &sdl).map_err(file_error)?;
        report("the schema was written", |out| {
            writeln!(out, "Wrote {}", path.display())
        });
        return Ok(ExitCode::SUCCESS);
    }
    let on_disk = std::fs::read_to_string(path).map_err(file_error)?;
    match schema_drift(&on_disk, &sdl) {
        None => {
            report("the schema is up to date", |out| {
                writeln!(out, "{} is up to date.", path.display())
            });
            Ok(ExitCode::SUCCESS)
        }
        Some(summary) => {
            note(&format!(
                "{} is out of date with the server's schema: {summary}\n\
                 Run `mobility-explorer export-schema` to update it.",
                path.display()
            ));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// A summary of how the checked-in SDL differs from the exported one, or `None` if equal.
pub fn schema_drift(on_disk: &str, exported: &str) -> Option<String> {
    if on_disk == exported {
        return None;
    }
    let diff = similar::TextDiff::from_lines(on_disk, exported);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    let unified = diff
        .unified_diff()
        .context_radius(2)
        .header("checked in", "exported")
        .to_string();
    let shown: Vec<&str> = unified.lines().take(40).collect();
    Some(format!(
        "{added} line(s) to add, {removed} to remove\n{}",
        shown.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_schemas_have_no_drift() {
        assert_eq!(schema_drift("type A {}\n", "type A {}\n"), None);
    }

    #[test]
    fn drift_counts_added_and_removed_lines() {
        let summary = schema_drift("a\nb\nc\n", "a\nB\nc\nd\n").expect("differs");
        assert!(
            summary.starts_with("2 line(s) to add, 1 to remove"),
            "{summary}"
        );
        assert!(summary.contains("+B"));
    }
}
