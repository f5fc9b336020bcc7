//! What the debugger made the machine do, move by move: the other half (beside the inputs)
//! of what a replay must repeat. A run between two stops is a count of scheduler rounds;
//! a round that a breakpoint or watchpoint cut short, and each single step, are moves of
//! their own, since the live run was shaped by them (the next round starts afresh).

use armvirt_cpu::WatchHit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// This many whole rounds of the run loop.
    Rounds(u64),
    /// A round that ended when vCPU `vcpu` stopped about to execute at count `icount`
    /// (its breakpoint), or at the watchpoint `watch` hit there.
    Stop {
        vcpu: usize,
        icount: u64,
        watch: Option<WatchHit>,
    },
    /// The debugger's single step of `vcpu`; `watch` when a watchpoint stopped it before
    /// the instruction took effect.
    Step {
        vcpu: usize,
        irqs: bool,
        watch: Option<WatchHit>,
    },
}

#[derive(Clone, Debug, Default)]
pub struct Journal {
    moves: Vec<Move>,
    /// Whether the last `Rounds` may still grow (false right after a snapshot, whose
    /// position must stay a move boundary).
    open: bool,
}

impl Journal {
    pub fn round(&mut self) {
        if self.open {
            if let Some(Move::Rounds(n)) = self.moves.last_mut() {
                *n += 1;
                return;
            }
        }
        self.moves.push(Move::Rounds(1));
        self.open = true;
    }

    pub fn push(&mut self, m: Move) {
        self.moves.push(m);
        self.open = false;
    }

    /// Ends the move under way: what follows starts a new one (a snapshot's boundary).
    pub fn seal(&mut self) -> usize {
        self.open = false;
        self.moves.len()
    }

    pub fn len(&self) -> usize {
        self.moves.len()
    }

    pub fn is_empty(&self) -> bool {
        self.moves.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<Move> {
        self.moves.get(i).copied()
    }
}
