//! Who is calling: the identity behind a verified access key, and the request facts that
//! feed the policy context.

use std::net::IpAddr;
use std::sync::Arc;

use store::{RoleRecord, UserRecord};

use crate::session::Session;

/// The identity of an authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// The account's root user.
    Root,
    /// An IAM user.
    User(UserRecord),
    /// A session of a role (AssumeRole).
    RoleSession {
        /// The role, shared: every request of a session names the same one (see
        /// `authorize::session_role`).
        role: Arc<RoleRecord>,
        /// The session name.
        session_name: String,
    },
    /// A federated user (GetFederationToken), acting within `user`'s permissions.
    FederatedUser {
        /// The IAM user that asked for the session.
        user: UserRecord,
        /// The federated user's name.
        name: String,
    },
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
    /// The temporary session behind the key, when the key is temporary (`ASIA...`).
    pub session: Option<Arc<Session>>,
}

impl Caller {
    /// The partition the request lives in, from its signing region. The service works in
    /// `aws`; the wire and the policy engine move ARNs into this partition
    /// ([`wire::Partition::swap`]).
    pub fn partition(&self) -> wire::Partition {
        wire::Partition::of_region(&self.request.region)
    }

    /// The caller's ARN, as AWS shows it (in the canonical partition).
    pub fn arn(&self) -> String {
        match &self.identity {
            Identity::Root => concat(&["arn:aws:iam::", &self.account_id, ":root"]),
            Identity::User(user) => user_arn(&user.account_id, &user.path, &user.name),
            Identity::RoleSession { role, session_name } => concat(&[
                "arn:aws:sts::",
                &role.account_id,
                ":assumed-role/",
                &role.name,
                "/",
                session_name,
            ]),
            Identity::FederatedUser { name, .. } => {
                concat(&["arn:aws:sts::", &self.account_id, ":federated-user/", name])
            }
        }
    }

    /// `aws:userid`: the user's unique id, `AROA...:session` for a role session,
    /// `account:name` for a federated user, the account id for root.
    pub fn user_id(&self) -> String {
        match &self.identity {
            Identity::Root => self.account_id.clone(),
            Identity::User(user) => user.user_id.clone(),
            Identity::RoleSession { role, session_name } => {
                concat(&[&role.role_id, ":", session_name])
            }
            Identity::FederatedUser { name, .. } => concat(&[&self.account_id, ":", name]),
        }
    }

    /// `aws:PrincipalArn`: the role ARN for a role session, else the caller's ARN.
    pub fn principal_arn(&self) -> String {
        match &self.identity {
            Identity::RoleSession { role, .. } => {
                role_arn(&role.account_id, &role.path, &role.name)
            }
            _ => self.arn(),
        }
    }
}

/// `arn:aws:iam::<account>:user<path><name>`.
pub fn user_arn(account_id: &str, path: &str, name: &str) -> String {
    iam_arn(account_id, "user", path, name)
}

/// `arn:aws:iam::<account>:role<path><name>`.
pub fn role_arn(account_id: &str, path: &str, name: &str) -> String {
    iam_arn(account_id, "role", path, name)
}

/// `arn:aws:iam::<account>:group<path><name>`.
pub fn group_arn(account_id: &str, path: &str, name: &str) -> String {
    iam_arn(account_id, "group", path, name)
}

/// `arn:aws:iam::<account>:<kind><path><name>`.
fn iam_arn(account_id: &str, kind: &str, path: &str, name: &str) -> String {
    concat(&["arn:aws:iam::", account_id, ":", kind, path, name])
}

/// The parts joined in one allocation, without the formatting machinery: every request makes
/// a few of these ARNs and ids, and a list answer one per entity.
fn concat(parts: &[&str]) -> String {
    let mut joined = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        joined.push_str(part);
    }
    joined
}
