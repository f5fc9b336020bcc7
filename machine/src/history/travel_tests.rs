//! Backward searches on bare metal: a program that writes one word once, then another word
//! in a long loop. `reverse_continue` with a write watchpoint on the first finds its one
//! store, just after it (where gdb steps back over it), replaying only the intervals that
//! wrote its page; with a breakpoint instead every interval is replayed.

use crate::console::ConsoleInput;
use crate::debug::DebugRun;
use crate::history::Travel;
use crate::memmap::RAM_BASE;
use crate::test_rig::machine_with_files;
use armvirt_cpu::{a64, WatchKind};

/// The once-written word and the loop's word, on pages of their own.
const ONCE: u64 = RAM_BASE + 0x100_0000;
const LOOPED: u64 = RAM_BASE + 0x200_0000;

#[test]
fn a_write_watch_search_skips_intervals_that_never_wrote_its_page() {
    let code = a64!(
        ; movz x6, (ONCE >> 16) as u32 & 0xffff, lsl 16
        ; movz x7, (LOOPED >> 16) as u32 & 0xffff, lsl 16
        ; movz x5, 7
        ; str x5, [x6]               // the one store to ONCE: body + 12
        ; looping:
        ; add x5, x5, 1
        ; str x5, [x7]
        ; b <looping
    );
    let (mut m, body, dir) = machine_with_files("travel-skip", 1, &code);
    std::fs::remove_dir_all(&dir).ok();
    m.start_history(1 << 30);
    m.history.as_mut().unwrap().interval = 100_000;
    let mut input = ConsoleInput::none();
    for _ in 0..300 {
        assert_eq!(m.debug_run(&mut input, 1), DebugRun::Slice);
    }
    let snapshots = m.history_snapshots();
    assert!(snapshots >= 25, "{snapshots} snapshots");

    m.add_watchpoint(ONCE, 8, WatchKind::Write);
    m.history.as_mut().unwrap().searched = 0;
    let t = m.reverse_continue(0);
    assert!(matches!(t, Travel::Watchpoint { vcpu: 0, .. }), "{t:?}");
    // Just after the store: it has taken effect, the loop is next.
    assert_eq!(m.regs(0).pc, body + 16);
    let after_store = m.vcpus[0].cpu.icount;
    let searched = m.history.as_ref().unwrap().searched;
    assert!(
        searched <= 2,
        "{searched} intervals replayed of {snapshots}"
    );

    // The same store found through a breakpoint on it: every interval is replayed.
    m.remove_watchpoint(ONCE, 8, WatchKind::Write);
    m.return_to_present();
    m.add_breakpoint(body + 12);
    m.history.as_mut().unwrap().searched = 0;
    assert_eq!(m.reverse_continue(0), Travel::Breakpoint { vcpu: 0 });
    assert_eq!(
        (m.regs(0).pc, m.vcpus[0].cpu.icount),
        (body + 12, after_store - 1)
    );
    let searched = m.history.as_ref().unwrap().searched;
    assert_eq!(searched as usize, snapshots, "every interval");
}
