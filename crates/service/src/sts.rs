//! STS operations. GetCallerIdentity needs no permission and is never denied.

use wire::sts::{GetCallerIdentityResponse, Request, Response};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

impl Service {
    /// Runs one STS operation for an authenticated caller.
    pub async fn sts(&self, caller: &Caller, request: Request) -> ServiceResult<Response> {
        match request {
            Request::GetCallerIdentity(_) => {
                Ok(Response::GetCallerIdentity(GetCallerIdentityResponse {
                    user_id: Some(caller.user_id().to_owned()),
                    account: Some(caller.account_id.clone()),
                    arn: Some(caller.arn()),
                }))
            }
            other => Err(ServiceError::not_implemented(other.operation().name())),
        }
    }
}
