//! The subset of Java regular expressions that the AWS models' `pattern` traits use, matched
//! with a Pike VM (linear time in the input, no recursion on input length).
//!
//! Why not the `regex` crate: the models need Java semantics that it lacks or changes
//! (`(?!-)` lookahead, ASCII-only `\w`/`\d`, `\uXXXX` escapes), and most patterns are a single
//! character class. Matching is whole-input, like Java's `Matcher.matches()` that AWS uses.

use crate::generated::unicode;

/// A compiled pattern: a program for the Pike VM.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    insts: Vec<Inst>,
    /// Most model patterns are one class repeated (`[\w+=,.@-]+`): checked directly, without
    /// the VM, since they guard long values such as policy documents.
    repeated_class: Option<(Class, usize)>,
}

#[derive(Debug, Clone)]
enum Inst {
    Char(Class),
    Split(usize, usize),
    Jump(usize),
    /// `^`: only at the start of the input.
    Start,
    /// `$`: only at the end of the input.
    End,
    /// `(?!c)` where c is one character class: the next character is not in it.
    NotAhead(Class),
    Match,
}

#[derive(Debug, Clone, Default)]
struct Class {
    negated: bool,
    items: Vec<Item>,
}

#[derive(Debug, Clone, Copy)]
enum Item {
    Range(char, char),
    /// Java's `\w` without UNICODE_CHARACTER_CLASS: `[a-zA-Z_0-9]`.
    Word,
    /// Java's `\d`: `[0-9]`.
    Digit,
    /// Java's `\s`: `[ \t\n\x0B\f\r]`; `NotSpace` is `\S` (Organizations' `[\s\S]*`).
    Space,
    NotSpace,
    Letter,
    Number,
    Separator,
    /// `.`: anything but a line terminator.
    Any,
}

#[derive(Debug)]
enum Ast {
    Class(Class),
    Concat(Vec<Ast>),
    Alt(Vec<Ast>),
    Repeat {
        ast: Box<Ast>,
        min: u32,
        max: Option<u32>,
    },
    Start,
    End,
    NotAhead(Class),
}

impl Class {
    fn single(c: char) -> Self {
        Self {
            negated: false,
            items: vec![Item::Range(c, c)],
        }
    }

    fn contains(&self, c: char) -> bool {
        let hit = self.items.iter().any(|item| match *item {
            Item::Range(lo, hi) => lo <= c && c <= hi,
            Item::Word => c.is_ascii_alphanumeric() || c == '_',
            Item::Digit => c.is_ascii_digit(),
            Item::Space => matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r'),
            Item::NotSpace => !matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r'),
            Item::Letter => in_table(unicode::LETTER, c),
            Item::Number => in_table(unicode::NUMBER, c),
            Item::Separator => in_table(unicode::SEPARATOR, c),
            Item::Any => !matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'),
        });
        hit != self.negated
    }
}

fn in_table(table: &[(char, char)], c: char) -> bool {
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Why a pattern could not be compiled (a model pattern outside the supported subset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported(pub(crate) usize);

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    len: usize,
}

impl Parser<'_> {
    fn pos(&mut self) -> usize {
        self.chars.peek().map_or(self.len, |&(i, _)| i)
    }

    fn err<T>(&mut self) -> Result<T, Unsupported> {
        Err(Unsupported(self.pos()))
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|&(_, c)| c)
    }

    fn next(&mut self) -> Option<char> {
        self.chars.next().map(|(_, c)| c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.next();
            true
        } else {
            false
        }
    }

    fn alt(&mut self) -> Result<Ast, Unsupported> {
        let mut alts = vec![self.concat()?];
        while self.eat('|') {
            alts.push(self.concat()?);
        }
        if alts.len() == 1
            && let Some(only) = alts.pop()
        {
            return Ok(only);
        }
        Ok(Ast::Alt(alts))
    }

    fn concat(&mut self) -> Result<Ast, Unsupported> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.quantified(atom)?);
        }
        Ok(Ast::Concat(items))
    }

    fn quantified(&mut self, atom: Ast) -> Result<Ast, Unsupported> {
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => {
                self.next();
                let min = self.number()?;
                let max = if self.eat(',') {
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if !self.eat('}') || max.is_some_and(|m| m < min) {
                    return self.err();
                }
                return Ok(Ast::Repeat {
                    ast: Box::new(atom),
                    min,
                    max,
                });
            }
            _ => return Ok(atom),
        };
        self.next();
        // Possessive and lazy forms do not occur in the models; refuse rather than guess.
        if matches!(self.peek(), Some('?' | '+')) {
            return self.err();
        }
        Ok(Ast::Repeat {
            ast: Box::new(atom),
            min,
            max,
        })
    }

    fn number(&mut self) -> Result<u32, Unsupported> {
        let mut n: u32 = 0;
        let mut any = false;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            self.next();
            any = true;
            n = match n.checked_mul(10).and_then(|n| n.checked_add(d)) {
                // Counted repetition expands into copies; keep programs small.
                Some(n) if n <= 1000 => n,
                _ => return self.err(),
            };
        }
        if any { Ok(n) } else { self.err() }
    }

    fn atom(&mut self) -> Result<Ast, Unsupported> {
        match self.next() {
            Some('(') => {
                if self.eat('?') {
                    if !self.eat('!') {
                        return self.err();
                    }
                    let inner = self.alt()?;
                    if !self.eat(')') {
                        return self.err();
                    }
                    return match single_class(inner) {
                        Some(class) => Ok(Ast::NotAhead(class)),
                        None => self.err(),
                    };
                }
                let inner = self.alt()?;
                if self.eat(')') { Ok(inner) } else { self.err() }
            }
            Some('[') => self.class().map(Ast::Class),
            Some('\\') => Ok(Ast::Class(self.escape()?)),
            Some('.') => Ok(Ast::Class(Class {
                negated: false,
                items: vec![Item::Any],
            })),
            Some('^') => Ok(Ast::Start),
            Some('$') => Ok(Ast::End),
            Some('*' | '+' | '?' | '{' | ')' | ']') | None => self.err(),
            Some(c) => Ok(Ast::Class(Class::single(c))),
        }
    }

    /// After a backslash: a class escape or an escaped literal.
    fn escape(&mut self) -> Result<Class, Unsupported> {
        let item = match self.next() {
            Some('w') => Item::Word,
            Some('d') => Item::Digit,
            Some('s') => Item::Space,
            Some('S') => Item::NotSpace,
            Some('p') => {
                if !self.eat('{') {
                    return self.err();
                }
                let item = match self.next() {
                    Some('L') => Item::Letter,
                    Some('N') => Item::Number,
                    Some('Z') => Item::Separator,
                    _ => return self.err(),
                };
                if !self.eat('}') {
                    return self.err();
                }
                item
            }
            Some('u') => {
                let c = self.unicode_escape()?;
                Item::Range(c, c)
            }
            Some('t') => Item::Range('\t', '\t'),
            Some('n') => Item::Range('\n', '\n'),
            Some('r') => Item::Range('\r', '\r'),
            Some(c) if !c.is_ascii_alphanumeric() => Item::Range(c, c),
            _ => return self.err(),
        };
        Ok(Class {
            negated: false,
            items: vec![item],
        })
    }

    /// `\uXXXX`. Java reads exactly four hex digits, but the STS model writes
    /// `\u10000-\u10FFFF` meaning the supplementary planes (the XML Char production), so up
    /// to six digits are read when more follow; no other model pattern has a hex digit
    /// right after a four-digit escape.
    fn unicode_escape(&mut self) -> Result<char, Unsupported> {
        let mut value: u32 = 0;
        let mut n = 0;
        while n < 6 {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    self.next();
                    value = value * 16 + d;
                    n += 1;
                }
                None => break,
            }
        }
        match char::from_u32(value) {
            Some(c) if n >= 4 => Ok(c),
            _ => self.err(),
        }
    }

    fn class(&mut self) -> Result<Class, Unsupported> {
        let mut class = Class {
            negated: self.eat('^'),
            items: Vec::new(),
        };
        let mut first = true;
        loop {
            let c = match self.next() {
                None => return self.err(),
                Some(']') if !first => return Ok(class),
                Some(c) => c,
            };
            first = false;
            let lo = if c == '\\' {
                let escaped = self.escape()?;
                match escaped.items.as_slice() {
                    [Item::Range(a, b)] if a == b => *a,
                    _ => {
                        class.items.extend(escaped.items);
                        continue;
                    }
                }
            } else if c == '[' {
                // Nested classes and intersections are Java features the models do not use.
                return self.err();
            } else {
                c
            };
            // A '-' forms a range only between two single characters; elsewhere (first,
            // last, or after a range) it is a literal, as in `[\w+=,.@-]` and `[a-z-\/]`.
            let mut ahead = self.chars.clone();
            let is_range = matches!(ahead.next(), Some((_, '-')))
                && !matches!(ahead.next(), Some((_, ']')) | None);
            if is_range {
                self.next();
                let hi = match self.next() {
                    Some('\\') => match self.escape()?.items.as_slice() {
                        [Item::Range(a, b)] if a == b => *a,
                        _ => return self.err(),
                    },
                    Some(c) => c,
                    None => return self.err(),
                };
                if hi < lo {
                    return self.err();
                }
                class.items.push(Item::Range(lo, hi));
            } else {
                class.items.push(Item::Range(lo, lo));
            }
        }
    }
}

fn single_class(ast: Ast) -> Option<Class> {
    match ast {
        Ast::Class(c) => Some(c),
        Ast::Concat(mut items) if items.len() == 1 => single_class(items.pop()?),
        _ => None,
    }
}

struct Compiler {
    insts: Vec<Inst>,
}

impl Compiler {
    fn emit(&mut self, inst: Inst) -> usize {
        self.insts.push(inst);
        self.insts.len() - 1
    }

    fn patch(&mut self, at: usize, inst: Inst) {
        if let Some(slot) = self.insts.get_mut(at) {
            *slot = inst;
        }
    }

    fn compile(&mut self, ast: &Ast) {
        match ast {
            Ast::Class(c) => {
                self.emit(Inst::Char(c.clone()));
            }
            Ast::Start => {
                self.emit(Inst::Start);
            }
            Ast::End => {
                self.emit(Inst::End);
            }
            Ast::NotAhead(c) => {
                self.emit(Inst::NotAhead(c.clone()));
            }
            Ast::Concat(items) => items.iter().for_each(|a| self.compile(a)),
            Ast::Alt(alts) => {
                let mut jumps = Vec::new();
                let mut rest = alts.iter().peekable();
                while let Some(alt) = rest.next() {
                    if rest.peek().is_some() {
                        let split = self.emit(Inst::Split(0, 0));
                        self.compile(alt);
                        jumps.push(self.emit(Inst::Jump(0)));
                        let next = self.insts.len();
                        self.patch(split, Inst::Split(split + 1, next));
                    } else {
                        self.compile(alt);
                    }
                }
                let end = self.insts.len();
                for j in jumps {
                    self.patch(j, Inst::Jump(end));
                }
            }
            Ast::Repeat { ast, min, max } => {
                for _ in 0..*min {
                    self.compile(ast);
                }
                match max {
                    None => {
                        // x*: L: split(body, out); body; jump L
                        let split = self.emit(Inst::Split(0, 0));
                        self.compile(ast);
                        self.emit(Inst::Jump(split));
                        let out = self.insts.len();
                        self.patch(split, Inst::Split(split + 1, out));
                    }
                    Some(max) => {
                        // (x(x(x)?)?)? for the optional copies.
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.emit(Inst::Split(0, 0)));
                            self.compile(ast);
                        }
                        let out = self.insts.len();
                        for s in splits {
                            self.patch(s, Inst::Split(s + 1, out));
                        }
                    }
                }
            }
        }
    }
}

thread_local! {
    /// Each model pattern compiled once per thread: compiling one costs more than matching
    /// it, and requests check several. Keyed by the model's literals, so bounded by them.
    static COMPILED: std::cell::RefCell<
        std::collections::HashMap<&'static str, Option<std::rc::Rc<Pattern>>>,
    > = std::cell::RefCell::default();
}

impl Pattern {
    /// A model pattern compiled (once per thread), or `None` if the dialect cannot express it.
    pub(crate) fn compiled(pattern: &'static str) -> Option<std::rc::Rc<Pattern>> {
        COMPILED.with(|cache| {
            cache
                .borrow_mut()
                .entry(pattern)
                .or_insert_with(|| Pattern::new(pattern).ok().map(std::rc::Rc::new))
                .clone()
        })
    }

    /// Compiles a model pattern.
    pub(crate) fn new(pattern: &str) -> Result<Self, Unsupported> {
        let mut parser = Parser {
            chars: pattern.char_indices().peekable(),
            len: pattern.len(),
        };
        let ast = parser.alt()?;
        if parser.peek().is_some() {
            return parser.err();
        }
        let mut compiler = Compiler { insts: Vec::new() };
        compiler.compile(&ast);
        compiler.emit(Inst::Match);
        let repeated_class = match &ast {
            Ast::Concat(items) => match items.as_slice() {
                [
                    Ast::Repeat {
                        ast,
                        min,
                        max: None,
                    },
                ] => match ast.as_ref() {
                    Ast::Class(c) => Some((c.clone(), *min as usize)),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        Ok(Self {
            insts: compiler.insts,
            repeated_class,
        })
    }

    /// Whether the whole of `text` matches.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        if let Some((class, min)) = &self.repeated_class {
            let mut n = 0;
            for c in text.chars() {
                if !class.contains(c) {
                    return false;
                }
                n += 1;
            }
            return n >= *min;
        }
        let n = self.insts.len();
        let mut current = Threads::new(n);
        let mut next = Threads::new(n);
        let mut stack = Vec::new();
        let mut chars = text.chars().peekable();
        let mut at_start = true;
        self.add(&mut current, &mut stack, 0, at_start, chars.peek().copied());
        while let Some(c) = chars.next() {
            at_start = false;
            if current.list.is_empty() {
                return false;
            }
            let lookahead = chars.peek().copied();
            next.clear();
            for i in 0..current.list.len() {
                let Some(&pc) = current.list.get(i) else {
                    break;
                };
                if let Some(Inst::Char(class)) = self.insts.get(pc)
                    && class.contains(c)
                {
                    self.add(&mut next, &mut stack, pc + 1, at_start, lookahead);
                }
            }
            std::mem::swap(&mut current, &mut next);
        }
        current
            .list
            .iter()
            .any(|&pc| matches!(self.insts.get(pc), Some(Inst::Match)))
    }

    /// Adds `pc` and everything reachable from it without consuming input. `next_char` is
    /// the character the following step will consume (`None` at the end).
    fn add(
        &self,
        threads: &mut Threads,
        stack: &mut Vec<usize>,
        pc: usize,
        at_start: bool,
        next_char: Option<char>,
    ) {
        stack.push(pc);
        while let Some(pc) = stack.pop() {
            if !threads.insert(pc) {
                continue;
            }
            match self.insts.get(pc) {
                Some(Inst::Split(a, b)) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Some(Inst::Jump(a)) => stack.push(*a),
                Some(Inst::Start) if at_start => stack.push(pc + 1),
                Some(Inst::End) if next_char.is_none() => stack.push(pc + 1),
                Some(Inst::NotAhead(class)) if !next_char.is_some_and(|c| class.contains(c)) => {
                    stack.push(pc + 1);
                }
                _ => {}
            }
        }
    }
}

/// A sparse set of program counters, kept in insertion order.
struct Threads {
    seen: Vec<bool>,
    list: Vec<usize>,
}

impl Threads {
    fn new(n: usize) -> Self {
        Self {
            seen: vec![false; n],
            list: Vec::new(),
        }
    }

    fn insert(&mut self, pc: usize) -> bool {
        match self.seen.get_mut(pc) {
            Some(seen) if !*seen => {
                *seen = true;
                self.list.push(pc);
                true
            }
            _ => false,
        }
    }

    fn clear(&mut self) {
        for &pc in &self.list {
            if let Some(s) = self.seen.get_mut(pc) {
                *s = false;
            }
        }
        self.list.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn check(pattern: &str, yes: &[&str], no: &[&str]) {
        let p = Pattern::new(pattern).unwrap();
        for y in yes {
            assert!(p.is_match(y), "{pattern} should match {y:?}");
        }
        for n in no {
            assert!(!p.is_match(n), "{pattern} should not match {n:?}");
        }
    }

    #[test]
    fn model_shapes() {
        check(
            r"[\w+=,.@-]+",
            &["alice", "a+b=c,d.e@f-g_9"],
            &["", "a b", "a/b", "é"],
        );
        check(r"[\w+=,.@-]*", &["", "x"], &["!"]);
        check(
            r"[\u0009\u000A\u000D\u0020-\u00FF]+",
            &["{\"a\":\n\t1}", "ÿ"],
            &["", "\u{100}", "\u{1}"],
        );
        check(
            r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+",
            &["Größe 東京 ٣", "a\u{a0}b", "k-1@x"],
            &["", "a\u{301}", "#", "{"],
        );
        check(
            r"\d{12}",
            &["123456789012"],
            &["12345678901", "1234567890123", "12345678901a"],
        );
        check(
            r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
            &["/", "/a/b/"],
            &["//x", "/a", ""],
        );
        check(
            r"((/[A-Za-z0-9\.,\+@=_-]+)*)/",
            &["/", "/a/", "/a/b.c/"],
            &["a/", "//", "/a"],
        );
        check(
            r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
            &["my-alias", "abc", "a-b-c"],
            &["ab", "a--b", "-ab", "ab-", "Abc"],
        );
        check(
            r"^http(s?)://[a-zA-Z0-9._/-]*(\?[a-zA-Z0-9._=&-]*)?(#[a-zA-Z0-9._/-]*)?$",
            &["https://x.example/a?b=c#d", "http://"],
            &["ftp://x", "https://x y"],
        );
        check(
            r"^o-[0-9a-z]{10,32}\/r-[0-9a-z]{4,32}[0-9a-z-\/]*",
            &["o-abcdefghij/r-abcd", "o-abcdefghij/r-abcd/ou-x"],
            &["o-abc/r-abcd"],
        );
        check(
            r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?",
            &["v1", "v12.3-a"],
            &["v0", "v", "v1x"],
        );
        check(
            r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
            &["token😀", "a"],
            &["\u{0}", "\u{FFFE}"],
        );
        check(r"[^a]", &["b"], &["a", "bb"]);
    }

    #[test]
    fn every_model_pattern_compiles() {
        let all = crate::iam::PATTERNS
            .iter()
            .chain(crate::sts::PATTERNS)
            .chain(crate::organizations::PATTERNS);
        let mut n = 0;
        for p in all {
            assert!(Pattern::new(p).is_ok(), "{p}");
            n += 1;
        }
        assert!(n >= 30, "{n}");
    }

    #[test]
    fn long_inputs_are_linear() {
        let p = Pattern::new(r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)").unwrap();
        let long = format!("/{}", "a".repeat(1_000_000));
        assert!(!p.is_match(&long));
        let p = Pattern::new(r"((/[A-Za-z0-9\.,\+@=_-]+)*)/").unwrap();
        assert!(
            p.is_match(
                &"/ab"
                    .repeat(100_000)
                    .chars()
                    .chain(['/'])
                    .collect::<String>()
            )
        );
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        for bad in [
            "(?=a)", "a{2,1}", "[a", "(a", "\\q", "[[a]]", "a*?", "\\p{Lu}",
        ] {
            assert!(Pattern::new(bad).is_err(), "{bad}");
        }
    }
}
