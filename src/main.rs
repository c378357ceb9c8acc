// Faster than the system allocator for tc's many small allocations (`tc graph` most of all).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(tc::main());
}
