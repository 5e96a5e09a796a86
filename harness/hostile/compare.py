#!/usr/bin/env python3
"""The same hostile-client scenarios against corelane and nginx `proxy_pass`, side by side.

Layout: process control (start, find, stop by PID) → /proc probes (RSS, descriptors, upstream
sockets) → a small raw HTTP/1.1 client → one function per scenario → the report.
Every scenario starts a fresh mock provider and a fresh target, so no scenario inherits
another's memory, sockets or counters. Python 3 standard library only; 127.0.0.1 only.

    python3 harness/hostile/compare.py [--only keyless-60mib,slow-headers] [--skip-nginx]
                                       [--out DIR] [--build]
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
MASTER_KEY = "sk-compare-7f3c9b1e2d4a"
NGINX = "/usr/sbin/nginx"

# Limits both targets get, so the comparison is between equal settings.
HEADER_TIMEOUT_S = 5
BODY_TIMEOUT_S = 10
KEEPALIVE_TIMEOUT_S = 30
SHUTDOWN_GRACE_S = 10

# Scenario sizes: small enough for a shared 2-core machine, large enough to show the shape.
KEYLESS_CLIENTS = 8
KEYLESS_BODY_BYTES = 60 << 20
KEYLESS_DEADLINE_S = 90
TRICKLE_CONNECTIONS = 200
TRICKLE_INTERVAL_S = 0.5
LOOP_THREADS = 4
LOOP_SECONDS = 8
ABANDONED_CLIENTS = 500
HANGING_DELAY_MS = 60_000
ABANDONED_ARRIVAL_WAIT_S = 5
ABANDONED_SETTLE_S = 3
IDLE_CONNECTIONS = 1000
SIGTERM_THREADS = 16
SIGTERM_UPSTREAM_DELAY_MS = 50
SIGTERM_AFTER_S = 2
# How often the RSS sampler reads /proc during a scenario.
SAMPLE_INTERVAL_S = 0.05

SCENARIOS = ["keyless-60mib", "slow-headers", "abandoned", "idle-keepalive", "sigterm"]
CHAT_BODY = b'{"model":"g","messages":[{"role":"user","content":"hi"}]}'
RELEASE_DIR = ROOT / "target/release"
BINARIES = ("corelane", "corelane-mock")
# Where the binaries run from: a copy taken at start, so a build that replaces
# target/release/* mid-run cannot make scenarios test different binaries.
bin_dir = RELEASE_DIR
# Source trees whose changes make target/release/corelane stale.
SOURCE_DIRS = ["server", "transforms", "http1", "config", "harness/src"]


# ---------------------------------------------------------------------------------------------
# Processes: everything started is recorded here and stopped by PID in `stop_all`.


class Processes:
    """Children started by this script, stopped by PID (never by name) on every exit path."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.children = []  # subprocess.Popen
        self.grandchildren = []  # (pid, starttime) of nginx workers

    def spawn(self, argv, label):
        out = open(self.log_dir / f"{label}.stdout", "wb")
        err = open(self.log_dir / f"{label}.stderr", "wb")
        try:
            child = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        finally:
            out.close()
            err.close()
        self.children.append(child)
        return child

    def adopt(self, pid):
        """Remembers an nginx worker so it is stopped even if its master dies first."""
        start = proc_starttime(pid)
        if start is not None and (pid, start) not in self.grandchildren:
            self.grandchildren.append((pid, start))

    def stop(self, child, timeout=5.0):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(5)

    def stop_all(self):
        for child in reversed(self.children):
            try:
                self.stop(child)
            except Exception as error:  # keep stopping the others
                print(f"warning: stopping pid {child.pid}: {error}", file=sys.stderr)
        for pid, start in self.grandchildren:
            # Same PID and same start time: still the process we started, not a reused PID.
            if proc_starttime(pid) == start:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def wait_for_line(path, pattern, child, timeout=10.0):
    """Waits until `path` (a child's stdout file) has a line matching `pattern`."""
    deadline = time.monotonic() + timeout
    regex = re.compile(pattern)
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        match = regex.search(text)
        if match:
            return match
        if child.poll() is not None:
            break
        time.sleep(0.05)
    err = path.with_suffix(".stderr")
    tail = err.read_text(errors="replace")[-2000:] if err.exists() else ""
    raise RuntimeError(f"no /{pattern}/ in {path.name} (exit {child.poll()}): {tail}")


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# /proc probes.


def proc_stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (index 0 is the state), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def proc_starttime(pid):
    fields = proc_stat_fields(pid)
    return fields[19] if fields else None


def children_of(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = proc_stat_fields(entry)
            if fields and fields[1] == str(pid):
                found.append(int(entry))
    return found


def status_kb(pid, field):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def cpu_seconds(pid):
    fields = proc_stat_fields(pid)
    if not fields:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def socket_inodes(pids):
    inodes = set()
    for pid in pids:
        try:
            names = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for name in names:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{name}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    return inodes


def upstream_connections(pids, mock_port):
    """ESTABLISHED sockets owned by `pids` whose remote end is the mock (the proxy-side ends)."""
    inodes = socket_inodes(pids)
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            remote_port = int(fields[2].split(":")[1], 16)
            if (
                fields[3] == "01"
                and remote_port == mock_port
                and local_port != mock_port
                and fields[9] in inodes
            ):
                count += 1
    return count


class RssSampler:
    """Samples a target's summed VmRSS every SAMPLE_INTERVAL_S on a thread; keeps the peak."""

    def __init__(self, target):
        self.target = target
        self.peak_kb = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.peak_kb = self.target.rss_kb()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join(2)

    def _run(self):
        while not self.stopped.wait(SAMPLE_INTERVAL_S):
            self.peak_kb = max(self.peak_kb, self.target.rss_kb())


# ---------------------------------------------------------------------------------------------
# Targets: the mock provider, corelane, nginx.


class Mock:
    def __init__(self, procs, label):
        binary = bin_dir / "corelane-mock"
        self.child = procs.spawn([str(binary), "--port", "0"], label)
        out = procs.log_dir / f"{label}.stdout"
        self.port = int(wait_for_line(out, r"listening on 127\.0\.0\.1:(\d+)", self.child)[1])

    def stats(self):
        request = b"GET /__mock/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        with connect(self.port) as sock:
            sock.sendall(request)
            _, _, body = read_response(sock, bytearray(), time.monotonic() + 5)
        return json.loads(body)


class Target:
    """What the scenarios need from a proxy under test."""

    name = ""
    port = 0
    mock_port = 0
    delay_ms = 0

    def pids(self):
        raise NotImplementedError

    def rss_kb(self):
        return sum(status_kb(pid, "VmRSS") for pid in self.pids())

    def hwm_kb(self):
        return sum(status_kb(pid, "VmHWM") for pid in self.pids())

    def fds(self):
        return sum(fd_count(pid) for pid in self.pids())

    def cpu(self):
        return sum(cpu_seconds(pid) for pid in self.pids())

    def upstreams(self):
        return upstream_connections(self.pids(), self.mock_port)

    def chat_path(self):
        """Path a chat request is sent to; for nginx the mock's fault prefix lives here."""
        return "/v1/chat/completions"

    def idle_request(self):
        raise NotImplementedError


class Corelane(Target):
    name = "corelane"

    def __init__(self, procs, label, mock_port, delay_ms, workdir):
        self.mock_port, self.delay_ms = mock_port, delay_ms
        prefix = f"/delay/{delay_ms}" if delay_ms else ""
        config = workdir / f"{label}.yaml"
        config.write_text(
            "model_list:\n"
            "  - model_name: g\n"
            "    litellm_params:\n"
            "      model: openai/m\n"
            f"      api_base: http://127.0.0.1:{mock_port}{prefix}/v1\n"
            "      api_key: sk-up\n"
            "general_settings:\n"
            f"  master_key: {MASTER_KEY}\n"
        )
        argv = [
            str(bin_dir / "corelane"),
            "--config", str(config), "--port", "0", "--host", HOST, "--num_workers", "1",
            "--header-timeout", str(HEADER_TIMEOUT_S), "--body-timeout", str(BODY_TIMEOUT_S),
            "--keepalive-timeout", str(KEEPALIVE_TIMEOUT_S),
            "--shutdown-grace", str(SHUTDOWN_GRACE_S),
            "--data-dir", str(procs.log_dir / f"{label}-data"),
        ]  # fmt: skip
        self.child = procs.spawn(argv, label)
        out = procs.log_dir / f"{label}.stdout"
        pattern = r"corelane listening on http://127\.0\.0\.1:(\d+)"
        self.port = int(wait_for_line(out, pattern, self.child)[1])

    def pids(self):
        return [self.child.pid] if self.child.poll() is None else []

    def idle_request(self):
        return b"GET /health/liveliness HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    def graceful_stop(self):
        self.child.send_signal(signal.SIGTERM)
        return "SIGTERM"


NGINX_CONF = """\
# Written by harness/hostile/compare.py; modelled on harness/nginx/nginx.conf.in with the
# timeouts set to the values corelane is given in the same run.
worker_processes 1;
daemon off;
master_process on;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
worker_rlimit_nofile 16384;
worker_shutdown_timeout {grace}s;

events {{
    worker_connections 8192;
}}

http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size 64m;
    client_body_buffer_size 1m;
    client_header_timeout {header}s;
    client_body_timeout {body}s;
    keepalive_requests 1000000;
    keepalive_timeout {keepalive}s;

    upstream mock {{
        server 127.0.0.1:{mock_port};
        keepalive 128;
        keepalive_requests 1000000;
    }}

    server {{
        listen 127.0.0.1:{port} backlog=4096;

        location / {{
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""


class Nginx(Target):
    name = "nginx"

    def __init__(self, procs, label, mock_port, delay_ms, workdir):
        self.procs, self.mock_port, self.delay_ms = procs, mock_port, delay_ms
        self.prefix = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=workdir))
        self.port = free_port()
        conf = self.prefix / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                # As root, nginx would run its worker as `nobody`, which cannot enter the
                # private temp prefix; the worker's identity does not matter here.
                user="user root;" if os.geteuid() == 0 else "",
                prefix=self.prefix, grace=SHUTDOWN_GRACE_S, header=HEADER_TIMEOUT_S,
                body=BODY_TIMEOUT_S, keepalive=KEEPALIVE_TIMEOUT_S, mock_port=mock_port,
                port=self.port,
            )  # fmt: skip
        )
        argv = [NGINX, "-p", str(self.prefix), "-c", str(conf), "-e", str(self.prefix / "error.log")]
        self.child = procs.spawn(argv, label)
        self.label = label
        self.workers = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.child.poll() is not None:
                raise RuntimeError(f"nginx exited {self.child.returncode}: {self.error_log()}")
            self.workers = children_of(self.child.pid)
            try:
                with connect(self.port, timeout=0.5):
                    pass
                if self.workers:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError(f"nginx did not listen on {self.port}: {self.error_log()}")
        for pid in self.workers:
            procs.adopt(pid)

    def error_log(self):
        path = self.prefix / "error.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def pids(self):
        alive = [pid for pid in self.workers if Path(f"/proc/{pid}").exists()]
        if self.child.poll() is not None:
            return alive
        if len(alive) != len(self.workers) or not alive:
            self.workers = children_of(self.child.pid)
            for pid in self.workers:
                self.procs.adopt(pid)
            alive = self.workers
        return [self.child.pid] + alive

    def chat_path(self):
        prefix = f"/delay/{self.delay_ms}" if self.delay_ms else ""
        return f"{prefix}/v1/chat/completions"

    def idle_request(self):
        return b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    def graceful_stop(self):
        self.child.send_signal(signal.SIGQUIT)
        return "SIGQUIT"

    def keep_logs(self, log_dir):
        for name in ("error.log", "nginx.conf"):
            source = self.prefix / name
            if source.exists():
                shutil.copy(source, log_dir / f"{self.label}.{name}")


# ---------------------------------------------------------------------------------------------
# A raw HTTP/1.1 client: cheaper than http.client, and it sees exactly what the proxy sends.


def connect(port, timeout=5.0):
    sock = socket.create_connection((HOST, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def chat_request(path, key=True, close=False):
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    if key:
        head += f"Authorization: Bearer {MASTER_KEY}\r\n"
    if close:
        head += "Connection: close\r\n"
    head += f"Content-Length: {len(CHAT_BODY)}\r\n\r\n"
    return head.encode() + CHAT_BODY


def _recv_more(sock, buf, deadline):
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("response deadline")
    sock.settimeout(remaining)
    data = sock.recv(65536)
    if not data:
        raise EOFError("closed before the response was complete")
    buf += data


def _read_line(sock, buf, deadline):
    while (end := buf.find(b"\r\n")) < 0:
        _recv_more(sock, buf, deadline)
    line = bytes(buf[:end])
    del buf[: end + 2]
    return line


def read_response(sock, buf, deadline):
    """Reads one complete response from `sock` (leftover bytes stay in `buf`).

    Returns (status, headers with lowercase names, body); raises OSError, EOFError or
    ValueError when no complete response arrives before `deadline`.
    """
    while True:
        while (end := buf.find(b"\r\n\r\n")) < 0:
            if len(buf) > 65536:
                raise ValueError("response head too long")
            _recv_more(sock, buf, deadline)
        lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
        del buf[: end + 4]
        status = int(lines[0].split()[1])
        if not 100 <= status < 200:
            break
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while (size := int(_read_line(sock, buf, deadline).split(b";")[0], 16)) > 0:
            while len(buf) < size + 2:
                _recv_more(sock, buf, deadline)
            body += buf[:size]
            del buf[: size + 2]
        while _read_line(sock, buf, deadline):  # trailer fields up to the empty line
            pass
    elif "content-length" in headers:
        length = int(headers["content-length"])
        while len(buf) < length:
            _recv_more(sock, buf, deadline)
        body = buf[:length]
        del buf[:length]
    elif status in (204, 304):
        body = b""
    else:
        try:
            while True:
                _recv_more(sock, buf, deadline)
        except EOFError:
            body = bytes(buf)
            buf.clear()
    return status, headers, bytes(body)


def closed_loop(port, request, seconds, threads=LOOP_THREADS):
    """`threads` keep-alive clients, each sending its next request when the last one answered."""
    counts = {"ok": 0, "other_status": 0, "errors": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client():
        ok = other = errors = 0
        sock, buf = None, bytearray()
        while time.monotonic() < stop_at:
            try:
                if sock is None:
                    sock, buf = connect(port), bytearray()
                sock.sendall(request)
                status, headers, _ = read_response(sock, buf, time.monotonic() + 5)
                if status == 200:
                    ok += 1
                else:
                    other += 1
                if headers.get("connection", "").lower() == "close":
                    sock.close()
                    sock = None
            except (OSError, EOFError, ValueError):
                errors += 1
                if sock is not None:
                    sock.close()
                sock = None
                time.sleep(0.01)
        if sock is not None:
            sock.close()
        with lock:
            counts["ok"] += ok
            counts["other_status"] += other
            counts["errors"] += errors

    started = time.monotonic()
    workers = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 10)
    elapsed = time.monotonic() - started
    counts["req_per_s"] = counts["ok"] / elapsed
    return counts


def close_quietly(socks):
    for sock in socks:
        try:
            sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# Scenarios. Each takes (target, mock) and returns {measure: value}.


def keyless_upload(port, path, chunked, deadline):
    """Sends a KEYLESS_BODY_BYTES body with no key as fast as the proxy reads it.

    Stops when the proxy answers (a response head arrives) or closes the connection.
    """
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {KEYLESS_BODY_BYTES}"
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head = (head + framing + "\r\n\r\n").encode()
    prefix = b'{"model":"g","messages":[{"role":"user","content":"'
    suffix = b'"}]}'
    filler = memoryview(b"a" * (1 << 20))

    def pieces():
        yield head
        remaining = KEYLESS_BODY_BYTES - len(prefix) - len(suffix)
        blocks = [prefix]
        while remaining > 0:
            blocks.append(filler[: min(remaining, len(filler))])
            remaining -= len(filler)
        blocks.append(suffix)
        for block in blocks:
            if chunked:
                yield f"{len(block):x}\r\n".encode()
                yield block
                yield b"\r\n"
            else:
                yield block
        if chunked:
            yield b"0\r\n\r\n"

    result = {"chunked": chunked, "status": None, "outcome": "deadline", "sent_mib": 0.0}
    started = time.monotonic()
    sent = 0
    response = bytearray()
    sock = connect(port)
    sock.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    source, pending, sending = pieces(), memoryview(b""), True

    def answered():
        return b"\r\n\r\n" in response

    try:
        while time.monotonic() < deadline and result["outcome"] == "deadline":
            for _, mask in selector.select(timeout=min(1.0, max(0.0, deadline - time.monotonic()))):
                if mask & selectors.EVENT_READ:
                    try:
                        data = sock.recv(65536)
                    except BlockingIOError:
                        data = None
                    except ConnectionResetError:
                        result["outcome"] = "reset"
                        break
                    if data == b"":
                        result["outcome"] = "closed"
                        break
                    if data:
                        response += data
                        if answered():
                            result["outcome"] = "answered"
                            break
                if mask & selectors.EVENT_WRITE and sending:
                    if not pending:
                        pending = memoryview(next(source, b""))
                        if not pending:
                            sending = False
                            selector.modify(sock, selectors.EVENT_READ)
                            continue
                    try:
                        n = sock.send(pending)
                        pending, sent = pending[n:], sent + n
                    except BlockingIOError:
                        pass
                    except (BrokenPipeError, ConnectionResetError):
                        # The kernel still returns bytes that arrived before a reset.
                        try:
                            response += sock.recv(65536)
                        except OSError:
                            pass
                        result["outcome"] = "answered" if answered() else "reset on write"
                        break
    finally:
        selector.close()
        sock.close()
    if response.startswith(b"HTTP/"):
        try:
            result["status"] = int(response.split(b" ", 2)[1])
        except (IndexError, ValueError):
            pass
    result["sent_mib"] = round(sent / (1 << 20), 1)
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def scenario_keyless(target, mock):
    time.sleep(0.5)
    idle_kb = target.rss_kb()
    deadline = time.monotonic() + KEYLESS_DEADLINE_S
    results = [None] * KEYLESS_CLIENTS

    def run(index):
        try:
            results[index] = keyless_upload(target.port, target.chat_path(), index % 2 == 1, deadline)
        except (OSError, ValueError) as error:
            results[index] = {"outcome": f"error {error}", "status": None, "sent_mib": 0}

    with RssSampler(target) as sampler:
        clients = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(KEYLESS_CLIENTS)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(KEYLESS_DEADLINE_S + 5)
        time.sleep(2)  # let freed memory go back before "after"
    statuses = {}
    for result in results:
        key = str(result["status"] if result["status"] is not None else result["outcome"])
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "idle RSS MB": mb(idle_kb),
        "peak RSS MB (sampled)": mb(sampler.peak_kb),
        "VmHWM MB": mb(target.hwm_kb()),
        "RSS after MB": mb(target.rss_kb()),
        "statuses": statuses,
        "MiB sent per client (max)": max(r["sent_mib"] for r in results),
        "slowest client s": max(r.get("seconds", 0) for r in results),
        "bodies that reached the mock": mock.stats()["requests"],
        "clients": results,
    }


def trickle(port, deadline, ready):
    """TRICKLE_CONNECTIONS connections each sending one head byte every TRICKLE_INTERVAL_S.

    Returns per-connection (seconds open, how it ended); a head that never ends keeps every
    connection trickling until the target gives up on it or `deadline` passes.
    """
    head = b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: " + b"a" * 4096
    selector = selectors.DefaultSelector()
    conns = {}  # socket -> [start, bytes sent, ended]
    refused = 0
    ends = []
    try:
        for _ in range(TRICKLE_CONNECTIONS):
            try:
                sock = connect(port)
            except OSError:
                refused += 1
                continue
            sock.setblocking(False)
            conns[sock] = [time.monotonic(), 0]
            selector.register(sock, selectors.EVENT_READ)
        ready.set()

        def end(sock, how):
            start = conns.pop(sock)[0]
            ends.append((time.monotonic() - start, how))
            selector.unregister(sock)
            sock.close()

        next_tick = time.monotonic()
        while conns and time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_tick:
                for sock, state in list(conns.items()):
                    try:
                        sock.send(head[state[1] % len(head) : state[1] % len(head) + 1])
                        state[1] += 1
                    except BlockingIOError:
                        pass
                    except OSError:
                        end(sock, "reset on write")
                next_tick += TRICKLE_INTERVAL_S
            for key, _ in selector.select(timeout=max(0.0, min(next_tick, deadline) - time.monotonic())):
                sock = key.fileobj
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    end(sock, "reset")
                    continue
                if not data:
                    end(sock, "closed")
                elif data.startswith(b"HTTP/"):
                    end(sock, "answered " + data.split(b" ", 2)[1].decode(errors="replace"))
    finally:
        ready.set()
        still_open = len(conns)
        close_quietly(list(conns))
        selector.close()
    return ends, still_open, refused


def measured_loop(target, request):
    """closed_loop plus the target's CPU per answered request, steadier than req/s when the
    machine is shared (PERF-NOTES)."""
    cpu = target.cpu()
    counts = closed_loop(target.port, request, LOOP_SECONDS)
    counts["cpu_us_per_req"] = (target.cpu() - cpu) * 1e6 / max(counts["ok"], 1)
    return counts


def scenario_slow_headers(target, mock):
    request = chat_request(target.chat_path())
    closed_loop(target.port, request, 1)  # warm-up: upstream connection, caches
    before = measured_loop(target, request)
    result = {}
    ready = threading.Event()
    deadline = time.monotonic() + max(3 * HEADER_TIMEOUT_S, LOOP_SECONDS) + 4

    def attack():
        result["trickle"] = trickle(target.port, deadline, ready)

    attacker = threading.Thread(target=attack, daemon=True)
    attacker.start()
    ready.wait(10)
    attacked = measured_loop(target, request)
    attacker.join(max(0.0, deadline - time.monotonic()) + 5)
    # A second quiet run after the attack: on a shared machine one baseline can be an outlier.
    after = measured_loop(target, request)
    ends, still_open, refused = result.get("trickle", ([], TRICKLE_CONNECTIONS, 0))
    seconds = [s for s, _ in ends]
    hows = {}
    for _, how in ends:
        hows[how] = hows.get(how, 0) + 1

    def ratio(key):
        quiet = (before[key] + after[key]) / 2
        return round(attacked[key] / quiet, 2) if quiet else None

    runs = (before, attacked, after)
    return {
        "req/s quiet / attack / quiet": " / ".join(f"{r['req_per_s']:.0f}" for r in runs),
        "req/s ratio (attack / mean quiet)": ratio("req_per_s"),
        "target CPU µs/req quiet / attack / quiet": " / ".join(f"{r['cpu_us_per_req']:.0f}" for r in runs),
        "CPU/req ratio (attack / mean quiet)": ratio("cpu_us_per_req"),
        "loop errors under attack": attacked["errors"] + attacked["other_status"],
        "trickle closed: median s": round(statistics.median(seconds), 2) if seconds else None,
        "trickle closed: max s": round(max(seconds), 2) if seconds else None,
        "trickle still open at end": still_open,
        "trickle refused at connect": refused,
        "how trickle ended": hows,
    }


def scenario_abandoned(target, mock):
    time.sleep(0.5)
    idle_fds = target.fds()
    request = chat_request(target.chat_path())
    clients, failed = [], 0
    for _ in range(ABANDONED_CLIENTS):
        try:
            sock = connect(target.port)
            sock.sendall(request)
            clients.append(sock)
        except OSError:
            failed += 1
    waited = time.monotonic()
    arrived = 0
    while time.monotonic() - waited < ABANDONED_ARRIVAL_WAIT_S:
        arrived = mock.stats()["requests"]
        if arrived >= len(clients):
            break
        time.sleep(0.1)
    waited = time.monotonic() - waited
    upstream_during = target.upstreams()
    fds_during = target.fds()
    close_quietly(clients)
    time.sleep(ABANDONED_SETTLE_S)
    return {
        "clients connected": len(clients),
        "client connect/write failures": failed,
        "requests at the mock": arrived,
        "s until they arrived": round(waited, 2),
        "upstream conns while waiting": upstream_during,
        "descriptors over idle while waiting": fds_during - idle_fds,
        f"upstream conns {ABANDONED_SETTLE_S}s after clients left": target.upstreams(),
        f"descriptors over idle {ABANDONED_SETTLE_S}s after": target.fds() - idle_fds,
    }


def scenario_idle_keepalive(target, mock):
    time.sleep(0.5)
    before_kb = target.rss_kb()
    before_fds = target.fds()
    request = target.idle_request()
    conns, statuses, failed = [], {}, 0
    try:
        for _ in range(IDLE_CONNECTIONS):
            try:
                sock = connect(target.port)
                sock.sendall(request)
                status, _, _ = read_response(sock, bytearray(), time.monotonic() + 5)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                conns.append(sock)
            except (OSError, EOFError, ValueError):
                failed += 1
        time.sleep(1)
        open_kb = target.rss_kb()
        open_fds = target.fds()
        upstream_open = target.upstreams()
        still_open = 0
        for sock in conns:
            sock.setblocking(False)  # a peek on a socket with a timeout would wait for it
            try:
                if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                    continue
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
    finally:
        close_quietly(conns)
    time.sleep(1)
    return {
        "RSS before MB": mb(before_kb),
        f"RSS with {IDLE_CONNECTIONS} idle MB": mb(open_kb),
        "RSS per idle connection bytes": round((open_kb - before_kb) * 1024 / IDLE_CONNECTIONS),
        "RSS after closing MB": mb(target.rss_kb()),
        "descriptors over idle while open": open_fds - before_fds,
        "upstream conns while open": upstream_open,
        "connections still open at measurement": still_open,
        "statuses": statuses,
        "connect/request failures": failed,
    }


def scenario_sigterm(target, mock):
    request = chat_request(target.chat_path(), close=True)
    lock = threading.Lock()
    counts = {
        "200 before signal": 0, "200 after signal": 0, "other status": 0,
        "failed before signal": 0, "failed after signal": 0, "write failed": 0,
        "refused after signal": 0, "refused before signal": 0, "other connect errors": 0,
    }  # fmt: skip
    signalled = {"at": None, "first_refusal": None}
    stop = threading.Event()
    hard_stop = time.monotonic() + SIGTERM_AFTER_S + SHUTDOWN_GRACE_S + 10

    def phase():
        return "after signal" if signalled["at"] is not None else "before signal"

    def bump(key):
        with lock:
            counts[key] += 1

    def client():
        while not stop.is_set() and time.monotonic() < hard_stop:
            try:
                sock = connect(target.port, timeout=2)
            except ConnectionRefusedError:
                with lock:
                    counts["refused " + phase()] += 1
                    if signalled["at"] is not None and signalled["first_refusal"] is None:
                        signalled["first_refusal"] = time.monotonic() - signalled["at"]
                time.sleep(0.02)
                continue
            except OSError:
                bump("other connect errors")
                time.sleep(0.02)
                continue
            with sock:
                try:
                    sock.sendall(request)
                except OSError:
                    bump("write failed")
                    continue
                try:
                    status, _, _ = read_response(sock, bytearray(), time.monotonic() + SHUTDOWN_GRACE_S + 5)
                    bump(f"200 {phase()}" if status == 200 else "other status")
                except (OSError, EOFError, ValueError):
                    bump(f"failed {phase()}")

    clients = [threading.Thread(target=client, daemon=True) for _ in range(SIGTERM_THREADS)]
    for c in clients:
        c.start()
    time.sleep(SIGTERM_AFTER_S)
    signalled["at"] = time.monotonic()
    how = target.graceful_stop()
    try:
        target.child.wait(SHUTDOWN_GRACE_S + 5)
        exit_s = round(time.monotonic() - signalled["at"], 3)
    except subprocess.TimeoutExpired:
        exit_s = None
    stop.set()
    for c in clients:
        c.join(5)
    first = signalled["first_refusal"]
    return {
        "signal": how,
        "s to exit": exit_s,
        "exit code": target.child.poll(),
        **counts,
        "s from signal to first refusal": round(first, 3) if first is not None else None,
    }


SCENARIO_RUNS = {
    # name: (function, upstream delay in ms for this scenario)
    "keyless-60mib": (scenario_keyless, 0),
    "slow-headers": (scenario_slow_headers, 0),
    "abandoned": (scenario_abandoned, HANGING_DELAY_MS),
    "idle-keepalive": (scenario_idle_keepalive, 0),
    "sigterm": (scenario_sigterm, SIGTERM_UPSTREAM_DELAY_MS),
}


# ---------------------------------------------------------------------------------------------
# Running and reporting.


def mb(kb):
    return round(kb / 1024, 1)


def loadavg():
    return Path("/proc/loadavg").read_text().strip()


def newest_source_mtime():
    newest, newest_path = 0.0, None
    for name in SOURCE_DIRS + ["Cargo.lock"]:
        path = ROOT / name
        files = [path] if path.is_file() else path.rglob("*")
        for file in files:
            if file.is_file() and (file.suffix in (".rs", ".toml", ".lock")) and "target" not in file.parts:
                mtime = file.stat().st_mtime
                if mtime > newest:
                    newest, newest_path = mtime, file
    return newest, newest_path


def binaries_stale():
    newest, newest_path = newest_source_mtime()
    for binary in BINARIES:
        path = RELEASE_DIR / binary
        if not path.exists() or path.stat().st_mtime < newest:
            return True, str(newest_path.relative_to(ROOT)) if newest_path else None
    return False, None


def git(*args):
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def run_one(name, target_cls, procs, workdir, log_dir):
    function, delay_ms = SCENARIO_RUNS[name]
    label = f"{name}-{target_cls.name}"
    mock = Mock(procs, f"{label}-mock")
    target = None
    try:
        target = target_cls(procs, label, mock.port, delay_ms, workdir)
        return function(target, mock)
    except Exception as error:  # one broken scenario should not lose the others' results
        return {"error": f"{type(error).__name__}: {error}"}
    finally:
        if target is not None:
            procs.stop(target.child)
            if isinstance(target, Nginx):
                target.keep_logs(log_dir)
        procs.stop(mock.child)


def show(value):
    if value is None:
        return "–"
    if isinstance(value, dict):
        return ", ".join(f"{k}×{v}" for k, v in value.items()) or "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def markdown(results):
    meta = results["meta"]
    lines = [
        f"# Hostile clients: corelane vs nginx ({meta['date']}, {meta['host']})",
        "",
        f"corelane {meta['commit']}{' (dirty tree)' if meta['dirty'] else ''}, binary built "
        f"{meta['binary_built']} (sha256 {meta.get('binary_sha256')})"
        f"{' — OLDER THAN THE SOURCES' if meta['binary_stale'] else ''}; "
        f"{meta['nginx']}. Both: header timeout {HEADER_TIMEOUT_S} s, body timeout "
        f"{BODY_TIMEOUT_S} s, keep-alive timeout {KEEPALIVE_TIMEOUT_S} s, shutdown grace "
        f"{SHUTDOWN_GRACE_S} s, one worker. RSS for nginx is master + worker.",
        f"loadavg at start `{meta['loadavg_start']}`, at end `{meta['loadavg_end']}`.",
        "",
        "| scenario | measure | corelane | nginx |",
        "|---|---|---|---|",
    ]
    for name, by_target in results["scenarios"].items():
        measures = []
        for target in ("corelane", "nginx"):
            for key in by_target.get(target, {}):
                if key not in measures and key != "clients":
                    measures.append(key)
        for key in measures:
            row = [show(by_target.get(t, {}).get(key)) for t in ("corelane", "nginx")]
            lines.append(f"| {name} | {key} | {row[0]} | {row[1]} |")
    return "\n".join(lines) + "\n"


def main():
    global bin_dir
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated scenarios: " + ",".join(SCENARIOS))
    parser.add_argument("--skip-nginx", action="store_true", help="run corelane only")
    parser.add_argument("--out", help="output directory (default harness/runs/<date>-hostile/)")
    parser.add_argument("--build", action="store_true",
                        help="cargo build --release -p corelane -p corelane-harness first")  # fmt: skip
    args = parser.parse_args()
    names = SCENARIOS if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIO_RUNS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {SCENARIOS}")

    if args.build:
        subprocess.run(["cargo", "build", "--release", "-p", "corelane", "-p", "corelane-harness"],
                       cwd=ROOT, check=True, timeout=1800)  # fmt: skip
    stale, newer = binaries_stale()
    if stale:
        print(f"warning: target/release binaries are missing or older than {newer}; "
              "results describe the built binary (use --build to rebuild)", file=sys.stderr)  # fmt: skip

    today = datetime.date.today().isoformat()
    out = Path(args.out) if args.out else ROOT / "harness/runs" / f"{today}-hostile"
    log_dir = out / "raw"
    log_dir.mkdir(parents=True, exist_ok=True)
    # 1,000 idle connections plus the proxies' ends need more than the usual 1,024 descriptors.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    nginx_version = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr.strip()
    results = {
        "meta": {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": socket.gethostname(),
            "commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "binary_built": None,
            "binary_stale": stale,
            "nginx": nginx_version.replace("nginx version: ", ""),
            "cpus": os.cpu_count(),
            "loadavg_start": loadavg(),
            "settings": {
                "header_timeout_s": HEADER_TIMEOUT_S, "body_timeout_s": BODY_TIMEOUT_S,
                "keepalive_timeout_s": KEEPALIVE_TIMEOUT_S, "shutdown_grace_s": SHUTDOWN_GRACE_S,
            },
            "command": " ".join([sys.executable, *sys.argv]),
        },
        "scenarios": {},
    }  # fmt: skip
    targets = [Corelane] if args.skip_nginx else [Corelane, Nginx]

    def interrupted(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    procs = Processes(log_dir)
    workdir = Path(tempfile.mkdtemp(prefix="corelane-hostile-"))
    try:
        bin_dir = workdir / "bin"
        bin_dir.mkdir()
        for name in BINARIES:
            shutil.copy2(RELEASE_DIR / name, bin_dir / name)
        corelane = bin_dir / "corelane"
        results["meta"]["binary_built"] = datetime.datetime.fromtimestamp(
            corelane.stat().st_mtime
        ).isoformat(timespec="seconds")
        results["meta"]["binary_sha256"] = hashlib.sha256(corelane.read_bytes()).hexdigest()[:16]
        for name in names:
            results["scenarios"][name] = {}
            for target_cls in targets:
                print(f"[{time.strftime('%H:%M:%S')}] {name} / {target_cls.name} ...", flush=True)
                measured = run_one(name, target_cls, procs, workdir, log_dir)
                results["scenarios"][name][target_cls.name] = measured
                for key, value in measured.items():
                    if key != "clients":
                        print(f"    {key}: {show(value)}", flush=True)
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
        results["meta"]["loadavg_end"] = loadavg()
        (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        table = markdown(results)
        (out / "results.md").write_text(table)
        print()
        print(table)
        print(f"wrote {out / 'results.json'} and {out / 'results.md'}")


if __name__ == "__main__":
    main()
