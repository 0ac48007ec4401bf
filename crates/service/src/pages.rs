//! Rendered answers kept by the state they were rendered from: the large listings
//! (ListUsers, ListGroups, ListRoles, ListPolicies, GetAccountAuthorizationDetails) and the
//! reads of one named entity that callers repeat (GetUser with a name, GetRole,
//! ListAttachedUserPolicies).
//!
//! Such an answer is a pure function of the account's state and the request's members, and
//! rendering it was most of its cost (100 users make 19 KB of XML: building the records,
//! escaping, timestamps; a role's trust policy is percent-encoded). The decision is never
//! cached: [`Service::page_key`] runs the same checks and the same authorization as the
//! operation, on every request (for an entity: on its ARN with its tags), and only then names
//! the page. The key holds everything the page depends on (reading 93): the state's revision
//! (any write moves it, a console sign-in's PasswordLastUsed among them), the RoleLastUsed
//! stamps' generation (they do not move it), the reset generation (a reset starts the
//! revisions over), the account, the partition the page is rendered in, and the decoded
//! request's members, so a page is found only for a request that the operation would answer
//! with the same bytes, request id aside. No answer depends on who asks: GetUser without a
//! name (the caller itself) is not kept.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use wire::Partition;
use wire::iam::{Operation, Request};

use crate::caller::{Caller, group_arn, role_arn, user_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::iam::{Roles, Users};
use crate::service::Service;

/// An answer as the server writes it, split where its request id goes: `head`, the id,
/// `tail` (shared buffers: every answer sends the same bytes without copying them).
#[derive(Debug)]
pub struct RenderedPage {
    /// Everything before the request id.
    pub head: Bytes,
    /// Everything after it.
    pub tail: Bytes,
}

impl RenderedPage {
    /// Its weight in the cache: the bytes it holds.
    fn weight(&self) -> usize {
        self.head.len() + self.tail.len()
    }
}

/// The name of one listing's answer in one state (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageKey(String);

/// The resource a cacheable listing authorizes its own action on; `None` for every other
/// operation. The operations authorize through this too, so the cached path and the
/// operation cannot disagree on what is asked.
fn listing_resource(operation: Operation, account: &str) -> Option<String> {
    match operation {
        Operation::ListUsers => Some(user_arn(account, "/", "")),
        Operation::ListGroups => Some(group_arn(account, "/", "")),
        Operation::ListRoles => Some(role_arn(account, "/", "")),
        Operation::ListPolicies => Some(store::customer_policy_arn(account, "/", "")),
        Operation::GetAccountAuthorizationDetails => Some("*".to_owned()),
        _ => None,
    }
}

/// What a kept answer's request is decided on, as its operation decides it.
enum Subject<'r> {
    /// A listing's own resource ([`listing_resource`]).
    Listing(String),
    /// The user named, with its tags.
    User(&'r str),
    /// The role named, with its tags.
    Role(&'r str),
}

/// What `request` is decided on when its answer may be kept; `None` for every other request.
fn subject<'r>(request: &'r Request, account: &str) -> Option<Subject<'r>> {
    match request {
        Request::GetUser(wire::iam::GetUserRequest {
            user_name: Some(name),
        }) => Some(Subject::User(name)),
        Request::ListAttachedUserPolicies(listing) => Some(Subject::User(&listing.user_name)),
        Request::GetRole(wire::iam::GetRoleRequest { role_name }) => Some(Subject::Role(role_name)),
        _ => listing_resource(request.operation(), account).map(Subject::Listing),
    }
}

/// The members of a cacheable request written after `key`; `false` (nothing written) for
/// every other request. Each request is taken apart without `..`, so a member the model
/// adds is a compile error here, not a page answered to requests that differ in it; each
/// value is written with its length, so no two requests write the same text.
fn write_members(key: &mut String, request: &Request) -> bool {
    match request {
        Request::ListUsers(wire::iam::ListUsersRequest {
            path_prefix,
            marker,
            max_items,
        })
        | Request::ListGroups(wire::iam::ListGroupsRequest {
            path_prefix,
            marker,
            max_items,
        })
        | Request::ListRoles(wire::iam::ListRolesRequest {
            path_prefix,
            marker,
            max_items,
        }) => {
            member(key, path_prefix.as_deref());
            member(key, marker.as_deref());
            number(key, *max_items);
        }
        Request::ListPolicies(wire::iam::ListPoliciesRequest {
            scope,
            only_attached,
            path_prefix,
            policy_usage_filter,
            marker,
            max_items,
        }) => {
            member(key, scope.map(|s| s.as_str()));
            member(key, only_attached.map(|b| if b { "true" } else { "false" }));
            member(key, path_prefix.as_deref());
            member(key, policy_usage_filter.map(|f| f.as_str()));
            member(key, marker.as_deref());
            number(key, *max_items);
        }
        Request::GetAccountAuthorizationDetails(
            wire::iam::GetAccountAuthorizationDetailsRequest {
                filter,
                max_items,
                marker,
            },
        ) => {
            match filter {
                Some(types) => {
                    number(key, Some(types.len()));
                    for kind in types {
                        member(key, Some(kind.as_str()));
                    }
                }
                None => member(key, None),
            }
            number(key, *max_items);
            member(key, marker.as_deref());
        }
        Request::GetUser(wire::iam::GetUserRequest { user_name }) => {
            // Without a name the answer is the caller's own user: not kept.
            let Some(name) = user_name else {
                return false;
            };
            member(key, Some(name));
        }
        Request::GetRole(wire::iam::GetRoleRequest { role_name }) => {
            member(key, Some(role_name));
        }
        Request::ListAttachedUserPolicies(wire::iam::ListAttachedUserPoliciesRequest {
            user_name,
            path_prefix,
            marker,
            max_items,
        }) => {
            member(key, Some(user_name));
            member(key, path_prefix.as_deref());
            member(key, marker.as_deref());
            number(key, *max_items);
        }
        _ => return false,
    }
    true
}

/// `:-` for an absent member, `:<length>=<value>` for a present one.
fn member(key: &mut String, value: Option<&str>) {
    match value {
        None => key.push_str(":-"),
        Some(value) => {
            number(key, Some(value.len()));
            key.push('=');
            key.push_str(value);
        }
    }
}

/// `:-` for an absent number, `:<digits>` for a present one.
fn number(key: &mut String, value: Option<impl std::fmt::Display>) {
    use std::fmt::Write as _;
    match value {
        None => key.push_str(":-"),
        Some(n) => {
            key.push(':');
            let _ = write!(key, "{n}");
        }
    }
}

impl Service {
    /// Authorizes a cacheable listing's own action, as the operation itself does.
    pub(crate) async fn authorize_listing(
        &self,
        caller: &Caller,
        operation: Operation,
    ) -> ServiceResult<()> {
        let resource = listing_resource(operation, &caller.account_id).ok_or_else(|| {
            ServiceError::internal(&format!("{} is not a listing", operation.name()))
        })?;
        self.allow(caller, operation, &resource, Vec::new()).await
    }

    /// For a request whose answer may be kept: the checks `iam` makes and the operation's
    /// authorization, run now, then the key its answer is kept under. `None` for every other
    /// request, for an entity that does not exist (the operation answers NoSuchEntity), and
    /// while the state is not loaded (the answer then comes from the store).
    pub async fn page_key(
        &self,
        caller: &Caller,
        request: &Request,
    ) -> ServiceResult<Option<PageKey>> {
        use std::fmt::Write as _;
        let operation = request.operation();
        // Every other request stops here, before any of the work below.
        let Some(subject) = subject(request, &caller.account_id) else {
            return Ok(None);
        };
        // Taken before the decision: a page rendered later is at least this new.
        let revision = self.reads().revision();
        let stamps = self.state().stamps_generation();
        let resets = self.guards.generation.load(Ordering::SeqCst);
        let partition = Partition::of_region(&caller.request.region);
        let mut key = String::with_capacity(128);
        let _ = write!(key, "{revision}:{stamps}:{resets}:");
        for part in [&caller.account_id, partition.name(), operation.name()] {
            key.push_str(part);
            key.push(':');
        }
        if !write_members(&mut key, request) {
            return Ok(None);
        }
        self.check_fresh()?;
        self.check_session_limits(caller, crate::sts::Called::Iam(operation))?;
        let action = operation.action();
        let exists = match subject {
            Subject::Listing(resource) => {
                self.allow(caller, operation, &resource, Vec::new()).await?;
                true
            }
            Subject::User(name) => self
                .authorized::<Users>(caller, action, name, Vec::new())
                .await?
                .is_some(),
            Subject::Role(name) => self
                .authorized::<Roles>(caller, action, name, Vec::new())
                .await?
                .is_some(),
        };
        if revision < 0 || !exists {
            return Ok(None);
        }
        Ok(Some(PageKey(key)))
    }

    /// The page kept under `key`, if any.
    pub fn cached_page(&self, key: &PageKey) -> Option<Arc<RenderedPage>> {
        self.pages().get(&key.0)
    }

    /// Keeps `page` under `key` (within the cache's bound).
    pub fn keep_page(&self, key: &PageKey, page: Arc<RenderedPage>) {
        let weight = page.weight();
        self.pages().insert_weighted(&key.0, page, weight);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::iam::{GetAccountAuthorizationDetailsRequest, ListUsersRequest};

    fn key(request: &Request) -> Option<String> {
        let mut key = String::new();
        write_members(&mut key, request).then_some(key)
    }

    fn users(path_prefix: Option<&str>, marker: Option<&str>, max_items: Option<i32>) -> Request {
        Request::ListUsers(ListUsersRequest {
            path_prefix: path_prefix.map(str::to_owned),
            marker: marker.map(str::to_owned),
            max_items,
        })
    }

    #[test]
    fn requests_that_differ_in_any_member_have_different_keys() {
        let requests = [
            users(None, None, None),
            users(None, None, Some(100)),
            users(None, None, Some(10)),
            users(Some("/a/"), None, None),
            users(None, Some("/a/"), None),
            users(Some(""), None, None),
            users(Some(":-"), None, None),
            users(Some("x:-"), None, None),
            users(Some("x"), Some("-"), None),
        ];
        let keys: Vec<String> = requests.iter().filter_map(key).collect();
        assert_eq!(keys.len(), requests.len());
        for (i, a) in keys.iter().enumerate() {
            for b in keys.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
        assert_eq!(
            key(&users(Some("/a/"), None, Some(5))),
            Some(":3=/a/:-:5".to_owned())
        );
    }

    #[test]
    fn entity_reads_are_keyed_by_every_member() {
        let get_user = |name: &str| {
            key(&Request::GetUser(wire::iam::GetUserRequest {
                user_name: Some(name.to_owned()),
            }))
        };
        let attached = |prefix: Option<&str>, max_items: Option<i32>| {
            key(&Request::ListAttachedUserPolicies(
                wire::iam::ListAttachedUserPoliciesRequest {
                    user_name: "ann".to_owned(),
                    path_prefix: prefix.map(str::to_owned),
                    marker: None,
                    max_items,
                },
            ))
        };
        assert_eq!(get_user("ann"), Some(":3=ann".to_owned()));
        assert_ne!(get_user("ann"), get_user("Ann"));
        assert_ne!(attached(None, None), attached(Some("/"), None));
        assert_ne!(attached(None, None), attached(None, Some(1)));
        assert_eq!(attached(None, Some(1)), Some(":3=ann:-:-:1".to_owned()));
    }

    #[test]
    fn only_the_cacheable_listings_have_keys() {
        let details = |filter: Option<Vec<wire::iam::EntityType>>| {
            Request::GetAccountAuthorizationDetails(GetAccountAuthorizationDetailsRequest {
                filter,
                max_items: None,
                marker: None,
            })
        };
        assert_ne!(
            key(&details(None)),
            key(&details(Some(vec![wire::iam::EntityType::User])))
        );
        assert_ne!(key(&details(None)), key(&details(Some(Vec::new()))));
        assert_eq!(
            key(&Request::GetUser(wire::iam::GetUserRequest {
                user_name: None
            })),
            None
        );
    }
}
