//! Random straight-line sequences mixing the data-processing groups, so that results and
//! flags flow between instructions (a flag setter followed by CSEL, CCMP, ADC, B.cond...)
//! and several instructions share one decoded block.

use super::case::Case;
use super::gen::Gen;
use super::{gen_dp_imm as imm, gen_dp_reg as reg};

/// Most instructions in one sequence.
const MAX_LEN: u64 = 12;

pub fn sequences() -> Vec<Case> {
    let mut g = Gen::new("sequences");
    let pools: Vec<Vec<u32>> = [
        imm::add_sub_imm(),
        imm::logical_imm(),
        imm::move_wide(),
        imm::bitfield(),
        imm::extract(),
        reg::logical_shifted(),
        reg::add_sub_shifted(),
        reg::add_sub_extended(),
        reg::adc_sbc(),
        reg::cond_compare(),
        reg::cond_select(),
        reg::dp_1src(),
        reg::dp_2src(),
        reg::dp_3src(),
    ]
    .into_iter()
    .map(|cases| cases.into_iter().flat_map(|c| c.words).collect())
    .collect();
    for _ in 0..600 {
        let len = g.rng.range(2, MAX_LEN);
        let mut words = Vec::new();
        while words.len() < len as usize {
            let pool = &pools[g.rng.below(pools.len() as u64) as usize];
            words.push(pool[g.rng.below(pool.len() as u64) as usize]);
            // Now and then a forward B.cond over the next instruction, on the flags so far.
            if g.rng.below(6) == 0 {
                let cond = g.rng.below(16) as u32;
                words.push(0x5400_0040 | cond); // B.cond +8
            }
        }
        // A branch must not be last: its target would be past the case.
        if words.last().is_some_and(|w| w & 0xff00_0010 == 0x5400_0000) {
            words.push(pools[0][0]);
        }
        g.push("sequence", words);
    }
    g.finish()
}
