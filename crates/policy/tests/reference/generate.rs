//! Random scenario generation for the differential and property tests.
//!
//! Everything is drawn from small pools (two accounts, a few users, roles, actions and
//! resources) so that patterns, principals and conditions actually match often; a
//! generator that draws from wide spaces would only ever produce implicit denies.

use serde_json::{Map, Value, json};

/// splitmix64: tiny, deterministic, good enough to spread cases; seeded per case so that
/// a failing case can be replayed from its seed alone.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

pub const A: &str = "111122223333";
pub const B: &str = "444455556666";

/// The principals a scenario can be about, with rough weights by repetition.
const PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/bob",
    "arn:aws:iam::444455556666:user/alice",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::444455556666:root",
    "arn:aws:sts::111122223333:assumed-role/Admin/s1",
    "arn:aws:sts::111122223333:assumed-role/Admin/s1",
    "arn:aws:sts::111122223333:assumed-role/Reader/s2",
    "arn:aws:sts::444455556666:assumed-role/Admin/s1",
    "arn:aws:sts::111122223333:federated-user/carol",
    "arn:aws:sts::111122223333:federated-user/carol",
    "anonymous",
    "anonymous",
    "lambda.amazonaws.com",
    "lambda.amazonaws.com",
];

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:getobject",
    "iam:GetUser",
    "iam:GetRole",
    "sts:AssumeRole",
    "sts:AssumeRole",
    "sts:TagSession",
    "ec2:RunInstances",
];

const S3_RESOURCES: &[&str] = &[
    "arn:aws:s3:::photos/cat.jpg",
    "arn:aws:s3:::photos/alice/a.txt",
    "arn:aws:s3:::photos/red/x",
    "arn:aws:s3:::docs/report.pdf",
    "arn:aws:s3:::photos",
    "arn:aws:s3:::Photos/cat.jpg",
    "*",
];
const IAM_RESOURCES: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::444455556666:user/bob",
    "arn:aws:iam::111122223333:role/Admin",
    "*",
];
const STS_RESOURCES: &[&str] = &[
    "arn:aws:iam::111122223333:role/Admin",
    "arn:aws:iam::111122223333:role/Admin",
    "arn:aws:iam::444455556666:role/Admin",
    "arn:aws:iam::111122223333:role/Reader",
    "*",
];
const EC2_RESOURCES: &[&str] = &[
    "arn:aws:ec2:us-east-1:111122223333:instance/i-123",
    "arn:aws:ec2:eu-west-1:444455556666:instance/i-9",
    "arn:aws:logs:us-east-1:111122223333:log-group:app:log-stream:x",
    "*",
];

const ACTION_PATTERNS: &[&str] = &[
    "s3:Get*",
    "s3:*",
    "*",
    "iam:?etUser",
    "iam:Get*",
    "sts:AssumeRole",
    "sts:*",
    "ec2:*Instances",
    "s3:Put?bject",
    "s3:ListBucket",
    "S3:GETOBJECT",
    "sts:TagSession",
    "s3:*Object",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::photos/*",
    "arn:aws:s3:::photos*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::photos/${aws:username}/*",
    "arn:aws:s3:::photos/${aws:PrincipalTag/team, 'none'}/*",
    "arn:aws:s3:::photos/${aws:PrincipalTag/team}/*",
    "arn:aws:s3:::photos/c${?}t.jpg",
    "arn:aws:s3:::photos/${$}*",
    "arn:aws:s3:::docs/report.pdf",
    "arn:aws:iam::*:role/*",
    "arn:aws:iam::111122223333:*",
    "arn:aws:iam::111122223333:user/${aws:username}",
    "arn:aws:iam::111122223333:role/Admin",
    "arn:aws:iam::444455556666:role/*",
    "arn:aws:ec2:*:111122223333:instance/*",
    "arn:aws:ec2:us-east-?:*:instance/i-*",
    "arn:aws:logs:*:*:log-group:app:*",
];

/// Entries of a Principal element in resource and trust policies.
const AWS_PRINCIPALS: &[&str] = &[
    "*",
    "111122223333",
    "444455556666",
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::444455556666:root",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/bob",
    "arn:aws:iam::444455556666:user/alice",
    "arn:aws:iam::111122223333:role/Admin",
    "arn:aws:iam::111122223333:role/Admin",
    "arn:aws:iam::444455556666:role/Admin",
    "arn:aws:sts::111122223333:assumed-role/Admin/s1",
    "arn:aws:sts::111122223333:assumed-role/Admin/s9",
    "arn:aws:sts::111122223333:federated-user/carol",
];

/// Context keys and the values they may take (a JSON list is multivalued).
fn context_pool() -> Vec<(&'static str, Vec<Value>)> {
    vec![
        (
            "aws:SourceIp",
            vec![
                json!("203.0.113.7"),
                json!("198.51.100.1"),
                json!("2001:db8::1"),
                json!("10.1.2.3"),
                json!("not-an-ip"),
                json!(["203.0.113.7", "10.0.0.1"]),
                json!([]),
            ],
        ),
        (
            "aws:SecureTransport",
            vec![json!("true"), json!("false"), json!("TRUE"), json!("yes")],
        ),
        (
            "aws:CurrentTime",
            vec![
                json!("2024-06-01T12:00:00Z"),
                json!("2023-01-01T00:00:00Z"),
                json!("2024-06-01"),
                json!("2024-06-01T12:00:00.500Z"),
                json!("garbage"),
            ],
        ),
        (
            "aws:EpochTime",
            vec![json!("1717243200"), json!("1600000000")],
        ),
        (
            "aws:MultiFactorAuthAge",
            vec![
                json!("30"),
                json!("3600"),
                json!("abc"),
                json!("12.5"),
                json!("0030"),
            ],
        ),
        (
            "aws:MultiFactorAuthPresent",
            vec![json!("true"), json!("false")],
        ),
        (
            "aws:PrincipalTag/team",
            vec![
                json!("red"),
                json!("blue"),
                json!("*"),
                json!("alice"),
                json!(["red", "blue"]),
                json!([]),
            ],
        ),
        (
            "aws:TagKeys",
            vec![
                json!(["team", "env"]),
                json!(["team"]),
                json!([]),
                json!("team"),
            ],
        ),
        (
            "aws:RequestTag/env",
            vec![json!("prod"), json!("dev"), json!("PROD")],
        ),
        (
            "aws:SourceArn",
            vec![
                json!("arn:aws:s3:::photos"),
                json!("arn:aws:lambda:us-east-1:111122223333:function:f"),
                json!("notanarn"),
                json!(["arn:aws:s3:::photos"]),
            ],
        ),
        (
            "s3:prefix",
            vec![
                json!("home/alice/"),
                json!("home/"),
                json!("home/red/x"),
                json!("home/$/"),
            ],
        ),
        ("s3:max-keys", vec![json!("10"), json!("1000")]),
        (
            "aws:RequestTag/bin",
            vec![json!("aGVsbG8="), json!("d29ybGQ="), json!("%%%")],
        ),
        ("aws:username", vec![json!("mallory"), json!("alice")]),
        (
            "aws:PrincipalArn",
            vec![json!("arn:aws:iam::111122223333:user/bob")],
        ),
    ]
}

/// Condition operator families: operator names, keys, and policy values.
struct Family {
    operators: &'static [&'static str],
    keys: &'static [&'static str],
    values: fn() -> Vec<Value>,
    set_prefix: bool,
}

fn families() -> Vec<Family> {
    vec![
        Family {
            operators: &[
                "StringEquals",
                "StringNotEquals",
                "StringEqualsIgnoreCase",
                "StringNotEqualsIgnoreCase",
                "StringLike",
                "StringNotLike",
            ],
            keys: &[
                "aws:PrincipalTag/team",
                "aws:principaltag/TEAM",
                "aws:RequestTag/env",
                "s3:prefix",
                "aws:username",
                "aws:PrincipalType",
                "aws:PrincipalAccount",
                "aws:TagKeys",
                "aws:userid",
                "aws:ResourceAccount",
                "aws:PrincipalArn",
            ],
            values: || {
                vec![
                    json!("red"),
                    json!("blue"),
                    json!("r*"),
                    json!("b?ue"),
                    json!("RED"),
                    json!("*"),
                    json!("${*}"),
                    json!("home/${aws:username}/*"),
                    json!("home/*"),
                    json!("home/${$}/"),
                    json!("home/${AWS:UserName}/*"),
                    json!("${aws:PrincipalTag/team,'none'}"),
                    json!("${aws:PrincipalTag/team}"),
                    json!("${aws:PrincipalTag/team, 'none'}"),
                    json!("none"),
                    json!("alice"),
                    json!("User"),
                    json!("AssumedRole"),
                    json!("Account"),
                    json!("111122223333"),
                    json!("team"),
                    json!("env"),
                    json!("prod"),
                    json!("${aws:userid}"),
                    json!("${aws:PrincipalAccount}"),
                    json!("${aws:ResourceAccount}"),
                    json!("arn:aws:iam::111122223333:*"),
                ]
            },
            set_prefix: true,
        },
        Family {
            operators: &[
                "NumericEquals",
                "NumericNotEquals",
                "NumericLessThan",
                "NumericLessThanEquals",
                "NumericGreaterThan",
                "NumericGreaterThanEquals",
            ],
            keys: &["aws:MultiFactorAuthAge", "s3:max-keys"],
            values: || {
                vec![
                    json!("10"),
                    json!("3600"),
                    json!("12.5"),
                    json!("abc"),
                    json!("-1"),
                    json!(100),
                    json!("30"),
                ]
            },
            set_prefix: true,
        },
        Family {
            operators: &[
                "DateEquals",
                "DateNotEquals",
                "DateLessThan",
                "DateLessThanEquals",
                "DateGreaterThan",
                "DateGreaterThanEquals",
            ],
            keys: &["aws:CurrentTime", "aws:EpochTime", "aws:TokenIssueTime"],
            values: || {
                vec![
                    json!("2024-01-01T00:00:00Z"),
                    json!("2024-06-01"),
                    json!("1717243200"),
                    json!("2024-06-01T14:00:00+02:00"),
                    json!("2024-06-01T12:00:00.500Z"),
                ]
            },
            set_prefix: true,
        },
        Family {
            operators: &["Bool"],
            keys: &["aws:SecureTransport", "aws:MultiFactorAuthPresent"],
            values: || {
                vec![
                    json!("true"),
                    json!("false"),
                    json!("True"),
                    json!(true),
                    json!(false),
                    json!("yes"),
                ]
            },
            set_prefix: false,
        },
        Family {
            operators: &["BinaryEquals"],
            keys: &["aws:RequestTag/bin"],
            values: || vec![json!("aGVsbG8="), json!("d29ybGQ="), json!("%%%")],
            set_prefix: false,
        },
        Family {
            operators: &["IpAddress", "NotIpAddress"],
            keys: &["aws:SourceIp", "aws:sourceip"],
            values: || {
                vec![
                    json!("203.0.113.0/24"),
                    json!("198.51.100.1"),
                    json!("2001:db8::/32"),
                    json!("10.0.0.0/8"),
                    json!("0.0.0.0/0"),
                    json!("203.0.113.7/24"),
                    json!("::/0"),
                ]
            },
            set_prefix: true,
        },
        Family {
            operators: &["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
            keys: &["aws:SourceArn", "aws:PrincipalArn"],
            values: || {
                vec![
                    json!("arn:aws:s3:::photos"),
                    json!("arn:aws:s3:::photo*"),
                    json!("arn:aws:lambda:*:111122223333:function:*"),
                    json!("arn:aws:iam::111122223333:user/${aws:username}"),
                    json!("arn:aws:iam::*:role/Admin"),
                    json!("arn:aws:iam::111122223333:user/alice"),
                    json!("arn:aws:iam::111122223333:*"),
                ]
            },
            set_prefix: true,
        },
        Family {
            operators: &["Null"],
            keys: &[
                "aws:SourceIp",
                "aws:PrincipalTag/team",
                "aws:TagKeys",
                "aws:username",
                "aws:MultiFactorAuthAge",
                "aws:TokenIssueTime",
            ],
            values: || vec![json!("true"), json!("false"), json!(true)],
            set_prefix: false,
        },
    ]
}

/// The kind of policy a statement is generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Identity,
    Resource,
    Trust,
    Guardrail,
    Rcp,
}

/// Generates scenarios and statements.
#[derive(Debug)]
pub struct Generator {
    pub rng: Rng,
    pools: &'static Pools,
    action: String,
    resource: String,
}

/// The JSON value pools, built once: building them per case would cost more than the
/// engine's evaluation in a debug build.
#[derive(Debug)]
struct Pools {
    context: Vec<(&'static str, Vec<Value>)>,
    families: Vec<FamilyRef>,
}

#[derive(Debug)]
struct FamilyRef {
    operators: &'static [&'static str],
    keys: &'static [&'static str],
    values: Vec<Value>,
    set_prefix: bool,
}

fn pools() -> &'static Pools {
    static POOLS: std::sync::OnceLock<Pools> = std::sync::OnceLock::new();
    POOLS.get_or_init(|| Pools {
        context: context_pool(),
        families: families()
            .into_iter()
            .map(|f| FamilyRef {
                operators: f.operators,
                keys: f.keys,
                values: (f.values)(),
                set_prefix: f.set_prefix,
            })
            .collect(),
    })
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: Rng::new(seed),
            pools: pools(),
            action: String::new(),
            resource: String::new(),
        }
    }

    /// One random scenario.
    pub fn scenario(&mut self) -> Value {
        let principal = *self.rng.pick(PRINCIPALS);
        let action = if self.rng.chance(1) {
            "sts:GetCallerIdentity"
        } else {
            *self.rng.pick(ACTIONS)
        };
        let pool = match action.split(':').next() {
            Some("s3") => S3_RESOURCES,
            Some("iam") => IAM_RESOURCES,
            Some("sts") => STS_RESOURCES,
            _ => EC2_RESOURCES,
        };
        let resource = if self.rng.chance(85) {
            *self.rng.pick(pool)
        } else {
            *self
                .rng
                .pick(&[S3_RESOURCES, IAM_RESOURCES, EC2_RESOURCES].concat())
        };
        self.action = action.to_string();
        self.resource = resource.to_string();

        let mut s = Map::new();
        s.insert("principal".into(), json!(principal));
        s.insert("action".into(), json!(action));
        if resource != "*" || self.rng.chance(50) {
            s.insert("resource".into(), json!(resource));
        }
        if self.rng.chance(25) {
            s.insert("resource_account".into(), json!(self.rng.pick(&[A, B])));
        }
        let context = self.context();
        if !context.is_empty() || self.rng.chance(50) {
            s.insert("context".into(), Value::Object(context));
        }

        let is_service = !principal.starts_with("arn:") && principal != "anonymous";
        let is_anonymous = principal == "anonymous";
        let is_root = principal.ends_with(":root");
        let is_session = principal.contains(":assumed-role/");
        let is_federated = principal.contains(":federated-user/");
        let identity_side = !is_service && !is_anonymous && !is_root;
        let trust = action.starts_with("sts:Assume") || action == "sts:TagSession";
        let trust = trust && resource.contains(":role/");

        if identity_side {
            let n = *self.rng.pick(&[0, 1, 1, 1, 2, 2, 3]);
            let policies: Vec<Value> = (0..n).map(|_| self.policy(Kind::Identity, 1, 3)).collect();
            s.insert("identity_policies".into(), Value::Array(policies));
            if self.rng.chance(25) {
                let p = self.policy(Kind::Identity, 1, 2);
                s.insert("permissions_boundary".into(), p);
            }
            if (is_session && self.rng.chance(35)) || (is_federated && self.rng.chance(65)) {
                let p = self.policy(Kind::Identity, 1, 2);
                s.insert("session_policy".into(), p);
            }
        } else if self.rng.chance(5) {
            s.insert("identity_policies".into(), json!([]));
        }
        let resource_chance = if is_service || is_anonymous || trust {
            85
        } else {
            55
        };
        if self.rng.chance(resource_chance) {
            // A role's trust policy is validated as one: no Resource, only STS actions.
            let kind = if trust { Kind::Trust } else { Kind::Resource };
            let p = self.policy(kind, 1, 3);
            s.insert("resource_policy".into(), p);
        } else if self.rng.chance(10) {
            s.insert("resource_policy".into(), Value::Null);
        }
        // Service principals get guardrails too (they must ignore them), and so does
        // anonymous, which is in no account and so under no SCP.
        if self
            .rng
            .chance(if is_service || is_anonymous { 15 } else { 30 })
        {
            let chain = self.chain(Kind::Guardrail);
            s.insert("service_control_policies".into(), chain);
        }
        if self.rng.chance(20) {
            let chain = self.chain(Kind::Rcp);
            s.insert("resource_control_policies".into(), chain);
        }
        Value::Object(s)
    }

    fn context(&mut self) -> Map<String, Value> {
        let mut out = Map::new();
        for (key, values) in &self.pools.context {
            // Overrides of derived keys are rare; everything else is present half the time.
            let percent = if matches!(*key, "aws:username" | "aws:PrincipalArn") {
                4
            } else {
                45
            };
            if self.rng.chance(percent) {
                let key = if self.rng.chance(15) {
                    key.to_uppercase()
                } else {
                    key.to_string()
                };
                out.insert(key, self.rng.pick(values).clone());
            }
        }
        out
    }

    /// A guardrail chain: one or two levels of one or two policies, usually led by a
    /// full-access Allow so that chains do not just deny everything.
    fn chain(&mut self, kind: Kind) -> Value {
        let levels = 1 + self.rng.below(2);
        let mut chain = Vec::new();
        for _ in 0..levels {
            let n = 1 + self.rng.below(2);
            let mut level = Vec::new();
            for _ in 0..n {
                let mut policy = self.policy(kind, 0, 2);
                if self.rng.chance(65) {
                    let mut full = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
                    if kind == Kind::Rcp {
                        full["Principal"] = json!("*");
                    }
                    statements_mut(&mut policy).push(full);
                }
                if statements_mut(&mut policy).is_empty() {
                    statements_mut(&mut policy).push(self.statement(kind));
                }
                level.push(policy);
            }
            chain.push(Value::Array(level));
        }
        Value::Array(chain)
    }

    /// A policy of `min..=max` statements.
    pub fn policy(&mut self, kind: Kind, min: usize, max: usize) -> Value {
        let n = min + self.rng.below(max - min + 1);
        let statements: Vec<Value> = (0..n).map(|_| self.statement(kind)).collect();
        // The engine rejects variables under the 2008 version (validation section 4.2),
        // so only variable-free policies may carry it.
        let uses_variables = statements.iter().any(has_variable);
        let version = if uses_variables || self.rng.chance(90) {
            "2012-10-17"
        } else {
            "2008-10-17"
        };
        let mut policy = json!({ "Version": version, "Statement": statements });
        if n == 1 && self.rng.chance(15) {
            policy["Statement"] = policy["Statement"][0].clone();
        }
        policy
    }

    /// One statement for a policy of `kind`, with an Effect biased towards Allow.
    pub fn statement(&mut self, kind: Kind) -> Value {
        let allow_percent = match kind {
            Kind::Identity => 75,
            Kind::Resource | Kind::Trust => 70,
            Kind::Guardrail | Kind::Rcp => 60,
        };
        let effect = if self.rng.chance(allow_percent) {
            "Allow"
        } else {
            "Deny"
        };
        self.statement_with(kind, effect)
    }

    pub fn statement_with(&mut self, kind: Kind, effect: &str) -> Value {
        let mut st = Map::new();
        if self.rng.chance(10) {
            st.insert(
                "Sid".into(),
                json!(format!("S{}", self.rng.next_u64() % 1_000_000)),
            );
        }
        st.insert("Effect".into(), json!(effect));
        match kind {
            Kind::Resource | Kind::Trust => {
                let element = self.principal_element();
                // Allow with NotPrincipal is rare and undocumented in strength; both
                // evaluators read it like `*` (see the reference), so keep it rare.
                let not_percent = if effect == "Deny" { 25 } else { 5 };
                let name = if self.rng.chance(not_percent) {
                    "NotPrincipal"
                } else {
                    "Principal"
                };
                st.insert(name.into(), element);
            }
            Kind::Rcp => {
                st.insert("Principal".into(), json!("*"));
            }
            Kind::Identity | Kind::Guardrail => {}
        }
        let actions = self.actions(kind);
        let not_action = kind != Kind::Trust && self.rng.chance(12);
        st.insert(
            if not_action { "NotAction" } else { "Action" }.into(),
            actions,
        );
        if kind != Kind::Trust {
            let resources = self.resources();
            let not_resource = self.rng.chance(12);
            st.insert(
                if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                }
                .into(),
                resources,
            );
        }
        if self.rng.chance(35) {
            st.insert("Condition".into(), self.condition());
        }
        Value::Object(st)
    }

    fn actions(&mut self, kind: Kind) -> Value {
        let n = *self.rng.pick(&[1, 1, 1, 2, 3]);
        let mut list = Vec::new();
        for _ in 0..n {
            let a = if kind == Kind::Trust {
                (*self.rng.pick(&[
                    "sts:AssumeRole",
                    "sts:TagSession",
                    "sts:AssumeRole",
                    "sts:*",
                ]))
                .to_string()
            } else if self.rng.chance(40) {
                self.derived_action()
            } else {
                (*self.rng.pick(ACTION_PATTERNS)).to_string()
            };
            list.push(json!(a));
        }
        if n == 1 && self.rng.chance(70) {
            list.swap_remove(0)
        } else {
            Value::Array(list)
        }
    }

    /// A pattern built from the request's action so that it matches more often than not.
    fn derived_action(&mut self) -> String {
        let action = self.action.clone();
        let (service, name) = action.split_once(':').unwrap_or(("s3", "GetObject"));
        match self.rng.below(5) {
            0 => action.clone(),
            1 => format!("{service}:*"),
            2 => format!("{service}:{}*", &name[..name.len().min(3)]),
            3 => action.to_uppercase(),
            _ => {
                let mut chars: Vec<char> = action.chars().collect();
                let i = service.len() + 1 + self.rng.below(name.len());
                chars[i] = '?';
                chars.into_iter().collect()
            }
        }
    }

    fn resources(&mut self) -> Value {
        let n = *self.rng.pick(&[1, 1, 1, 2]);
        let mut list = Vec::new();
        for _ in 0..n {
            let r = if self.rng.chance(40) {
                self.derived_resource()
            } else {
                (*self.rng.pick(RESOURCE_PATTERNS)).to_string()
            };
            list.push(json!(r));
        }
        if n == 1 && self.rng.chance(70) {
            list.swap_remove(0)
        } else {
            Value::Array(list)
        }
    }

    /// A pattern built from the request's resource: exact, or with a segment or a tail
    /// widened by a wildcard.
    fn derived_resource(&mut self) -> String {
        let resource = self.resource.clone();
        let parts: Vec<&str> = resource.splitn(6, ':').collect();
        if parts.len() != 6 {
            return "*".into();
        }
        match self.rng.below(5) {
            0 => resource.clone(),
            1 => {
                let mut p: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
                // IAM ARNs may not carry a region, not even a wildcard.
                let i = if parts[2] == "iam" {
                    4
                } else {
                    *self.rng.pick(&[3, 4])
                };
                p[i] = "*".into();
                p.join(":")
            }
            2 => {
                let tail = parts[5];
                let keep = self.rng.below(tail.len() + 1);
                format!("{}:{}*", parts[..5].join(":"), &tail[..keep])
            }
            3 => {
                let tail = parts[5];
                let i = self.rng.below(tail.len());
                let mut chars: Vec<char> = tail.chars().collect();
                chars[i] = '?';
                format!(
                    "{}:{}",
                    parts[..5].join(":"),
                    chars.into_iter().collect::<String>()
                )
            }
            _ => format!("{}:*", parts[..5].join(":")),
        }
    }

    fn principal_element(&mut self) -> Value {
        match self.rng.below(10) {
            0 => json!("*"),
            1 => match self.rng.below(3) {
                0 => json!({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]}),
                _ => {
                    json!({"Service": self.rng.pick(&["lambda.amazonaws.com", "ec2.amazonaws.com"])})
                }
            },
            2 => json!({
                "AWS": self.rng.pick(AWS_PRINCIPALS),
                "Federated": "cognito-identity.amazonaws.com"
            }),
            3 => {
                json!({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"})
            }
            4 | 5 => {
                let a = *self.rng.pick(AWS_PRINCIPALS);
                let b = *self.rng.pick(AWS_PRINCIPALS);
                if self.rng.chance(30) {
                    json!({"AWS": [a, b], "Service": "lambda.amazonaws.com"})
                } else {
                    json!({"AWS": [a, b]})
                }
            }
            _ => json!({"AWS": self.rng.pick(AWS_PRINCIPALS)}),
        }
    }

    fn condition(&mut self) -> Value {
        let mut blocks = Map::new();
        let n = *self.rng.pick(&[1, 1, 1, 2]);
        for _ in 0..n {
            let family = &self.pools.families[self.rng.below(self.pools.families.len())];
            let (operators, keys, set_prefix) = (family.operators, family.keys, family.set_prefix);
            let values = &family.values;
            let mut op = (*self.rng.pick(operators)).to_string();
            if set_prefix {
                match self.rng.below(7) {
                    0 => op = format!("ForAllValues:{op}"),
                    1 => op = format!("ForAnyValue:{op}"),
                    _ => {}
                }
            }
            if op != "Null" && self.rng.chance(15) {
                op.push_str("IfExists");
            }
            let key = (*self.rng.pick(keys)).to_string();
            // An empty value list is a syntax error for the engine (as for AWS).
            let value = if self.rng.chance(30) {
                json!([self.rng.pick(values).clone(), self.rng.pick(values).clone()])
            } else {
                self.rng.pick(values).clone()
            };
            let block = blocks.entry(op).or_insert_with(|| json!({}));
            block[key] = value;
        }
        Value::Object(blocks)
    }
}

/// Whether any string in `value` holds a `${` (a policy variable).
pub fn has_variable(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains("${"),
        Value::Array(items) => items.iter().any(has_variable),
        Value::Object(map) => map.values().any(has_variable),
        _ => false,
    }
}

/// The statements of a policy as a mutable list (an object statement becomes a list).
pub fn statements_mut(policy: &mut Value) -> &mut Vec<Value> {
    let st = &mut policy["Statement"];
    if !st.is_array() {
        let one = st.take();
        *st = Value::Array(vec![one]);
    }
    st.as_array_mut().unwrap()
}

/// Every policy of a scenario, mutable, with the kind of statement it takes.
pub fn policies_mut(scenario: &mut Value) -> Vec<(Kind, &mut Value)> {
    let action = scenario["action"].as_str().unwrap_or_default().to_string();
    let resource = scenario["resource"].as_str().unwrap_or("*").to_string();
    let trust = (action.starts_with("sts:Assume") || action == "sts:TagSession")
        && resource.contains(":role/");
    let mut out = Vec::new();
    let obj = scenario.as_object_mut().unwrap();
    for (key, value) in obj.iter_mut() {
        match key.as_str() {
            "identity_policies" => {
                for p in value.as_array_mut().into_iter().flatten() {
                    out.push((Kind::Identity, p));
                }
            }
            "permissions_boundary" | "session_policy" if !value.is_null() => {
                out.push((Kind::Identity, value));
            }
            "resource_policy" if !value.is_null() => {
                // A trust policy has no Resource; a statement with one still parses, but
                // keep the shapes the generator makes.
                let has_resource = value["Statement"]
                    .as_array()
                    .map(|s| {
                        s.iter().any(|st| {
                            st.get("Resource").is_some() || st.get("NotResource").is_some()
                        })
                    })
                    .unwrap_or_else(|| {
                        value["Statement"].get("Resource").is_some()
                            || value["Statement"].get("NotResource").is_some()
                    });
                let kind = if trust && !has_resource {
                    Kind::Trust
                } else {
                    Kind::Resource
                };
                out.push((kind, value));
            }
            "service_control_policies" | "resource_control_policies" if !value.is_null() => {
                let kind = if key == "service_control_policies" {
                    Kind::Guardrail
                } else {
                    Kind::Rcp
                };
                for level in value.as_array_mut().into_iter().flatten() {
                    for p in level.as_array_mut().into_iter().flatten() {
                        out.push((kind, p));
                    }
                }
            }
            _ => {}
        }
    }
    out
}
