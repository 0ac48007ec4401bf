//! Users' other credentials: SSH public keys (CodeCommit), X.509 signing certificates and
//! service-specific credentials (CodeCommit and Keyspaces passwords, Bedrock and CloudWatch
//! Logs API keys). Each is authorized on its user's ARN with its operation's own action.

use std::collections::HashMap;

use store::{AccessKeyStatus, CredentialKind, StoreError, UserCredentialRecord, UserRecord};
use wire::iam::{
    CreateServiceSpecificCredentialRequest, CreateServiceSpecificCredentialResponse,
    DeleteSSHPublicKeyRequest, DeleteServiceSpecificCredentialRequest,
    DeleteSigningCertificateRequest, EncodingType, Error as IamError, GetSSHPublicKeyRequest,
    GetSSHPublicKeyResponse, ListSSHPublicKeysRequest, ListSSHPublicKeysResponse,
    ListServiceSpecificCredentialsRequest, ListServiceSpecificCredentialsResponse,
    ListSigningCertificatesRequest, ListSigningCertificatesResponse, Operation,
    ResetServiceSpecificCredentialRequest, ResetServiceSpecificCredentialResponse, SSHPublicKey,
    SSHPublicKeyMetadata, ServiceSpecificCredential, ServiceSpecificCredentialMetadata,
    SigningCertificate, StatusType, UpdateSSHPublicKeyRequest,
    UpdateServiceSpecificCredentialRequest, UpdateSigningCertificateRequest,
    UploadSSHPublicKeyRequest, UploadSSHPublicKeyResponse, UploadSigningCertificateRequest,
    UploadSigningCertificateResponse,
};

use super::timestamp;
use crate::caller::Caller;
use crate::certificate;
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{IdKind, new_certificate_id, new_service_password, new_unique_id};
use crate::public_key::{KeyError, RsaPublicKey};
use crate::secret::Secret;
use crate::service::Service;

/// The services that issue service-specific credentials, and whether they are API keys
/// (an alias and a secret, optionally expiring) rather than a user name and a password.
const SERVICES: &[(&str, bool)] = &[
    ("codecommit.amazonaws.com", false),
    ("cassandra.amazonaws.com", false),
    ("bedrock.amazonaws.com", true),
    ("logs.amazonaws.com", true),
];

const SECONDS_PER_DAY: i64 = 86_400;

/// Whether `service` issues API keys; `NotSupportedService` when it issues nothing.
fn api_key_service(service: &str) -> ServiceResult<bool> {
    SERVICES
        .iter()
        .find(|(name, _)| *name == service)
        .map(|(_, api_key)| *api_key)
        .ok_or_else(|| {
            ServiceError::iam(
                IamError::ServiceNotSupported,
                format!("No such service {service} is supported for Service-Specific Credentials"),
            )
        })
}

/// A status from the wire; `Expired` is not one a credential can be set to.
pub(super) fn stored_status(status: StatusType) -> ServiceResult<AccessKeyStatus> {
    match status {
        StatusType::Active => Ok(AccessKeyStatus::Active),
        StatusType::Inactive => Ok(AccessKeyStatus::Inactive),
        StatusType::Expired => Err(ServiceError::validation(
            "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]",
        )),
    }
}

/// A stored status on the wire.
pub(super) fn wire_status(status: AccessKeyStatus) -> StatusType {
    match status {
        AccessKeyStatus::Active => StatusType::Active,
        AccessKeyStatus::Inactive => StatusType::Inactive,
    }
}

/// The binding a service-specific credential's secret is sealed under.
fn secret_binding(credential_id: &str) -> String {
    format!("service-specific-credential:{credential_id}")
}

impl Service {
    /// The credential `id` of this kind if it is the owner's (the root's when `owner` is
    /// `None`); `NoSuchEntity` otherwise, in the same words whether it exists elsewhere or not.
    async fn owned_credential(
        &self,
        caller: &Caller,
        owner: Option<&UserRecord>,
        kind: CredentialKind,
        id: &str,
    ) -> ServiceResult<UserCredentialRecord> {
        let found = self
            .reads()
            .get_user_credential(&caller.account_id, kind, id)
            .await;
        match found {
            Ok(c) if c.user_id.as_deref() == owner.map(|u| u.user_id.as_str()) => Ok(c),
            Ok(_) => Err(StoreError::NoSuchEntity {
                kind: kind.entity_kind(),
                name: id.to_owned(),
            }
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// The user an operation names, which it must (these operations have no root form).
    async fn named_user(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
    ) -> ServiceResult<UserRecord> {
        self.named_or_self(caller, operation, Some(name))
            .await?
            .ok_or_else(|| ServiceError::internal(&"a named user resolved to none"))
    }

    pub(super) async fn upload_ssh_public_key(
        &self,
        caller: &Caller,
        input: UploadSSHPublicKeyRequest,
    ) -> ServiceResult<UploadSSHPublicKeyResponse> {
        let user = self
            .named_user(caller, Operation::UploadSSHPublicKey, &input.user_name)
            .await?;
        let key = RsaPublicKey::parse(&input.ssh_public_key_body).map_err(|e| match e {
            KeyError::Unrecognized => ServiceError::iam(
                IamError::UnrecognizedPublicKeyEncoding,
                "The public key encoding format is unsupported or unrecognized.",
            ),
            KeyError::Invalid(why) => ServiceError::iam(IamError::InvalidPublicKey, why),
        })?;
        let record = UserCredentialRecord {
            credential_id: new_unique_id(IdKind::SshPublicKey)?,
            account_id: user.account_id.clone(),
            user_id: Some(user.user_id.clone()),
            kind: CredentialKind::SshPublicKey,
            status: AccessKeyStatus::Active,
            body: input.ssh_public_key_body,
            fingerprint: Some(key.fingerprint()),
            service_name: None,
            service_user_name: None,
            secret_ciphertext: None,
            created_at: self.clock.seconds(),
            expires_at: None,
        };
        let created = match self.store.create_user_credential(&record).await {
            Err(StoreError::EntityAlreadyExists { .. }) => {
                return Err(ServiceError::iam(
                    IamError::DuplicateSSHPublicKey,
                    "The SSH public key is already associated with the specified IAM user.",
                ));
            }
            other => other?,
        };
        Ok(UploadSSHPublicKeyResponse {
            ssh_public_key: Some(ssh_key_view(&user.name, created, None)?),
        })
    }

    pub(super) async fn get_ssh_public_key(
        &self,
        caller: &Caller,
        input: GetSSHPublicKeyRequest,
    ) -> ServiceResult<GetSSHPublicKeyResponse> {
        let user = self
            .named_user(caller, Operation::GetSSHPublicKey, &input.user_name)
            .await?;
        let kind = CredentialKind::SshPublicKey;
        let key = self
            .owned_credential(caller, Some(&user), kind, &input.ssh_public_key_id)
            .await?;
        Ok(GetSSHPublicKeyResponse {
            ssh_public_key: Some(ssh_key_view(&user.name, key, Some(input.encoding))?),
        })
    }

    pub(super) async fn update_ssh_public_key(
        &self,
        caller: &Caller,
        input: UpdateSSHPublicKeyRequest,
    ) -> ServiceResult<()> {
        let user = self
            .named_user(caller, Operation::UpdateSSHPublicKey, &input.user_name)
            .await?;
        let id = input.ssh_public_key_id;
        self.set_credential_status(
            caller,
            Some(&user),
            CredentialKind::SshPublicKey,
            &id,
            input.status,
        )
        .await
    }

    pub(super) async fn delete_ssh_public_key(
        &self,
        caller: &Caller,
        input: DeleteSSHPublicKeyRequest,
    ) -> ServiceResult<()> {
        let user = self
            .named_user(caller, Operation::DeleteSSHPublicKey, &input.user_name)
            .await?;
        let id = input.ssh_public_key_id;
        self.delete_credential(caller, Some(&user), CredentialKind::SshPublicKey, &id)
            .await
    }

    pub(super) async fn list_ssh_public_keys(
        &self,
        caller: &Caller,
        input: ListSSHPublicKeysRequest,
    ) -> ServiceResult<ListSSHPublicKeysResponse> {
        let operation = Operation::ListSSHPublicKeys;
        let owner = self
            .named_or_self(caller, operation, input.user_name.as_deref())
            .await?;
        // The root user has no SSH keys: an empty list, as for a user without any.
        let keys = match &owner {
            Some(user) => {
                self.reads()
                    .list_user_credentials(
                        &caller.account_id,
                        Some(&user.user_id),
                        CredentialKind::SshPublicKey,
                    )
                    .await?
            }
            None => Vec::new(),
        };
        let name = owner.map(|u| u.name).unwrap_or_default();
        let metadata: Vec<SSHPublicKeyMetadata> = keys
            .into_iter()
            .map(|k| SSHPublicKeyMetadata {
                user_name: name.clone(),
                ssh_public_key_id: k.credential_id,
                status: wire_status(k.status),
                upload_date: timestamp(k.created_at),
            })
            .collect();
        let marker = input.marker.as_deref();
        let (ssh_public_keys, marker) =
            self.page_of(caller, operation, &metadata, marker, input.max_items)?;
        Ok(ListSSHPublicKeysResponse {
            ssh_public_keys: Some(ssh_public_keys),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn upload_signing_certificate(
        &self,
        caller: &Caller,
        input: UploadSigningCertificateRequest,
    ) -> ServiceResult<UploadSigningCertificateResponse> {
        let owner = self
            .named_or_self(
                caller,
                Operation::UploadSigningCertificate,
                input.user_name.as_deref(),
            )
            .await?;
        let (fingerprint, expiration) =
            certificate::check_signing(&input.certificate_body, self.clock.seconds())?;
        let record = UserCredentialRecord {
            credential_id: new_certificate_id()?,
            account_id: caller.account_id.clone(),
            user_id: owner.as_ref().map(|u| u.user_id.clone()),
            kind: CredentialKind::SigningCertificate,
            status: AccessKeyStatus::Active,
            body: input.certificate_body,
            fingerprint: Some(fingerprint),
            service_name: None,
            service_user_name: None,
            secret_ciphertext: None,
            created_at: self.clock.seconds(),
            expires_at: Some(expiration),
        };
        let created = match self.store.create_user_credential(&record).await {
            Err(StoreError::EntityAlreadyExists { .. }) => {
                return Err(ServiceError::iam(
                    IamError::DuplicateCertificate,
                    "The same certificate is already associated with an IAM user in the account.",
                ));
            }
            other => other?,
        };
        Ok(UploadSigningCertificateResponse {
            certificate: certificate_view(owner.as_ref(), created),
        })
    }

    pub(super) async fn update_signing_certificate(
        &self,
        caller: &Caller,
        input: UpdateSigningCertificateRequest,
    ) -> ServiceResult<()> {
        let owner = self
            .named_or_self(
                caller,
                Operation::UpdateSigningCertificate,
                input.user_name.as_deref(),
            )
            .await?;
        let id = input.certificate_id;
        let kind = CredentialKind::SigningCertificate;
        self.set_credential_status(caller, owner.as_ref(), kind, &id, input.status)
            .await
    }

    pub(super) async fn delete_signing_certificate(
        &self,
        caller: &Caller,
        input: DeleteSigningCertificateRequest,
    ) -> ServiceResult<()> {
        let owner = self
            .named_or_self(
                caller,
                Operation::DeleteSigningCertificate,
                input.user_name.as_deref(),
            )
            .await?;
        let id = input.certificate_id;
        self.delete_credential(
            caller,
            owner.as_ref(),
            CredentialKind::SigningCertificate,
            &id,
        )
        .await
    }

    pub(super) async fn list_signing_certificates(
        &self,
        caller: &Caller,
        input: ListSigningCertificatesRequest,
    ) -> ServiceResult<ListSigningCertificatesResponse> {
        let operation = Operation::ListSigningCertificates;
        let owner = self
            .named_or_self(caller, operation, input.user_name.as_deref())
            .await?;
        let owner_id = owner.as_ref().map(|u| u.user_id.as_str());
        let certificates: Vec<SigningCertificate> = self
            .reads()
            .list_user_credentials(
                &caller.account_id,
                owner_id,
                CredentialKind::SigningCertificate,
            )
            .await?
            .into_iter()
            .map(|c| certificate_view(owner.as_ref(), c))
            .collect();
        let marker = input.marker.as_deref();
        let (certificates, marker) =
            self.page_of(caller, operation, &certificates, marker, input.max_items)?;
        Ok(ListSigningCertificatesResponse {
            certificates,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn create_service_specific_credential(
        &self,
        caller: &Caller,
        input: CreateServiceSpecificCredentialRequest,
    ) -> ServiceResult<CreateServiceSpecificCredentialResponse> {
        let operation = Operation::CreateServiceSpecificCredential;
        let user = self.named_user(caller, operation, &input.user_name).await?;
        let api_key = api_key_service(&input.service_name)?;
        if input.credential_age_days.is_some() && !api_key {
            return Err(ServiceError::invalid_input(format!(
                "CredentialAgeDays is not supported for service {}.",
                input.service_name
            )));
        }
        let now = self.clock.seconds();
        let id = new_unique_id(IdKind::ServiceSpecificCredential)?;
        let secret = new_service_password()?;
        let sealed = self.seal_service_secret(&id, &secret)?;
        let user_name = if api_key {
            // An API key's public half: the user, then its version and creation time.
            format!("{}+1-{now}-at-{}", user.name, user.account_id)
        } else {
            format!("{}-at-{}", user.name, user.account_id)
        };
        let record = UserCredentialRecord {
            credential_id: id,
            account_id: user.account_id.clone(),
            user_id: Some(user.user_id.clone()),
            kind: CredentialKind::ServiceSpecific,
            status: AccessKeyStatus::Active,
            body: String::new(),
            fingerprint: None,
            service_name: Some(input.service_name),
            service_user_name: Some(user_name),
            secret_ciphertext: Some(sealed),
            created_at: now,
            expires_at: input
                .credential_age_days
                .map(|days| now + i64::from(days) * SECONDS_PER_DAY),
        };
        let created = self.store.create_user_credential(&record).await?;
        Ok(CreateServiceSpecificCredentialResponse {
            service_specific_credential: Some(service_credential_view(
                &user.name, created, &secret,
            )),
        })
    }

    pub(super) async fn reset_service_specific_credential(
        &self,
        caller: &Caller,
        input: ResetServiceSpecificCredentialRequest,
    ) -> ServiceResult<ResetServiceSpecificCredentialResponse> {
        let operation = Operation::ResetServiceSpecificCredential;
        let owner = self
            .named_or_self(caller, operation, input.user_name.as_deref())
            .await?;
        let kind = CredentialKind::ServiceSpecific;
        let id = input.service_specific_credential_id;
        let credential = self
            .owned_credential(caller, owner.as_ref(), kind, &id)
            .await?;
        let secret = new_service_password()?;
        let sealed = self.seal_service_secret(&id, &secret)?;
        self.store
            .reset_user_credential_secret(&caller.account_id, &id, &sealed)
            .await?;
        let name = owner.map(|u| u.name).unwrap_or_default();
        Ok(ResetServiceSpecificCredentialResponse {
            service_specific_credential: Some(service_credential_view(&name, credential, &secret)),
        })
    }

    pub(super) async fn update_service_specific_credential(
        &self,
        caller: &Caller,
        input: UpdateServiceSpecificCredentialRequest,
    ) -> ServiceResult<()> {
        let operation = Operation::UpdateServiceSpecificCredential;
        let owner = self
            .named_or_self(caller, operation, input.user_name.as_deref())
            .await?;
        let id = input.service_specific_credential_id;
        let kind = CredentialKind::ServiceSpecific;
        self.set_credential_status(caller, owner.as_ref(), kind, &id, input.status)
            .await
    }

    pub(super) async fn delete_service_specific_credential(
        &self,
        caller: &Caller,
        input: DeleteServiceSpecificCredentialRequest,
    ) -> ServiceResult<()> {
        let operation = Operation::DeleteServiceSpecificCredential;
        let owner = self
            .named_or_self(caller, operation, input.user_name.as_deref())
            .await?;
        let id = input.service_specific_credential_id;
        self.delete_credential(caller, owner.as_ref(), CredentialKind::ServiceSpecific, &id)
            .await
    }

    pub(super) async fn list_service_specific_credentials(
        &self,
        caller: &Caller,
        input: ListServiceSpecificCredentialsRequest,
    ) -> ServiceResult<ListServiceSpecificCredentialsResponse> {
        let operation = Operation::ListServiceSpecificCredentials;
        if let Some(service) = &input.service_name {
            api_key_service(service)?;
        }
        let kind = CredentialKind::ServiceSpecific;
        let all_users = input.all_users.unwrap_or(false);
        let credentials = if all_users {
            if input.user_name.is_some() {
                return Err(ServiceError::invalid_input(
                    "AllUsers cannot be specified together with UserName.",
                ));
            }
            let every_user = format!("arn:aws:iam::{}:user/*", caller.account_id);
            self.allow(caller, operation, &every_user, Vec::new())
                .await?;
            self.reads()
                .list_account_credentials(&caller.account_id, kind)
                .await?
        } else {
            let owner = self
                .named_or_self(caller, operation, input.user_name.as_deref())
                .await?;
            match owner {
                Some(user) => {
                    self.reads()
                        .list_user_credentials(&caller.account_id, Some(&user.user_id), kind)
                        .await?
                }
                None => Vec::new(),
            }
        };
        let mut metadata = Vec::with_capacity(credentials.len());
        let mut names: HashMap<String, String> = HashMap::new();
        for credential in credentials {
            if input.service_name.is_some() && credential.service_name != input.service_name {
                continue;
            }
            // Service-specific credentials always belong to a user; one read per user.
            let user_id = credential.user_id.clone().unwrap_or_default();
            let owner = match names.get(&user_id) {
                Some(name) => name.clone(),
                None => {
                    let name = self.reads().get_user_by_id(&user_id).await?.name;
                    names.insert(user_id, name.clone());
                    name
                }
            };
            metadata.push(service_credential_metadata(owner, credential));
        }
        let marker = input.marker.as_deref();
        let (listed, marker) =
            self.page_of(caller, operation, &metadata, marker, input.max_items)?;
        Ok(ListServiceSpecificCredentialsResponse {
            service_specific_credentials: Some(listed),
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    async fn set_credential_status(
        &self,
        caller: &Caller,
        owner: Option<&UserRecord>,
        kind: CredentialKind,
        id: &str,
        status: StatusType,
    ) -> ServiceResult<()> {
        let status = stored_status(status)?;
        self.owned_credential(caller, owner, kind, id).await?;
        self.store
            .update_user_credential_status(&caller.account_id, kind, id, status)
            .await?;
        Ok(())
    }

    async fn delete_credential(
        &self,
        caller: &Caller,
        owner: Option<&UserRecord>,
        kind: CredentialKind,
        id: &str,
    ) -> ServiceResult<()> {
        self.owned_credential(caller, owner, kind, id).await?;
        self.store
            .delete_user_credential(&caller.account_id, kind, id)
            .await?;
        Ok(())
    }

    fn seal_service_secret(&self, id: &str, secret: &Secret) -> ServiceResult<Vec<u8>> {
        self.sealer
            .seal(secret.expose().as_bytes(), secret_binding(id).as_bytes())
            .map_err(|e| ServiceError::internal(&e))
    }
}

/// An SSH key on the wire, its body in the encoding asked for (as uploaded when none is).
fn ssh_key_view(
    user_name: &str,
    key: UserCredentialRecord,
    encoding: Option<EncodingType>,
) -> ServiceResult<SSHPublicKey> {
    // Stored keys passed `parse` when uploaded; failing now means the row was altered.
    let parsed =
        || RsaPublicKey::parse(&key.body).map_err(|_| ServiceError::internal(&"stored SSH key"));
    let body = match encoding {
        None => key.body.clone(),
        Some(EncodingType::Ssh) => parsed()?.to_openssh(),
        Some(EncodingType::Pem) => parsed()?.to_pem(),
    };
    Ok(SSHPublicKey {
        user_name: user_name.to_owned(),
        ssh_public_key_id: key.credential_id,
        fingerprint: key.fingerprint.unwrap_or_default(),
        ssh_public_key_body: body,
        status: wire_status(key.status),
        upload_date: Some(timestamp(key.created_at)),
    })
}

fn certificate_view(owner: Option<&UserRecord>, c: UserCredentialRecord) -> SigningCertificate {
    SigningCertificate {
        user_name: owner.map(|u| u.name.clone()).unwrap_or_default(),
        certificate_id: c.credential_id,
        certificate_body: c.body,
        status: wire_status(c.status),
        upload_date: Some(timestamp(c.created_at)),
    }
}

/// A service-specific credential with its secret, as Create and Reset answer (the only
/// times the secret is shown).
fn service_credential_view(
    user_name: &str,
    c: UserCredentialRecord,
    secret: &Secret,
) -> ServiceSpecificCredential {
    let service = c.service_name.unwrap_or_default();
    let api_key = api_key_service(&service).unwrap_or(false);
    let (user, password, alias, key) = if api_key {
        (
            None,
            None,
            c.service_user_name,
            Some(secret.expose().to_owned()),
        )
    } else {
        (
            c.service_user_name,
            Some(secret.expose().to_owned()),
            None,
            None,
        )
    };
    ServiceSpecificCredential {
        create_date: timestamp(c.created_at),
        expiration_date: c.expires_at.map(timestamp),
        service_name: service,
        service_user_name: user,
        service_password: password,
        service_credential_alias: alias,
        service_credential_secret: key,
        service_specific_credential_id: c.credential_id,
        user_name: user_name.to_owned(),
        status: wire_status(c.status),
    }
}

fn service_credential_metadata(
    user_name: String,
    c: UserCredentialRecord,
) -> ServiceSpecificCredentialMetadata {
    let service = c.service_name.unwrap_or_default();
    let api_key = api_key_service(&service).unwrap_or(false);
    let (user, alias) = if api_key {
        (None, c.service_user_name)
    } else {
        (c.service_user_name, None)
    };
    ServiceSpecificCredentialMetadata {
        user_name,
        status: wire_status(c.status),
        service_user_name: user,
        service_credential_alias: alias,
        create_date: timestamp(c.created_at),
        expiration_date: c.expires_at.map(timestamp),
        service_specific_credential_id: c.credential_id,
        service_name: service,
    }
}
