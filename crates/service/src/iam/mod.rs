//! IAM operations: each authorizes the caller with AWS's action and resource ARN, then acts
//! on the store. Operations are grouped by area, one module each; an area's handler takes
//! the requests it knows and hands the others back. Operations not built yet answer
//! `NotImplemented`.

mod access_advisor;
mod account;
mod account_settings;
#[cfg(test)]
mod arn_walk;
mod credentials;
mod entity;
mod groups;
pub(crate) mod identity_providers;
mod instance_profiles;
mod mfa;
mod operations;
mod outbound_federation;
mod policies;
mod reports;
mod roles;
pub(crate) mod saml_metadata;
mod server_certificates;
mod service_linked;
mod simulator;
mod users;

use policy::ContextValue;
use store::{ListOptions, Tag, UserRecord};
use wire::iam::{
    AttachedPermissionsBoundary, Operation, PermissionsBoundaryAttachmentType, Request, Response,
    User,
};

use crate::authorize::{Extra, authorize};
use crate::caller::{Caller, Identity, user_arn};
use crate::catalogue::Catalogue;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;
pub(crate) use account::check_password;
pub(crate) use entity::{
    Groups, InstanceProfiles, Policies, PolicyOwner, Roles, ServerCertificates, Users,
};
pub use policies::{DocumentKind, check_document};
pub(crate) use service_linked::SERVICE_ROLE_PATH;

pub(crate) fn timestamp(seconds: i64) -> wire::Timestamp {
    wire::Timestamp::from_unix_seconds(seconds)
}

/// A page size as AWS reads MaxItems: 100 when omitted, at most 1,000.
pub(crate) fn page_size(max_items: Option<i32>) -> usize {
    max_items
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(100)
        .clamp(1, 1000)
}

/// The wire form of a user record, moving its strings (a list answer makes one per user).
pub(crate) fn user_view(user: UserRecord, tags: Option<Vec<wire::iam::Tag>>) -> User {
    let arn = user_arn(&user.account_id, &user.path, &user.name);
    User {
        path: user.path,
        user_name: user.name,
        user_id: user.user_id,
        arn,
        create_date: timestamp(user.created_at),
        password_last_used: user.password_last_used.map(timestamp),
        permissions_boundary: user.permissions_boundary_arn.map(|arn| {
            AttachedPermissionsBoundary {
                permissions_boundary_type: Some(
                    PermissionsBoundaryAttachmentType::PermissionsBoundaryPolicy,
                ),
                permissions_boundary_arn: Some(arn),
            }
        }),
        tags,
    }
}

pub(crate) fn wire_tags(tags: Vec<Tag>) -> Vec<wire::iam::Tag> {
    tags.into_iter()
        .map(|t| wire::iam::Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

/// The `aws:RequestTag/...` and `aws:TagKeys` context of a tagging request.
pub(crate) fn tag_context(tags: &[wire::iam::Tag]) -> Vec<(String, ContextValue)> {
    request_tag_context(tags.iter().map(|t| (t.key.as_str(), t.value.as_str())))
}

/// The `aws:RequestTag/...` and `aws:TagKeys` context of (key, value) pairs, for any API's tags.
pub(crate) fn request_tag_context<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, ContextValue)> {
    let mut context = Vec::new();
    let mut keys = Vec::new();
    for (key, value) in tags {
        context.push((
            format!("aws:RequestTag/{key}"),
            ContextValue::Single(value.to_owned()),
        ));
        keys.push(key.to_owned());
    }
    context.push(("aws:TagKeys".to_owned(), ContextValue::Multi(keys)));
    context
}

/// The context keys the models fill from the request's `PolicyArn` (`iam:PolicyARN` of the
/// attach and detach operations), each with `arn` as its value.
pub(crate) fn policy_arn_context(operation: Operation, arn: &str) -> Vec<(String, ContextValue)> {
    operation
        .condition_keys()
        .iter()
        .filter(|key| key.member == Some("PolicyArn"))
        .map(|key| (key.key.to_owned(), ContextValue::Single(arn.to_owned())))
        .collect()
}

pub(crate) fn check_path(path: &str) -> ServiceResult<()> {
    if path.starts_with('/') && path.ends_with('/') && !path.contains("//") {
        Ok(())
    } else {
        Err(ServiceError::validation(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
        ))
    }
}

/// Whether the tag keys of the entity an operation tags are compared as written: a managed
/// policy's are (recorded on AWS: `a` and `A` are two tags, and a repeated key is "Duplicate
/// tag keys found."); the other kinds compare them case-insensitively.
pub(crate) fn tag_keys_case_sensitive(operation: Operation) -> bool {
    matches!(operation, Operation::CreatePolicy | Operation::TagPolicy)
}

/// Checks the tags of a request before anything is written: AWS reserves keys starting with
/// `aws:` (in any case) for itself, and keys are unique as the tagged kind compares them.
pub(crate) fn check_tags(tags: &[wire::iam::Tag], case_sensitive: bool) -> ServiceResult<()> {
    for (i, tag) in tags.iter().enumerate() {
        let reserved = tag
            .key
            .get(..4)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"));
        if reserved {
            return Err(ServiceError::invalid_input(format!(
                "Tag key {} is reserved: tag keys starting with 'aws:' are for AWS use only.",
                tag.key
            )));
        }
        let same = |other: &&wire::iam::Tag| {
            if case_sensitive {
                other.key == tag.key
            } else {
                other.key.to_lowercase() == tag.key.to_lowercase()
            }
        };
        if tags.iter().skip(i + 1).any(|other| same(&other)) {
            return Err(ServiceError::invalid_input(if case_sensitive {
                "Duplicate tag keys found."
            } else {
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            }));
        }
    }
    Ok(())
}

impl Service {
    /// The store's list options for a page of `operation`, the client's marker opened.
    pub(crate) fn list_options(
        &self,
        caller: &Caller,
        operation: Operation,
        path_prefix: Option<String>,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> ServiceResult<ListOptions> {
        let marker = marker
            .map(|m| crate::marker::decode(&self.sealer, &caller.account_id, operation.name(), m))
            .transpose()?;
        Ok(ListOptions {
            path_prefix,
            marker,
            max_items: u32::try_from(page_size(max_items)).unwrap_or(100),
        })
    }

    /// The marker a client gets for the store's next position, sealed.
    pub(crate) fn next_marker(
        &self,
        caller: &Caller,
        operation: Operation,
        position: Option<String>,
    ) -> ServiceResult<Option<String>> {
        position
            .map(|p| crate::marker::encode(&self.sealer, &caller.account_id, operation.name(), &p))
            .transpose()
    }

    /// Pages an in-memory list for `operation`: by index, behind a sealed marker.
    pub(crate) fn page_of<T: Clone>(
        &self,
        caller: &Caller,
        operation: Operation,
        items: &[T],
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> ServiceResult<(Vec<T>, Option<String>)> {
        let start = match marker {
            None => 0,
            Some(marker) => {
                crate::marker::decode(&self.sealer, &caller.account_id, operation.name(), marker)?
                    .parse::<usize>()
                    .map_err(|_| crate::marker::invalid_marker())?
            }
        };
        let (page, next) = crate::marker::slice(items, start, page_size(max_items));
        let marker = self.next_marker(caller, operation, next.map(|n| n.to_string()))?;
        Ok((page, marker))
    }

    /// Authorizes `operation`'s own action (the models' name for it) on `resource`.
    pub(crate) async fn allow(
        &self,
        caller: &Caller,
        operation: Operation,
        resource: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<()> {
        self.allow_action(caller, operation.action(), resource, extra)
            .await
    }

    /// Authorizes an action no operation is named after (`iam:PassRole`, STS's actions).
    pub(crate) async fn allow_action(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<()> {
        self.allow_action_with(caller, action, resource, Extra::keys(extra))
            .await
    }

    /// [`Self::allow_action`] with everything an operation may add to the context.
    pub(crate) async fn allow_action_with(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        extra: Extra<'_>,
    ) -> ServiceResult<()> {
        authorize(
            self.reads(),
            self.policy_cache(),
            self.denial_encoder(),
            caller,
            self.clock.now(),
            action,
            resource,
            extra,
        )
        .await
    }

    /// The user an operation names, or the caller itself when the name is omitted (root
    /// callers must name one, except where AWS lets root act on itself).
    pub(crate) async fn named_or_self(
        &self,
        caller: &Caller,
        operation: Operation,
        name: Option<&str>,
    ) -> ServiceResult<Option<UserRecord>> {
        match (name, &caller.identity) {
            (Some(name), _) => self
                .entity::<Users>(caller, operation.action(), name, Vec::new())
                .await
                .map(Some),
            (None, Identity::User(me)) => {
                let me = me.clone();
                self.allow(
                    caller,
                    operation,
                    &user_arn(&me.account_id, &me.path, &me.name),
                    Vec::new(),
                )
                .await?;
                Ok(Some(me))
            }
            (None, Identity::Root) => Ok(None),
            (None, Identity::RoleSession { .. } | Identity::FederatedUser { .. }) => {
                Err(ServiceError::validation(
                    "Must specify userName when calling with non-User credentials",
                ))
            }
        }
    }

    /// Whether a well-formed managed policy ARN may be attached or set as a boundary: an
    /// attachable policy of AWS's catalogue, or one of the account's own that exists.
    pub(crate) async fn is_attachable(&self, caller: &Caller, arn: &str) -> ServiceResult<bool> {
        if let Some(aws) = Catalogue::shipped().get(arn) {
            return Ok(aws.is_attachable);
        }
        if !arn.starts_with(&format!("arn:aws:iam::{}:policy/", caller.account_id)) {
            return Ok(false);
        }
        match self.reads().get_policy(arn).await {
            Ok(_) => Ok(true),
            Err(store::StoreError::NoSuchEntity { .. }) => Ok(false),
            Err(other) => Err(other.into()),
        }
    }

    /// Runs one IAM operation for an authenticated caller.
    pub async fn iam(&self, caller: &Caller, request: Request) -> ServiceResult<Response> {
        // The console calls this without `authenticate`.
        self.check_fresh()?;
        let operation = request.operation();
        self.check_session_limits(caller, crate::sts::Called::Iam(operation))?;
        let response = wire::iam::dispatch(self, caller, request).await;
        if response.is_ok() && !operation.reads_only() {
            // Whatever an operation wrote is visible to the very next request on this node.
            self.after_write().await;
        }
        response
    }
}

/// The path part of a managed policy ARN (`/` or `/a/b/`).
pub(crate) fn policy_path(arn: &str) -> String {
    let after = arn.split_once(":policy").map_or("", |(_, rest)| rest);
    match after.rfind('/') {
        Some(at) => after.get(..=at).unwrap_or("/").to_owned(),
        None => "/".to_owned(),
    }
}

pub(crate) fn non_whitespace(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Policy documents travel URL-encoded in IAM responses (RFC 3986 unreserved kept).
pub(crate) fn uri_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            // Pushed digit by digit: a `format!` per byte was most of a GetRole's cost.
            out.push('%');
            for digit in [byte >> 4, byte & 0xF] {
                out.push(
                    char::from_digit(u32::from(digit), 16).map_or('0', |c| c.to_ascii_uppercase()),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod uri_encode_tests {
    #[test]
    fn unreserved_characters_stay_and_every_other_byte_is_percent_encoded() {
        assert_eq!(super::uri_encode("aZ09-._~"), "aZ09-._~");
        assert_eq!(
            super::uri_encode(r#"{"A": "b/c*"}"#),
            "%7B%22A%22%3A%20%22b%2Fc%2A%22%7D"
        );
        assert_eq!(super::uri_encode("é\n\u{7f}"), "%C3%A9%0A%7F");
    }
}
