//! The operation surface: from `data/iam-sts-actions.json` (AWS's Service Authorization
//! Reference, which the API models do not carry), each operation's IAM action, access level,
//! resource shape and condition keys; and from the models, a trait per service with one
//! method per operation and the `dispatch` that routes a decoded request to it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{Service, field_name, shape_ref, str_field, type_name};

/// The access levels of the Service Authorization Reference, in its order, with their variants.
const ACCESS_LEVELS: [(&str, &str); 5] = [
    ("List", "List"),
    ("Read", "Read"),
    ("Write", "Write"),
    ("Permissions management", "PermissionsManagement"),
    ("Tagging", "Tagging"),
];

/// One resource an action is authorized against.
struct ResourceEntry {
    kind: String,
    required: bool,
    member: Option<String>,
    caller: bool,
}

/// One condition key an action supports, and the request member that supplies its value.
struct ConditionEntry {
    key: String,
    member: Option<String>,
}

/// What the data file says of one operation.
struct Entry {
    action: String,
    access: String,
    resources: Vec<ResourceEntry>,
    conditions: Vec<ConditionEntry>,
    verified: bool,
}

struct ResourceTypeEntry {
    arn: String,
    condition_keys: Vec<String>,
}

/// The whole data file.
pub(crate) struct Catalog {
    resource_types: BTreeMap<String, ResourceTypeEntry>,
    services: BTreeMap<String, BTreeMap<String, Entry>>,
}

fn strings(v: Option<&Value>, what: &str) -> Result<Vec<String>> {
    v.and_then(Value::as_array)
        .with_context(|| format!("{what}: not a list"))?
        .iter()
        .map(|s| s.as_str().map(str::to_owned).context("not a string"))
        .collect()
}

fn optional_string(v: &Value, key: &str) -> Result<Option<String>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => bail!("{key}: {other} is not a string"),
    }
}

fn flag(v: &Value, key: &str, default: bool) -> Result<bool> {
    match v.get(key) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => bail!("{key}: {other} is not a boolean"),
    }
}

impl Catalog {
    /// Reads and checks the data file's own consistency (the models are checked per service).
    pub(crate) fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let root: Value =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let levels = strings(root.get("access_levels"), "access_levels")?;
        if levels != ACCESS_LEVELS.map(|(l, _)| l.to_owned()) {
            bail!("access_levels {levels:?} are not AWS's five");
        }
        let mut resource_types = BTreeMap::new();
        for (name, rt) in root
            .get("resource_types")
            .and_then(Value::as_object)
            .context("no resource_types")?
        {
            let arn = str_field(rt, "arn")
                .with_context(|| format!("resource type {name}: no arn"))?
                .to_owned();
            if !arn.starts_with("arn:${Partition}:") {
                bail!("resource type {name}: arn {arn} is not an ARN format");
            }
            resource_types.insert(
                name.clone(),
                ResourceTypeEntry {
                    arn,
                    condition_keys: strings(rt.get("condition_keys"), name)?,
                },
            );
        }
        let mut services = BTreeMap::new();
        for (svc, ops) in root
            .get("services")
            .and_then(Value::as_object)
            .context("no services")?
        {
            let mut entries = BTreeMap::new();
            for (op, e) in ops.as_object().context("service is not an object")? {
                let entry =
                    Self::entry(&resource_types, svc, e).with_context(|| format!("{svc} {op}"))?;
                entries.insert(op.clone(), entry);
            }
            services.insert(svc.clone(), entries);
        }
        Ok(Self {
            resource_types,
            services,
        })
    }

    fn entry(
        resource_types: &BTreeMap<String, ResourceTypeEntry>,
        svc: &str,
        e: &Value,
    ) -> Result<Entry> {
        let action = str_field(e, "action").context("no action")?.to_owned();
        let (prefix, name) = action.split_once(':').context("action without a prefix")?;
        if prefix != svc || name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            bail!("action {action} is not `{svc}:Name`");
        }
        let access = str_field(e, "access").context("no access")?.to_owned();
        if !ACCESS_LEVELS.iter().any(|(l, _)| *l == access) {
            bail!("access level {access} is not one of AWS's");
        }
        let mut resources = Vec::new();
        for r in e
            .get("resources")
            .and_then(Value::as_array)
            .context("no resources")?
        {
            let kind = str_field(r, "type").context("resource without type")?;
            if !resource_types.contains_key(kind) {
                bail!("unknown resource type {kind}");
            }
            resources.push(ResourceEntry {
                kind: kind.to_owned(),
                required: flag(r, "required", false)?,
                member: optional_string(r, "member")?,
                caller: flag(r, "caller", false)?,
            });
        }
        let mut conditions = Vec::new();
        for c in e
            .get("condition_keys")
            .and_then(Value::as_array)
            .context("no condition_keys")?
        {
            conditions.push(ConditionEntry {
                key: str_field(c, "key")
                    .context("condition without key")?
                    .to_owned(),
                member: optional_string(c, "member")?,
            });
        }
        Ok(Entry {
            action,
            access,
            resources,
            conditions,
            verified: flag(e, "verified", true)?,
        })
    }

    /// `access.rs`: the types the services' tables are written in.
    pub(crate) fn render_access(&self, file: &str) -> Result<String> {
        let mut out = String::new();
        writeln!(
            out,
            "//! Generated by codegen from {file} (AWS's Service Authorization Reference). Do not edit.\n\
             //! What an operation is authorized as: its access level, the resource types it is\n\
             //! authorized against, and the condition keys it supports.\n"
        )?;
        out.push_str(
            "/// The access level AWS classifies an action under.\n\
             #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
             pub enum AccessLevel {\n",
        );
        let mut names = String::new();
        for (label, variant) in ACCESS_LEVELS {
            writeln!(out, "/// `{label}`.\n{variant},")?;
            writeln!(names, "Self::{variant} => {label:?},")?;
        }
        let all: String = ACCESS_LEVELS
            .iter()
            .map(|(_, v)| format!("Self::{v},"))
            .collect();
        write!(
            out,
            "}}

impl AccessLevel {{
    /// All levels, in the reference's order.
    pub const ALL: &'static [Self] = &[{all}];

    /// The level as the reference writes it (`Permissions management`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {{ match self {{ {names} }} }}

    /// `List` or `Read`: an action of this level changes nothing.
    #[must_use]
    pub const fn reads_only(self) -> bool {{ matches!(self, Self::List | Self::Read) }}
}}

"
        )?;
        out.push_str(
            "/// A resource type of the reference (IAM's, STS's and Organizations', the last named\n\
             /// `organizations:<type>`).\n\
             #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
             pub enum ResourceType {\n",
        );
        let (mut all, mut names, mut arns, mut keys) =
            (String::new(), String::new(), String::new(), String::new());
        for (name, rt) in &self.resource_types {
            let v = resource_variant(name);
            writeln!(out, "/// `{name}`: `{}`.\n{v},", rt.arn)?;
            writeln!(all, "Self::{v},")?;
            writeln!(names, "Self::{v} => {name:?},")?;
            writeln!(arns, "Self::{v} => {:?},", rt.arn)?;
            writeln!(keys, "Self::{v} => &{:?},", rt.condition_keys)?;
        }
        write!(
            out,
            "}}

impl ResourceType {{
    /// All resource types, sorted by name.
    pub const ALL: &'static [Self] = &[{all}];

    /// The name the reference gives it (`instance-profile`).
    #[must_use]
    pub const fn name(self) -> &'static str {{ match self {{ {names} }} }}

    /// Its ARN format, as the reference writes it (`arn:${{Partition}}:iam::${{Account}}:user/${{UserNameWithPath}}`).
    #[must_use]
    pub const fn arn_format(self) -> &'static str {{ match self {{ {arns} }} }}

    /// The resource condition keys a policy can test on it (`aws:ResourceTag/${{TagKey}}`).
    #[must_use]
    pub const fn condition_keys(self) -> &'static [&'static str] {{ match self {{ {keys} }} }}
}}

/// One resource an action is authorized against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Resource {{
    /// Its type.
    pub kind: ResourceType,
    /// The reference marks it required (`*`): the caller needs the action on it.
    pub required: bool,
    /// The request member that names it, or that leads to it (`UserName`, `PolicyArn`;
    /// `AccessKeyId` for the user owning the key); `None` when the request names none.
    pub member: Option<&'static str>,
    /// The models require that member.
    pub member_required: bool,
    /// When the request does not name it, it is the caller itself (IAM's `UserName`, omitted,
    /// means the user whose key signed the request).
    pub caller_default: bool,
}}

/// One condition key an action supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConditionKey {{
    /// The key (`iam:PolicyARN`, `aws:RequestTag/${{TagKey}}`).
    pub key: &'static str,
    /// The request member whose value it takes (`PolicyArn`, `Tags`); `None` when the value
    /// comes from elsewhere (the entity acted on, an identity token).
    pub member: Option<&'static str>,
}}
"
        )?;
        Ok(out)
    }
}

/// `instance-profile` → `InstanceProfile`, `sms-mfa` → `SmsMfa`, `organizations:root` →
/// `OrganizationsRoot` (Organizations' types are named with their service: IAM has a `root`
/// and a `policy` too).
fn resource_variant(name: &str) -> String {
    name.split(['-', ':']).map(type_name).collect()
}

fn access_variant(label: &str) -> Result<&'static str> {
    ACCESS_LEVELS
        .iter()
        .find(|(l, _)| *l == label)
        .map(|(_, v)| *v)
        .with_context(|| format!("access level {label}"))
}

fn opt(v: Option<&str>) -> String {
    v.map_or_else(|| "None".to_owned(), |m| format!("Some({m:?})"))
}

impl Service<'_> {
    /// The service's key in the data file and its actions' prefix.
    fn prefix(&self) -> String {
        self.service_variant.to_lowercase()
    }

    /// The input members of `op` with whether each is required, and the shape of each.
    fn input_members(&self, op: &Value) -> Result<BTreeMap<String, (bool, String)>> {
        let mut members = BTreeMap::new();
        let Some(input) = shape_ref(op, "input") else {
            return Ok(members);
        };
        let shape = self.shape(input)?;
        let required: Vec<&str> = shape
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(ms) = shape.get("members").and_then(Value::as_object) {
            for (name, m) in ms {
                let target = str_field(m, "shape").context("member shape")?;
                members.insert(
                    name.clone(),
                    (required.contains(&name.as_str()), target.to_owned()),
                );
            }
        }
        Ok(members)
    }

    /// `impl Operation` with the authorization facts, `Request::resource_name`, the trait and
    /// `dispatch`. Fails when an operation of the model has no entry, or an entry no operation,
    /// or an entry names a member its input does not have.
    pub(crate) fn render_surface(&self, out: &mut String, catalog: &Catalog) -> Result<()> {
        let prefix = self.prefix();
        let table = catalog
            .services
            .get(&prefix)
            .with_context(|| format!("the actions data has no service {prefix}"))?;
        let missing: Vec<&str> = self
            .ops
            .keys()
            .filter(|op| !table.contains_key(**op))
            .copied()
            .collect();
        if !missing.is_empty() {
            bail!("operations of the {prefix} model missing from the actions data: {missing:?}");
        }
        let unknown: Vec<&String> = table
            .keys()
            .filter(|op| !self.ops.contains_key(op.as_str()))
            .collect();
        if !unknown.is_empty() {
            bail!("actions data entries that are no {prefix} operation: {unknown:?}");
        }
        let (mut actions, mut levels, mut resources, mut conditions, mut documented) = (
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        );
        let mut names = String::new();
        for (&name, &op) in &self.ops {
            let entry = table
                .get(name)
                .with_context(|| format!("{prefix} {name}"))?;
            let members = self.input_members(op)?;
            writeln!(actions, "Self::{name} => {:?},", entry.action)?;
            writeln!(
                levels,
                "Self::{name} => AccessLevel::{},",
                access_variant(&entry.access)?
            )?;
            if !entry.verified {
                if !documented.is_empty() {
                    documented.push_str(" | ");
                }
                write!(documented, "Self::{name}")?;
            }
            let mut list = String::new();
            for r in &entry.resources {
                let member_required = match &r.member {
                    Some(m) => {
                        members
                            .get(m)
                            .with_context(|| {
                                format!("{prefix} {name}: no input member {m} names its {}", r.kind)
                            })?
                            .0
                    }
                    None => false,
                };
                if r.caller && (r.kind != "user" || member_required) {
                    bail!(
                        "{prefix} {name}: only a user resource the request may leave unnamed defaults to the caller"
                    );
                }
                write!(
                    list,
                    "Resource {{ kind: ResourceType::{}, required: {}, member: {}, member_required: {member_required}, caller_default: {} }},",
                    resource_variant(&r.kind),
                    r.required,
                    opt(r.member.as_deref()),
                    r.caller
                )?;
            }
            writeln!(resources, "Self::{name} => &[{list}],")?;
            let mut list = String::new();
            for c in &entry.conditions {
                if let Some(m) = &c.member
                    && !members.contains_key(m)
                {
                    bail!("{prefix} {name}: no input member {m} gives {}", c.key);
                }
                write!(
                    list,
                    "ConditionKey {{ key: {:?}, member: {} }},",
                    c.key,
                    opt(c.member.as_deref())
                )?;
            }
            writeln!(conditions, "Self::{name} => &[{list}],")?;
            // The value of the string member that names the resource, for lookups.
            let named = entry
                .resources
                .iter()
                .filter_map(|r| r.member.as_deref())
                .next()
                .and_then(|m| members.get(m).map(|(req, shape)| (m, *req, shape)));
            match named {
                Some((m, req, shape)) if self.kind(shape)? == "string" => {
                    let field = field_name(m);
                    if req {
                        writeln!(
                            names,
                            "Self::{name}(input) => Some(input.{field}.as_str()),"
                        )?;
                    } else {
                        writeln!(names, "Self::{name}(input) => input.{field}.as_deref(),")?;
                    }
                }
                _ => {}
            }
        }
        let documented_fn = if documented.is_empty() {
            "true".to_owned()
        } else {
            format!("!matches!(self, {documented})")
        };
        write!(
            out,
            "impl Operation {{
    /// The IAM action the operation is authorized as (`{prefix}:{{Name}}`).
    #[must_use]
    pub const fn action(self) -> &'static str {{ match self {{ {actions} }} }}

    /// The action's access level in AWS's Service Authorization Reference.
    #[must_use]
    pub const fn access_level(self) -> AccessLevel {{ match self {{ {levels} }} }}

    /// `List` or `Read`: the operation changes nothing, so it may be answered from caches.
    #[must_use]
    pub const fn reads_only(self) -> bool {{ self.access_level().reads_only() }}

    /// The resources the action is authorized against; empty means `*`.
    #[must_use]
    pub const fn resources(self) -> &'static [Resource] {{ match self {{ {resources} }} }}

    /// The condition keys the reference lists for the action, and where their values come from.
    #[must_use]
    pub const fn condition_keys(self) -> &'static [ConditionKey] {{ match self {{ {conditions} }} }}

    /// Whether these facts were checked against AWS's reference (`false`: our reading, for
    /// operations newer than the copy we worked from; see `data/SOURCES.md`).
    #[must_use]
    pub const fn documented(self) -> bool {{ {documented_fn} }}
}}

impl Request {{
    /// The value of the member naming the resource the action is authorized against, when
    /// that member is a string and the request gives it (`UserName`, `PolicyArn`).
    #[must_use]
    pub fn resource_name(&self) -> Option<&str> {{
        match self {{ {names} _ => None }}
    }}
}}

"
        )?;
        self.render_trait(out, table)
    }

    fn render_trait(&self, out: &mut String, table: &BTreeMap<String, Entry>) -> Result<()> {
        let svc = self.service_variant;
        let trait_name = format!("{svc}Operations");
        let mut methods = String::new();
        let mut arms = String::new();
        for (&name, &op) in &self.ops {
            let entry = table.get(name).with_context(|| name.to_owned())?;
            let method = field_name(name);
            let input = shape_ref(op, "input").map(type_name);
            let output = shape_ref(op, "output").map(type_name);
            let ok = output.clone().unwrap_or_else(|| "()".to_owned());
            let (param, arg, bind, unused) = match &input {
                Some(t) => (
                    format!(", input: {t}"),
                    ", input",
                    format!("Request::{name}(input)"),
                    "(context, input)",
                ),
                None => (String::new(), "", format!("Request::{name}"), "context"),
            };
            let on = if entry.resources.is_empty() {
                "*".to_owned()
            } else {
                entry
                    .resources
                    .iter()
                    .map(|r| r.kind.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            writeln!(
                methods,
                "/// `{name}`: `{}`, {} on {on}.
    fn {method}(&self, context: &Self::Context{param}) -> impl Future<Output = Result<{ok}, Self::Error>> + Send {{
        let _ = {unused};
        std::future::ready(Err(self.not_implemented(Operation::{name})))
    }}
",
                entry.action, entry.access
            )?;
            let wrap = if output.is_some() {
                format!("Response::{name}")
            } else {
                format!("|()| Response::{name}")
            };
            writeln!(
                arms,
                "{bind} => handler.{method}(context{arg}).await.map({wrap}),"
            )?;
        }
        write!(
            out,
            "/// The {svc} API as an implementor serves it: one method per operation, taking the
/// caller's context and the decoded input. Every method answers the implementor's
/// `not_implemented` error until it is overridden, so a new operation is one method.
/// The futures are `Send`: they run on a multi-threaded runtime.
pub trait {trait_name}: Sync {{
    /// What every operation receives about its caller.
    type Context: Sync;
    /// What every operation fails with.
    type Error: Send;

    /// The error of an operation that is not offered (AWS's `NotImplemented`).
    fn not_implemented(&self, operation: Operation) -> Self::Error;

    {methods}
}}

/// Runs `request` through its method of `handler`.
///
/// # Errors
/// Whatever the method fails with.
pub async fn dispatch<H: {trait_name} + ?Sized>(
    handler: &H,
    context: &H::Context,
    request: Request,
) -> Result<Response, H::Error> {{
    match request {{ {arms} }}
}}

"
        )?;
        Ok(())
    }
}
