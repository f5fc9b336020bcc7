//! End to end: Debian's gdb-multiarch in batch mode against `armvirt -S --gdb PORT`
//! running a bare-metal Image, asserting on what gdb prints.

mod gdb_util;
use gdb_util::*;

#[test]
fn explore() {
    let dir = Scratch::new("gdb-explore");
    let port = free_port();
    let emu = start_armvirt(&dir.image(), port, true);
    let script = dir.file("script", "info registers\nx/4i $pc\nstepi\np/x $pc\ncontinue\n");
    let out = wait_output(gdb_command(port, &script).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap(), 60);
    println!("{}\n---\n{}", text(&out.stdout), text(&out.stderr));
    let e = wait_output(emu, 30);
    println!("{}\n---\n{}", text(&e.stdout), text(&e.stderr));
    panic!();
}
