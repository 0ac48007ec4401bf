//! Account-wide settings: account properties (Get/PutAccountProperties) and the STS global
//! endpoint token version (SetSecurityTokenServicePreferences, shown by GetAccountSummary).

use wire::iam::{
    GetAccountPropertiesRequest, GetAccountPropertiesResponse, GlobalEndpointTokenVersion,
    Operation, PutAccountPropertiesRequest, PutAccountPropertiesResponse,
    SetSecurityTokenServicePreferencesRequest,
};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

/// The namespace of a `Namespace/PropertyName` key; `InvalidInput` for any other shape.
fn namespace(key: &str) -> ServiceResult<&str> {
    match key.split_once('/') {
        Some((namespace, name))
            if !namespace.is_empty() && !name.is_empty() && !name.contains('/') =>
        {
            Ok(namespace)
        }
        _ => Err(ServiceError::invalid_input(format!(
            "Invalid property key {key}: keys must be Namespace/PropertyName, with exactly one '/' and neither part empty."
        ))),
    }
}

impl Service {
    pub(super) async fn get_account_properties(
        &self,
        caller: &Caller,
        _input: GetAccountPropertiesRequest,
    ) -> ServiceResult<GetAccountPropertiesResponse> {
        self.allow(caller, Operation::GetAccountProperties, "*", Vec::new())
            .await?;
        let properties = self
            .reads()
            .list_account_properties(&caller.account_id)
            .await?;
        Ok(GetAccountPropertiesResponse {
            properties: Some(properties.into_iter().collect()),
        })
    }

    pub(super) async fn put_account_properties(
        &self,
        caller: &Caller,
        input: PutAccountPropertiesRequest,
    ) -> ServiceResult<PutAccountPropertiesResponse> {
        self.allow(caller, Operation::PutAccountProperties, "*", Vec::new())
            .await?;
        let mut namespaces = Vec::new();
        for key in input.properties.keys() {
            let namespace = namespace(key)?;
            if !namespaces.contains(&namespace) {
                namespaces.push(namespace);
            }
        }
        match namespaces.len() {
            0 => Err(ServiceError::invalid_input("Properties must not be empty.")),
            1 => {
                let properties: Vec<(String, String)> = input.properties.into_iter().collect();
                self.store
                    .put_account_properties(&caller.account_id, &properties)
                    .await?;
                Ok(PutAccountPropertiesResponse {})
            }
            _ => Err(ServiceError::invalid_input(format!(
                "All properties in one request must belong to the same namespace; found {}.",
                namespaces.join(", ")
            ))),
        }
    }

    pub(super) async fn set_security_token_service_preferences(
        &self,
        caller: &Caller,
        input: SetSecurityTokenServicePreferencesRequest,
    ) -> ServiceResult<()> {
        self.allow(
            caller,
            Operation::SetSecurityTokenServicePreferences,
            "*",
            Vec::new(),
        )
        .await?;
        let version = match input.global_endpoint_token_version {
            GlobalEndpointTokenVersion::V1Token => 1,
            GlobalEndpointTokenVersion::V2Token => 2,
        };
        self.store
            .set_global_endpoint_token_version(&caller.account_id, version)
            .await?;
        Ok(())
    }
}
