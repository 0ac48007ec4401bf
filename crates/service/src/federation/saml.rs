//! AssumeRoleWithSAML: a SAML provider's signed assertion, verified, as the credential for a
//! role session.

use wire::sts::{AssumeRoleWithSAMLRequest, AssumeRoleWithSAMLResponse, Operation};

use crate::caller::RequestInfo;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

impl Service {
    /// Not built yet: answers `NotImplemented`.
    pub(crate) async fn assume_role_with_saml(
        &self,
        _info: &RequestInfo,
        _input: AssumeRoleWithSAMLRequest,
    ) -> ServiceResult<AssumeRoleWithSAMLResponse> {
        Err(ServiceError::not_implemented(
            Operation::AssumeRoleWithSAML.name(),
        ))
    }
}
