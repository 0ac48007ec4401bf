//! Castellan's HTTP front: the AWS Query protocol for IAM and STS on one endpoint.
//!
//! Every request is verified with SigV4 (the service is the one in the signature scope),
//! decoded into a typed request with the models' constraints, handed to the service with
//! the authenticated caller, and answered with AWS's XML. The only crate that knows axum.

mod handler;

pub use handler::{App, ResetFuture, ResetHook, router};
