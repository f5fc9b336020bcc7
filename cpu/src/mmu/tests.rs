//! MMU tests: page tables built by hand in test RAM, table indices worked out from the VA
//! bit ranges of the Arm ARM's granule tables (D4.2.5 in the v8.0 edition), expected syndromes from
//! ESR_EL1 (D17.2.37) and PAR_EL1 (D17.2.100).

use super::walk::{desc, sctlr, tcr};
use super::*;
use crate::exception::ec;
use crate::exec::Exit;
use crate::testing::{TestCpu, RAM_BASE};
use crate::{a64, cpu_test};

/// Test RAM layout: program, vectors, page tables (64 KiB aligned), data pages.
const CODE: u64 = RAM_BASE;
const VECTORS: u64 = RAM_BASE + 0x1000;
const TABLES: u64 = RAM_BASE + 0x10_0000;
const DATA: u64 = RAM_BASE + 0x30_0000;
const DATA2: u64 = RAM_BASE + 0x34_0000;

/// MAIR_EL1: Attr0 Normal write-back, Attr1 Device-nGnRnE, Attr2 Normal non-cacheable.
const MAIR: u64 = 0x0000_0000_0044_00ff;
const ATTR_NORMAL_WB: u8 = 0xff;
const NORMAL: u64 = desc::attr_indx(0) | desc::SH_INNER | desc::AF;
const DEVICE: u64 = desc::attr_indx(1) | desc::AF;
/// Code, vectors and tables: EL1 read-only and executable, EL0 execute-only (so WXN
/// leaves them executable).
const CODE_ATTRS: u64 = NORMAL | desc::AP_RO;
const SCTLR_MMU_ON: u64 = crate::sysreg::SCTLR_EL1_RESET | sctlr::M;
/// SCTLR_EL1.DZE: DC ZVA allowed at EL0.
const SCTLR_DZE: u64 = 1 << 14;
/// The reset value with every MTE control bit (43:37) set, as Linux writes ITFSB.
const SCTLR_EL1_RESET_AND_MTE: u64 = crate::sysreg::SCTLR_EL1_RESET | 0x7f << 37;

/// Vector offsets of synchronous exceptions from EL1 (SPx) and from EL0.
const SYNC_CURRENT: u64 = 0x200;
const SYNC_LOWER: u64 = 0x400;

fn table(pa: u64) -> u64 {
    pa | desc::TYPE_TABLE
}
fn page(pa: u64, attrs: u64) -> u64 {
    pa | desc::TYPE_PAGE | attrs
}
fn block(pa: u64, attrs: u64) -> u64 {
    pa | desc::TYPE_BLOCK | attrs
}

/// Writes descriptor `d` as entry `index` of the table at `base`.
fn set(t: &mut TestCpu, base: u64, index: u64, d: u64) {
    t.write_u64(base + 8 * index, d);
}

/// TCR_EL1 with 4 KiB granules in both halves, 44-bit IPS, 16-bit ASIDs from TTBR0.
fn tcr_4k(t0sz: u64, t1sz: u64) -> u64 {
    t0sz | t1sz << tcr::T1SZ_SHIFT
        | tcr::TG0_4K << tcr::TG0_SHIFT
        | tcr::TG1_4K << tcr::TG1_SHIFT
        | tcr::IPS_44 << tcr::IPS_SHIFT
        | tcr::AS
}

/// Installs the vectors (each an end marker) and turns the MMU on.
fn enable(t: &mut TestCpu, tcr_value: u64, ttbr0: u64, ttbr1: u64) {
    t.cpu.sys.vbar_el1 = VECTORS;
    t.load_words(VECTORS + SYNC_CURRENT, &[]);
    t.load_words(VECTORS + SYNC_LOWER, &[]);
    t.cpu.set_mair_el1(MAIR);
    t.cpu.set_tcr_el1(tcr_value);
    t.cpu.set_ttbr0_el1(ttbr0);
    t.cpu.set_ttbr1_el1(ttbr1);
    t.cpu.set_sctlr_el1(SCTLR_MMU_ON);
}

/// Loads `code` at CODE and runs it from there to the end marker (or a vector's).
fn run(t: &mut TestCpu, code: &[u8]) {
    t.load(code);
    t.cpu.s.pc = CODE;
    t.run();
}

/// Translates through the vCPU's MMU as an access instruction would.
fn xlate(t: &mut TestCpu, va: u64, acc: Access) -> Result<u64, Exception> {
    t.with_mem(None, |cpu, m| cpu.translate(m, va, acc))
}

/// A 64-bit load or store as a load/store instruction makes it (`cpu.read`/`cpu.write`).
fn read(t: &mut TestCpu, va: u64) -> Result<u64, Exception> {
    t.with_mem(None, |cpu, m| cpu.read(m, va, 8))
}
fn write(t: &mut TestCpu, va: u64, v: u64) -> Result<(), Exception> {
    t.with_mem(None, |cpu, m| cpu.write(m, va, 8, v))
}

fn esr(class: u8, iss: u32) -> u64 {
    (class as u64) << 26 | 1 << 25 | iss as u64
}

fn abort(class: u8, iss: u32, far: u64) -> Exception {
    Exception {
        ec: class,
        iss,
        far: Some(far),
        return_next: false,
    }
}

const WNR: u32 = 1 << 6;
const CM: u32 = 1 << 8;
/// Fault status codes with their level.
const fn translation(level: u32) -> u32 {
    0b00_0100 | level
}
const fn access_flag(level: u32) -> u32 {
    0b00_1000 | level
}
const fn permission(level: u32) -> u32 {
    0b00_1100 | level
}
const fn address_size(level: u32) -> u32 {
    level
}

// ── 4 KiB granule, 48-bit VAs: the walk starts at level 0 ─────────────────────────────
//
// L0[0] → L1_ID, whose entry 1 maps VA 0x4000_0000 to itself as a 1 GiB block (all of
// test RAM: code, vectors, tables, data).
// VA_4K = 0x0000_0080_8060_4000: VA[47:39] = 1, VA[38:30] = 2, VA[29:21] = 3, VA[20:12] = 4,
// so L0[1] → L1, L1[2] → L2, L2[3] → L3, L3[4] → the page.
const L0: u64 = TABLES;
const L1_ID: u64 = TABLES + 0x1000;
const L1: u64 = TABLES + 0x2000;
const L2: u64 = TABLES + 0x3000;
const L3: u64 = TABLES + 0x4000;
const VA_4K: u64 = 0x0000_0080_8060_4000;

fn setup_4k(t: &mut TestCpu, leaf: u64) {
    set(t, L0, 0, table(L1_ID));
    set(t, L1_ID, 1, block(RAM_BASE, CODE_ATTRS));
    set(t, L0, 1, table(L1));
    set(t, L1, 2, table(L2));
    set(t, L2, 3, table(L3));
    set(t, L3, 4, leaf);
    enable(t, tcr_4k(16, 16), L0, 0);
}

cpu_test! {
    fn mmu_off_is_flat_up_to_the_pa_size(t) {
        t.write_u64(DATA, 0x1122_3344_5566_7788);
        assert_eq!(read(&mut t, DATA), Ok(0x1122_3344_5566_7788));
        // Beyond the 44-bit PA space: Address size fault, level 0
        // (AArch64.TranslateAddressS1Off), taken as a data abort with FAR = the VA.
        assert_eq!(read(&mut t, 1 << 44), Err(abort(ec::DABT_CUR, address_size(0), 1 << 44)));
        t.cpu.sys.vbar_el1 = VECTORS;
        t.load_words(VECTORS + SYNC_CURRENT, &[]);
        t.set_x(2, 1 << 44);
        run(&mut t, &a64!(; dc zva, x2));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::DABT_CUR, WNR | address_size(0)));
        assert_eq!((t.cpu.sys.far_el1, t.cpu.sys.elr_el1), (1 << 44, CODE));
    }

    fn walk_4k_48bit_to_a_page(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        t.write_u64(DATA + 0x18, 0xfeed_f00d);
        assert_eq!(read(&mut t, VA_4K + 0x18), Ok(0xfeed_f00d));
        assert_eq!(write(&mut t, VA_4K + 0x20, 0xbeef), Ok(()));
        assert_eq!(t.read_u64(DATA + 0x20), 0xbeef);
        // The code ran through the identity block.
        t.write_u64(DATA + 0x40, !0);
        t.set_x(1, VA_4K + 0x40);
        run(&mut t, &a64!(; dc zva, x1));
        assert_eq!(t.read_u64(DATA + 0x40), 0);
    }

    fn walk_4k_39bit_blocks_and_pages(t) {
        // T0SZ = 25: the walk starts at level 1, VA[38:30] indexing it.
        // 74 << 30 | 3 << 21 | 4 << 12: L1[74] → L2, L2[3] → L3, L3[4] → page.
        // 74 << 30 | 5 << 21: L2[5] is a 2 MiB block at 0x4020_0000.
        // 75 << 30: L1[75] is a 1 GiB block at 0x4000_0000.
        let (l1, l2, l3) = (TABLES, TABLES + 0x1000, TABLES + 0x2000);
        set(&mut t, l1, 1, block(RAM_BASE, CODE_ATTRS));
        set(&mut t, l1, 74, table(l2));
        set(&mut t, l2, 3, table(l3));
        set(&mut t, l3, 4, page(DATA, NORMAL));
        set(&mut t, l2, 5, block(0x4020_0000, NORMAL));
        set(&mut t, l1, 75, block(0x4000_0000, NORMAL));
        enable(&mut t, tcr_4k(25, 25), l1, 0);
        t.write_u64(DATA + 0x10, 1);
        t.write_u64(DATA + 0x1230, 2);
        t.write_u64(DATA + 0x8, 3);
        let (page_va, block2m, block1g) = (0x12_8060_4010, (74 << 30) + (5 << 21) + 0x10_1230, (75 << 30) + 0x30_0008);
        assert_eq!(read(&mut t, page_va), Ok(1));
        assert_eq!(read(&mut t, block2m), Ok(2));
        assert_eq!(read(&mut t, block1g), Ok(3));
        // The TLB remembers the size of each translation.
        assert_eq!(t.cpu.tlb.entry(page_va).size_log2, 12);
        assert_eq!(t.cpu.tlb.entry(block2m).size_log2, 21);
        assert_eq!(t.cpu.tlb.entry(block1g).size_log2, 30);
    }

    fn walk_64k_42bit_starts_at_level_2(t) {
        // 64 KiB granule, T0SZ = 22: level 2 resolves VA[41:29], level 3 VA[28:16].
        // L2[2] maps 0x4000_0000 as a 512 MiB block; VA 5 << 29 | 7 << 16 goes through
        // L2[5] → L3, L3[7] → a 64 KiB page at DATA.
        let (l2, l3) = (TABLES, TABLES + 0x1_0000);
        set(&mut t, l2, 2, block(RAM_BASE, CODE_ATTRS));
        set(&mut t, l2, 5, table(l3));
        set(&mut t, l3, 7, page(DATA, NORMAL));
        enable(&mut t, 22 | tcr::TG0_64K << tcr::TG0_SHIFT | tcr::EPD1 | tcr::IPS_44 << tcr::IPS_SHIFT, l2, 0);
        t.write_u64(DATA + 0xa238, 0x64);
        assert_eq!(read(&mut t, 0xa007_a238), Ok(0x64));
        assert_eq!(t.cpu.tlb.entry(0xa007_a238).size_log2, 16);
        // Code runs from the 512 MiB block.
        t.set_x(1, 0xa007_0040);
        t.write_u64(DATA + 0x40, !0);
        run(&mut t, &a64!(; dc zva, x1));
        assert_eq!(t.read_u64(DATA + 0x40), 0);
    }

    fn walk_64k_48bit_starts_at_level_1(t) {
        // 64 KiB granule, T0SZ = 16: level 1 resolves VA[47:42] (a 64-entry table).
        // VA 3 << 42 | 5 << 29 | 7 << 16 | 0x10: L1[3] → L2, L2[5] → L3, L3[7] → page.
        // VA 3 << 42 | 6 << 29: L2[6] is a 512 MiB block at 0x4000_0000.
        let (l1, l2_id, l2, l3) = (TABLES, TABLES + 0x1_0000, TABLES + 0x2_0000, TABLES + 0x3_0000);
        set(&mut t, l1, 0, table(l2_id));
        set(&mut t, l2_id, 2, block(RAM_BASE, CODE_ATTRS));
        set(&mut t, l1, 3, table(l2));
        set(&mut t, l2, 5, table(l3));
        set(&mut t, l3, 7, page(DATA, NORMAL));
        set(&mut t, l2, 6, block(RAM_BASE, NORMAL));
        enable(&mut t, 16 | tcr::TG0_64K << tcr::TG0_SHIFT | tcr::EPD1 | tcr::IPS_44 << tcr::IPS_SHIFT, l1, 0);
        t.write_u64(DATA + 0x10, 0x4810);
        t.write_u64(DATA + 0x20, 0x4820);
        assert_eq!(read(&mut t, 0x0c00_a007_0010), Ok(0x4810));
        assert_eq!(read(&mut t, 0x0c00_c030_0020), Ok(0x4820));
        // No blocks at level 1 with 64 KiB granules.
        set(&mut t, l1, 3, block(0, NORMAL));
        t.cpu.tlb.apply(TlbiOp::All);
        assert_eq!(xlate(&mut t, 0x0c00_a007_0010, Access::Read),
                   Err(abort(ec::DABT_CUR, translation(1), 0x0c00_a007_0010)));
    }

    fn walk_16k_47bit(t) {
        // 16 KiB granule, T0SZ = 17: level 1 resolves VA[46:36], level 2 VA[35:25],
        // level 3 VA[24:14]. L2_ID[32] maps 0x4000_0000 as a 32 MiB block.
        // VA 2 << 36 | 9 << 25 | 3 << 14 | 0x20: L1[2] → L2, L2[9] → L3, L3[3] → page.
        let (l1, l2_id, l2, l3) = (TABLES, TABLES + 0x4000, TABLES + 0x8000, TABLES + 0xc000);
        set(&mut t, l1, 0, table(l2_id));
        set(&mut t, l2_id, 32, block(RAM_BASE, CODE_ATTRS));
        set(&mut t, l1, 2, table(l2));
        set(&mut t, l2, 9, table(l3));
        set(&mut t, l3, 3, page(DATA, NORMAL));
        enable(&mut t, 17 | tcr::TG0_16K << tcr::TG0_SHIFT | tcr::EPD1 | tcr::IPS_44 << tcr::IPS_SHIFT, l1, 0);
        t.write_u64(DATA + 0x20, 0x16);
        assert_eq!(read(&mut t, 0x20_1200_c020), Ok(0x16));
        assert_eq!(t.cpu.tlb.entry(0x20_1200_c020).size_log2, 14);
        // A 32 MiB block at level 2: VA 2 << 36 | 10 << 25 → 0x4000_0000.
        set(&mut t, l2, 10, block(RAM_BASE, NORMAL));
        assert_eq!(read(&mut t, 0x20_1430_0020), Ok(0x16));
    }

    fn ttbr1_translates_the_upper_range(t) {
        // T1SZ = 16, 4 KiB: VA 0xffff_ff80_0060_4008 has VA[47:39] = 511, VA[38:30] = 0,
        // VA[29:21] = 3, VA[20:12] = 4.
        let (h0, h1, h2, h3) = (TABLES + 0x8000, TABLES + 0x9000, TABLES + 0xa000, TABLES + 0xb000);
        set(&mut t, h0, 511, table(h1));
        set(&mut t, h1, 0, table(h2));
        set(&mut t, h2, 3, table(h3));
        set(&mut t, h3, 4, page(DATA, NORMAL));
        setup_4k(&mut t, page(DATA2, NORMAL));
        t.cpu.set_ttbr1_el1(h0);
        t.write_u64(DATA + 8, 0x7777);
        assert_eq!(read(&mut t, 0xffff_ff80_0060_4008), Ok(0x7777));
        // The same low bits through TTBR0 reach the other page.
        t.write_u64(DATA2 + 8, 0x8888);
        assert_eq!(read(&mut t, VA_4K + 8), Ok(0x8888));
    }

    fn a_va_in_neither_range_is_a_level_0_translation_fault(t) {
        // With 39-bit ranges TTBR1's starts at 0xffff_ff80_0000_0000 and TTBR0's ends below
        // 0x0000_0080_0000_0000.
        setup_4k(&mut t, page(DATA, NORMAL));
        t.cpu.set_tcr_el1(tcr_4k(25, 25));
        for va in [0xffff_ff7f_ffff_f000u64, 0x0000_0080_0000_0000] {
            let e = read(&mut t, va).unwrap_err();
            assert_eq!(e, abort(ec::DABT_CUR, translation(0), va));
            assert_eq!(e.esr(), 0x9600_0004);
        }
    }

    fn top_byte_ignore_follows_tbi0(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        let tagged = 0x5a00_0000_0000_0000 | VA_4K;
        assert_eq!(xlate(&mut t, tagged, Access::Read), Err(abort(ec::DABT_CUR, translation(0), tagged)));
        t.cpu.set_tcr_el1(tcr_4k(16, 16) | tcr::TBI0);
        assert_eq!(xlate(&mut t, tagged + 0x10, Access::Read), Ok(DATA + 0x10));
    }

    fn epd0_disables_ttbr0_walks(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        t.cpu.set_tcr_el1(tcr_4k(16, 16) | tcr::EPD0);
        assert_eq!(xlate(&mut t, VA_4K, Access::Read), Err(abort(ec::DABT_CUR, translation(0), VA_4K)));
    }

    fn translation_faults_report_their_level(t) {
        setup_4k(&mut t, 0); // L3[4] invalid
        assert_eq!(read(&mut t, VA_4K + 8), Err(abort(ec::DABT_CUR, translation(3), VA_4K + 8)));
        // Taken: ESR, FAR, ELR.
        t.set_x(1, VA_4K + 0x40);
        run(&mut t, &a64!(; dc zva, x1));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::DABT_CUR, WNR | translation(3)));
        assert_eq!((t.cpu.sys.far_el1, t.cpu.sys.elr_el1), (VA_4K + 0x40, CODE));
        set(&mut t, L1, 2, 0);
        assert_eq!(write(&mut t, VA_4K, 0), Err(abort(ec::DABT_CUR, WNR | translation(1), VA_4K)));
        set(&mut t, L0, 1, block(0, NORMAL)); // no level 0 blocks with 4 KiB granules
        assert_eq!(read(&mut t, VA_4K), Err(abort(ec::DABT_CUR, translation(0), VA_4K)));
        set(&mut t, L0, 1, table(L1));
        set(&mut t, L1, 2, table(L2));
        set(&mut t, L3, 4, block(DATA, NORMAL)); // the block type is reserved at level 3
        assert_eq!(read(&mut t, VA_4K), Err(abort(ec::DABT_CUR, translation(3), VA_4K)));
        set(&mut t, L2, 3, 0);
        assert_eq!(read(&mut t, VA_4K), Err(abort(ec::DABT_CUR, translation(2), VA_4K)));
    }

    fn a_clear_access_flag_faults(t) {
        setup_4k(&mut t, page(DATA, NORMAL & !desc::AF));
        assert_eq!(write(&mut t, VA_4K, 1), Err(abort(ec::DABT_CUR, WNR | access_flag(3), VA_4K)));
        // v8.0: no hardware update of the flag.
        assert_eq!(t.read_u64(L3 + 8 * 4) & desc::AF, 0);
        set(&mut t, L2, 3, block(RAM_BASE, NORMAL & !desc::AF));
        assert_eq!(read(&mut t, VA_4K), Err(abort(ec::DABT_CUR, access_flag(2), VA_4K)));
    }

    fn address_size_faults(t) {
        // An output address above the 44-bit IPS, in a page and in a table descriptor.
        setup_4k(&mut t, page(1 << 44 | DATA, NORMAL));
        assert_eq!(xlate(&mut t, VA_4K, Access::Read), Err(abort(ec::DABT_CUR, address_size(3), VA_4K)));
        set(&mut t, L1, 2, table(1 << 45 | L2));
        assert_eq!(xlate(&mut t, VA_4K, Access::Read), Err(abort(ec::DABT_CUR, address_size(1), VA_4K)));
        // A table base above it: level 0.
        t.cpu.set_ttbr0_el1(1 << 46 | L0);
        assert_eq!(xlate(&mut t, VA_4K, Access::Read), Err(abort(ec::DABT_CUR, address_size(0), VA_4K)));
    }

    fn write_to_a_read_only_page_is_a_permission_fault(t) {
        setup_4k(&mut t, page(DATA, NORMAL | desc::AP_RO));
        t.write_u64(DATA, 5);
        assert_eq!(read(&mut t, VA_4K), Ok(5));
        assert_eq!(write(&mut t, VA_4K + 8, 1), Err(abort(ec::DABT_CUR, WNR | permission(3), VA_4K + 8)));
        t.write_u64(DATA + 0x40, !0);
        t.set_x(1, VA_4K + 0x40);
        run(&mut t, &a64!(; nop ; dc zva, x1));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::DABT_CUR, WNR | permission(3)));
        assert_eq!((t.cpu.sys.far_el1, t.cpu.sys.elr_el1), (VA_4K + 0x40, CODE + 4));
        assert_eq!(t.read_u64(DATA + 0x40), !0);
    }

    fn el0_access_to_an_el1_page_is_a_permission_fault(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        t.cpu.set_sctlr_el1(SCTLR_MMU_ON | SCTLR_DZE);
        t.cpu.s.set_el_spsel(0, 0);
        assert_eq!(read(&mut t, VA_4K), Err(abort(ec::DABT_LOWER, permission(3), VA_4K)));
        t.set_x(1, VA_4K);
        run(&mut t, &a64!(; dc zva, x1));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::DABT_LOWER, WNR | permission(3)));
        assert_eq!(t.cpu.sys.far_el1, VA_4K);
        assert_eq!(t.cpu.sys.spsr_el1 & 0xf, 0); // taken from EL0t
    }

    fn el0_reads_and_writes_an_el0_page(t) {
        setup_4k(&mut t, page(DATA, NORMAL | desc::AP_EL0 | desc::UXN));
        t.write_u64(DATA, 9);
        t.cpu.s.set_el_spsel(0, 0);
        assert_eq!(read(&mut t, VA_4K), Ok(9));
        assert_eq!(write(&mut t, VA_4K + 8, 10), Ok(()));
        assert_eq!(t.read_u64(DATA + 8), 10);
        // EL0 cannot execute it (UXN).
        assert_eq!(xlate(&mut t, VA_4K, Access::Fetch), Err(abort(ec::IABT_LOWER, permission(3), VA_4K)));
    }

    fn fetch_from_uxn_at_el0_and_pxn_at_el1(t) {
        setup_4k(&mut t, page(DATA, NORMAL | desc::AP_EL0 | desc::AP_RO | desc::UXN));
        t.load_words(DATA, &[]); // a marker to reach if the fetch were allowed
        t.set_x(1, VA_4K);
        t.cpu.s.set_el_spsel(0, 0);
        run(&mut t, &a64!(; br x1));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::IABT_LOWER, permission(3)));
        assert_eq!((t.cpu.sys.far_el1, t.cpu.sys.elr_el1), (VA_4K, VA_4K));

        t.cpu.s.set_el_spsel(1, 1);
        set(&mut t, L3, 4, page(DATA, NORMAL | desc::AP_RO | desc::PXN));
        t.cpu.tlb.apply(TlbiOp::All);
        run(&mut t, &a64!(; br x1));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::IABT_CUR, permission(3)));
        assert_eq!(t.cpu.sys.far_el1, VA_4K);
    }

    fn el1_never_executes_what_el0_can_write(t) {
        // AP = 01 (read/write at both ELs), no XN bits: implicitly PXN.
        setup_4k(&mut t, page(DATA, NORMAL | desc::AP_EL0));
        t.load_words(DATA, &[]);
        t.set_x(1, VA_4K);
        run(&mut t, &a64!(; br x1));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::IABT_CUR, permission(3)));
        // EL0 may execute it.
        t.cpu.sys.esr_el1 = 0;
        t.cpu.s.set_el_spsel(0, 0);
        run(&mut t, &a64!(; br x1));
        assert_eq!(t.cpu.sys.elr_el1, VA_4K); // the HVC there was UNDEFINED at EL0
        assert_eq!(t.cpu.sys.esr_el1 >> 26, ec::UNKNOWN as u64);
    }

    fn wxn_makes_writable_memory_execute_never(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        t.load_words(DATA, &[]);
        t.set_x(1, VA_4K);
        t.cpu.set_sctlr_el1(SCTLR_MMU_ON | sctlr::WXN);
        run(&mut t, &a64!(; br x1));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::IABT_CUR, permission(3)));
        // Read-only, it executes: the marker there ends the run at EL1.
        t.cpu.sys.esr_el1 = 0;
        set(&mut t, L3, 4, page(DATA, NORMAL | desc::AP_RO));
        t.cpu.tlb.apply(TlbiOp::All);
        run(&mut t, &a64!(; br x1));
        assert_eq!((t.cpu.s.pc, t.cpu.sys.esr_el1), (VA_4K + 4, 0));
    }

    fn hierarchical_table_controls(t) {
        setup_4k(&mut t, page(DATA, NORMAL | desc::AP_EL0));
        let l2_entry = table(L2);
        // APTable[1]: read-only below.
        set(&mut t, L1, 2, l2_entry | desc::AP_TABLE_RO);
        assert_eq!(xlate(&mut t, VA_4K, Access::Write), Err(abort(ec::DABT_CUR, WNR | permission(3), VA_4K)));
        assert_eq!(xlate(&mut t, VA_4K, Access::Read), Ok(DATA));
        // APTable[0]: no EL0 access below.
        t.cpu.tlb.apply(TlbiOp::All);
        set(&mut t, L1, 2, l2_entry | desc::AP_TABLE_NO_EL0);
        t.cpu.s.set_el_spsel(0, 0);
        assert_eq!(xlate(&mut t, VA_4K, Access::Read), Err(abort(ec::DABT_LOWER, permission(3), VA_4K)));
        // UXNTable.
        set(&mut t, L1, 2, l2_entry | desc::UXN_TABLE);
        assert_eq!(xlate(&mut t, VA_4K, Access::Fetch), Err(abort(ec::IABT_LOWER, permission(3), VA_4K)));
        // PXNTable, on a read-only page EL1 could otherwise execute.
        t.cpu.s.set_el_spsel(1, 1);
        set(&mut t, L3, 4, page(DATA, NORMAL | desc::AP_RO));
        set(&mut t, L0, 1, table(L1) | desc::PXN_TABLE);
        set(&mut t, L1, 2, l2_entry);
        assert_eq!(xlate(&mut t, VA_4K, Access::Fetch), Err(abort(ec::IABT_CUR, permission(3), VA_4K)));
        set(&mut t, L0, 1, table(L1));
        assert_eq!(xlate(&mut t, VA_4K, Access::Fetch), Ok(DATA));
    }

    fn unprivileged_accesses_check_el0_permissions(t) {
        // LDTR/STTR at EL1 use Access::ReadUnpriv / WriteUnpriv.
        setup_4k(&mut t, page(DATA, NORMAL));
        assert_eq!(xlate(&mut t, VA_4K, Access::Read), Ok(DATA));
        assert_eq!(xlate(&mut t, VA_4K, Access::ReadUnpriv),
                   Err(abort(ec::DABT_CUR, permission(3), VA_4K)));
        set(&mut t, L3, 4, page(DATA, NORMAL | desc::AP_EL0 | desc::AP_RO));
        t.cpu.tlb.apply(TlbiOp::All);
        assert_eq!(xlate(&mut t, VA_4K, Access::ReadUnpriv), Ok(DATA));
        assert_eq!(xlate(&mut t, VA_4K, Access::WriteUnpriv),
                   Err(abort(ec::DABT_CUR, WNR | permission(3), VA_4K)));
        let value = t.with_mem(None, |cpu, m| cpu.read_as(m, VA_4K, 8, Access::ReadUnpriv));
        assert_eq!(value, Ok(0));
    }

    fn cache_maintenance_faults_set_cm_and_wnr(t) {
        setup_4k(&mut t, 0);
        t.set_x(1, VA_4K + 0x48);
        run(&mut t, &a64!(; dc civac, x1));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::DABT_CUR, CM | WNR | translation(3)));
        assert_eq!(t.cpu.sys.far_el1, VA_4K + 0x48);
    }

    fn an_access_across_pages_translates_each_page(t) {
        // VA_4K → DATA and VA_4K + 0x1000 → DATA2: not contiguous physically.
        setup_4k(&mut t, page(DATA, NORMAL));
        set(&mut t, L3, 5, page(DATA2, NORMAL));
        t.write_u64(DATA + 0xff8, 0x4433_2211_0000_0000);
        t.write_u64(DATA2, 0x0000_0000_8877_6655);
        assert_eq!(read(&mut t, VA_4K + 0xffc), Ok(0x8877_6655_4433_2211));
        assert_eq!(write(&mut t, VA_4K + 0xffe, 0xa1a2_a3a4_a5a6_a7a8), Ok(()));
        // Bytes a8 a7 at the end of DATA's page, a6..a1 at the start of DATA2.
        assert_eq!(t.read_u64(DATA + 0xff8), 0xa7a8_2211_0000_0000);
        assert_eq!(t.read_u64(DATA2), 0x0000_a1a2_a3a4_a5a6);
        // A fault on the second page comes before any byte is written.
        set(&mut t, L3, 6, 0);
        assert_eq!(write(&mut t, VA_4K + 0x1ffc, 0), Err(abort(ec::DABT_CUR, WNR | translation(3), VA_4K + 0x2000)));
        assert_eq!(t.read_u64(DATA2 + 0xff8), 0);
    }
}

// ── The TLB ────────────────────────────────────────────────────────────────────────────

cpu_test! {
    fn a_stale_entry_is_used_until_tlbi_vae1(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        t.write_u64(DATA, 1);
        t.write_u64(DATA2, 2);
        assert_eq!(read(&mut t, VA_4K), Ok(1));
        // Remap the page without maintenance: the TLB may (and does) keep the old one.
        set(&mut t, L3, 4, page(DATA2, NORMAL));
        assert_eq!(read(&mut t, VA_4K), Ok(1));
        // Another VA's TLBI leaves it.
        t.set_x(2, VA_4K >> 12); // TLBI operand: ASID 0, VA[55:12]
        t.set_x(3, (VA_4K >> 12) + 1);
        run(&mut t, &a64!(; tlbi vae1, x3 ; dsb ish ; isb));
        assert_eq!(read(&mut t, VA_4K), Ok(1));
        run(&mut t, &a64!(; tlbi vae1, x2 ; dsb ish ; isb));
        assert_eq!(read(&mut t, VA_4K), Ok(2));
    }

    fn tlbi_by_va_drops_a_whole_block(t) {
        // L2[3] as a 2 MiB block: a TLBI naming any VA in it drops pieces cached anywhere
        // in it. Block offset 0x18_0000 is 0x4038_0000 first, 0x4018_0000 after the remap.
        setup_4k(&mut t, 0);
        set(&mut t, L2, 3, block(0x4020_0000, NORMAL));
        t.write_u64(0x4038_0000, 1);
        t.write_u64(0x4018_0000, 2);
        let block_va = VA_4K & !0x1f_ffff;
        assert_eq!(read(&mut t, block_va + 0x18_0000), Ok(1));
        set(&mut t, L2, 3, block(RAM_BASE, NORMAL));
        assert_eq!(read(&mut t, block_va + 0x18_0000), Ok(1));
        t.set_x(2, block_va >> 12); // the block's first page
        run(&mut t, &a64!(; tlbi vale1, x2));
        assert_eq!(read(&mut t, block_va + 0x18_0000), Ok(2));
    }

    fn entries_of_another_asid_are_not_used(t) {
        // nG page at VA_4K, global page at VA_4K + 0x1000; ASIDs from TTBR0 (TCR.A1 = 0).
        setup_4k(&mut t, page(DATA, NORMAL | desc::NG));
        set(&mut t, L3, 5, page(DATA, NORMAL));
        t.cpu.set_ttbr0_el1(1 << 48 | L0);
        t.write_u64(DATA, 1);
        t.write_u64(DATA2, 2);
        assert_eq!(read(&mut t, VA_4K), Ok(1));
        assert_eq!(read(&mut t, VA_4K + 0x1000), Ok(1));
        set(&mut t, L3, 4, page(DATA2, NORMAL | desc::NG));
        set(&mut t, L3, 5, page(DATA2, NORMAL));
        // Switch to ASID 2 (same tables) with no TLBI: the ASID 1 entry is not used, the
        // global entry still is.
        t.set_x(5, 2 << 48 | L0);
        run(&mut t, &a64!(; msr 0x4100, x5 ; isb));
        assert_eq!(t.cpu.tlb.asid(), 2);
        assert_eq!(read(&mut t, VA_4K), Ok(2));
        assert_eq!(read(&mut t, VA_4K + 0x1000), Ok(1));
    }

    fn tcr_a1_and_as_select_the_asid(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        t.cpu.set_ttbr0_el1(0x1234 << 48 | L0);
        t.cpu.set_ttbr1_el1(0x5678 << 48);
        assert_eq!(t.cpu.tlb.asid(), 0x1234);
        t.cpu.set_tcr_el1(tcr_4k(16, 16) | tcr::A1);
        assert_eq!(t.cpu.tlb.asid(), 0x5678);
        t.cpu.set_tcr_el1(tcr_4k(16, 16) & !tcr::AS | tcr::A1);
        assert_eq!(t.cpu.tlb.asid(), 0x78);
    }

    fn tlbi_by_asid_and_by_va_for_one_asid(t) {
        setup_4k(&mut t, page(DATA, NORMAL | desc::NG));
        set(&mut t, L3, 5, page(DATA, NORMAL));
        t.cpu.set_ttbr0_el1(1 << 48 | L0);
        t.write_u64(DATA, 1);
        t.write_u64(DATA2, 2);
        assert_eq!(read(&mut t, VA_4K), Ok(1));
        assert_eq!(read(&mut t, VA_4K + 0x1000), Ok(1));
        set(&mut t, L3, 4, page(DATA2, NORMAL | desc::NG));
        set(&mut t, L3, 5, page(DATA2, NORMAL));
        // TLBI VAE1 naming ASID 2 leaves ASID 1's entry; ASIDE1 for ASID 1 drops it but
        // keeps the global one; VAAE1IS drops the global one.
        t.set_x(6, 2 << 48 | VA_4K >> 12);
        t.set_x(7, 1 << 48);
        t.set_x(8, (VA_4K + 0x1000) >> 12);
        run(&mut t, &a64!(; tlbi vae1, x6));
        assert_eq!((read(&mut t, VA_4K), read(&mut t, VA_4K + 0x1000)), (Ok(1), Ok(1)));
        run(&mut t, &a64!(; tlbi aside1, x7));
        assert_eq!((read(&mut t, VA_4K), read(&mut t, VA_4K + 0x1000)), (Ok(2), Ok(1)));
        run(&mut t, &a64!(; tlbi vaae1is, x8));
        assert_eq!(read(&mut t, VA_4K + 0x1000), Ok(2));
    }

    fn tlbi_vmalle1_and_tcr_writes_drop_everything(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        t.write_u64(DATA2, 2);
        assert_eq!(read(&mut t, VA_4K), Ok(0));
        set(&mut t, L3, 4, page(DATA2, NORMAL));
        run(&mut t, &a64!(; tlbi vmalle1));
        assert_eq!(read(&mut t, VA_4K), Ok(2));
        set(&mut t, L3, 4, page(DATA, NORMAL));
        t.set_x(2, tcr_4k(16, 16) | tcr::TBI1);
        run(&mut t, &a64!(; msr 0x4102, x2 ; isb));
        assert_eq!(read(&mut t, VA_4K), Ok(0));
    }

    fn tlbi_is_reaches_another_vcpu_when_it_next_runs(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        let mut cpu1 = crate::cpu::Cpu::new(1, 1);
        cpu1.sys = t.cpu.sys.clone();
        cpu1.mmu_context_changed();
        t.write_u64(DATA, 1);
        t.write_u64(DATA2, 2);
        assert_eq!(read(&mut t, VA_4K), Ok(1));
        set(&mut t, L3, 4, page(DATA2, NORMAL));
        // vCPU 1's local TLBI leaves vCPU 0's TLB alone...
        t.load(&a64!(; tlbi vae1, x2));
        cpu1.s.pc = CODE;
        cpu1.s.x[2] = VA_4K >> 12;
        assert_eq!(t.with_mem(Some(&mut cpu1), |c, m| c.run(m, 100)), Exit::Hvc(0xfffe));
        run(&mut t, &a64!(; nop));
        assert_eq!(read(&mut t, VA_4K), Ok(1));
        // ...its Inner Shareable one reaches it when vCPU 0 next runs.
        t.load(&a64!(; tlbi vae1is, x2));
        cpu1.s.pc = CODE;
        assert_eq!(t.with_mem(Some(&mut cpu1), |c, m| c.run(m, 100)), Exit::Hvc(0xfffe));
        assert_eq!(read(&mut t, VA_4K), Ok(1));
        run(&mut t, &a64!(; nop));
        assert_eq!(read(&mut t, VA_4K), Ok(2));
    }

    fn translate_debug_leaves_the_tlb_alone(t) {
        setup_4k(&mut t, page(DATA, NORMAL | desc::NG | desc::AP_EL0 | desc::UXN));
        let before = *t.cpu.tlb.entry(VA_4K);
        let r = t.with_mem(None, |cpu, m| cpu.translate_debug(m, VA_4K + 0x123));
        let tr = r.expect("mapped");
        assert_eq!((tr.pa, tr.level, tr.size_log2, tr.global), (DATA + 0x123, 3, 12, false));
        assert_eq!(tr.perms, perm::R1 | perm::W1 | perm::R0 | perm::W0);
        assert_eq!(*t.cpu.tlb.entry(VA_4K), before);
        set(&mut t, L3, 4, 0);
        let r = t.with_mem(None, |cpu, m| cpu.translate_debug(m, VA_4K));
        assert_eq!(r, Err(Fault::new(FaultKind::Translation, 3)));
        assert_eq!(t.cpu.sys.esr_el1, 0);
    }
}

// ── AT, the MMU switch, identification ───────────────────────────────────────────────

cpu_test! {
    fn at_writes_par_el1(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        set(&mut t, L3, 5, page(DATA2, DEVICE | desc::AP_EL0 | desc::AP_RO));
        t.set_x(1, VA_4K + 0x123);
        t.set_x(2, VA_4K + 0x1000);
        t.set_x(3, VA_4K + 0x2000);
        run(&mut t, &a64!(
            ; at s1e1r, x1 ; mrs x4, 0x43a0
            ; at s1e0w, x1 ; mrs x5, 0x43a0
            ; at s1e0r, x2 ; mrs x6, 0x43a0
            ; at s1e1w, x2 ; mrs x7, 0x43a0
            ; at s1e1r, x3 ; mrs x8, 0x43a0));
        // Success: ATTR (MAIR Attr0), PA[47:12], RES1 bit 11, NS, SH Inner Shareable.
        assert_eq!(t.x(4), (ATTR_NORMAL_WB as u64) << 56 | DATA | 1 << 11 | 1 << 9 | 0b11 << 7);
        // EL0 write to an EL1-only page: F, FST = permission level 3, RES1 bit 11.
        assert_eq!(t.x(5), 1 << 11 | (permission(3) as u64) << 1 | 1);
        // Device memory reports Outer Shareable.
        assert_eq!(t.x(6), DATA2 | 1 << 11 | 1 << 9 | 0b10 << 7);
        assert_eq!(t.x(7), 1 << 11 | (permission(3) as u64) << 1 | 1);
        assert_eq!(t.x(8), 1 << 11 | (translation(3) as u64) << 1 | 1);
        assert_eq!(t.cpu.sys.esr_el1, 0); // AT never faults
    }

    fn at_with_the_mmu_off_reports_device_memory(t) {
        t.set_x(1, DATA + 0x10);
        run(&mut t, &a64!(; at s1e1w, x1 ; mrs x4, 0x43a0));
        assert_eq!(t.x(4), DATA | 1 << 11 | 1 << 9 | 0b10 << 7);
    }

    fn mmu_turned_on_by_msr_and_isb_with_an_identity_map(t) {
        set(&mut t, L0, 0, table(L1_ID));
        set(&mut t, L1_ID, 1, block(RAM_BASE, CODE_ATTRS));
        set(&mut t, L0, 1, table(L1));
        set(&mut t, L1, 2, table(L2));
        set(&mut t, L2, 3, table(L3));
        set(&mut t, L3, 4, page(DATA, NORMAL));
        t.write_u64(DATA + 0x40, !0);
        t.set_x(1, MAIR);
        t.set_x(2, tcr_4k(16, 16) | tcr::EPD1);
        t.set_x(3, L0);
        t.set_x(7, VA_4K + 0x40);
        // msr mair_el1, x1 ; msr tcr_el1, x2 ; msr ttbr0_el1, x3 ; mrs/orr/msr sctlr_el1;
        // then code goes on through the identity map and stores through VA_4K.
        run(&mut t, &a64!(
            ; msr 0x4510, x1 ; msr 0x4102, x2 ; msr 0x4100, x3 ; isb
            ; mrs x0, 0x4080 ; orr x0, x0, 1 ; msr 0x4080, x0 ; isb
            ; mov x5, 1 ; dc zva, x7 ; at s1e1r, x7 ; mrs x6, 0x43a0));
        assert!(t.cpu.mmu_enabled());
        assert_eq!(t.x(5), 1);
        assert_eq!(t.read_u64(DATA + 0x40), 0);
        assert_eq!(t.x(6) & 0xffff_ffff_f000, DATA);
    }

    fn sctlr_el1_mte_controls_read_as_zero(t) {
        // Arm ARM D17.2.118 (SCTLR_EL1): ITFSB, TCF0, TCF, ATA0 and ATA are RES0 when
        // FEAT_MTE is not implemented; the reset value's bits stay as written.
        t.set_x(1, SCTLR_EL1_RESET_AND_MTE);
        run(&mut t, &a64!(; msr 0x4080, x1 ; mrs x0, 0x4080));
        assert_eq!(t.x(0), crate::sysreg::SCTLR_EL1_RESET);
    }

    fn id_aa64mmfr0_advertises_the_granules(t) {
        run(&mut t, &a64!(; mrs x0, 0x4038));
        let v = t.x(0);
        assert_eq!(v & 0xf, 0b0100); // PARange: 44 bits
        assert_eq!(v >> 4 & 0xf, 0b0010); // ASIDBits: 16
        assert_eq!(v >> 20 & 0xf, 1); // TGran16 supported
        assert_eq!(v >> 24 & 0xf, 0); // TGran64 supported
        assert_eq!(v >> 28 & 0xf, 0); // TGran4 supported
    }

    fn tlbi_and_at_are_undefined_at_el0(t) {
        t.cpu.sys.vbar_el1 = VECTORS;
        t.load_words(VECTORS + SYNC_LOWER, &[]);
        t.cpu.s.set_el_spsel(0, 0);
        run(&mut t, &a64!(; tlbi vmalle1));
        assert_eq!((t.cpu.sys.esr_el1, t.cpu.sys.elr_el1), (esr(ec::UNKNOWN, 0), CODE));
        t.cpu.s.set_el_spsel(0, 0);
        run(&mut t, &a64!(; at s1e0r, x0));
        assert_eq!((t.cpu.sys.esr_el1, t.cpu.sys.elr_el1), (esr(ec::UNKNOWN, 0), CODE));
    }
}

// ── Through the load/store instructions ───────────────────────────────────────────────

cpu_test! {
    fn ldr_and_str_through_a_4k_walk(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        t.write_u64(DATA + 0x18, 0xfeed_f00d);
        t.set_x(1, VA_4K + 0x18);
        run(&mut t, &a64!(; ldr x0, [x1] ; str x0, [x1, 8]));
        assert_eq!(t.x(0), 0xfeed_f00d);
        assert_eq!(t.read_u64(DATA + 0x20), 0xfeed_f00d);
        // A load that misses: a data abort without WnR, FAR the load's address.
        set(&mut t, L3, 5, 0);
        t.set_x(1, VA_4K + 0x1010);
        run(&mut t, &a64!(; nop ; ldr x0, [x1]));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::DABT_CUR, translation(3)));
        assert_eq!((t.cpu.sys.far_el1, t.cpu.sys.elr_el1), (VA_4K + 0x1010, CODE + 4));
    }

    fn ldtr_and_sttr_at_el1_check_el0_permissions(t) {
        setup_4k(&mut t, page(DATA, NORMAL));
        t.write_u64(DATA, 0x11);
        t.set_x(1, VA_4K);
        // LDR may read the EL1-only page; LDTR may not.
        run(&mut t, &a64!(; ldr x0, [x1] ; ldtr x2, [x1]));
        assert_eq!(t.x(0), 0x11);
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::DABT_CUR, permission(3)));
        assert_eq!((t.cpu.sys.far_el1, t.cpu.sys.elr_el1), (VA_4K, CODE + 4));
        // Read-only at both ELs, readable at EL0: LDTR reads, STTR faults with WnR.
        set(&mut t, L3, 4, page(DATA, NORMAL | desc::AP_EL0 | desc::AP_RO));
        t.cpu.tlb.apply(TlbiOp::All);
        t.cpu.sys.esr_el1 = 0;
        t.set_x(3, 0x22);
        run(&mut t, &a64!(; ldtr x2, [x1] ; sttr x3, [x1, 8]));
        assert_eq!(t.x(2), 0x11);
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::DABT_CUR, WNR | permission(3)));
        assert_eq!(t.read_u64(DATA + 8), 0);
    }
}

// ── Debugger watchpoints through translation (`watch.rs`) ────────────────────────────

cpu_test! {
    fn watchpoints_match_virtual_addresses_after_translation_faults(t) {
        use crate::watch::WatchKind;
        // VA_4K maps DATA read-only; DATA is also reachable through the identity block.
        setup_4k(&mut t, page(DATA, NORMAL | desc::AP_RO));
        t.write_u64(DATA + 0x10, 0x55);
        t.cpu.watchpoints.insert(VA_4K + 0x10, 8, WatchKind::Access);
        t.cpu.watchpoints.insert(VA_4K + 0x1000, 8, WatchKind::Access);
        t.set_x(1, VA_4K + 0x10);
        t.set_x(2, DATA + 0x10);
        t.set_x(6, VA_4K + 0x1000);
        t.load(&a64!(
            ; ldr x3, [x2]      // the same bytes by their identity address: no hit
            ; ldr x4, [x1]      // CODE + 4: hit
            ; str x4, [x1]      // CODE + 8: a permission fault, not a hit
        ));
        t.cpu.s.pc = CODE;
        assert_eq!(t.run_limit(100), Exit::Watchpoint);
        let hit = t.cpu.watchpoints.pending().unwrap();
        assert_eq!((hit.pc, hit.va, t.x(3), t.x(4)), (CODE + 4, VA_4K + 0x10, 0x55, 0));
        assert_eq!(t.run_limit(100), Exit::Hvc(0xfffe));
        assert_eq!(t.cpu.s.pc, VECTORS + SYNC_CURRENT + 4);
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::DABT_CUR, WNR | permission(3)));
        assert_eq!((t.cpu.sys.elr_el1, t.x(4)), (CODE + 8, 0x55));
        // An unmapped watched VA: the translation fault is taken, no hit.
        t.load(&a64!(; ldr x5, [x6]));
        t.cpu.s.pc = CODE;
        assert_eq!(t.run_limit(100), Exit::Hvc(0xfffe));
        assert_eq!(t.cpu.sys.esr_el1, esr(ec::DABT_CUR, translation(3)));
        assert_eq!(t.cpu.watchpoints.pending(), None);
    }

    fn the_same_va_in_another_address_space_runs_that_space_s_code(t) {
        // Two "processes" with their code at one VA (two static binaries at 0x400000, one
        // exec'd after the other): a jump within the page must reach the code of the page
        // mapped now, not a block translated, or chained to, from the other one.
        const PROG_A: u64 = RAM_BASE + 0x20_0000;
        const PROG_B: u64 = RAM_BASE + 0x21_0000;
        const B_PLUS_16: u32 = 0x1400_0004; // b .+16
        const NOP: u32 = 0xd503_201f;
        let movz_x0 = |n: u32| 0xd280_0000 | n << 5;
        t.load_words(PROG_A, &[B_PLUS_16, NOP, NOP, NOP, movz_x0(1)]);
        t.load_words(PROG_B, &[B_PLUS_16, NOP, NOP, NOP, movz_x0(2)]);
        setup_4k(&mut t, page(PROG_A, NORMAL));
        for (prog, want) in [(PROG_A, 1), (PROG_A, 1), (PROG_B, 2), (PROG_B, 2), (PROG_A, 1)] {
            set(&mut t, L3, 4, page(prog, NORMAL));
            t.cpu.tlb.apply(TlbiOp::All);
            t.cpu.s.pc = VA_4K;
            t.run();
            assert_eq!(t.x(0), want, "code at {prog:#x}");
        }
    }
}
