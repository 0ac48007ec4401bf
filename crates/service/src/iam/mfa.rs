//! Virtual MFA devices: create (the seed, sealed at rest, and its QR code answered once),
//! enable for a user with two consecutive codes, resync, deactivate, delete, get, list, tags;
//! and the one check of a code (`Service::check_mfa_code`) that STS uses. Codes come from
//! `totp.rs` at the service's clock; the last accepted step of each device is kept, so no code
//! is accepted twice.

use std::ops::RangeInclusive;

use store::{
    Assignment, MfaDeviceInfo, MfaDeviceRecord, MfaOwner, NewMfaDevice, Page, StoreError, TagTarget,
};
use wire::iam::{
    AssignmentStatusType, CreateVirtualMFADeviceRequest, CreateVirtualMFADeviceResponse,
    DeactivateMFADeviceRequest, DeleteVirtualMFADeviceRequest, EnableMFADeviceRequest,
    GetMFADeviceRequest, GetMFADeviceResponse, ListMFADeviceTagsRequest, ListMFADeviceTagsResponse,
    ListMFADevicesRequest, ListMFADevicesResponse, ListVirtualMFADevicesRequest,
    ListVirtualMFADevicesResponse, MFADevice, Operation, ResyncMFADeviceRequest,
    TagMFADeviceRequest, UntagMFADeviceRequest, User, VirtualMFADevice,
};
use zeroize::Zeroizing;

use super::entity::{Kind, Named};
use super::{Users, check_path, timestamp, uri_encode, user_view};
use crate::caller::{Caller, Identity};
use crate::error::{ServiceError, ServiceResult};
use crate::reads::Reads;
use crate::service::Service;
use crate::totp;

/// Seed bytes: 40, as AWS's 64-character Base32 seeds hold.
const SEED_BYTES: usize = 40;

/// How far from the current step ResyncMFADevice looks for the two codes (reading 51).
const RESYNC_STEPS: i64 = 10;

/// `arn:aws:iam::<account>:mfa<path><name>`: a virtual device's ARN and serial number.
pub(crate) fn mfa_arn(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:mfa{path}{name}")
}

/// What a sealed seed is bound to: its serial number, so it opens for no other device.
fn seed_binding(serial_number: &str) -> String {
    format!("mfa-device:{serial_number}")
}

/// AWS's STS denial when the serial number names no device of the caller.
const UNKNOWN_DEVICE: &str = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.";
/// AWS's STS denial when the code does not check (wrong, spent, or out of the window).
const WRONG_CODE: &str = "MultiFactorAuthentication failed with invalid MFA one time pass code.";

/// Virtual MFA devices, named by serial number.
pub(crate) struct MfaDevices;

/// The path and name of a serial number (`/` and the whole text when it has no `mfa/`).
fn path_and_name(serial: &str) -> (&str, &str) {
    let resource = serial.split_once(":mfa").map_or(serial, |(_, rest)| rest);
    match resource.rfind('/') {
        Some(at) => (
            resource.get(..=at).unwrap_or("/"),
            resource.get(at + 1..).unwrap_or(""),
        ),
        None => ("/", resource),
    }
}

impl Named for MfaDeviceInfo {
    fn name(&self) -> &str {
        path_and_name(&self.serial_number).1
    }
    fn path(&self) -> &str {
        path_and_name(&self.serial_number).0
    }
    fn account_id(&self) -> &str {
        &self.account_id
    }
}

impl Kind for MfaDevices {
    type Record = MfaDeviceInfo;

    fn arn_at(account_id: &str, path: &str, name: &str) -> String {
        mfa_arn(account_id, path, name)
    }

    /// A device is named by its serial number, which is its ARN.
    fn arn_of_name(_account_id: &str, serial: &str) -> String {
        serial.to_owned()
    }

    fn arn(device: &MfaDeviceInfo) -> String {
        device.serial_number.clone()
    }

    fn not_found(serial: &str) -> ServiceError {
        StoreError::NoSuchEntity {
            kind: store::EntityKind::MfaDevice,
            name: serial.to_owned(),
        }
        .into()
    }

    async fn find(
        reads: Reads<'_>,
        caller: &Caller,
        serial: &str,
    ) -> ServiceResult<Option<MfaDeviceInfo>> {
        match reads.get_mfa_device(&caller.account_id, serial).await {
            Ok(device) => Ok(Some(device)),
            Err(StoreError::NoSuchEntity { .. }) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    fn tag_target(device: &MfaDeviceInfo) -> Option<TagTarget> {
        Some(TagTarget::MfaDevice(device.serial_number.clone()))
    }
}

/// Who a user operation's device belongs to: the named user, or the caller's root user.
fn owner_of(user: Option<&store::UserRecord>) -> MfaOwner {
    match user {
        Some(user) => MfaOwner::User(user.user_id.clone()),
        None => MfaOwner::Root,
    }
}

impl Service {
    /// The device's seed, opened.
    fn seed(&self, device: &MfaDeviceRecord) -> ServiceResult<Zeroizing<Vec<u8>>> {
        self.sealer
            .open(
                &device.seed_ciphertext,
                seed_binding(&device.serial_number).as_bytes(),
            )
            .map_err(|e| ServiceError::internal(&e))
    }

    /// The first step `k` of `window` (after the device's last accepted step) whose code is
    /// `first` while step `k + 1`'s is `second`: the step the device is then at is `k + 1`.
    fn consecutive(
        &self,
        device: &MfaDeviceRecord,
        (first, second): (&str, &str),
        window: RangeInclusive<i64>,
    ) -> ServiceResult<i64> {
        let seed = self.seed(device)?;
        let floor = device
            .last_used_step
            .map_or(i64::MIN, |s| s.saturating_add(1));
        let start = (*window.start()).max(floor);
        let mut found = None;
        for k in start..=*window.end() {
            let one = totp::matching_step(&seed, first, k..=k).is_some();
            let two = totp::matching_step(&seed, second, k + 1..=k + 1).is_some();
            if one && two {
                found = Some(k + 1);
            }
        }
        found.ok_or_else(ServiceError::invalid_authentication_code)
    }

    /// The current TOTP step at the service's clock.
    fn current_step(&self) -> i64 {
        totp::step_at(self.clock.seconds())
    }

    pub(super) async fn create_virtual_mfa_device(
        &self,
        caller: &Caller,
        input: CreateVirtualMFADeviceRequest,
    ) -> ServiceResult<CreateVirtualMFADeviceResponse> {
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        check_path(&path)?;
        let name = input.virtual_mfa_device_name;
        let tags = input.tags.unwrap_or_default();
        let serial = mfa_arn(&caller.account_id, &path, &name);
        let operations = (Operation::CreateVirtualMFADevice, Operation::TagMFADevice);
        let stored_tags = self
            .allow_creation(caller, operations, &serial, &tags, Vec::new())
            .await?;
        let mut seed = Zeroizing::new(vec![0u8; SEED_BYTES]);
        crate::random_bytes(&mut seed)?;
        let base32 = Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&seed));
        let sealed = self
            .sealer
            .seal(&seed, seed_binding(&serial).as_bytes())
            .map_err(|e| ServiceError::internal(&e))?;
        // AWS's form: the device name at the account (no user is assigned yet).
        let uri = Zeroizing::new(format!(
            "otpauth://totp/{}@{}?secret={}",
            uri_encode(&name),
            caller.account_id,
            base32.as_str()
        ));
        let qr_code = crate::qr::png(&uri)?;
        self.store
            .create_mfa_device(&NewMfaDevice {
                serial_number: serial.clone(),
                account_id: caller.account_id.clone(),
                seed_ciphertext: sealed,
                created_at: self.clock.seconds(),
                tags: stored_tags,
            })
            .await?;
        Ok(CreateVirtualMFADeviceResponse {
            virtual_mfa_device: VirtualMFADevice {
                serial_number: serial,
                base32_string_seed: Some(base32.as_bytes().to_vec()),
                qr_code_png: Some(qr_code),
                user: None,
                enable_date: None,
                tags: (!tags.is_empty()).then_some(tags),
            },
        })
    }

    /// The device a user operation names in the caller's account, or AWS's `NoSuchEntity`.
    async fn device(&self, caller: &Caller, serial: &str) -> ServiceResult<MfaDeviceInfo> {
        MfaDevices::find(self.reads(), caller, serial)
            .await?
            .ok_or_else(|| MfaDevices::not_found(serial))
    }

    /// The device with its seed, last accepted step and drift, which only the store holds:
    /// for the operations that check codes. `NoSuchEntity` as [`Self::device`] words it.
    async fn device_with_seed(
        &self,
        caller: &Caller,
        serial: &str,
    ) -> ServiceResult<MfaDeviceRecord> {
        match self
            .reads()
            .mfa_device_with_seed(&caller.account_id, serial)
            .await
        {
            Ok(device) => Ok(device),
            Err(StoreError::NoSuchEntity { .. }) => Err(MfaDevices::not_found(serial)),
            Err(other) => Err(other.into()),
        }
    }

    pub(super) async fn enable_mfa_device(
        &self,
        caller: &Caller,
        input: EnableMFADeviceRequest,
    ) -> ServiceResult<()> {
        let user = self
            .entity::<Users>(
                caller,
                Operation::EnableMFADevice.action(),
                &input.user_name,
                Vec::new(),
            )
            .await?;
        let codes = (
            input.authentication_code1.as_str(),
            input.authentication_code2.as_str(),
        );
        self.enable_for(caller, &input.serial_number, &owner_of(Some(&user)), codes)
            .await
    }

    /// Enables a device for the root user of the caller's account, which must be the root
    /// user itself. AWS does this only from its console (its API has no form for it); the
    /// console of issue 12 and the tests call it.
    pub async fn enable_root_mfa_device(
        &self,
        caller: &Caller,
        serial_number: &str,
        codes: (&str, &str),
    ) -> ServiceResult<()> {
        // The root user with its own keys or signed in to the console; no other session.
        let console = caller
            .session
            .as_ref()
            .is_some_and(|s| matches!(s.kind, crate::session::SessionKind::Console { .. }));
        if caller.identity != Identity::Root || (caller.session.is_some() && !console) {
            return Err(ServiceError::access_denied(
                "Only the root user can enable an MFA device for itself.",
            ));
        }
        self.enable_for(caller, serial_number, &MfaOwner::Root, codes)
            .await?;
        self.after_write().await;
        Ok(())
    }

    async fn enable_for(
        &self,
        caller: &Caller,
        serial: &str,
        owner: &MfaOwner,
        codes: (&str, &str),
    ) -> ServiceResult<()> {
        let device = self.device_with_seed(caller, serial).await?;
        if device.owner.is_some() {
            return Err(ServiceError::entity_already_exists(format!(
                "MFA device {serial} is already in use."
            )));
        }
        // The second code is the current step's, or one step either side of it.
        let now = self.current_step();
        let step = self.consecutive(&device, codes, now - 2..=now)?;
        self.store
            .enable_mfa_device(
                &caller.account_id,
                serial,
                owner,
                (self.clock.seconds(), step),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn resync_mfa_device(
        &self,
        caller: &Caller,
        input: ResyncMFADeviceRequest,
    ) -> ServiceResult<()> {
        let user = self
            .entity::<Users>(
                caller,
                Operation::ResyncMFADevice.action(),
                &input.user_name,
                Vec::new(),
            )
            .await?;
        let device = self.device_with_seed(caller, &input.serial_number).await?;
        if device.owner != Some(owner_of(Some(&user))) {
            return Err(MfaDevices::not_found(&input.serial_number));
        }
        let now = self.current_step();
        let codes = (
            input.authentication_code1.as_str(),
            input.authentication_code2.as_str(),
        );
        let step = self.consecutive(&device, codes, now - RESYNC_STEPS..=now + RESYNC_STEPS)?;
        // The second code is the device's current one: its clock is `step - now` steps off.
        let drift = (step, step - now);
        self.store
            .resync_mfa_device(&caller.account_id, &device.serial_number, drift)
            .await?;
        Ok(())
    }

    pub(super) async fn deactivate_mfa_device(
        &self,
        caller: &Caller,
        input: DeactivateMFADeviceRequest,
    ) -> ServiceResult<()> {
        let user = self
            .named_or_self(
                caller,
                Operation::DeactivateMFADevice,
                input.user_name.as_deref(),
            )
            .await?;
        self.store
            .deactivate_mfa_device(
                &caller.account_id,
                &input.serial_number,
                &owner_of(user.as_ref()),
            )
            .await?;
        Ok(())
    }

    pub(super) async fn delete_virtual_mfa_device(
        &self,
        caller: &Caller,
        input: DeleteVirtualMFADeviceRequest,
    ) -> ServiceResult<()> {
        let device = self
            .entity::<MfaDevices>(
                caller,
                Operation::DeleteVirtualMFADevice.action(),
                &input.serial_number,
                Vec::new(),
            )
            .await?;
        self.store
            .delete_mfa_device(&caller.account_id, &device.serial_number)
            .await?;
        Ok(())
    }

    /// The user a device is enabled for, as AWS shows it in a list; the root user as its
    /// account (reading 52).
    async fn owner_view(
        &self,
        caller: &Caller,
        owner: &MfaOwner,
    ) -> ServiceResult<(String, Option<User>)> {
        match owner {
            MfaOwner::User(user_id) => {
                let user = self.reads().get_user_by_id(user_id).await?;
                Ok((user.name.clone(), Some(user_view(user, None))))
            }
            MfaOwner::Root => {
                let account = self.reads().get_account(&caller.account_id).await?;
                let root = User {
                    path: "/".to_owned(),
                    user_name: "root".to_owned(),
                    user_id: account.account_id.clone(),
                    arn: format!("arn:aws:iam::{}:root", account.account_id),
                    create_date: timestamp(account.created_at),
                    password_last_used: None,
                    permissions_boundary: None,
                    tags: None,
                };
                Ok(("root".to_owned(), Some(root)))
            }
        }
    }

    pub(super) async fn list_mfa_devices(
        &self,
        caller: &Caller,
        input: ListMFADevicesRequest,
    ) -> ServiceResult<ListMFADevicesResponse> {
        let operation = Operation::ListMFADevices;
        let user = self
            .named_or_self(caller, operation, input.user_name.as_deref())
            .await?;
        let owner = owner_of(user.as_ref());
        let devices = self
            .reads()
            .list_mfa_devices_of(&caller.account_id, &owner)
            .await?;
        let (user_name, _) = self.owner_view(caller, &owner).await?;
        let all: Vec<MFADevice> = devices
            .iter()
            .map(|d| MFADevice {
                user_name: user_name.clone(),
                serial_number: d.serial_number.clone(),
                enable_date: timestamp(d.enabled_at.unwrap_or(d.created_at)),
            })
            .collect();
        let (mfa_devices, marker) = self.page_of(
            caller,
            operation,
            &all,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListMFADevicesResponse {
            mfa_devices,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    pub(super) async fn list_virtual_mfa_devices(
        &self,
        caller: &Caller,
        input: ListVirtualMFADevicesRequest,
    ) -> ServiceResult<ListVirtualMFADevicesResponse> {
        let operation = Operation::ListVirtualMFADevices;
        self.allow(caller, operation, "*", Vec::new()).await?;
        let assignment = match input.assignment_status {
            Some(AssignmentStatusType::Assigned) => Assignment::Assigned,
            Some(AssignmentStatusType::Unassigned) => Assignment::Unassigned,
            Some(AssignmentStatusType::Any) | None => Assignment::Any,
        };
        let options = self.list_options(
            caller,
            operation,
            None,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let Page { items, next_marker } = self
            .reads()
            .list_virtual_mfa_devices(&caller.account_id, assignment, &options)
            .await?;
        let mut virtual_mfa_devices = Vec::with_capacity(items.len());
        for device in items {
            let user = match &device.owner {
                Some(owner) => self.owner_view(caller, owner).await?.1,
                None => None,
            };
            virtual_mfa_devices.push(VirtualMFADevice {
                serial_number: device.serial_number,
                base32_string_seed: None,
                qr_code_png: None,
                user,
                enable_date: device.enabled_at.map(timestamp),
                tags: None,
            });
        }
        Ok(ListVirtualMFADevicesResponse {
            virtual_mfa_devices,
            is_truncated: Some(next_marker.is_some()),
            marker: self.next_marker(caller, operation, next_marker)?,
        })
    }

    /// GetMFADevice: AWS answers it for FIDO security keys only; with no such keys here, it
    /// answers for a virtual device enabled for the user (reading 52).
    pub(super) async fn get_mfa_device(
        &self,
        caller: &Caller,
        input: GetMFADeviceRequest,
    ) -> ServiceResult<GetMFADeviceResponse> {
        let user = self
            .named_or_self(caller, Operation::GetMFADevice, input.user_name.as_deref())
            .await?;
        let owner = owner_of(user.as_ref());
        let device = self.device(caller, &input.serial_number).await?;
        if device.owner.as_ref() != Some(&owner) {
            return Err(MfaDevices::not_found(&input.serial_number));
        }
        Ok(GetMFADeviceResponse {
            user_name: Some(self.owner_view(caller, &owner).await?.0),
            serial_number: device.serial_number,
            enable_date: device.enabled_at.map(timestamp),
            certifications: None,
        })
    }

    pub(super) async fn tag_mfa_device(
        &self,
        caller: &Caller,
        input: TagMFADeviceRequest,
    ) -> ServiceResult<()> {
        self.tag_entity::<MfaDevices>(
            caller,
            Operation::TagMFADevice,
            &input.serial_number,
            &input.tags,
        )
        .await
    }

    pub(super) async fn untag_mfa_device(
        &self,
        caller: &Caller,
        input: UntagMFADeviceRequest,
    ) -> ServiceResult<()> {
        self.untag_entity::<MfaDevices>(
            caller,
            Operation::UntagMFADevice,
            &input.serial_number,
            &input.tag_keys,
        )
        .await
    }

    pub(super) async fn list_mfa_device_tags(
        &self,
        caller: &Caller,
        input: ListMFADeviceTagsRequest,
    ) -> ServiceResult<ListMFADeviceTagsResponse> {
        let page = (input.marker.as_deref(), input.max_items);
        let (tags, marker) = self
            .list_entity_tags::<MfaDevices>(
                caller,
                Operation::ListMFADeviceTags,
                &input.serial_number,
                page,
            )
            .await?;
        Ok(ListMFADeviceTagsResponse {
            tags,
            is_truncated: Some(marker.is_some()),
            marker,
        })
    }

    /// Console sign-in's MFA check for `owner`: `None` when it has no device enabled (no
    /// code needed), else whether `code` is the current code (within one step, shifted by
    /// the drift) of one of its devices, later than any accepted before; the step is spent.
    pub(crate) async fn sign_in_mfa(
        &self,
        account_id: &str,
        owner: &MfaOwner,
        code: Option<&str>,
    ) -> ServiceResult<Option<bool>> {
        // From the store, not the state: a device another node enabled a moment ago must
        // not let a sign-in through without a code.
        let devices = self
            .reads()
            .mfa_devices_with_seeds(account_id, owner)
            .await?;
        if devices.is_empty() {
            return Ok(None);
        }
        let Some(code) = code else {
            return Ok(Some(false));
        };
        for device in devices {
            let seed = self.seed(&device)?;
            let now = self.current_step() + device.drift_steps;
            if let Some(step) = totp::matching_step(&seed, code, now - 1..=now + 1)
                && self
                    .store
                    .spend_mfa_step(&device.serial_number, step)
                    .await?
            {
                return Ok(Some(true));
            }
        }
        Ok(Some(false))
    }

    /// STS's MFA check, when the request gives a serial number or a code (false when it
    /// gives neither): `serial` must name a device enabled for the caller (a user or the
    /// root user, with long-term keys) and `code` be its code of the current step (shifted by
    /// the device's drift) or one step either side, later than any accepted before; the step
    /// is then spent. Answers AWS's `AccessDenied` otherwise.
    pub(crate) async fn check_mfa_code(
        &self,
        caller: &Caller,
        (serial, code): (&Option<String>, &Option<String>),
    ) -> ServiceResult<bool> {
        let (serial, code) = (serial.as_deref(), code.as_deref());
        if serial.is_none() && code.is_none() {
            return Ok(false);
        }
        let unknown = || ServiceError::access_denied(UNKNOWN_DEVICE);
        let owner = match (&caller.identity, &caller.session) {
            (Identity::Root, None) => MfaOwner::Root,
            (Identity::User(user), None) => MfaOwner::User(user.user_id.clone()),
            _ => return Err(unknown()),
        };
        let serial = serial.ok_or_else(unknown)?;
        // With its seed, last accepted step and drift, which only the store holds.
        let device = match self
            .reads()
            .mfa_device_with_seed(&caller.account_id, serial)
            .await
        {
            Ok(device) if device.owner.as_ref() == Some(&owner) => device,
            Ok(_) | Err(StoreError::NoSuchEntity { .. }) => return Err(unknown()),
            Err(other) => return Err(other.into()),
        };
        let wrong = || ServiceError::access_denied(WRONG_CODE);
        let code = code.ok_or_else(wrong)?;
        let seed = self.seed(&device)?;
        // The device's step now, as ResyncMFADevice last measured its clock.
        let now = self.current_step() + device.drift_steps;
        let step = totp::matching_step(&seed, code, now - 1..=now + 1).ok_or_else(wrong)?;
        if self
            .store
            .spend_mfa_step(&device.serial_number, step)
            .await?
        {
            Ok(true)
        } else {
            Err(wrong())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_number_splits_into_path_and_name() {
        assert_eq!(
            path_and_name("arn:aws:iam::111111111111:mfa/dev"),
            ("/", "dev")
        );
        assert_eq!(
            path_and_name("arn:aws:iam::111111111111:mfa/a/b/dev"),
            ("/a/b/", "dev")
        );
    }
}
