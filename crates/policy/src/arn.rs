//! ARNs: splitting into their six parts, and patterns matched part by part.

use crate::context::Context;
use crate::template::{Template, Unresolved};

/// Splits an ARN into `[arn, partition, service, region, account, resource]` at its first
/// five colons; `None` when it has fewer than six parts or does not start with `arn`.
pub(crate) fn split(text: &str) -> Option<[&str; 6]> {
    let mut parts = text.splitn(6, ':');
    let arn = [
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    ];
    (arn[0] == "arn").then_some(arn)
}

/// A parsed ARN, borrowed from its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, ...
    pub partition: &'a str,
    /// `iam`, `s3`, `sts`, ...
    pub service: &'a str,
    /// Empty for global services.
    pub region: &'a str,
    /// Twelve digits, `aws` for AWS managed policies, or empty (S3).
    pub account: &'a str,
    /// Everything after the fifth colon.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Parses `text`, or `None` when it is not an ARN.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let [_, partition, service, region, account, resource] = split(text)?;
        Some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }
}

/// Splits a pattern at its first five colons, ignoring colons inside `${...}`.
fn split_pattern(text: &str) -> Option<[&str; 6]> {
    let mut cuts = [0usize; 5];
    let mut found = 0;
    let mut depth = 0u32;
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() && found < 5 {
        match bytes.get(index) {
            Some(b'$') if bytes.get(index + 1) == Some(&b'{') => {
                depth += 1;
                index += 1;
            }
            Some(b'}') if depth > 0 => depth -= 1,
            Some(b':') if depth == 0 => {
                if let Some(cut) = cuts.get_mut(found) {
                    *cut = index;
                }
                found += 1;
            }
            _ => {}
        }
        index += 1;
    }
    if found < 5 {
        return None;
    }
    let [a, b, c, d, e] = cuts;
    let arn = [
        text.get(..a)?,
        text.get(a + 1..b)?,
        text.get(b + 1..c)?,
        text.get(c + 1..d)?,
        text.get(d + 1..e)?,
        text.get(e + 1..)?,
    ];
    (arn[0] == "arn").then_some(arn)
}

/// A resource or ARN-condition pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// A pattern that is not an ARN (in practice `*`): matched against the whole text.
    Whole(Template),
    /// Text that starts like an ARN but has fewer than six parts: matches nothing.
    Malformed,
    /// An ARN pattern: each of the six parts matched on its own, so a wildcard in the first
    /// five never crosses a colon.
    Parts(Box<[Template; 6]>),
    /// The common case: the first five parts are literal (`arn:aws:s3:::`), compared as one
    /// prefix, and only the resource part is a pattern.
    LiteralHead {
        /// The first five parts with their five colons.
        head: Box<str>,
        /// The resource part.
        resource: Template,
    },
}

impl ArnPattern {
    /// Compiles a pattern with `*`/`?` wildcards and, when `variables`, policy variables.
    pub(crate) fn compile(text: &str, variables: bool) -> ArnPattern {
        match split_pattern(text) {
            Some(parts) => {
                let templates = parts.map(|part| Template::compile(part, true, variables));
                let [a, b, c, d, e, resource] = templates;
                let head = [&a, &b, &c, &d, &e]
                    .iter()
                    // A literal holding a colon (text of `${..}` under Version 2008-10-17)
                    // would shift the part boundaries: leave those to part-by-part matching.
                    .map(|t| {
                        t.as_literal()
                            .filter(|l| !l.contains(':'))
                            .map(|l| format!("{l}:"))
                    })
                    .collect::<Option<String>>();
                match head {
                    Some(head) => ArnPattern::LiteralHead {
                        head: head.into_boxed_str(),
                        resource,
                    },
                    None => ArnPattern::Parts(Box::new([a, b, c, d, e, resource])),
                }
            }
            None if text.starts_with("arn:") => ArnPattern::Malformed,
            None => ArnPattern::Whole(Template::compile(text, true, variables)),
        }
    }

    /// Whether `text` matches; `Err` when a variable cannot be resolved.
    pub(crate) fn matches(&self, text: &str, context: &Context) -> Result<bool, Unresolved> {
        self.matches_split(text, split(text).as_ref(), context)
    }

    /// `matches` for a text already split by [`split`], so a request's resource is split once
    /// per request rather than once per pattern.
    pub(crate) fn matches_split(
        &self,
        text: &str,
        parts: Option<&[&str; 6]>,
        context: &Context,
    ) -> Result<bool, Unresolved> {
        match self {
            ArnPattern::Whole(template) => template.matches(text, context, false),
            ArnPattern::Malformed => Ok(false),
            ArnPattern::LiteralHead { head, resource } => {
                // The head holds exactly five colons and no wildcard, so a text that starts
                // with it has its first five parts equal to the pattern's.
                match (parts, text.strip_prefix(&**head)) {
                    (Some(_), Some(rest)) => resource.matches(rest, context, false),
                    _ => Ok(false),
                }
            }
            ArnPattern::Parts(patterns) => {
                let Some(parts) = parts else {
                    return Ok(false);
                };
                for (pattern, part) in patterns.iter().zip(parts) {
                    if !pattern.matches(part, context, false)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, text: &str, expected: bool) {
        let ctx = Context::new();
        assert_eq!(
            ArnPattern::compile(pattern, true).matches(text, &ctx),
            Ok(expected),
            "{pattern} ~ {text}"
        );
    }

    #[test]
    fn per_part_matching() {
        check("*", "arn:aws:s3:::bucket", true);
        check("*", "*", true);
        check("arn:aws:s3:::bucket/*", "*", false);
        check("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", true);
        check("arn:aws:s3:::bucket/*", "arn:aws:s3:::Bucket/a", false);
        check("arn:aws:*:*:*:*", "arn:aws:iam::123456789012:user/x", true);
        check("arn:aws:iam::*", "arn:aws:iam::123456789012:user/x", false);
        check("arn:aws:iam::*:*", "arn:aws:iam::123456789012:user/x", true);
        check(
            "arn:aws:ec2:*:123456789012:instance/*",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
            true,
        );
        check("arn:aws:ec2:us-*:*:*", "arn:aws:ec2:eu-west-1:1:x", false);
        check("arn:aws:s3:::a*", "arn:aws:s3:::a:b:c", true);
    }

    #[test]
    fn colons_inside_variables_do_not_split() {
        let ctx = Context::from_pairs([(
            "aws:username".to_owned(),
            crate::context::ContextValue::Single("bob".to_owned()),
        )]);
        let p = ArnPattern::compile("arn:aws:s3:::home/${aws:username}/*", true);
        assert_eq!(p.matches("arn:aws:s3:::home/bob/x", &ctx), Ok(true));
        assert_eq!(p.matches("arn:aws:s3:::home/eve/x", &ctx), Ok(false));
    }

    #[test]
    fn parse() {
        let arn = Arn::parse("arn:aws:iam::123456789012:user/path/bob").unwrap();
        assert_eq!(arn.service, "iam");
        assert_eq!(arn.account, "123456789012");
        assert_eq!(arn.resource, "user/path/bob");
        assert_eq!(Arn::parse("arn:aws:iam"), None);
        assert_eq!(Arn::parse("nra:aws:iam::1:x"), None);
    }
}
