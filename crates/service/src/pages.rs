//! Rendered answers of the large listings (ListUsers, ListGroups, ListRoles, ListPolicies,
//! GetAccountAuthorizationDetails), kept by the state they were rendered from.
//!
//! Such an answer is a pure function of the account's state and the request's members, and
//! rendering it was most of its cost (100 users make 25 KB of XML: building the records,
//! escaping, timestamps). The decision is never cached: [`Service::page_key`] runs the same
//! checks and the same authorization as the operation, on every request, and only then names
//! the page. The key holds everything the page depends on (reading 93): the state's revision
//! (any write moves it), the RoleLastUsed stamps' generation (they do not move it), the reset
//! generation (a reset starts the revisions over), the account, the partition the page is
//! rendered in, and the decoded request's members, so a page is found only for a request that
//! the operation would answer with the same bytes, request id aside.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use wire::Partition;
use wire::iam::{Operation, Request};

use crate::caller::{Caller, group_arn, role_arn, user_arn};
use crate::error::{ServiceError, ServiceResult};
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

/// The members of a cacheable request, written out; `None` for every other request. The
/// decoded input's `Debug` form names each member and its value, so two requests with the
/// same text are the same request (markers included: a marker text maps to one position).
fn members(request: &Request) -> Option<String> {
    match request {
        Request::ListUsers(input) => Some(format!("{input:?}")),
        Request::ListGroups(input) => Some(format!("{input:?}")),
        Request::ListRoles(input) => Some(format!("{input:?}")),
        Request::ListPolicies(input) => Some(format!("{input:?}")),
        Request::GetAccountAuthorizationDetails(input) => Some(format!("{input:?}")),
        _ => None,
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

    /// For a cacheable listing: the checks `iam` makes and the operation's authorization, run
    /// now, then the key its answer is kept under. `None` for every other request, and while
    /// the state is not loaded (the answer then comes from the store).
    pub async fn page_key(
        &self,
        caller: &Caller,
        request: &Request,
    ) -> ServiceResult<Option<PageKey>> {
        let Some(members) = members(request) else {
            return Ok(None);
        };
        let operation = request.operation();
        // Taken before the decision: a page rendered later is at least this new.
        let revision = self.reads().revision();
        let stamps = self.state().stamps_generation();
        let resets = self.guards.generation.load(Ordering::SeqCst);
        self.check_fresh()?;
        self.check_session_limits(caller, crate::sts::Called::Iam(operation))?;
        self.authorize_listing(caller, operation).await?;
        if revision < 0 {
            return Ok(None);
        }
        let partition = Partition::of_region(&caller.request.region);
        Ok(Some(PageKey(format!(
            "{revision}:{stamps}:{resets}:{}:{partition:?}:{}:{members}",
            caller.account_id,
            operation.name()
        ))))
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
