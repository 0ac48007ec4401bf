//! IAM's switch for outbound web identity federation: Enable (issuer and signing key made
//! the first time), Disable, and GetOutboundWebIdentityFederationInfo; all account-wide,
//! authorized on `*`.

use store::Enabling;
use wire::iam::{
    EnableOutboundWebIdentityFederationResponse, GetOutboundWebIdentityFederationInfoResponse,
    Operation,
};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

fn feature_disabled() -> ServiceError {
    ServiceError::iam(
        wire::iam::Error::FeatureDisabled,
        "Outbound identity federation is not enabled for this account.",
    )
}

impl Service {
    pub(super) async fn enable_outbound_web_identity_federation(
        &self,
        caller: &Caller,
    ) -> ServiceResult<EnableOutboundWebIdentityFederationResponse> {
        self.allow(
            caller,
            Operation::EnableOutboundWebIdentityFederation,
            "*",
            Vec::new(),
        )
        .await?;
        // Made before the store decides, so that one transaction settles concurrent calls;
        // dropped unused when the account already has an issuer.
        let (issuer_id, key) = self.new_issuer(&caller.account_id)?;
        match self
            .store
            .enable_outbound_federation(
                &caller.account_id,
                &issuer_id,
                &[key],
                self.clock.seconds(),
            )
            .await?
        {
            Enabling::Enabled(federation) => Ok(EnableOutboundWebIdentityFederationResponse {
                issuer_identifier: Some(self.issuer_url(&federation.issuer_id)),
            }),
            Enabling::AlreadyEnabled(_) => Err(ServiceError::iam(
                wire::iam::Error::FeatureEnabled,
                "Outbound identity federation is already enabled for this account.",
            )),
        }
    }

    pub(super) async fn disable_outbound_web_identity_federation(
        &self,
        caller: &Caller,
    ) -> ServiceResult<()> {
        self.allow(
            caller,
            Operation::DisableOutboundWebIdentityFederation,
            "*",
            Vec::new(),
        )
        .await?;
        if self
            .store
            .disable_outbound_federation(&caller.account_id)
            .await?
        {
            Ok(())
        } else {
            Err(feature_disabled())
        }
    }

    pub(super) async fn get_outbound_web_identity_federation_info(
        &self,
        caller: &Caller,
    ) -> ServiceResult<GetOutboundWebIdentityFederationInfoResponse> {
        self.allow(
            caller,
            Operation::GetOutboundWebIdentityFederationInfo,
            "*",
            Vec::new(),
        )
        .await?;
        // Never enabled: FeatureDisabled. Disabled after use: the issuer, not vending.
        let federation = self
            .reads()
            .get_outbound_federation(&caller.account_id)
            .await?
            .ok_or_else(feature_disabled)?;
        Ok(GetOutboundWebIdentityFederationInfoResponse {
            issuer_identifier: Some(self.issuer_url(&federation.issuer_id)),
            jwt_vending_enabled: Some(federation.enabled),
        })
    }
}
