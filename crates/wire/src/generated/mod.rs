//! The code `codegen` writes from the AWS models (committed; CI regenerates and diffs).
//! Hand-written: only this file.

pub mod iam;
pub mod sts;
pub(crate) mod unicode;
