//! Differencing attacks on the published workforce figures (to be written).
