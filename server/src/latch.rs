//! A core-local one-shot broadcast: once fired, every task waiting on it wakes (shutdown
//! starting, the grace period ending). Waiters are kept in a slab so that a wait that ends
//! without the latch firing (the usual case) leaves nothing behind.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use slab::Slab;

#[derive(Debug, Default)]
pub struct Latch {
    fired: Cell<bool>,
    waiters: RefCell<Slab<Waker>>,
}

impl Latch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fire(&self) {
        self.fired.set(true);
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for (_, waker) in waiters {
            waker.wake();
        }
    }

    pub fn is_fired(&self) -> bool {
        self.fired.get()
    }

    /// Resolves once the latch has fired (at once if it already has).
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            latch: self,
            key: None,
        }
    }
}

/// The future of [`Latch::wait`]; dropping it unregisters the waiter.
#[derive(Debug)]
pub struct Wait<'l> {
    latch: &'l Latch,
    key: Option<usize>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.latch.is_fired() {
            self.key = None;
            return Poll::Ready(());
        }
        let mut waiters = self.latch.waiters.borrow_mut();
        match self.key.and_then(|k| waiters.get_mut(k)) {
            Some(w) => {
                if !w.will_wake(cx.waker()) {
                    w.clone_from(cx.waker());
                }
            }
            None => {
                let key = waiters.insert(cx.waker().clone());
                drop(waiters);
                self.key = Some(key);
            }
        }
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            // After `fire` the slab was emptied and keys are stale: nothing to remove.
            if !self.latch.is_fired() {
                self.latch.waiters.borrow_mut().try_remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_wake_on_fire_and_leave_nothing_behind() {
        let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .enable_timer()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        rt.block_on(async {
            let latch = std::rc::Rc::new(Latch::new());
            // A wait that ends another way unregisters itself.
            for _ in 0..100 {
                monoio::select! {
                    _ = latch.wait() => panic!("not fired"),
                    _ = monoio::time::sleep(std::time::Duration::from_millis(1)) => {}
                }
            }
            assert!(latch.waiters.borrow().is_empty());
            let l2 = latch.clone();
            let waiter = monoio::spawn(async move { l2.wait().await });
            monoio::time::sleep(std::time::Duration::from_millis(5)).await;
            assert_eq!(latch.waiters.borrow().len(), 1);
            latch.fire();
            waiter.await;
            latch.wait().await;
            assert!(latch.waiters.borrow().is_empty());
        });
    }
}
