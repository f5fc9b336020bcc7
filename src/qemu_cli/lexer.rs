//! QEMU's command-line syntax (qemu-options.hx, util/qemu-option.c): every option takes one
//! or two dashes (`-m`, `--m`), its value as the next argument or after `=` (`-m=2G`);
//! option values are suboption lists `a=b,c=d` where `,,` stands for a literal comma, a
//! first item without `=` is the option's implied key (`-M virt` is `-M type=virt`), a
//! later one without `=` is a boolean (`server` is `server=on`, `nowait` is `wait=off`).

use super::options::{self, OptSpec, Takes};

/// One option as the user wrote it.
#[derive(Clone, Debug)]
pub struct Arg {
    /// The spelling on the command line (`-M`, `--smp`), for messages.
    pub spelled: String,
    pub spec: &'static OptSpec,
    pub value: Option<String>,
}

/// Splits argv (without argv[0]) into options and their values.
pub fn lex(args: &[String]) -> Result<Vec<Arg>, String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            return Err(format!(
                "unexpected argument '{arg}': a disk image without an option (QEMU's -hda) \
                 is not supported; use -drive file={arg},format=raw,if=virtio"
            ));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let spelled = match inline {
            Some(_) => arg[..arg.len() - body.len() + name.len()].to_string(),
            None => arg.clone(),
        };
        let Some(spec) = options::find(name) else {
            return Err(format!(
                "unexpected argument '{spelled}': not an option armvirt knows (see --help)"
            ));
        };
        let value = match spec.takes {
            Takes::Refused(why) => return Err(format!("{spelled} is not supported: {why}")),
            Takes::Flag => {
                if inline.is_some() {
                    return Err(format!("{spelled} takes no value (in '{arg}')"));
                }
                None
            }
            Takes::Value(_) => match inline {
                Some(v) => Some(v),
                None => Some(
                    it.next()
                        .ok_or_else(|| format!("{spelled} needs a value (see --help)"))?
                        .clone(),
                ),
            },
        };
        out.push(Arg {
            spelled,
            spec,
            value,
        });
    }
    Ok(out)
}

/// A suboption list, in order, `,,` unescaped. `implied` names the key of a first item
/// without `=`.
pub fn suboptions(text: &str, implied: Option<&str>) -> Vec<(String, String)> {
    let mut items = Vec::new();
    for (i, item) in split_commas(text).into_iter().enumerate() {
        if item.is_empty() {
            continue;
        }
        match item.split_once('=') {
            Some((k, v)) => items.push((k.to_string(), v.to_string())),
            None => match implied {
                Some(key) if i == 0 => items.push((key.to_string(), item)),
                // QEMU's short booleans: `server` is server=on, `nowait` is wait=off.
                _ => match item.strip_prefix("no") {
                    Some(rest) if rest == "wait" || rest == "delay" => {
                        items.push((rest.to_string(), "off".into()))
                    }
                    _ => items.push((item, "on".into())),
                },
            },
        }
    }
    items
}

/// `text` split at single commas; `,,` is a comma inside an item.
pub fn split_commas(text: &str) -> Vec<String> {
    let mut items = vec![String::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != ',' {
            items.last_mut().unwrap().push(c);
        } else if chars.peek() == Some(&',') {
            chars.next();
            items.last_mut().unwrap().push(',');
        } else {
            items.push(String::new());
        }
    }
    items
}

/// QEMU's on/off booleans (also yes/no, true/false as qapi accepts).
pub fn boolean(key: &str, value: &str, what: &str) -> Result<bool, String> {
    match value {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err(format!("{what}: {key}={value} is not on or off")),
    }
}

/// Suboptions merged as QEMU merges a repeated option (`-machine virt -machine
/// gic-version=3`): a later value of a key replaces the earlier one.
#[derive(Clone, Debug, Default)]
pub struct Merged(pub Vec<(String, String)>);

impl Merged {
    pub fn merge(&mut self, items: Vec<(String, String)>) {
        for (k, v) in items {
            match self.0.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => self.0.push((k, v)),
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    type Case<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)]);

    #[test]
    fn suboption_syntax() {
        let cases: &[Case] = &[
            (
                "virt,gic-version=3",
                Some("type"),
                &[("type", "virt"), ("gic-version", "3")],
            ),
            ("type=virt", Some("type"), &[("type", "virt")]),
            ("2,cores=2", Some("cpus"), &[("cpus", "2"), ("cores", "2")]),
            (
                "file=a,,b.img,id=x",
                None,
                &[("file", "a,b.img"), ("id", "x")],
            ),
            (
                "socket,id=m,server,nowait",
                Some("backend"),
                &[
                    ("backend", "socket"),
                    ("id", "m"),
                    ("server", "on"),
                    ("wait", "off"),
                ],
            ),
            ("a=b=c", None, &[("a", "b=c")]),
            ("", Some("type"), &[]),
            ("x,,y", Some("size"), &[("size", "x,y")]),
        ];
        for (text, implied, want) in cases {
            assert_eq!(suboptions(text, *implied), s(want), "{text}");
        }
    }

    #[test]
    fn merging_keeps_the_last_value_of_a_key() {
        let mut m = Merged::default();
        m.merge(suboptions("virt", Some("type")));
        m.merge(suboptions("type=virt,gic-version=2", Some("type")));
        m.merge(suboptions("gic-version=3", Some("type")));
        assert_eq!(m.0, s(&[("type", "virt"), ("gic-version", "3")]));
    }

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_or_two_dashes_and_inline_values() {
        let args = lex(&argv(&[
            "-m", "2G", "--m=3G", "-smp=2", "--kernel", "k", "-S",
        ]))
        .unwrap();
        let got: Vec<_> = args
            .iter()
            .map(|a| (a.spelled.as_str(), a.spec.names[0], a.value.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("-m", "m", Some("2G")),
                ("--m", "m", Some("3G")),
                ("-smp", "smp", Some("2")),
                ("--kernel", "kernel", Some("k")),
                ("-S", "S", None),
            ]
        );
        // A value that looks like an option is still the value.
        let args = lex(&argv(&["-append", "-v"])).unwrap();
        assert_eq!(args[0].value.as_deref(), Some("-v"));
    }

    #[test]
    fn lexing_errors_name_the_argument() {
        let err = |a: &[&str]| lex(&argv(a)).unwrap_err();
        assert!(err(&["-m"]).starts_with("-m needs a value"));
        assert!(err(&["-S=1"]).starts_with("-S takes no value"));
        assert!(err(&["--bogus"]).starts_with("unexpected argument '--bogus'"));
        assert!(err(&["disk.img"]).contains("'disk.img'"));
        assert!(err(&["-bios", "x"]).starts_with("-bios is not supported"));
    }
}
