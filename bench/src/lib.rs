//! Castellan's policy engine against cedar-policy, on one policy set expressed in both.
//!
//! The policy set and the requests come from the policy crate's own benchmark fixture
//! (included by path, so there is one description of the principal, not two); `cedar`
//! renders it as Cedar. [`check_agreement`] proves that both engines reach the same decision
//! on every request before any figure is taken.

#[path = "../../crates/policy/benches/fixture/mod.rs"]
pub mod fixture;

pub mod cedar;

use policy::{Decision, Policies, PolicySet, Principal, Request, authorize};

/// Our side of the comparison, built once.
#[derive(Debug)]
pub struct IamFixture {
    /// The user's identity policies, compiled.
    pub set: PolicySet,
    /// The user.
    pub principal: Principal,
}

impl IamFixture {
    /// Parses and compiles the documents.
    pub fn new(documents: &[fixture::Document]) -> Result<IamFixture, String> {
        Ok(IamFixture {
            set: fixture::iam_policy_set(documents)?,
            principal: fixture::iam_principal()?,
        })
    }

    /// The policies of a request by the user: identity policies only, same account.
    pub fn policies(&self) -> Policies<'_> {
        Policies {
            identity: Some(&self.set),
            ..Policies::default()
        }
    }

    /// Our decision on a case.
    pub fn decide(&self, case: &fixture::Case) -> Decision {
        let context = fixture::iam_context(&case.environment);
        let request = Request {
            principal: &self.principal,
            action: case.action,
            resource: &case.resource,
            resource_account: None,
            context: &context,
        };
        authorize(&request, &self.policies()).decision
    }
}

/// Every case the comparison knows: the three benchmarked ones and the probes.
pub fn all_cases() -> Vec<fixture::Case> {
    let mut cases = fixture::benchmark_cases().to_vec();
    cases.extend(fixture::probe_cases());
    cases
}

/// Checks that both engines decide every case as expected; the error lists each case where
/// either does not.
pub fn check_agreement(
    iam: &IamFixture,
    cedar: &cedar::CedarFixture,
    cases: &[fixture::Case],
) -> Result<(), String> {
    let mut problems = Vec::new();
    for case in cases {
        let ours = iam.decide(case);
        let theirs = cedar
            .request(case)
            .and_then(|request| cedar.decide(&request));
        if ours != case.expected || theirs.as_ref() != Ok(&case.expected) {
            problems.push(format!(
                "{}: expected {:?}, castellan {ours:?}, cedar {theirs:?}",
                case.name, case.expected
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
