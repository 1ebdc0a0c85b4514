//! The rules of the explorer, free of HTTP, GraphQL and storage: unit-tested in place.

pub mod access;
pub mod cells;
pub mod disclosure;
pub mod formats;
pub mod geography;
pub mod index;
pub mod programme;
pub mod ptable;
pub mod release;
pub mod seb;
pub mod tally;
pub mod workforce;

/// `Display` as, and `FromStr` from, the name `$name()` gives each value of `$ty::ALL`; any
/// other text is refused with `$err(text)`.
macro_rules! named_values {
    ($ty:ty, $name:ident, $err:ident) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.$name())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $err;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$ty>::ALL
                    .into_iter()
                    .find(|v| v.$name() == s)
                    .ok_or_else(|| $err(s.to_owned()))
            }
        }
    };
}
pub(crate) use named_values;
