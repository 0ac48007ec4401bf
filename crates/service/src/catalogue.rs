//! The AWS managed policies (`arn:aws:iam::aws:policy/...`), shipped in the binary.
//!
//! The catalogue is read once, at first use; each document is validated and compiled only
//! when a principal that has it attached is authorized.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

use serde_json::Value;

/// The gzip-compressed catalogue (see `data/SOURCES.md`).
const COMPRESSED: &[u8] = include_bytes!("../../../data/aws-managed-policies.json.gz");

/// One AWS managed policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedPolicy {
    /// `AdministratorAccess`.
    pub name: String,
    /// `ANPA...`.
    pub id: String,
    /// `arn:aws:iam::aws:policy/AdministratorAccess`.
    pub arn: String,
    /// `/`, `/service-role/`, ...
    pub path: String,
    /// `v1`, ...
    pub default_version_id: String,
    /// Whether it can be attached.
    pub is_attachable: bool,
    /// Creation time, epoch seconds.
    pub created_at: i64,
    /// Last update, epoch seconds.
    pub updated_at: i64,
    /// The default version's document, as JSON text.
    pub document: String,
}

/// The catalogue, by ARN.
#[derive(Debug, Default)]
pub struct Catalogue {
    by_arn: HashMap<String, ManagedPolicy>,
    names: Vec<String>,
}

impl Catalogue {
    /// The shipped catalogue, parsed on first use.
    pub fn shipped() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| Catalogue::parse(COMPRESSED).unwrap_or_default())
    }

    fn parse(compressed: &[u8]) -> Option<Catalogue> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(compressed)
            .read_to_string(&mut text)
            .ok()?;
        let root: Value = serde_json::from_str(&text).ok()?;
        let mut catalogue = Catalogue::default();
        for entry in root.get("policies")?.as_array()? {
            let field = |name: &str| entry.get(name).and_then(Value::as_str).unwrap_or_default();
            let time = |name: &str| {
                wire::Timestamp::parse_iso8601(field(name))
                    .map(|t| t.unix_seconds())
                    .unwrap_or_default()
            };
            let policy = ManagedPolicy {
                name: field("PolicyName").to_owned(),
                id: field("PolicyId").to_owned(),
                arn: field("Arn").to_owned(),
                path: field("Path").to_owned(),
                default_version_id: field("DefaultVersionId").to_owned(),
                is_attachable: entry
                    .get("IsAttachable")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
                created_at: time("CreateDate"),
                updated_at: time("UpdateDate"),
                document: entry.get("Document")?.to_string(),
            };
            catalogue.names.push(policy.arn.clone());
            catalogue.by_arn.insert(policy.arn.clone(), policy);
        }
        catalogue.names.sort();
        Some(catalogue)
    }

    /// The policy with this ARN.
    pub fn get(&self, arn: &str) -> Option<&ManagedPolicy> {
        self.by_arn.get(arn)
    }

    /// Every policy, in ARN order.
    pub fn iter(&self) -> impl Iterator<Item = &ManagedPolicy> {
        self.names.iter().filter_map(|arn| self.by_arn.get(arn))
    }

    /// How many policies it holds.
    pub fn len(&self) -> usize {
        self.by_arn.len()
    }

    /// Whether it is empty (only if the shipped data failed to load).
    pub fn is_empty(&self) -> bool {
        self.by_arn.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_loads() {
        let catalogue = Catalogue::shipped();
        assert_eq!(catalogue.len(), 1452);
        let admin = catalogue
            .get("arn:aws:iam::aws:policy/AdministratorAccess")
            .unwrap();
        assert_eq!(admin.name, "AdministratorAccess");
        assert!(admin.document.contains("\"Action\":\"*\""));
        assert!(admin.created_at > 1_300_000_000);
    }
}
