//! `qXfer:features:read`: gdbstub_arch's AArch64 target description with its system
//! register feature cut down to the registers armvirt models, so `info registers` lists
//! what it can show instead of 872 `<unavailable>` lines.

use crate::target::DebugTarget;
use armvirt_machine::Machine;
use gdbstub::arch::Arch;
use gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverride;
use gdbstub::target::TargetResult;
use gdbstub_arch::aarch64::AArch64;
use std::sync::OnceLock;

/// The description: every line of gdbstub_arch's, less the system registers (the lines
/// with `group="system"`) whose `regnum` (their MRS encoding) armvirt does not model.
fn description() -> &'static str {
    static XML: OnceLock<String> = OnceLock::new();
    XML.get_or_init(|| {
        let full = AArch64::target_description_xml().unwrap_or_default();
        full.lines()
            .filter(|line| !line.contains("group=\"system\"") || modelled(line))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn modelled(line: &str) -> bool {
    let Some(rest) = line.split("regnum=\"").nth(1) else {
        return false;
    };
    let number = rest.split('"').next().unwrap_or("");
    number.parse::<u16>().is_ok_and(Machine::has_sysreg)
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
