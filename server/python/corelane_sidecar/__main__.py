"""`python -m corelane_sidecar --socket PATH --spec FILE [--shim DIR]`: loads the plugins the
spec names and serves corelane's cores on a Unix socket until corelane closes it or stops
the process.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger("corelane_sidecar")

# Seconds the sidecar has to stop once corelane is gone (corelane waits 3 s, then kills it).
STOP_GRACE = 5


def use_shim(shim_dir):
    """LiteLLM's own base classes where `litellm` is installed; else the shim's, under the
    same module paths (appended to the path, so an installed package always wins)."""
    try:
        import litellm.integrations.custom_logger  # noqa: F401
        import litellm.proxy._types  # noqa: F401

        return False
    except ImportError:
        for name in [m for m in sys.modules if m == "litellm" or m.startswith("litellm.")]:
            del sys.modules[name]
    if shim_dir and shim_dir not in sys.path:
        sys.path.append(shim_dir)
    return True


def main():
    parser = argparse.ArgumentParser(prog="corelane_sidecar")
    parser.add_argument("--socket", required=True)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--shim")
    args = parser.parse_args()
    logging.basicConfig(
        level=os.environ.get("CORELANE_SIDECAR_LOG", "WARNING").upper(),
        format="corelane-sidecar %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    with open(args.spec) as f:
        spec = json.load(f)
    shim = use_shim(args.shim)
    from .plugins import load
    from .runtime import Runtime

    try:
        plugins, auth = load(spec)
    except Exception as e:  # noqa: BLE001: said to corelane, which refuses to start
        print(f"corelane-sidecar: {e}", file=sys.stderr, flush=True)
        sys.exit(3)
    runtime = Runtime(plugins, auth, shim, spec)
    asyncio.run(serve(runtime, args.socket))


async def serve(runtime, path):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    def done():
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done)

    # corelane holds our stdin open while it runs: its end (a graceful stop, or corelane
    # gone) stops the sidecar, and a plugin that keeps the loop busy (a blocking call in a
    # hook) cannot keep it alive past a grace period.
    def watch_stdin():
        try:
            while sys.stdin.buffer.read(65536):
                pass
        finally:
            loop.call_soon_threadsafe(done)
            time.sleep(STOP_GRACE)
            os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    if os.path.exists(path):
        os.unlink(path)
    server = await asyncio.start_unix_server(runtime.connection, path=path)
    runtime.start()
    # corelane reads this line to know the socket is there.
    print(f"corelane-sidecar: serving {len(runtime.plugins)} plugins", flush=True)
    async with server:
        await stop
    await runtime.close()


if __name__ == "__main__":
    main()
