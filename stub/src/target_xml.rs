//! `qXfer:features:read`: gdbstub_arch's AArch64 target description with its system
//! register feature cut down to the registers armvirt models, so `info registers` lists
//! what it can show instead of 872 `<unavailable>` lines; and extended by the modelled
//! registers its list lacks (the PSTATE views NZCV, DAIF, CurrentEL, SPSel, ...), so
//! `p $CurrentEL` works as the session expects; SP_EL1 is shown too.

use crate::target::DebugTarget;
use armvirt_cpu::sysreg;
use armvirt_machine::Machine;
use gdbstub::arch::Arch;
use gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverride;
use gdbstub::target::TargetResult;
use gdbstub_arch::aarch64::AArch64;
use std::sync::OnceLock;

/// gdbstub_arch's system register feature.
const SYSREG_FEATURE: &str = "org.rust.gdb.arm.sys.regs";

/// The description: every line of gdbstub_arch's, less the system registers (the lines
/// with `group="system"`) whose `regnum` (their MRS encoding) armvirt does not model,
/// plus the readable ones armvirt models that gdbstub_arch does not list, at the end of
/// its system register feature (gdbstub_arch reads any such regnum as that encoding).
fn description() -> &'static str {
    static XML: OnceLock<String> = OnceLock::new();
    XML.get_or_init(|| {
        let full = AArch64::target_description_xml().unwrap_or_default();
        let listed: Vec<u16> = full.lines().filter_map(regnum).collect();
        let extra: Vec<String> = sysreg::SYSREGS
            .iter()
            .filter(|r| r.read.is_some() && !listed.contains(&r.enc))
            .map(|r| {
                format!(
                    "  <reg name=\"{}\" bitsize=\"64\" regnum=\"{}\" group=\"system\"/>",
                    r.name, r.enc
                )
            })
            .collect();
        let mut out = Vec::new();
        let mut in_sysregs = false;
        for line in full.lines() {
            if line.contains(SYSREG_FEATURE) {
                in_sysregs = true;
            }
            if in_sysregs && line.trim() == "</feature>" {
                out.extend(extra.iter().map(String::as_str));
                in_sysregs = false;
            }
            if !line.contains("group=\"system\"") || regnum(line).is_some_and(shown) {
                out.push(line);
            }
        }
        out.join("\n")
    })
}

/// Whether gdb gets system register `enc`: a modelled one, or SP_EL1.
fn shown(enc: u16) -> bool {
    Machine::has_sysreg(enc) || enc == crate::single_register::SP_EL1
}

/// The `regnum` of a `<reg>` line.
fn regnum(line: &str) -> Option<u16> {
    let rest = line.split("regnum=\"").nth(1)?;
    rest.split('"').next()?.parse().ok()
}

impl TargetDescriptionXmlOverride for DebugTarget<'_> {
    fn target_description_xml(
        &self,
        annex: &[u8],
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        if annex != b"target.xml" {
            return Ok(0);
        }
        let xml = description().as_bytes();
        let start = (offset as usize).min(xml.len());
        let end = start
            .saturating_add(length)
            .min(xml.len())
            .min(start + buf.len());
        buf[..end - start].copy_from_slice(&xml[start..end]);
        Ok(end - start)
    }
}
