//! The GDB remote stub (gdbstub + gdbstub_arch) over the machine's debug interface.
//!
//! Empty until the gdb-stub issue: the crate exists so the dependency order
//! cpu ← devices ← machine ← stub ← binary is fixed from the start.
