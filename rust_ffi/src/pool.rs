//! The library's own rayon thread pool.
//!
//! A private pool (instead of rayon's global one) lets callers size it, and lets a
//! process that forked after a read rebuild it: worker threads do not survive `fork`,
//! so a child that reused the parent's pool would wait forever for them.

use std::sync::{Arc, Mutex, MutexGuard};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::{Error, Result};

struct PoolState {
    /// Requested thread count; 0 means one per available core.
    requested: usize,
    pool: Option<Arc<ThreadPool>>,
    /// The process that built `pool`.
    owner_pid: u32,
}

static POOL: Mutex<PoolState> = Mutex::new(PoolState {
    requested: 0,
    pool: None,
    owner_pid: 0,
});

fn state() -> MutexGuard<'static, PoolState> {
    // The state is always left consistent, so a panic elsewhere cannot invalidate it.
    POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// A process forked while another thread holds `POOL` (building a pool takes a while)
// would inherit it locked, with no thread left to unlock it: the child's first read
// would wait forever. So `fork` takes the lock first, and releases it on both sides.
thread_local! {
    static HELD_ACROSS_FORK: std::cell::RefCell<Option<MutexGuard<'static, PoolState>>> =
        const { std::cell::RefCell::new(None) };
}

// From libc; kept out of the C header by `cbindgen.toml`.
unsafe extern "C" {
    fn pthread_atfork(
        prepare: Option<unsafe extern "C" fn()>,
        parent: Option<unsafe extern "C" fn()>,
        child: Option<unsafe extern "C" fn()>,
    ) -> std::ffi::c_int;
}

extern "C" fn lock_before_fork() {
    let guard = state();
    HELD_ACROSS_FORK.with(|held| *held.borrow_mut() = Some(guard));
}

extern "C" fn unlock_after_fork() {
    // The forking thread runs this on both sides of the fork (in the child it is the
    // only thread), so its thread-local still holds the guard.
    HELD_ACROSS_FORK.with(|held| drop(held.borrow_mut().take()));
}

fn register_fork_handlers() {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: the handlers are plain functions that live as long as the process
        // (the library is never unloaded while its threads may fork).
        unsafe {
            pthread_atfork(
                Some(lock_before_fork),
                Some(unlock_after_fork),
                Some(unlock_after_fork),
            )
        };
    });
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The most worker threads a pool may have: far beyond any useful count, low enough that
/// a mistaken value cannot make the process spawn threads until the system gives out.
pub const ZCF_MAX_THREADS: usize = 1024;

/// Sets the number of worker threads used by later reads; 0 restores the default
/// (one per available core). Reads already running finish on the old pool.
pub fn set_num_threads(threads: usize) -> Result<()> {
    if threads > ZCF_MAX_THREADS {
        return Err(Error::invalid_argument(format!(
            "{threads} worker threads requested; at most {ZCF_MAX_THREADS} are allowed"
        )));
    }
    let mut state = state();
    state.requested = threads;
    state.pool = None;
    Ok(())
}

/// The number of worker threads reads use.
pub fn num_threads() -> usize {
    match state().requested {
        0 => default_threads(),
        threads => threads,
    }
}

/// The pool for this process, built on first use and rebuilt after a fork.
pub fn current() -> Result<Arc<ThreadPool>> {
    register_fork_handlers();
    let mut state = state();
    let pid = std::process::id();
    if state.owner_pid != pid
        && let Some(inherited) = state.pool.take()
    {
        // Its threads exist only in the parent; dropping it here would try to
        // signal them, so it is deliberately leaked.
        std::mem::forget(inherited);
    }
    if let Some(pool) = &state.pool {
        return Ok(Arc::clone(pool));
    }
    let threads = match state.requested {
        0 => default_threads(),
        threads => threads,
    };
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|index| format!("zarrs-cffi-{index}"))
        .build()
        .map_err(|err| {
            Error::new(
                crate::error::ZCF_STATUS_IO,
                format!("cannot start worker threads: {err}"),
            )
        })?;
    let pool = Arc::new(pool);
    state.pool = Some(Arc::clone(&pool));
    state.owner_pid = pid;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_count_follows_configuration() {
        set_num_threads(3).unwrap();
        assert_eq!(num_threads(), 3);
        assert!(set_num_threads(ZCF_MAX_THREADS + 1).is_err());
        assert_eq!(num_threads(), 3);
        assert_eq!(current().unwrap().current_num_threads(), 3);
        set_num_threads(0).unwrap();
        assert_eq!(num_threads(), default_threads());
        assert_eq!(current().unwrap().current_num_threads(), default_threads());
    }
}
