//! One JSON number checked a byte at a time: RFC 8259 §6's grammar plus the values simd-json
//! refuses (integers outside i64/u64, floats that round to infinity), in constant memory.
//!
//! simd-json (`numberparse/correct.rs`) reads a number without `.` or exponent as an integer
//! and fails when it overflows `u64` (or, negative, `i64`), since the `big-int-as-float` and
//! `128bit` features are off; any other number is an `f64` and fails when it rounds to
//! infinity. Underflow to zero is accepted. Rounding to infinity is decided exactly here, by
//! comparing the significant digits with [`OVERFLOW`], so a number of any length needs only
//! a few counters. (simd-json's slow path, Rust's `f64` parser, stops growing an exponent past
//! 65,536, so for a number of more than 65,536 digits cancelled by such an exponent the two
//! differ; tests/scanner.rs pins that case.)

/// The smallest decimal that rounds to infinity as an `f64`: 2^1024 − 2^970, the midpoint
/// between `f64::MAX` (odd mantissa) and 2^1024, which ties-to-even rounds up. All 309 digits;
/// the last is not zero, so a proper prefix of it is smaller.
const OVERFLOW: &[u8; 309] = b"179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// Exponent digits stop growing the exponent past this, as simd-json stops at 2^32: any
/// exponent this large already puts a nonzero value far outside the `f64` range.
const EXPONENT_CAP: i64 = 1 << 40;

/// Where the number is in RFC 8259 §6's grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// After `-`: a digit must follow.
    Minus,
    /// After a leading `0`: no other digit may follow it.
    Zero,
    Int,
    /// After `.`: a digit must follow.
    Dot,
    Frac,
    /// After `e` or `E`: a sign or a digit.
    E,
    /// After the exponent's sign: a digit must follow.
    ExpSign,
    Exp,
}

/// How the significant digits read so far compare with [`OVERFLOW`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Versus {
    /// Equal to its first `n` digits.
    Equal(u16),
    Less,
    Greater,
}

/// What one byte did to the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The byte is part of the number.
    More,
    /// The byte is not part of the number, which ended before it (see [`Number::end`]).
    End,
    /// The byte breaks the grammar.
    Invalid,
}

/// A number being read; see the module doc.
#[derive(Debug, Clone, Copy)]
pub struct Number {
    part: Part,
    negative: bool,
    /// The integer part while it fits a `u64`.
    int: Option<u64>,
    /// The value is 0.d₁d₂… × 10^point, d₁ its first nonzero digit.
    point: i64,
    /// Whether a nonzero digit was read.
    nonzero: bool,
    versus: Versus,
    exponent: i64,
    exponent_negative: bool,
    float: bool,
}

impl Number {
    /// Starts a number with its first byte, `-` or a digit (the caller dispatched on it).
    pub fn new(first: u8) -> Number {
        let mut n = Number {
            part: Part::Minus,
            negative: first == b'-',
            int: Some(0),
            point: 0,
            nonzero: false,
            versus: Versus::Equal(0),
            exponent: 0,
            exponent_negative: false,
            float: false,
        };
        if first != b'-' {
            n.push(first);
        }
        n
    }

    #[inline]
    pub fn push(&mut self, b: u8) -> Step {
        let digit = b.wrapping_sub(b'0');
        let is_digit = digit < 10;
        match self.part {
            Part::Int | Part::Frac if is_digit => self.digit(digit),
            Part::Exp if is_digit => {
                if self.exponent < EXPONENT_CAP {
                    self.exponent = self.exponent * 10 + i64::from(digit);
                }
            }
            Part::Minus if is_digit => {
                self.part = if digit == 0 { Part::Zero } else { Part::Int };
                self.digit(digit);
            }
            Part::Dot if is_digit => {
                self.part = Part::Frac;
                self.digit(digit);
            }
            Part::E | Part::ExpSign if is_digit => {
                self.part = Part::Exp;
                self.exponent = i64::from(digit);
            }
            Part::Zero | Part::Int if b == b'.' => {
                self.part = Part::Dot;
                self.float = true;
            }
            Part::Zero | Part::Int | Part::Frac if b | 0x20 == b'e' => {
                self.part = Part::E;
                self.float = true;
            }
            Part::E if b == b'+' || b == b'-' => {
                self.part = Part::ExpSign;
                self.exponent_negative = b == b'-';
            }
            // RFC 8259 §6: no leading zeros ("01").
            Part::Zero if is_digit => return Step::Invalid,
            Part::Zero | Part::Int | Part::Frac | Part::Exp => return Step::End,
            Part::Minus | Part::Dot | Part::E | Part::ExpSign => return Step::Invalid,
        }
        Step::More
    }

    /// A digit of the integer or fraction part.
    #[inline]
    fn digit(&mut self, d: u8) {
        let in_int = matches!(self.part, Part::Int | Part::Zero);
        if in_int {
            self.int = self
                .int
                .and_then(|v| v.checked_mul(10)?.checked_add(u64::from(d)));
        }
        if !self.nonzero {
            if d == 0 {
                if !in_int {
                    self.point -= 1;
                }
                return;
            }
            self.nonzero = true;
        }
        if in_int {
            self.point = self.point.saturating_add(1);
        }
        if let Versus::Equal(n) = self.versus {
            self.versus = match OVERFLOW.get(usize::from(n)) {
                Some(&o) if o - b'0' == d => Versus::Equal(n + 1),
                Some(&o) if o - b'0' > d => Versus::Less,
                Some(_) => Versus::Greater,
                None if d == 0 => Versus::Equal(n),
                None => Versus::Greater,
            };
        }
    }

    /// Whether the number may end here and simd-json accepts its value.
    pub fn end(&self) -> bool {
        match self.part {
            Part::Zero | Part::Int | Part::Frac | Part::Exp => {}
            Part::Minus | Part::Dot | Part::E | Part::ExpSign => return false,
        }
        if !self.float {
            return match self.int {
                Some(v) if self.negative => v <= 1 << 63,
                Some(_) => true,
                None => false,
            };
        }
        if !self.nonzero {
            return true;
        }
        let exponent = if self.exponent_negative {
            -self.exponent
        } else {
            self.exponent
        };
        let at = self.point.saturating_add(exponent);
        let digits = OVERFLOW.len() as i64;
        at < digits || (at == digits && self.versus != Versus::Greater && !self.equal())
    }

    /// All of [`OVERFLOW`]'s digits matched (and nothing nonzero followed).
    fn equal(&self) -> bool {
        self.versus == Versus::Equal(OVERFLOW.len() as u16)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn check(text: &str) -> bool {
        let bytes = text.as_bytes();
        if !matches!(bytes[0], b'-' | b'0'..=b'9') {
            return false; // the validator starts a number only on these
        }
        let mut n = Number::new(bytes[0]);
        for &b in &bytes[1..] {
            if n.push(b) != Step::More {
                return false;
            }
        }
        n.push(b',') == Step::End && n.end()
    }

    #[test]
    fn grammar() {
        for ok in [
            "0", "-0", "1", "10", "1.5", "0.0", "1e5", "1E+5", "1e-5", "-0.0e0", "0e1",
        ] {
            assert!(check(ok), "{ok}");
        }
        for bad in [
            "-", "01", "-01", "1.", ".5", "1e", "1e+", "1.e1", "00", "-a", "+1", "1.5.",
        ] {
            assert!(!check(bad), "{bad}");
        }
    }

    #[test]
    fn integer_range_is_i64_and_u64() {
        assert!(check("18446744073709551615"));
        assert!(!check("18446744073709551616"));
        assert!(!check("100000000000000000000"));
        assert!(check("-9223372036854775808"));
        assert!(!check("-9223372036854775809"));
        assert!(check("18446744073709551616.0"));
        assert!(check("18446744073709551616e0"));
    }

    #[test]
    fn float_overflow_is_exact() {
        let overflow = std::str::from_utf8(OVERFLOW).unwrap();
        assert!(overflow.parse::<f64>().unwrap().is_infinite());
        let below = format!("{}1", &overflow[..308]); // last digit 2 -> 1
        assert!(below.parse::<f64>().unwrap().is_finite());
        assert!(!check(overflow)); // an integer: past u64
        assert!(!check(&format!("{overflow}e0")));
        assert!(check(&format!("{below}e0")));
        assert!(check(&format!("{below}.0")));
        assert!(check(&format!("{below}.999999")));
        assert!(!check(&format!("{overflow}.0000001")));
        assert!(!check(&format!("{overflow}.0")));
        assert!(check(&format!("0.{below}e309")));
        assert!(!check(&format!("0.{overflow}e309")));
        assert!(check("1.7976931348623157e308"));
        assert!(!check("1.7976931348623159e308"));
        assert!(!check("1e309"));
        assert!(!check("-1e400"));
        assert!(check("1e308"));
        assert!(check("0.00001e313"));
        assert!(!check("0.0001e313"));
        assert!(check("1e-400"));
        assert!(check("0e99999999999999999999"));
        assert!(!check("1e99999999999999999999"));
        assert!(check("1e-99999999999999999999"));
        for (text, want) in [
            ("179769313486231570e291", true),
            ("179769313486231581e291", false),
            ("17976931348623158e292", true),
            ("0.000179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792e313", false),
        ] {
            assert_eq!(text.parse::<f64>().unwrap().is_finite(), want, "{text}");
            assert_eq!(check(text), want, "{text}");
        }
    }
}
