"""Serving corelane's cores: each connection gets HELLO (the plugins and the hooks each
overrides), then CALL frames are answered (each in its own task, so a slow hook holds up no
other) and LOG frames are queued for the logging worker.

Logging is bounded: the queue holds at most `LOG_QUEUE` batches (a core's batch is at most
4 MiB); while it is full the connection is not read, its socket fills, and corelane drops
(and counts) what it cannot send. Traffic never waits for logging.
"""

import asyncio
import concurrent.futures
import logging
import time
import traceback

from . import hooks, wire

log = logging.getLogger("corelane_sidecar")

LOG_QUEUE = 4
# Sync logging hooks running or waiting in threads, at most; beyond it they are dropped
# (and counted as errors).
THREADED = 64


class Runtime:
    def __init__(self, plugins, auth, shim, spec):
        self.plugins = plugins
        self.auth = auth
        self.shim = shim
        self.spec = spec
        self.log_queue = asyncio.Queue(LOG_QUEUE)
        self.worker = None
        self.watchdog = None
        # When the logging hook running now must be done by (None: none runs), and whether
        # the watchdog cancelled it for running late.
        self.logging_until = None
        self.overdue = False
        self.threaded = 0
        # The sync logging hooks' threads (not the loop's default executor, which name
        # lookups use).
        self.threads = None
        self.stats = {"log_events": 0, "log_errors": 0, "hook_errors": 0}
        self.cache = hooks.new_cache()
        # Streams going through the streaming hooks, by call id.
        self.streams = {}

    def hello(self):
        plugins = [p.describe() for p in self.plugins]
        if self.auth is not None:
            plugins.append(self.auth.describe())
        return {"version": 1, "litellm": not self.shim, "plugins": plugins}

    def start(self):
        loop = asyncio.get_running_loop()
        self.worker = loop.create_task(self.log_worker())
        self.watchdog = loop.create_task(self.watch_logging())

    def in_thread(self, plugin, name, **kwargs):
        """Calls a plugin's sync hook in a worker thread, not waited for (as LiteLLM runs
        its sync logging hooks); an exception is logged and counted."""
        if self.threaded >= THREADED:
            self.stats["log_errors"] += 1
            log.error("%s of %s dropped: %d sync hooks are still running", name, plugin.name, THREADED)
            return
        self.threaded += 1
        method = getattr(plugin.obj, name)

        def done(future):
            self.threaded -= 1
            if not future.cancelled() and future.exception() is not None:
                self.stats["log_errors"] += 1
                log.error("%s of %s raised: %s", name, plugin.name, future.exception())

        if self.threads is None:
            self.threads = concurrent.futures.ThreadPoolExecutor(4, "corelane-sync-hook")
        # The thread gets its own `kwargs` (the async hooks get theirs at once).
        kwargs = dict(kwargs, kwargs=dict(kwargs["kwargs"]))
        future = asyncio.get_running_loop().run_in_executor(self.threads, lambda: method(**kwargs))
        future.add_done_callback(done)

    def took_overdue_cancel(self):
        """After a CancelledError in the logging worker: whether it was the watchdog's (now
        absorbed: the worker goes on) rather than the sidecar stopping."""
        if not self.overdue:
            return False
        self.overdue = False
        task = asyncio.current_task()
        if hasattr(task, "uncancel"):
            task.uncancel()
        return True

    async def watch_logging(self):
        """Cancels a logging hook that runs past its plugin's timeout."""
        while True:
            await asyncio.sleep(0.05)
            until = self.logging_until
            if until is not None and time.monotonic() > until and not self.overdue:
                self.overdue = True
                self.worker.cancel()

    async def close(self):
        # What is queued is logged before the process ends (corelane waits a little).
        deadline = time.monotonic() + 5
        while not self.log_queue.empty() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        for task in (self.worker, self.watchdog):
            if task is not None:
                task.cancel()

    async def connection(self, reader, writer):
        lock = asyncio.Lock()
        try:
            writer.write(wire.encode(wire.HELLO, 0, self.hello()))
            await writer.drain()
            while True:
                frame = await wire.read_frame(reader)
                if frame is None:
                    break
                kind, ident, payload = frame
                if kind == wire.CALL:
                    asyncio.get_running_loop().create_task(
                        self.call(ident, payload, writer, lock)
                    )
                elif kind == wire.LOG:
                    # Waits (stops reading) while the queue is full.
                    await self.log_queue.put(payload)
        except (ConnectionError, ValueError) as e:
            log.info("connection closed: %s", e)
        except asyncio.CancelledError:
            # The sidecar is stopping.
            pass
        finally:
            writer.close()

    async def call(self, ident, payload, writer, lock):
        try:
            answer = await hooks.dispatch(self, payload)
        except Exception as e:  # noqa: BLE001: a bug here must still answer the core
            self.stats["hook_errors"] += 1
            log.error("hook %s failed: %s", payload.get("hook"), traceback.format_exc())
            answer = {"error": hooks.error_of(e)}
            answer["error"]["error"]["message"] = f"the plugin sidecar failed: {e}"
        frame = wire.encode(wire.REPLY, ident, answer)
        async with lock:
            try:
                writer.write(frame)
                await writer.drain()
            except ConnectionError:
                pass

    async def log_worker(self):
        while True:
            try:
                batch = await self.log_queue.get()
                for event in wire.log_events(batch):
                    self.stats["log_events"] += 1
                    try:
                        await hooks.log_event(self, event)
                    except Exception:  # noqa: BLE001: one event's shapes, not the worker
                        self.stats["log_errors"] += 1
                        log.error("a logging event failed: %s", traceback.format_exc())
            except ValueError as e:
                # A broken batch (a bug on either side): what was left of it is lost.
                self.stats["log_errors"] += 1
                log.error("a logging batch could not be read: %s", e)
            except asyncio.CancelledError:
                # The watchdog's cancel landed after the late hook ended: the rest of
                # the batch is lost.
                if not self.took_overdue_cancel():
                    raise
