//! What every generator shares: a PRNG seeded by the group's name and a case list, with
//! each new case starting from a random register file, SP and NZCV.

use super::case::Case;
use super::rng::Rng;

pub struct Gen {
    pub rng: Rng,
    pub cases: Vec<Case>,
}

impl Gen {
    pub fn new(group: &str) -> Gen {
        Gen {
            rng: Rng::new(group),
            cases: Vec::new(),
        }
    }

    /// Adds a case running `words` from random registers, SP and flags; returns it so the
    /// caller can pin operands.
    pub fn push(&mut self, name: &str, words: Vec<u32>) -> &mut Case {
        let x = std::array::from_fn(|_| self.rng.value());
        let mut c = Case::new(name, words, x, self.rng.nzcv());
        c.sp = self.rng.value();
        self.cases.push(c);
        self.cases.last_mut().unwrap()
    }

    /// Adds a one-instruction case.
    pub fn one(&mut self, name: &str, word: u32) -> &mut Case {
        self.push(name, vec![word])
    }

    /// Sets register `r` of the last case (register 31 means SP).
    pub fn set(&mut self, r: u32, v: u64) {
        let c = self.cases.last_mut().unwrap();
        if r == 31 {
            c.sp = v;
        } else {
            c.x[r as usize] = v;
        }
    }

    pub fn finish(self) -> Vec<Case> {
        self.cases
    }
}

/// Every value of `0..n` that is an edge of an `n`-wide field (0, 1, the middle, the top),
/// plus `extra` random ones.
pub fn field_values(rng: &mut Rng, n: u32, extra: usize) -> Vec<u32> {
    let mut v = vec![0, 1, n / 2 - 1, n / 2, n / 2 + 1, n - 2, n - 1];
    v.extend((0..extra).map(|_| rng.below(n as u64) as u32));
    v.retain(|&x| x < n);
    v.sort();
    v.dedup();
    v
}
