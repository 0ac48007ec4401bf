//! Castellan's HTTP front: the AWS Query protocol for IAM and STS on one endpoint.
//!
//! Every request is verified with SigV4 (the service is the one in the signature scope),
//! decoded into a typed request with the models' constraints, handed to the service with
//! the authenticated caller, and answered with AWS's XML. `serve` runs the accept loop
//! that bounds connections, time and buffered bytes, and serves TLS when asked. The only
//! crate that knows axum and hyper.

mod audit;
mod config;
mod console;
mod decision;
mod handler;
mod issuer_client;
mod listener;
mod metrics;
mod tls;

pub use audit::{AuditLog, AuditSettings, rotated as rotated_audit_file};
pub use config::{
    Cidr, ServerConfig, SettingError, TlsFiles, parse_duration, parse_public_url, parse_size,
};
pub use handler::{App, Connection, ResetFuture, ResetHook, app_router};
pub use issuer_client::IssuerClient;
pub use listener::{ServeError, serve, shutdown_signal};
pub use tls::TlsError;
