//! The code `codegen` writes from the AWS models and `data/iam-sts-actions.json` (committed;
//! CI regenerates and diffs). Hand-written: only this file.

pub mod access;
pub mod iam;
pub mod organizations;
pub mod sts;
pub(crate) mod unicode;
