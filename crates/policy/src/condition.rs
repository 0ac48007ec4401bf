//! Condition operators: parsing, compiled values, and evaluation against a request context.

use std::net::IpAddr;

use crate::arn::ArnPattern;
use crate::context::{Context, ContextValue};
use crate::document::ConditionEntry;
use crate::template::Template;
use crate::values::{parse_bool, parse_date, parse_number};

/// The 27 condition operators, without qualifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[expect(missing_docs, reason = "the variants are AWS's operator names")]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

/// Every operator, for parsing and for tests.
pub const ALL_OPERATORS: [BaseOperator; 27] = {
    use BaseOperator::*;
    [
        StringEquals,
        StringNotEquals,
        StringEqualsIgnoreCase,
        StringNotEqualsIgnoreCase,
        StringLike,
        StringNotLike,
        NumericEquals,
        NumericNotEquals,
        NumericLessThan,
        NumericLessThanEquals,
        NumericGreaterThan,
        NumericGreaterThanEquals,
        DateEquals,
        DateNotEquals,
        DateLessThan,
        DateLessThanEquals,
        DateGreaterThan,
        DateGreaterThanEquals,
        Bool,
        BinaryEquals,
        IpAddress,
        NotIpAddress,
        ArnEquals,
        ArnLike,
        ArnNotEquals,
        ArnNotLike,
        Null,
    ]
};

impl BaseOperator {
    /// AWS's name of the operator.
    pub fn name(self) -> &'static str {
        use BaseOperator::*;
        match self {
            StringEquals => "StringEquals",
            StringNotEquals => "StringNotEquals",
            StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            StringLike => "StringLike",
            StringNotLike => "StringNotLike",
            NumericEquals => "NumericEquals",
            NumericNotEquals => "NumericNotEquals",
            NumericLessThan => "NumericLessThan",
            NumericLessThanEquals => "NumericLessThanEquals",
            NumericGreaterThan => "NumericGreaterThan",
            NumericGreaterThanEquals => "NumericGreaterThanEquals",
            DateEquals => "DateEquals",
            DateNotEquals => "DateNotEquals",
            DateLessThan => "DateLessThan",
            DateLessThanEquals => "DateLessThanEquals",
            DateGreaterThan => "DateGreaterThan",
            DateGreaterThanEquals => "DateGreaterThanEquals",
            Bool => "Bool",
            BinaryEquals => "BinaryEquals",
            IpAddress => "IpAddress",
            NotIpAddress => "NotIpAddress",
            ArnEquals => "ArnEquals",
            ArnLike => "ArnLike",
            ArnNotEquals => "ArnNotEquals",
            ArnNotLike => "ArnNotLike",
            Null => "Null",
        }
    }

    /// Negated operators hold when the value equals none of the policy values.
    fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    fn family(self) -> Family {
        use BaseOperator::*;
        match self {
            StringEquals | StringNotEquals => Family::Text {
                wildcards: false,
                ignore_case: false,
            },
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => Family::Text {
                wildcards: false,
                ignore_case: true,
            },
            StringLike | StringNotLike => Family::Text {
                wildcards: true,
                ignore_case: false,
            },
            NumericEquals | NumericNotEquals => Family::Numeric(Ordering::Equal),
            NumericLessThan => Family::Numeric(Ordering::Less),
            NumericLessThanEquals => Family::Numeric(Ordering::LessOrEqual),
            NumericGreaterThan => Family::Numeric(Ordering::Greater),
            NumericGreaterThanEquals => Family::Numeric(Ordering::GreaterOrEqual),
            DateEquals | DateNotEquals => Family::Date(Ordering::Equal),
            DateLessThan => Family::Date(Ordering::Less),
            DateLessThanEquals => Family::Date(Ordering::LessOrEqual),
            DateGreaterThan => Family::Date(Ordering::Greater),
            DateGreaterThanEquals => Family::Date(Ordering::GreaterOrEqual),
            Bool => Family::Bool,
            BinaryEquals => Family::Binary,
            IpAddress | NotIpAddress => Family::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => Family::Arn,
            Null => Family::Null,
        }
    }
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// Every request value must match (true when the key is absent).
    ForAllValues,
    /// Some request value must match (false when the key is absent).
    ForAnyValue,
}

/// An operator with its qualifiers, as written in a policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operator {
    /// The operator proper.
    pub base: BaseOperator,
    /// The `...IfExists` suffix.
    pub if_exists: bool,
    /// A `ForAllValues:`/`ForAnyValue:` prefix.
    pub qualifier: Option<SetQualifier>,
}

impl Operator {
    /// Parses an operator name such as `ForAnyValue:StringLikeIfExists`.
    pub fn parse(text: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, text)
        };
        let (if_exists, name) = match rest.strip_suffix("IfExists") {
            Some(name) => (true, name),
            None => (false, rest),
        };
        let base = ALL_OPERATORS.into_iter().find(|op| op.name() == name)?;
        if base == BaseOperator::Null && if_exists {
            return None;
        }
        Some(Operator {
            base,
            if_exists,
            qualifier,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ordering {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Ordering {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Ordering::Equal => request == policy,
            Ordering::Less => request < policy,
            Ordering::LessOrEqual => request <= policy,
            Ordering::Greater => request > policy,
            Ordering::GreaterOrEqual => request >= policy,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Text { wildcards: bool, ignore_case: bool },
    Numeric(Ordering),
    Date(Ordering),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// A policy value read ahead of time into the operator's type.
#[derive(Clone, Debug, PartialEq)]
enum Typed {
    /// Text families compare the template itself.
    Text,
    Number(f64),
    Binary(Vec<u8>),
    Date(i128),
    Bool(bool),
    Cidr(Cidr),
    Arn(ArnPattern),
    /// The value cannot be read as the operator's type: its comparisons are false.
    Unreadable,
    /// The value uses policy variables: read it after substitution.
    Deferred,
}

/// An IP network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => {
                prefix.parse::<u8>().ok().filter(|p| *p <= max)?
            }
            Some(_) => return None,
            None => max,
        };
        Some(Cidr { network, prefix })
    }

    fn contains(self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
struct CompiledValue {
    template: Template,
    typed: Typed,
}

/// One condition entry compiled for evaluation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Condition {
    operator: Operator,
    family: Family,
    /// The lower-cased condition key.
    key: Box<str>,
    values: Box<[CompiledValue]>,
    has_variables: bool,
}

/// Reads standard base64 (with padding); `None` for anything else.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    data_encoding::BASE64.decode(text.as_bytes()).ok()
}

fn read_typed(family: Family, text: &str) -> Typed {
    let read = match family {
        Family::Text { .. } => Some(Typed::Text),
        Family::Binary => decode_base64(text).map(Typed::Binary),
        Family::Numeric(_) => parse_number(text).map(Typed::Number),
        Family::Date(_) => parse_date(text).map(Typed::Date),
        Family::Bool | Family::Null => parse_bool(text).map(Typed::Bool),
        Family::Ip => Cidr::parse(text).map(Typed::Cidr),
        Family::Arn => Some(Typed::Arn(ArnPattern::compile(text, true))),
    };
    read.unwrap_or(Typed::Unreadable)
}

impl Condition {
    pub(crate) fn compile(entry: &ConditionEntry, variables: bool) -> Condition {
        let family = entry.operator.base.family();
        let wildcards = matches!(
            family,
            Family::Text {
                wildcards: true,
                ..
            }
        );
        let values: Box<[CompiledValue]> = entry
            .values
            .iter()
            .map(|text| {
                let template = Template::compile(text, wildcards, variables);
                let typed = if template.has_variables() && !matches!(family, Family::Text { .. }) {
                    Typed::Deferred
                } else if matches!(family, Family::Arn) {
                    Typed::Arn(ArnPattern::compile(text, variables))
                } else {
                    read_typed(family, template.as_literal().unwrap_or(text))
                };
                CompiledValue { template, typed }
            })
            .collect();
        let has_variables = values.iter().any(|v| v.template.has_variables());
        Condition {
            operator: entry.operator,
            family,
            key: entry.key.to_ascii_lowercase().into_boxed_str(),
            values,
            has_variables,
        }
    }

    /// Whether the condition holds for `context`.
    pub(crate) fn evaluate(&self, context: &Context) -> bool {
        if self.has_variables && !self.values.iter().all(|v| v.template.resolvable(context)) {
            return false;
        }
        let raw = context.get(&self.key);
        let value = raw.filter(|v| !v.is_empty());
        if self.family == Family::Null {
            let absent = value.is_none();
            return self.values.iter().any(|v| match v.typed {
                Typed::Bool(expect_absent) => expect_absent == absent,
                _ => false,
            });
        }
        let Some(value) = value else {
            if self.operator.if_exists {
                return true;
            }
            return match self.operator.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                // An empty set is still a multivalued key: single-valued operators fail on it.
                None if raw.is_some() => false,
                None => self.operator.base.is_negated(),
            };
        };
        match (self.operator.qualifier, value) {
            (None, ContextValue::Single(single)) => self.holds_for(single, context),
            (None, ContextValue::Multi(_)) => false,
            (Some(SetQualifier::ForAllValues), value) => {
                value.values().all(|v| self.holds_for(v, context))
            }
            (Some(SetQualifier::ForAnyValue), value) => {
                value.values().any(|v| self.holds_for(v, context))
            }
        }
    }

    /// The operator applied to one request value: some policy value matches (positive
    /// operators) or every policy value is readable and none matches (negated operators).
    fn holds_for(&self, request: &str, context: &Context) -> bool {
        let mut results = self
            .values
            .iter()
            .map(|value| self.compare(request, value, context));
        if self.operator.base.is_negated() {
            results.all(|r| r == Some(false))
        } else {
            results.any(|r| r == Some(true))
        }
    }

    /// Whether one request value matches one policy value under the positive form of the
    /// operator; `None` when either cannot be read as the operator's type.
    fn compare(&self, request: &str, value: &CompiledValue, context: &Context) -> Option<bool> {
        if matches!(value.typed, Typed::Deferred) {
            let text = value.template.resolve_to_string(context).ok()?;
            let typed = read_typed(self.family, &text);
            return self.compare_typed(request, &typed, &value.template, context);
        }
        self.compare_typed(request, &value.typed, &value.template, context)
    }

    fn compare_typed(
        &self,
        request: &str,
        typed: &Typed,
        template: &Template,
        context: &Context,
    ) -> Option<bool> {
        match (self.family, typed) {
            (_, Typed::Unreadable | Typed::Deferred) => None,
            (Family::Text { ignore_case, .. }, _) => {
                template.matches(request, context, ignore_case).ok()
            }
            (Family::Binary, Typed::Binary(policy)) => Some(decode_base64(request)? == *policy),
            (Family::Numeric(order), Typed::Number(policy)) => {
                Some(order.holds(parse_number(request)?, *policy))
            }
            (Family::Date(order), Typed::Date(policy)) => {
                Some(order.holds(parse_date(request)?, *policy))
            }
            (Family::Bool, Typed::Bool(policy)) => Some(parse_bool(request)? == *policy),
            (Family::Ip, Typed::Cidr(cidr)) => {
                let address: IpAddr = request.trim().parse().ok()?;
                Some(cidr.contains(address))
            }
            (Family::Arn, Typed::Arn(pattern)) => {
                crate::arn::split(request)?;
                pattern.matches(request, context).ok()
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names_round_trip() {
        for op in ALL_OPERATORS {
            let parsed = Operator::parse(op.name()).unwrap();
            assert_eq!(parsed.base, op);
            let qualified = format!("ForAnyValue:{}IfExists", op.name());
            assert_eq!(
                Operator::parse(&qualified).is_some(),
                op != BaseOperator::Null
            );
        }
        assert_eq!(Operator::parse("StringEqual"), None);
        assert_eq!(Operator::parse("stringequals"), None);
    }

    #[test]
    fn cidrs() {
        let net = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(net.contains("203.0.113.7".parse().unwrap()));
        assert!(!net.contains("203.0.114.7".parse().unwrap()));
        assert!(
            Cidr::parse("203.0.113.7")
                .unwrap()
                .contains("203.0.113.7".parse().unwrap())
        );
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("1.2.3.4".parse().unwrap())
        );
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains("2001:db8::1".parse().unwrap())
        );
        assert_eq!(Cidr::parse("1.2.3.4/33"), None);
        assert_eq!(Cidr::parse("nope"), None);
    }
}
