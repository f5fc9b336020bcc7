//! QEMU virt's power button: a `gpio-key` on the PL061's line 3 (`hw/arm/virt.c`,
//! `create_gpio_keys`; `hw/gpio/gpio_key.c`). The monitor's `system_powerdown` presses
//! it: the line goes high and, 100 ms of virtual time later, low again, so the guest's
//! gpio-keys driver sees KEY_POWER pressed and released.

use crate::fdt::POWER_BUTTON_LINE;
use crate::machine::Machine;

/// How long the key stays pressed (QEMU's GPIO_KEY_LATENCY).
pub const PRESS_NS: u64 = 100_000_000;

impl Machine {
    /// Presses the power button (a press while it is down holds it 100 ms more, as
    /// QEMU's gpio-key restarts its timer).
    pub fn press_power_button(&mut self) {
        self.gpio.lock().set_input(POWER_BUTTON_LINE, true);
        self.power_button_release = Some(self.now_ns + PRESS_NS);
    }

    /// Releases the button once its time is up (the run loop calls this every round).
    pub(crate) fn poll_power_button(&mut self) {
        if let Some(at) = self.power_button_release {
            if self.now_ns >= at {
                self.power_button_release = None;
                self.gpio.lock().set_input(POWER_BUTTON_LINE, false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rig::machine_with_files;
    use armvirt_cpu::a64;
    use armvirt_devices::MmioDevice;

    /// GPIODATA with every line unmasked.
    const ALL_LINES: u64 = 0x3fc;
    const KEY: u64 = 1 << POWER_BUTTON_LINE;

    #[test]
    fn press_holds_line_3_for_100_ms_and_snapshots_keep_it() {
        let (mut m, _, dir) = machine_with_files("power-button", 1, &a64!(; b 0));
        let pins = |m: &Machine| m.gpio.lock().read(ALL_LINES, 4).unwrap();
        m.press_power_button();
        assert_eq!(pins(&m), KEY);
        let saved = m.save_state();
        m.now_ns += PRESS_NS - 1;
        m.poll_power_button();
        assert_eq!(pins(&m), KEY, "still pressed 1 ns before its 100 ms");
        m.now_ns += 1;
        m.poll_power_button();
        assert_eq!(pins(&m), 0, "released");
        // Back in time (history, loadvm): pressed again, released at the same moment.
        m.restore_state(&saved);
        assert_eq!(pins(&m), KEY);
        assert_eq!(m.power_button_release, Some(saved.now_ns + PRESS_NS));
        std::fs::remove_dir_all(dir).ok();
    }
}
