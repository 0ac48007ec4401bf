//! Who is calling: the identity behind a verified access key, and the request facts that
//! feed the policy context.

use std::net::IpAddr;

use store::UserRecord;

/// The identity of an authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// The account's root user.
    Root,
    /// An IAM user.
    User(UserRecord),
}

/// Facts about the request that conditions can test.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
    /// Whether it arrived over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// The `User-Agent` header (`aws:UserAgent`).
    pub user_agent: Option<String>,
    /// The region of the signature scope (`aws:RequestedRegion`).
    pub region: String,
    /// `iam` or `sts`, from the signature scope.
    pub service: String,
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The caller's account.
    pub account_id: String,
    /// Root or user.
    pub identity: Identity,
    /// The access key that signed the request.
    pub access_key_id: String,
    /// The request's facts.
    pub request: RequestInfo,
}

impl Caller {
    /// The caller's ARN, as AWS shows it.
    pub fn arn(&self) -> String {
        match &self.identity {
            Identity::Root => format!("arn:aws:iam::{}:root", self.account_id),
            Identity::User(user) => user_arn(&user.account_id, &user.path, &user.name),
        }
    }

    /// `aws:userid`: the user's unique id, or the account id for root.
    pub fn user_id(&self) -> &str {
        match &self.identity {
            Identity::Root => &self.account_id,
            Identity::User(user) => &user.user_id,
        }
    }
}

/// `arn:aws:iam::<account>:user<path><name>`.
pub fn user_arn(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:user{path}{name}")
}

/// `arn:aws:iam::<account>:group<path><name>`.
pub fn group_arn(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:group{path}{name}")
}
