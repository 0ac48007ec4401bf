//! Identity providers: OpenID Connect providers (create with client ids, thumbprints and
//! tags; get, list, delete; client ids added and removed; thumbprints replaced) and SAML
//! providers (create from a metadata document that must name an IdP with a signing
//! certificate; get, list, update with private keys for encrypted assertions, delete), both
//! tagged through the entity model. AssumeRoleWithWebIdentity and AssumeRoleWithSAML read
//! them through `Reads::oidc_provider` and `Reads::saml_provider`.

use store::{
    NewOidcProvider, NewSamlProvider, OidcProviderRecord, SamlPrivateKeyRecord, SamlProviderInfo,
    SamlProviderRecord, SamlProviderUpdate,
};
use wire::iam::{
    AddClientIDToOpenIDConnectProviderRequest, AssertionEncryptionModeType,
    CreateOpenIDConnectProviderRequest, CreateOpenIDConnectProviderResponse,
    CreateSAMLProviderRequest, CreateSAMLProviderResponse, DeleteOpenIDConnectProviderRequest,
    DeleteSAMLProviderRequest, GetOpenIDConnectProviderRequest, GetOpenIDConnectProviderResponse,
    GetSAMLProviderRequest, GetSAMLProviderResponse, ListOpenIDConnectProviderTagsRequest,
    ListOpenIDConnectProviderTagsResponse, ListOpenIDConnectProvidersRequest,
    ListOpenIDConnectProvidersResponse, ListSAMLProviderTagsRequest, ListSAMLProviderTagsResponse,
    ListSAMLProvidersRequest, ListSAMLProvidersResponse, OpenIDConnectProviderListEntry, Operation,
    RemoveClientIDFromOpenIDConnectProviderRequest, SAMLPrivateKey, SAMLProviderListEntry,
    TagOpenIDConnectProviderRequest, TagSAMLProviderRequest, UntagOpenIDConnectProviderRequest,
    UntagSAMLProviderRequest, UpdateOpenIDConnectProviderThumbprintRequest,
    UpdateSAMLProviderRequest, UpdateSAMLProviderResponse,
};

use super::entity::{Kind, OidcProviders, SamlProviders};
use super::{saml_metadata, timestamp};
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;

/// Thumbprints an OIDC provider may hold.
const THUMBPRINTS: usize = 5;

/// The ARN's resource part for an OIDC provider URL (reading 63): `https://` removed, the
/// host lower-cased (DNS names compare without case; the path does not), the port kept, a
/// trailing slash dropped. `InvalidInput` for a URL that is not `https://host[:port][/path]`
/// without query, fragment or user info.
pub(crate) fn oidc_resource(url: &str) -> ServiceResult<String> {
    let invalid =
        || ServiceError::invalid_input(format!("Invalid Open ID Connect Provider URL: {url}"));
    let rest = url.strip_prefix("https://").ok_or_else(invalid)?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty()
        || rest
            .chars()
            .any(|c| matches!(c, '?' | '#' | '@' | '\\') || c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    let (host, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    if !name_ok || !port_ok || path.contains("//") {
        return Err(invalid());
    }
    Ok(format!("{}{path}", host.to_ascii_lowercase()))
}

/// Thumbprints are 40 hex digits (the model checks the length), at most five.
fn check_thumbprints(thumbprints: &[String]) -> ServiceResult<()> {
    if thumbprints.len() > THUMBPRINTS {
        return Err(ServiceError::limit_exceeded(format!(
            "Thumbprint list must contain at most {THUMBPRINTS} entries."
        )));
    }
    for thumbprint in thumbprints {
        if !thumbprint.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ServiceError::invalid_input(format!(
                "Thumbprint {thumbprint} is not a 40-character hex string."
            )));
        }
    }
    Ok(())
}

/// A private key for encrypted assertions, checked and sealed to its provider and key id.
fn sealed_key(service: &Service, uuid: &str, pem: &str) -> ServiceResult<SamlPrivateKeyRecord> {
    if !crate::certificate::is_private_key(pem) {
        return Err(ServiceError::invalid_input(
            "The private key is not an unencrypted PEM-encoded RSA or EC key.",
        ));
    }
    let key_id = crate::ids::new_certificate_id()?;
    let binding = format!("saml-provider:{uuid}:{key_id}");
    let private_key_ciphertext = service
        .sealer
        .seal(pem.as_bytes(), binding.as_bytes())
        .map_err(|e| ServiceError::internal(&e))?;
    Ok(SamlPrivateKeyRecord {
        key_id,
        private_key_ciphertext,
        added_at: service.clock.seconds(),
    })
}

/// `Required` needs a key to decrypt with (reading 64).
fn check_encryption(mode: Option<&str>, keys: usize) -> ServiceResult<()> {
    if mode == Some(AssertionEncryptionModeType::Required.as_str()) && keys == 0 {
        return Err(ServiceError::invalid_input(
            "A private key is required when the assertion encryption mode is Required.",
        ));
    }
    Ok(())
}

fn encryption_mode(mode: Option<&str>) -> Option<AssertionEncryptionModeType> {
    match mode {
        Some("Required") => Some(AssertionEncryptionModeType::Required),
        Some("Allowed") => Some(AssertionEncryptionModeType::Allowed),
        _ => None,
    }
}

fn saml_entry(provider: &SamlProviderInfo) -> SAMLProviderListEntry {
    SAMLProviderListEntry {
        arn: Some(provider.arn()),
        valid_until: Some(timestamp(provider.valid_until)),
        create_date: Some(timestamp(provider.created_at)),
    }
}

impl Service {
    /// CreateOpenIDConnectProvider: authorized (with its tags) on the ARN the URL gives.
    pub(super) async fn create_open_id_connect_provider(
        &self,
        caller: &Caller,
        input: CreateOpenIDConnectProviderRequest,
    ) -> ServiceResult<CreateOpenIDConnectProviderResponse> {
        let resource = oidc_resource(&input.url)?;
        let arn = OidcProviders::arn_at(&caller.account_id, "/", &resource);
        let tags = input.tags.unwrap_or_default();
        let operations = (
            Operation::CreateOpenIDConnectProvider,
            Operation::TagOpenIDConnectProvider,
        );
        let stored_tags = self
            .allow_creation(caller, operations, &arn, &tags, Vec::new())
            .await?;
        let thumbprints = input.thumbprint_list.unwrap_or_default();
        check_thumbprints(&thumbprints)?;
        let provider = self
            .store
            .create_oidc_provider(&NewOidcProvider {
                provider: OidcProviderRecord {
                    account_id: caller.account_id.clone(),
                    resource,
                    url: input.url,
                    client_ids: input.client_id_list.unwrap_or_default(),
                    thumbprints,
                    created_at: self.clock.seconds(),
                },
                tags: stored_tags,
            })
            .await?;
        Ok(CreateOpenIDConnectProviderResponse {
            open_id_connect_provider_arn: Some(provider.arn()),
            tags: (!tags.is_empty()).then_some(tags),
        })
    }

    /// GetOpenIDConnectProvider: the URL as AWS shows it (without `https://`), the lists,
    /// the creation date and the tags.
    pub(super) async fn get_open_id_connect_provider(
        &self,
        caller: &Caller,
        input: GetOpenIDConnectProviderRequest,
    ) -> ServiceResult<GetOpenIDConnectProviderResponse> {
        let (provider, tags) = self
            .entity_with_tags::<OidcProviders>(
                caller,
                Operation::GetOpenIDConnectProvider.action(),
                &input.open_id_connect_provider_arn,
            )
            .await?;
        Ok(GetOpenIDConnectProviderResponse {
            url: Some(provider.resource),
            client_id_list: Some(provider.client_ids),
            thumbprint_list: Some(provider.thumbprints),
            create_date: Some(timestamp(provider.created_at)),
            tags,
        })
    }

    /// ListOpenIDConnectProviders: every ARN of the account (AWS pages none).
    pub(super) async fn list_open_id_connect_providers(
        &self,
        caller: &Caller,
        _input: ListOpenIDConnectProvidersRequest,
    ) -> ServiceResult<ListOpenIDConnectProvidersResponse> {
        let operation = Operation::ListOpenIDConnectProviders;
        self.allow(caller, operation, "*", Vec::new()).await?;
        let providers = self.reads().list_oidc_providers(&caller.account_id).await?;
        Ok(ListOpenIDConnectProvidersResponse {
            open_id_connect_provider_list: Some(
                providers
                    .iter()
                    .map(|p| OpenIDConnectProviderListEntry { arn: Some(p.arn()) })
                    .collect(),
            ),
        })
    }

    /// AddClientIDToOpenIDConnectProvider: a client id already there changes nothing.
    pub(super) async fn add_client_id_to_open_id_connect_provider(
        &self,
        caller: &Caller,
        input: AddClientIDToOpenIDConnectProviderRequest,
    ) -> ServiceResult<()> {
        let provider = self
            .entity::<OidcProviders>(
                caller,
                Operation::AddClientIDToOpenIDConnectProvider.action(),
                &input.open_id_connect_provider_arn,
                Vec::new(),
            )
            .await?;
        self.store
            .add_oidc_client_id(&provider.account_id, &provider.resource, &input.client_id)
            .await?;
        Ok(())
    }

    /// RemoveClientIDFromOpenIDConnectProvider: a client id not there changes nothing.
    pub(super) async fn remove_client_id_from_open_id_connect_provider(
        &self,
        caller: &Caller,
        input: RemoveClientIDFromOpenIDConnectProviderRequest,
    ) -> ServiceResult<()> {
        let provider = self
            .entity::<OidcProviders>(
                caller,
                Operation::RemoveClientIDFromOpenIDConnectProvider.action(),
                &input.open_id_connect_provider_arn,
                Vec::new(),
            )
            .await?;
        self.store
            .remove_oidc_client_id(&provider.account_id, &provider.resource, &input.client_id)
            .await?;
        Ok(())
    }

    /// UpdateOpenIDConnectProviderThumbprint: replaces the whole list.
    pub(super) async fn update_open_id_connect_provider_thumbprint(
        &self,
        caller: &Caller,
        input: UpdateOpenIDConnectProviderThumbprintRequest,
    ) -> ServiceResult<()> {
        let provider = self
            .entity::<OidcProviders>(
                caller,
                Operation::UpdateOpenIDConnectProviderThumbprint.action(),
                &input.open_id_connect_provider_arn,
                Vec::new(),
            )
            .await?;
        check_thumbprints(&input.thumbprint_list)?;
        self.store
            .update_oidc_thumbprints(
                &provider.account_id,
                &provider.resource,
                &input.thumbprint_list,
            )
            .await?;
        Ok(())
    }

    pub(super) async fn delete_open_id_connect_provider(
        &self,
        caller: &Caller,
        input: DeleteOpenIDConnectProviderRequest,
    ) -> ServiceResult<()> {
        let provider = self
            .entity::<OidcProviders>(
                caller,
                Operation::DeleteOpenIDConnectProvider.action(),
                &input.open_id_connect_provider_arn,
                Vec::new(),
            )
            .await?;
        self.store
            .delete_oidc_provider(&provider.account_id, &provider.resource)
            .await?;
        Ok(())
    }

    pub(super) async fn tag_open_id_connect_provider(
        &self,
        caller: &Caller,
        input: TagOpenIDConnectProviderRequest,
    ) -> ServiceResult<()> {
        self.tag_entity::<OidcProviders>(
            caller,
            Operation::TagOpenIDConnectProvider,
            &input.open_id_connect_provider_arn,
            &input.tags,
        )
        .await
    }

    pub(super) async fn untag_open_id_connect_provider(
        &self,
        caller: &Caller,
        input: UntagOpenIDConnectProviderRequest,
    ) -> ServiceResult<()> {
        self.untag_entity::<OidcProviders>(
            caller,
            Operation::UntagOpenIDConnectProvider,
            &input.open_id_connect_provider_arn,
            &input.tag_keys,
        )
        .await
    }

    pub(super) async fn list_open_id_connect_provider_tags(
        &self,
        caller: &Caller,
        input: ListOpenIDConnectProviderTagsRequest,
    ) -> ServiceResult<ListOpenIDConnectProviderTagsResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (tags, marker) = self
            .list_entity_tags::<OidcProviders>(
                caller,
                Operation::ListOpenIDConnectProviderTags,
                &input.open_id_connect_provider_arn,
                page,
            )
            .await?;
        Ok(ListOpenIDConnectProviderTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    /// CreateSAMLProvider: authorized (with its tags) on the ARN the name gives, then the
    /// metadata read (an IdP with a signing certificate), the private key sealed, one write.
    pub(super) async fn create_saml_provider(
        &self,
        caller: &Caller,
        input: CreateSAMLProviderRequest,
    ) -> ServiceResult<CreateSAMLProviderResponse> {
        let arn = SamlProviders::arn_at(&caller.account_id, "/", &input.name);
        let tags = input.tags.unwrap_or_default();
        let operations = (Operation::CreateSAMLProvider, Operation::TagSAMLProvider);
        let stored_tags = self
            .allow_creation(caller, operations, &arn, &tags, Vec::new())
            .await?;
        let metadata = saml_metadata::parse(&input.saml_metadata_document)?;
        let now = self.clock.seconds();
        let uuid = crate::ids::new_uuid()?;
        let mode = input
            .assertion_encryption_mode
            .map(|m| m.as_str().to_owned());
        let private_keys = match input.add_private_key.as_deref() {
            Some(pem) => vec![sealed_key(self, &uuid, pem)?],
            None => Vec::new(),
        };
        check_encryption(mode.as_deref(), private_keys.len())?;
        let provider = self
            .store
            .create_saml_provider(&NewSamlProvider {
                provider: SamlProviderRecord {
                    account_id: caller.account_id.clone(),
                    name: input.name,
                    saml_provider_uuid: uuid,
                    metadata_document: input.saml_metadata_document,
                    created_at: now,
                    valid_until: metadata
                        .valid_until
                        .unwrap_or(now.saturating_add(saml_metadata::DEFAULT_VALIDITY_SECONDS)),
                    assertion_encryption_mode: mode,
                    private_keys,
                },
                tags: stored_tags,
            })
            .await?;
        Ok(CreateSAMLProviderResponse {
            saml_provider_arn: Some(provider.arn()),
            tags: (!tags.is_empty()).then_some(tags),
        })
    }

    /// GetSAMLProvider: the metadata, dates, mode and key ids (never the keys), and tags.
    pub(super) async fn get_saml_provider(
        &self,
        caller: &Caller,
        input: GetSAMLProviderRequest,
    ) -> ServiceResult<GetSAMLProviderResponse> {
        let (provider, tags) = self
            .entity_with_tags::<SamlProviders>(
                caller,
                Operation::GetSAMLProvider.action(),
                &input.saml_provider_arn,
            )
            .await?;
        let keys: Vec<SAMLPrivateKey> = provider
            .private_keys
            .iter()
            .map(|key| SAMLPrivateKey {
                key_id: Some(key.key_id.clone()),
                timestamp: Some(timestamp(key.added_at)),
            })
            .collect();
        Ok(GetSAMLProviderResponse {
            saml_provider_uuid: Some(provider.saml_provider_uuid),
            saml_metadata_document: Some(provider.metadata_document),
            create_date: Some(timestamp(provider.created_at)),
            valid_until: Some(timestamp(provider.valid_until)),
            tags,
            assertion_encryption_mode: encryption_mode(
                provider.assertion_encryption_mode.as_deref(),
            ),
            private_key_list: (!keys.is_empty()).then_some(keys),
        })
    }

    /// ListSAMLProviders: every provider of the account (AWS pages none).
    pub(super) async fn list_saml_providers(
        &self,
        caller: &Caller,
        _input: ListSAMLProvidersRequest,
    ) -> ServiceResult<ListSAMLProvidersResponse> {
        self.allow(caller, Operation::ListSAMLProviders, "*", Vec::new())
            .await?;
        let providers = self.reads().list_saml_providers(&caller.account_id).await?;
        Ok(ListSAMLProvidersResponse {
            saml_provider_list: Some(providers.iter().map(saml_entry).collect()),
        })
    }

    /// UpdateSAMLProvider: a new metadata document (checked as at creation), encryption
    /// mode, a private key added and/or one removed; all or nothing.
    pub(super) async fn update_saml_provider(
        &self,
        caller: &Caller,
        input: UpdateSAMLProviderRequest,
    ) -> ServiceResult<UpdateSAMLProviderResponse> {
        let provider = self
            .entity::<SamlProviders>(
                caller,
                Operation::UpdateSAMLProvider.action(),
                &input.saml_provider_arn,
                Vec::new(),
            )
            .await?;
        let now = self.clock.seconds();
        let metadata = match input.saml_metadata_document {
            Some(document) => {
                let read = saml_metadata::parse(&document)?;
                let valid_until = read
                    .valid_until
                    .unwrap_or(now.saturating_add(saml_metadata::DEFAULT_VALIDITY_SECONDS));
                Some((document, valid_until))
            }
            None => None,
        };
        let remove = input.remove_private_key;
        if let Some(key_id) = &remove
            && !provider.private_keys.iter().any(|k| &k.key_id == key_id)
        {
            return Err(ServiceError::invalid_input(format!(
                "The private key {key_id} is not a key of this SAML provider."
            )));
        }
        let add = match input.add_private_key.as_deref() {
            Some(pem) => Some(sealed_key(self, &provider.saml_provider_uuid, pem)?),
            None => None,
        };
        let mode = input
            .assertion_encryption_mode
            .map(|m| m.as_str().to_owned());
        let keys_after = provider.private_keys.len() + usize::from(add.is_some())
            - usize::from(remove.is_some());
        check_encryption(
            mode.as_deref()
                .or(provider.assertion_encryption_mode.as_deref()),
            keys_after,
        )?;
        let updated = self
            .store
            .update_saml_provider(
                &provider.account_id,
                &provider.name,
                &SamlProviderUpdate {
                    metadata,
                    assertion_encryption_mode: mode,
                    add_private_key: add,
                    remove_private_key: remove,
                },
            )
            .await?;
        Ok(UpdateSAMLProviderResponse {
            saml_provider_arn: Some(updated.arn()),
        })
    }

    pub(super) async fn delete_saml_provider(
        &self,
        caller: &Caller,
        input: DeleteSAMLProviderRequest,
    ) -> ServiceResult<()> {
        let provider = self
            .entity::<SamlProviders>(
                caller,
                Operation::DeleteSAMLProvider.action(),
                &input.saml_provider_arn,
                Vec::new(),
            )
            .await?;
        self.store
            .delete_saml_provider(&provider.account_id, &provider.name)
            .await?;
        Ok(())
    }

    pub(super) async fn tag_saml_provider(
        &self,
        caller: &Caller,
        input: TagSAMLProviderRequest,
    ) -> ServiceResult<()> {
        self.tag_entity::<SamlProviders>(
            caller,
            Operation::TagSAMLProvider,
            &input.saml_provider_arn,
            &input.tags,
        )
        .await
    }

    pub(super) async fn untag_saml_provider(
        &self,
        caller: &Caller,
        input: UntagSAMLProviderRequest,
    ) -> ServiceResult<()> {
        self.untag_entity::<SamlProviders>(
            caller,
            Operation::UntagSAMLProvider,
            &input.saml_provider_arn,
            &input.tag_keys,
        )
        .await
    }

    pub(super) async fn list_saml_provider_tags(
        &self,
        caller: &Caller,
        input: ListSAMLProviderTagsRequest,
    ) -> ServiceResult<ListSAMLProviderTagsResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (tags, marker) = self
            .list_entity_tags::<SamlProviders>(
                caller,
                Operation::ListSAMLProviderTags,
                &input.saml_provider_arn,
                page,
            )
            .await?;
        Ok(ListSAMLProviderTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::oidc_resource;

    #[test]
    fn oidc_resource_is_the_url_without_scheme_with_the_host_lower_cased() {
        for (url, resource) in [
            ("https://server.example.com", "server.example.com"),
            ("https://Server.Example.COM/", "server.example.com"),
            ("https://localhost:8443/realms/X", "localhost:8443/realms/X"),
            (
                "https://token.actions.githubusercontent.com//",
                "token.actions.githubusercontent.com",
            ),
        ] {
            assert_eq!(oidc_resource(url).unwrap(), resource, "{url}");
        }
        for url in [
            "http://server.example.com",
            "https://",
            "https:///path",
            "https://a.example.com?x=1",
            "https://a.example.com/p#f",
            "https://user@a.example.com",
            "https://a.example.com:port",
            "https://a.example.com:",
            "https://a b.example.com",
            "https://a.example.com/p//q",
            "server.example.com",
        ] {
            let error = oidc_resource(url).unwrap_err();
            assert!(
                error.to_string().starts_with("InvalidInput"),
                "{url}: {error}"
            );
        }
    }
}
