//! The `castellan` binary.

fn main() {}
