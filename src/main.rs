use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned};
use libmimalloc_sys::{mi_zalloc, mi_zalloc_aligned};

/// mimalloc: faster than the system allocator for tc's many small allocations (`tc graph` most
/// of all). Its version 2 rather than 3: `tc graph` is faster on it, with fewer slow runs when
/// memory is cold (docs/benchmarks.md). Every mimalloc block is 8-byte aligned, so the usual
/// alignments take the plain calls, which skip the aligned path's checks.
struct MiMalloc;

/// The alignment every mimalloc block has.
const PLAIN: usize = 8;

unsafe impl GlobalAlloc for MiMalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation functions take any size; the result is checked by
        // the caller for null.
        unsafe {
            if layout.align() <= PLAIN {
                mi_malloc(layout.size()).cast()
            } else {
                mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if layout.align() <= PLAIN {
                mi_zalloc(layout.size()).cast()
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator (GlobalAlloc's contract).
        unsafe { mi_free(ptr.cast::<c_void>()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout` (GlobalAlloc's contract).
        unsafe {
            if layout.align() <= PLAIN {
                mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[global_allocator]
static ALLOC: MiMalloc = MiMalloc;

fn main() {
    let code = tc::main();
    // Everything tc writes is flushed, then the process ends without libc's exit handlers:
    // mimalloc's would hand every page back to the system one by one (a twentieth of a
    // small `tc graph` run) just before the system frees them all anyway.
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` only ends the process; nothing of this process runs after it.
    unsafe { nix::libc::_exit(code) }
}
