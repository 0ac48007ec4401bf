//! The AWS partition a request lives in, read from its signing region, and the translation of
//! ARNs between it and the canonical `aws` partition that everything behind the wire uses.
//!
//! Castellan stores and reasons in `arn:aws:...`. A request signed for `cn-north-1` lives in
//! `aws-cn`, so its ARN-typed members arrive as `arn:aws-cn:...` and must leave that way. The
//! translation is a swap of the two prefixes, not a one-way rewrite: an `arn:aws:` ARN sent in
//! `aws-cn` becomes `arn:aws-cn:` inside, names nothing that exists there, and is swapped back
//! to the caller's own words in any message that quotes it.

use std::borrow::Cow;

/// An AWS partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Partition {
    /// `aws`: the commercial regions, and any region not named below.
    #[default]
    Aws,
    /// `aws-cn`: `cn-north-1`, `cn-northwest-1`.
    China,
    /// `aws-us-gov`: `us-gov-east-1`, `us-gov-west-1`.
    GovCloud,
    /// `aws-iso`: `us-iso-*`.
    Iso,
    /// `aws-iso-b`: `us-isob-*`.
    IsoB,
    /// `aws-iso-e`: `eu-isoe-*`.
    IsoE,
    /// `aws-iso-f`: `us-isof-*`.
    IsoF,
    /// `aws-eusc`: the European Sovereign Cloud, `eusc-*`.
    EuropeanSovereign,
}

impl Partition {
    /// The partition of a signing region (`aws` for an empty or unknown one).
    #[must_use]
    pub fn of_region(region: &str) -> Partition {
        const BY_PREFIX: &[(&str, Partition)] = &[
            ("cn-", Partition::China),
            ("us-gov-", Partition::GovCloud),
            ("us-isob-", Partition::IsoB),
            ("us-isof-", Partition::IsoF),
            ("us-iso-", Partition::Iso),
            ("eu-isoe-", Partition::IsoE),
            ("eusc-", Partition::EuropeanSovereign),
        ];
        BY_PREFIX
            .iter()
            .find(|(prefix, _)| region.starts_with(prefix))
            .map_or(Partition::Aws, |&(_, partition)| partition)
    }

    /// The name ARNs carry: `aws`, `aws-cn`, ...
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::China => "aws-cn",
            Partition::GovCloud => "aws-us-gov",
            Partition::Iso => "aws-iso",
            Partition::IsoB => "aws-iso-b",
            Partition::IsoE => "aws-iso-e",
            Partition::IsoF => "aws-iso-f",
            Partition::EuropeanSovereign => "aws-eusc",
        }
    }

    /// An ARN moved between this partition and `aws`: `arn:<this>:x` becomes `arn:aws:x` and
    /// `arn:aws:x` becomes `arn:<this>:x`; anything else is unchanged. Its own inverse, so the
    /// same call translates inward and outward.
    #[must_use]
    pub fn swap(self, arn: &str) -> Cow<'_, str> {
        match self.swapped_prefix(arn) {
            Some((len, to)) => {
                Cow::Owned(format!("arn:{to}:{}", arn.get(len..).unwrap_or_default()))
            }
            None => Cow::Borrowed(arn),
        }
    }

    /// [`Partition::swap`] applied to every ARN that free text (an error message) quotes: an
    /// `arn:` at the start of the text or after a character that cannot end an ARN's word.
    #[must_use]
    pub fn swap_within(self, text: &str) -> Cow<'_, str> {
        if self == Partition::Aws || !text.contains("arn:") {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len() + 8);
        let mut rest = text;
        let mut previous: Option<char> = None;
        while let Some(at) = rest.find("arn:") {
            let (before, from) = rest.split_at(at);
            out.push_str(before);
            let previous_char = before.chars().next_back().or(previous);
            let starts_word = previous_char.is_none_or(|c| !c.is_alphanumeric() && c != '-');
            match self.swapped_prefix(from).filter(|_| starts_word) {
                Some((len, to)) => {
                    out.push_str("arn:");
                    out.push_str(to);
                    out.push(':');
                    rest = from.get(len..).unwrap_or_default();
                    previous = Some(':');
                }
                None => {
                    out.push_str("arn:");
                    rest = from.get(4..).unwrap_or_default();
                    previous = Some(':');
                }
            }
        }
        out.push_str(rest);
        Cow::Owned(out)
    }

    /// For text starting with `arn:aws:` or `arn:<this>:` (this not `aws`), the length of that
    /// prefix and the partition name to put instead.
    fn swapped_prefix(self, text: &str) -> Option<(usize, &'static str)> {
        if self == Partition::Aws {
            return None;
        }
        let partition = text.strip_prefix("arn:")?.split(':').next()?;
        let to = match partition {
            "aws" => self.name(),
            p if p == self.name() => "aws",
            _ => return None,
        };
        // The partition's text is followed by a colon: `split` found one or the ARN ends
        // there, which an ARN never does, so require it.
        text.get(4 + partition.len()..)?
            .starts_with(':')
            .then_some((4 + partition.len() + 1, to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_name_their_partitions() {
        let cases = [
            ("us-east-1", "aws"),
            ("", "aws"),
            ("eu-central-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eusc-de-east-1", "aws-eusc"),
        ];
        for (region, name) in cases {
            assert_eq!(Partition::of_region(region).name(), name, "{region}");
        }
    }

    #[test]
    fn swap_moves_arns_both_ways_and_leaves_the_rest() {
        let cn = Partition::China;
        assert_eq!(
            cn.swap("arn:aws-cn:iam::123456789012:user/a"),
            "arn:aws:iam::123456789012:user/a"
        );
        assert_eq!(
            cn.swap("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
        );
        for unchanged in [
            "arn:aws-us-gov:iam::1:root",
            "GAHT12345678",
            "arn:awsx:iam",
            "arn:aws",
            "arn",
            "",
        ] {
            assert_eq!(cn.swap(unchanged), unchanged);
        }
        assert_eq!(
            Partition::Aws.swap("arn:aws-cn:iam::1:root"),
            "arn:aws-cn:iam::1:root"
        );
        let arn = "arn:aws:sts::123456789012:assumed-role/r/s";
        assert_eq!(cn.swap(&cn.swap(arn)), arn);
    }

    #[test]
    fn swap_within_moves_every_quoted_arn() {
        let gov = Partition::GovCloud;
        assert_eq!(
            gov.swap_within("User: arn:aws:iam::1:user/a is not authorized on resource: arn:aws-us-gov:iam::1:role/r"),
            "User: arn:aws-us-gov:iam::1:user/a is not authorized on resource: arn:aws:iam::1:role/r"
        );
        assert_eq!(
            gov.swap_within("Policy \"arn:aws:iam::aws:policy/X\"."),
            "Policy \"arn:aws-us-gov:iam::aws:policy/X\"."
        );
        assert_eq!(
            gov.swap_within("barn:aws:x and arn:aws"),
            "barn:aws:x and arn:aws"
        );
        assert_eq!(gov.swap_within("no arns"), "no arns");
    }
}
