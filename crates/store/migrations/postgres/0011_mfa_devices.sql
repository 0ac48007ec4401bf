-- Virtual MFA devices (issue 12): a serial number (the device's ARN) is unique in any case,
-- as IAM names are, and an account's devices are listed in serial-number order. A device
-- keeps how many steps its clock runs ahead (or behind, negative), as ResyncMFADevice found.

CREATE UNIQUE INDEX mfa_devices_serial_lower ON mfa_devices (lower(serial_number));
CREATE INDEX mfa_devices_by_account ON mfa_devices (account_id, serial_number);

ALTER TABLE mfa_devices ADD COLUMN drift_steps BIGINT NOT NULL DEFAULT 0;
