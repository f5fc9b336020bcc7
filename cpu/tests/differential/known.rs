//! Differences already reported and not yet fixed, by group and form: they are printed on
//! every run instead of failing it. An entry whose form no longer fails makes its group's
//! test fail, so this list cannot outlive the bugs: delete the entry with the fix.

/// (group, form, what is wrong).
pub const KNOWN: &[(&str, &str, &str)] = &[
    (
        "undefined",
        "DC CVAP (v8.2)",
        "system::sys executes DC CVAP; the A72 (v8.0, no FEAT_DPB) makes it UNDEFINED",
    ),
    (
        "undefined",
        "DC CVADP (v8.5)",
        "system::sys exits Unimplemented instead of UNDEFINED",
    ),
    (
        "undefined",
        "SYS: unallocated CRn",
        "system::sys exits Unimplemented instead of UNDEFINED",
    ),
    (
        "undefined",
        "SYSL",
        "system::sysl exits Unimplemented instead of UNDEFINED",
    ),
    (
        "el0_undefined",
        "TLBI VMALLE1 at EL0",
        "system::sys exits Unimplemented at EL0 instead of UNDEFINED",
    ),
    (
        "el0_undefined",
        "AT S1E1R at EL0",
        "system::sys exits Unimplemented at EL0 instead of UNDEFINED",
    ),
];
