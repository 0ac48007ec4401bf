//! The account: login profiles and passwords, the password policy, aliases, summary, authorization details.

use wire::iam::{Operation, Request, Response};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

/// The operations this module answers.
pub(super) const OPERATIONS: &[Operation] = &[];

impl Service {
    /// Runs one of [`OPERATIONS`].
    pub(super) async fn account_operation(
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
