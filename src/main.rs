use std::io::Write as _;

/// mimalloc: faster than the system allocator for tc's many small allocations (`tc graph` most
/// of all). Its version 2 rather than 3 (the crate's `v2` feature): `tc graph` is faster on it,
/// with fewer slow runs when memory is cold (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = tc::main();
    // Everything tc writes is flushed, then the process ends without libc's exit handlers:
    // mimalloc's would hand every page back to the system one by one (a twentieth of a
    // small `tc graph` run) just before the system frees them all anyway.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` only ends the process; nothing of this process runs after it.
    unsafe { nix::libc::_exit(code) }
}
