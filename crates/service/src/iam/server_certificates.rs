//! Server certificates: upload (checked by `certificate.rs`, the private key sealed at rest
//! and never answered), get, list, rename or move, delete, tags.

use store::{NewServerCertificate, Page, ServerCertificateRecord};
use wire::iam::{
    DeleteServerCertificateRequest, GetServerCertificateRequest, GetServerCertificateResponse,
    ListServerCertificateTagsRequest, ListServerCertificateTagsResponse,
    ListServerCertificatesRequest, ListServerCertificatesResponse, Operation, ServerCertificate,
    ServerCertificateMetadata, TagServerCertificateRequest, UntagServerCertificateRequest,
    UpdateServerCertificateRequest, UploadServerCertificateRequest,
    UploadServerCertificateResponse,
};

use super::entity::server_certificate_arn;
use super::{ServerCertificates, check_path, timestamp};
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{IdKind, new_unique_id};
use crate::secret::Secret;
use crate::service::Service;

/// What a sealed private key is bound to: its certificate, so it opens nowhere else.
fn key_binding(server_certificate_id: &str) -> String {
    format!("server-certificate:{server_certificate_id}")
}

fn metadata(certificate: &ServerCertificateRecord) -> ServerCertificateMetadata {
    ServerCertificateMetadata {
        path: certificate.path.clone(),
        server_certificate_name: certificate.name.clone(),
        server_certificate_id: certificate.server_certificate_id.clone(),
        arn: server_certificate_arn(
            &certificate.account_id,
            &certificate.path,
            &certificate.name,
        ),
        upload_date: Some(timestamp(certificate.uploaded_at)),
        expiration: Some(timestamp(certificate.expires_at)),
    }
}

impl Service {
    /// UploadServerCertificate: authorized (with its tags) before the certificate is looked
    /// at; the certificate, key and chain checked; then one write with the key sealed.
    pub(super) async fn upload_server_certificate(
        &self,
        caller: &Caller,
        input: UploadServerCertificateRequest,
    ) -> ServiceResult<UploadServerCertificateResponse> {
        let private_key = Secret::new(input.private_key);
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        check_path(&path)?;
        let name = input.server_certificate_name;
        let tags = input.tags.unwrap_or_default();
        let arn = server_certificate_arn(&caller.account_id, &path, &name);
        let operations = (
            Operation::UploadServerCertificate,
            Operation::TagServerCertificate,
        );
        let stored_tags = self
            .allow_creation(caller, operations, &arn, &tags, Vec::new())
            .await?;
        let chain = input.certificate_chain;
        let expires_at = crate::certificate::check(
            &input.certificate_body,
            chain.as_deref(),
            private_key.expose(),
            self.clock.seconds(),
        )?;
        let id = new_unique_id(IdKind::ServerCertificate)?;
        let sealed = self
            .sealer
            .seal(private_key.expose().as_bytes(), key_binding(&id).as_bytes())
            .map_err(|e| ServiceError::internal(&e))?;
        let certificate = self
            .store
            .create_server_certificate(&NewServerCertificate {
                account_id: caller.account_id.clone(),
                server_certificate_id: id,
                name,
                path,
                certificate_body: input.certificate_body,
                certificate_chain: chain,
                private_key_ciphertext: sealed,
                uploaded_at: self.clock.seconds(),
                expires_at,
                tags: stored_tags,
            })
            .await?;
        Ok(UploadServerCertificateResponse {
            server_certificate_metadata: Some(metadata(&certificate)),
            tags: (!tags.is_empty()).then_some(tags),
        })
    }

    /// GetServerCertificate: the certificate, its chain and metadata; never the key.
    pub(super) async fn get_server_certificate(
        &self,
        caller: &Caller,
        input: GetServerCertificateRequest,
    ) -> ServiceResult<GetServerCertificateResponse> {
        let (certificate, tags) = self
            .entity_with_tags::<ServerCertificates>(
                caller,
                Operation::GetServerCertificate.action(),
                &input.server_certificate_name,
            )
            .await?;
        // AWS answers `Tags` even when empty (recorded), unlike for users and roles.
        let tags = Some(tags.unwrap_or_default());
        Ok(GetServerCertificateResponse {
            server_certificate: ServerCertificate {
                server_certificate_metadata: metadata(&certificate),
                certificate_body: certificate.certificate_body,
                certificate_chain: certificate.certificate_chain,
                tags,
            },
        })
    }

    pub(super) async fn list_server_certificates(
        &self,
        caller: &Caller,
        input: ListServerCertificatesRequest,
    ) -> ServiceResult<ListServerCertificatesResponse> {
        let account = caller.account_id.clone();
        let operation = Operation::ListServerCertificates;
        let resource = server_certificate_arn(&account, "/", "");
        self.allow(caller, operation, &resource, Vec::new()).await?;
        let marker = input.marker.as_deref();
        let options = self.list_options(
            caller,
            operation,
            input.path_prefix,
            marker,
            input.max_items,
        )?;
        let Page { items, next_marker } = self
            .reads()
            .list_server_certificates(&account, &options)
            .await?;
        Ok(ListServerCertificatesResponse {
            server_certificate_metadata_list: items.iter().map(metadata).collect(),
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(caller, operation, next_marker)?,
        })
    }

    /// UpdateServerCertificate: authorized on the ARN as it is and as it will be.
    pub(super) async fn update_server_certificate(
        &self,
        caller: &Caller,
        input: UpdateServerCertificateRequest,
    ) -> ServiceResult<()> {
        let renamed = (
            input.new_server_certificate_name.as_deref(),
            input.new_path.as_deref(),
        );
        let certificate = self
            .entity_to_rename::<ServerCertificates>(
                caller,
                Operation::UpdateServerCertificate,
                &input.server_certificate_name,
                renamed,
            )
            .await?;
        self.store
            .update_server_certificate(
                &certificate.account_id,
                &certificate.name,
                renamed.0,
                renamed.1,
            )
            .await?;
        Ok(())
    }

    pub(super) async fn delete_server_certificate(
        &self,
        caller: &Caller,
        input: DeleteServerCertificateRequest,
    ) -> ServiceResult<()> {
        let certificate = self
            .entity::<ServerCertificates>(
                caller,
                Operation::DeleteServerCertificate.action(),
                &input.server_certificate_name,
                Vec::new(),
            )
            .await?;
        self.store
            .delete_server_certificate(&certificate.account_id, &certificate.name)
            .await?;
        Ok(())
    }

    pub(super) async fn tag_server_certificate(
        &self,
        caller: &Caller,
        input: TagServerCertificateRequest,
    ) -> ServiceResult<()> {
        self.tag_entity::<ServerCertificates>(
            caller,
            Operation::TagServerCertificate,
            &input.server_certificate_name,
            &input.tags,
        )
        .await
    }

    pub(super) async fn untag_server_certificate(
        &self,
        caller: &Caller,
        input: UntagServerCertificateRequest,
    ) -> ServiceResult<()> {
        self.untag_entity::<ServerCertificates>(
            caller,
            Operation::UntagServerCertificate,
            &input.server_certificate_name,
            &input.tag_keys,
        )
        .await
    }

    pub(super) async fn list_server_certificate_tags(
        &self,
        caller: &Caller,
        input: ListServerCertificateTagsRequest,
    ) -> ServiceResult<ListServerCertificateTagsResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (tags, marker) = self
            .list_entity_tags::<ServerCertificates>(
                caller,
                Operation::ListServerCertificateTags,
                &input.server_certificate_name,
                page,
            )
            .await?;
        Ok(ListServerCertificateTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }
}
