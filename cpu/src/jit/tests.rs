//! JIT-specific cases (see `testing.rs` for the lockstep executor every CPU test runs on).
