//! AssumeRoleWithWebIdentity: an OIDC provider's JWT, verified, as the credential for a role
//! session.

use wire::sts::{AssumeRoleWithWebIdentityRequest, AssumeRoleWithWebIdentityResponse, Operation};

use crate::caller::RequestInfo;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

impl Service {
    /// Not built yet: answers `NotImplemented`.
    pub(crate) async fn assume_role_with_web_identity(
        &self,
        _info: &RequestInfo,
        _input: AssumeRoleWithWebIdentityRequest,
    ) -> ServiceResult<AssumeRoleWithWebIdentityResponse> {
        Err(ServiceError::not_implemented(
            Operation::AssumeRoleWithWebIdentity.name(),
        ))
    }
}
