//! The AWS IAM policy language: parsing, validation and compiled evaluation.
//!
//! Pure: no I/O, no async. Text becomes a validated [`Policy`] (AWS's checks and messages),
//! policies of one type are compiled into a [`PolicySet`], and [`authorize`] combines the
//! sets of a request as AWS does, returning an [`Evaluation`] that keeps explicit and
//! implicit deny apart and names the policy type that decided.

mod arn;
mod compile;
mod condition;
mod context;
mod document;
mod evaluate;
mod principal;
mod scenario;
mod simulation;
mod template;
mod validate;
mod values;
mod wildcard;

pub use arn::Arn;
pub use compile::{PolicySet, StatementRef};
pub use condition::{ALL_OPERATORS, BaseOperator, Operator, SetQualifier};
pub use context::{Context, ContextValue};
pub use document::{
    ActionClause, ConditionEntry, Effect, PrincipalClause, PrincipalType, Principals,
    ResourceClause, Statement, Version,
};
pub use evaluate::{
    Deciding, Decision, Evaluation, MatchedStatement, Policies, PolicyType, Request, authorize,
    explain,
};
pub use principal::{GrantKind, InvalidPrincipal, Principal, PrincipalKind, ROLE_SESSION_NAME};
pub use scenario::{
    ScenarioError, ScenarioOutcome, derive_context, evaluate_scenario, evaluate_scenario_lenient,
};
pub use simulation::{
    ContextEntryError, MatchedSource, SimulatedOutcome, SimulatedStatement, Simulation,
    TextPosition, context_entry_value, owner_account, statement_positions,
};
pub use validate::{Finding, FindingCode, Policy, PolicyError, PolicyKind};
