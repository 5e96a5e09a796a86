//! The global allocator, mimalloc, and the one option corelane changes in it.
//!
//! mimalloc (v3, as libmimalloc-sys builds it) returns freed memory to the OS only after a
//! purge delay (1 s), and only when the same thread next allocates or frees at segment level. A core
//! that served one large request and then only small ones (or none) never gets there: a
//! 24 MiB body left 50 MB resident for as long as the process lived. With the delay at 0 the
//! memory goes back when it is freed, and resident memory returns to its idle level after
//! any request (DESIGN.md, memory rules). This is the only module of the crate that may use
//! `unsafe`: the option is set through mimalloc's C API.
#![allow(unsafe_code)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `enum mi_option_e` (mimalloc.h); the Rust
/// bindings do not name it. The test below checks that the index holds its documented default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets corelane's allocator options; call once at start-up, before any core starts.
pub fn configure() {
    // SAFETY: mi_option_set stores a number in mimalloc's option table; it takes no pointers
    // and is called once on the main thread before any other thread of ours exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_index_is_the_purge_delay() {
        // SAFETY: reading an option takes no pointers.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(default, 1000, "mimalloc v3's purge_delay default");
        configure();
        // SAFETY: as above.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) },
            0
        );
    }
}
