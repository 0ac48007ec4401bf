//! Roles: CRUD, trust policies, role inline and attached policies, boundaries, tags,
//! instance profiles and service-linked roles.

use wire::iam::{Operation, Request, Response};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

/// The operations this module answers.
pub(super) const OPERATIONS: &[Operation] = &[];

impl Service {
    /// Runs one of [`OPERATIONS`].
    pub(super) async fn role_operation(
        &self,
        caller: &Caller,
        request: Request,
    ) -> ServiceResult<Response> {
        let _ = caller;
        #[expect(clippy::match_single_binding, reason = "arms arrive with the operations")]
        match request {
            other => Err(ServiceError::not_implemented(other.operation().name())),
        }
    }
}
