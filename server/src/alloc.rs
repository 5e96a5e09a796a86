//! The global allocator, mimalloc, and what corelane asks of it.
//!
//! mimalloc returns freed memory to the OS only after a purge delay (1 s in v3, as
//! libmimalloc-sys builds it), and only when the same thread next calls into the allocator
//! at segment level. A core that served one large request and then only small ones (or none)
//! never gets there: a 24 MiB body left 50 MB resident for as long as the process lived.
//! Setting the delay to 0 fixed that but cost a `madvise` every ten requests under load (and
//! the page faults after it); instead an idle core asks mimalloc to collect its heap, so
//! resident memory returns to its idle level once the traffic stops (DESIGN.md, memory
//! rules). This is the only module of the crate that may use `unsafe`, for that C call.
#![allow(unsafe_code)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Returns what this thread's heap holds free (cached and abandoned pages, delayed purges)
/// to the OS at once; a core calls it when it has become idle after serving requests.
pub fn collect() {
    // SAFETY: mi_collect takes no pointers; it works on the calling thread's own heap.
    unsafe { libmimalloc_sys::mi_collect(true) };
}
