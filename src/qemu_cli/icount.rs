//! `-icount` (qemu-options.hx): armvirt always counts one instruction per virtual
//! nanosecond, which is QEMU's `shift=0`; what it adds here is QEMU's record/replay
//! spelling, `-icount shift=auto,rr=record,rrfile=F` / `rr=replay,rrfile=F`, taken as
//! `--record F` / `--replay F`. Forms armvirt cannot honour are refused with one line.

use std::path::PathBuf;

/// What a `-icount` asks beyond armvirt's fixed count.
#[derive(Debug, PartialEq, Eq)]
pub enum Icount {
    /// `shift=0` alone: what armvirt does anyway.
    Fixed,
    Record(PathBuf),
    Replay(PathBuf),
}

pub fn parse(text: &str) -> Result<Icount, String> {
    let refuse = |why: &str| Err(format!("-icount {text}: {why}"));
    let (mut shift, mut rr, mut rrfile) = (None, None, None);
    for (i, part) in text.split(',').enumerate() {
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k, v),
            // `-icount 0` is `shift=0`, as in QEMU.
            None if i == 0 => ("shift", part),
            None => return refuse(&format!("'{part}' is not KEY=VALUE")),
        };
        match key {
            "shift" => shift = Some(value),
            "rr" => rr = Some(value),
            "rrfile" => rrfile = Some(value),
            "align" | "sleep" if matches!(value, "off" | "on") => {
                // Virtual time is never aligned to the host's, and an idle guest's clock
                // jumps to its next timer: QEMU's align=off, sleep=off. Only those.
                if value == "on" {
                    return refuse(&format!(
                        "{key}=on: armvirt's virtual time does not follow the host's"
                    ));
                }
            }
            "rrsnapshot" => {
                return refuse("rrsnapshot: a recording always starts at the machine's start")
            }
            _ => return refuse(&format!("unknown parameter '{key}'")),
        }
    }
    let file = || match rrfile {
        Some(f) if !f.is_empty() => Ok(PathBuf::from(f)),
        _ => Err(format!("-icount {text}: rr= needs rrfile=FILE")),
    };
    // QEMU's adaptive shift tracks host speed; under record/replay it only has to be
    // the same both times, which armvirt's fixed count is.
    let shift_ok = match (shift, rr) {
        (Some("0"), _) | (Some("auto") | None, Some(_)) => true,
        (Some(_), _) => false,
        (None, None) => return refuse("no shift= or rr="),
    };
    if !shift_ok {
        return refuse("armvirt always runs one instruction per virtual nanosecond (shift=0)");
    }
    match rr {
        Some("record") => Ok(Icount::Record(file()?)),
        Some("replay") => Ok(Icount::Replay(file()?)),
        Some(other) => refuse(&format!("rr={other}: only rr=record or rr=replay")),
        None if rrfile.is_some() => refuse("rrfile= needs rr=record or rr=replay"),
        None => Ok(Icount::Fixed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_record_replay_spellings_map_to_record_and_replay() {
        assert_eq!(
            parse("shift=auto,rr=record,rrfile=/tmp/r.bin"),
            Ok(Icount::Record("/tmp/r.bin".into()))
        );
        assert_eq!(
            parse("shift=auto,rr=replay,rrfile=r.bin"),
            Ok(Icount::Replay("r.bin".into()))
        );
        assert_eq!(
            parse("rr=record,rrfile=r,align=off,sleep=off"),
            Ok(Icount::Record("r".into()))
        );
        assert_eq!(parse("0"), Ok(Icount::Fixed));
        assert_eq!(parse("shift=0"), Ok(Icount::Fixed));
    }

    #[test]
    fn forms_armvirt_cannot_honour_are_refused_in_one_line() {
        for (text, says) in [
            (
                "shift=7",
                "-icount shift=7: armvirt always runs one instruction",
            ),
            ("auto", "-icount auto: armvirt always runs"),
            ("shift=auto,rr=record", "rr= needs rrfile=FILE"),
            ("rr=play,rrfile=f", "rr=play: only rr=record or rr=replay"),
            (
                "shift=auto,rr=record,rrfile=f,rrsnapshot=init",
                "rrsnapshot",
            ),
            ("shift=0,sleep=on", "sleep=on"),
            ("shift=0,bogus=1", "unknown parameter 'bogus'"),
            ("shift=4,rr=record,rrfile=f", "shift=4"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }
}
