//! Glob matching with `*` (any run, possibly empty) and `?` (exactly one character).
//!
//! Patterns arrive as a slice of pieces so that policy variables can be substituted as
//! literal text without building a new string: a substituted value never acts as a wildcard.

/// One piece of a pattern after policy variables have been resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Text that must appear as is.
    Literal(&'a str),
    /// `*`: any run of characters, possibly empty.
    AnyRun,
    /// `?`: exactly one character.
    AnyOne,
}

/// Anything that reads as a piece: resolved pieces, or a compiled template's parts when it has
/// no variables (so matching needs no copy).
pub(crate) trait AsPiece {
    fn as_piece(&self) -> Piece<'_>;
}

impl AsPiece for Piece<'_> {
    fn as_piece(&self) -> Piece<'_> {
        *self
    }
}

/// A position inside a piece slice: the piece, and the byte offset inside a literal.
#[derive(Clone, Copy)]
struct Cursor {
    piece: usize,
    offset: usize,
}

enum Atom {
    Byte(u8),
    AnyOne,
    AnyRun,
    End,
}

fn atom_at<P: AsPiece>(pieces: &[P], cursor: &mut Cursor) -> Atom {
    loop {
        match pieces.get(cursor.piece).map(AsPiece::as_piece) {
            None => return Atom::End,
            Some(Piece::Literal(text)) => match text.as_bytes().get(cursor.offset) {
                Some(byte) => return Atom::Byte(*byte),
                None => {
                    cursor.piece += 1;
                    cursor.offset = 0;
                }
            },
            Some(Piece::AnyOne) => return Atom::AnyOne,
            Some(Piece::AnyRun) => return Atom::AnyRun,
        }
    }
}

fn advance<P: AsPiece>(pieces: &[P], cursor: &mut Cursor) {
    match pieces.get(cursor.piece).map(AsPiece::as_piece) {
        Some(Piece::Literal(_)) => cursor.offset += 1,
        Some(_) => {
            cursor.piece += 1;
            cursor.offset = 0;
        }
        None => {}
    }
}

/// Length in bytes of the UTF-8 character that starts at `index` of `text`.
fn char_len(text: &[u8], index: usize) -> usize {
    match text.get(index) {
        Some(byte) if *byte < 0x80 => 1,
        Some(byte) if *byte >= 0xF0 => 4,
        Some(byte) if *byte >= 0xE0 => 3,
        Some(_) => 2,
        None => 1,
    }
}

fn bytes_equal(a: u8, b: u8, ignore_case: bool) -> bool {
    if ignore_case {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Whether `text` matches the pattern made of `pieces`.
///
/// The classic linear-backtracking glob: on a mismatch, retry from the last `*` one character
/// further on. It never allocates and runs in O(pattern * text) at worst.
pub(crate) fn matches<P: AsPiece>(pieces: &[P], text: &str, ignore_case: bool) -> bool {
    let text = text.as_bytes();
    let mut pattern = Cursor {
        piece: 0,
        offset: 0,
    };
    let mut at = 0usize;
    let mut star: Option<(Cursor, usize)> = None;
    while at < text.len() {
        let mut here = pattern;
        match atom_at(pieces, &mut here) {
            Atom::Byte(byte)
                if text
                    .get(at)
                    .is_some_and(|t| bytes_equal(byte, *t, ignore_case)) =>
            {
                pattern = here;
                advance(pieces, &mut pattern);
                at += 1;
                continue;
            }
            Atom::AnyOne => {
                pattern = here;
                advance(pieces, &mut pattern);
                at += char_len(text, at);
                continue;
            }
            Atom::AnyRun => {
                pattern = here;
                advance(pieces, &mut pattern);
                star = Some((pattern, at));
                continue;
            }
            _ => {}
        }
        match star {
            Some((after_star, star_at)) => {
                let next = star_at + char_len(text, star_at);
                star = Some((after_star, next));
                pattern = after_star;
                at = next;
            }
            None => return false,
        }
    }
    loop {
        match atom_at(pieces, &mut pattern) {
            Atom::AnyRun => advance(pieces, &mut pattern),
            Atom::End => return at == text.len(),
            _ => return false,
        }
    }
}

/// Whether `text` equals the concatenation of the literal pieces (wildcards are not expected
/// here: operators without wildcards parse `*` and `?` as literal text).
pub(crate) fn equals<P: AsPiece>(pieces: &[P], text: &str, ignore_case: bool) -> bool {
    let mut rest = text.as_bytes();
    for piece in pieces {
        let literal: &[u8] = match piece.as_piece() {
            Piece::Literal(literal) => literal.as_bytes(),
            Piece::AnyRun => b"*",
            Piece::AnyOne => b"?",
        };
        let Some((head, tail)) = rest.split_at_checked(literal.len()) else {
            return false;
        };
        let same = if ignore_case {
            head.eq_ignore_ascii_case(literal)
        } else {
            head == literal
        };
        if !same {
            return false;
        }
        rest = tail;
    }
    rest.is_empty()
}

/// Splits a pattern string into pieces, reading `*` and `?` as wildcards.
pub(crate) fn parse_glob(pattern: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for (index, ch) in pattern.char_indices() {
        if ch == '*' || ch == '?' {
            if start < index {
                pieces.push(Piece::Literal(
                    pattern.get(start..index).unwrap_or_default(),
                ));
            }
            pieces.push(if ch == '*' {
                Piece::AnyRun
            } else {
                Piece::AnyOne
            });
            start = index + 1;
        }
    }
    if start < pattern.len() {
        pieces.push(Piece::Literal(pattern.get(start..).unwrap_or_default()));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, text: &str, expected: bool) {
        assert_eq!(
            matches(&parse_glob(pattern), text, false),
            expected,
            "{pattern} ~ {text}"
        );
    }

    #[test]
    fn globs() {
        check("*", "", true);
        check("*", "anything/at:all", true);
        check("", "", true);
        check("", "a", false);
        check("a*", "a", true);
        check("a*c", "abbbc", true);
        check("a*c", "abbbd", false);
        check("a?c", "abc", true);
        check("a?c", "ac", false);
        check("a?c", "aéc", true);
        check("*a*b*c*", "xxaxxbxxcxx", true);
        check("*a*b*c*", "xxaxxcxxbxx", false);
        check("s3:Get*", "s3:GetObject", true);
        check("s3:Get*", "s3:PutObject", false);
        check("**?", "x", true);
        check("**?", "", false);
    }

    #[test]
    fn case_rules() {
        assert!(matches(&parse_glob("S3:get*"), "s3:GETOBJECT", true));
        assert!(!matches(&parse_glob("S3:get*"), "s3:GETOBJECT", false));
    }

    #[test]
    fn substituted_text_is_literal() {
        let pieces = [Piece::Literal("home/"), Piece::Literal("*"), Piece::AnyRun];
        assert!(equals(&pieces[..2], "home/*", false));
        assert!(!equals(&pieces[..2], "home/x", false));
        assert!(matches(&pieces, "home/*/x", false));
    }
}
