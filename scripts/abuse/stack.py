"""The stack under attack: its server process, its projects, and plain HTTP to it.

The checks own the server's lifecycle because an attack may take it down (a stack overflow, a
memory watchdog's kill): the next check then starts it again and says so, instead of every
later check failing for the first one's reason.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time

HOST = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Answer:
    """One HTTP answer, or the reason there was none (`status` is then None)."""

    def __init__(self, status, body, seconds, error=None):
        self.status = status
        self.body = body
        self.seconds = seconds
        self.error = error

    def json(self):
        return json.loads(self.body)

    def describe(self):
        if self.status is None:
            return f"no answer ({self.error})"
        try:
            err = json.loads(self.body)
            text = f"{err['code']}: {err['error']}"
        except (ValueError, KeyError, TypeError):
            text = self.body.decode("utf-8", "replace")
        return f"{self.status} {text if len(text) <= 300 else text[:300] + '…'}"


def request(port, method, path, body=None, headers=None, timeout=30.0):
    """Sends one request on a new connection; never raises for a network failure."""
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return Answer(response.status, data, time.monotonic() - started)
    except (OSError, http.client.HTTPException) as e:
        return Answer(None, b"", time.monotonic() - started, f"{type(e).__name__}: {e}")
    finally:
        conn.close()


def vm_kib(pid, field):
    """VmRSS or VmHWM of a process in KiB, None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class RssWatch:
    """Samples a process's VmRSS every 50 ms; kills it past `kill_kib` so that a memory bomb
    that works cannot take the machine (shared with others) down with it."""

    def __init__(self, pid, kill_kib=None):
        self.pid = pid
        self.kill_kib = kill_kib
        self.peak_kib = 0
        self.killed_at_kib = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            rss = vm_kib(self.pid, "VmRSS")
            if rss is not None:
                self.peak_kib = max(self.peak_kib, rss)
                if self.kill_kib and rss > self.kill_kib and self.killed_at_kib is None:
                    self.killed_at_kib = rss
                    try:
                        os.kill(self.pid, signal.SIGKILL)
                    except OSError:
                        pass
            self._stop.wait(0.05)


class Server:
    """`stackport serve` on a free loopback port, started again on demand."""

    def __init__(self, binary, data, log_path, pidfile):
        self.binary = binary
        self.data = data
        self.log_path = log_path
        self.pidfile = pidfile
        self.process = None
        self.port = None
        self.starts = 0
        self.log_offset = 0

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self):
        return self.process.pid

    def start(self):
        self.port = free_port()
        log = open(self.log_path, "ab")
        self.log_offset = log.tell()
        # The manage token comes from the environment (abuse.sh), never a command line.
        self.process = subprocess.Popen(
            [self.binary, "serve", "--data", self.data, "--listen", f"{HOST}:{self.port}"],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            env=dict(os.environ, NO_COLOR="1"),
        )
        log.close()
        with open(self.pidfile, "w") as f:
            f.write(str(self.process.pid))
        self.starts += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"stackport serve exited with {self.process.returncode}; see {self.log_path}"
                )
            if request(self.port, "GET", "/v2/openapi.json", timeout=2).status == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"stackport serve did not answer within 60 s; see {self.log_path}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self):
        """A fresh process, so that its VmHWM is the peak of what follows alone."""
        self.stop()
        self.start()

    def exited(self):
        """The exit status (negative: the signal) once the process has ended, else None."""
        return self.process.poll()

    def healthy(self, token):
        """Alive and serving a token's request."""
        if self.exited() is not None:
            return False
        return request(self.port, "GET", "/v2/storage", headers={"X-StorageApi-Token": token},
                       timeout=10).status == 200

    def ensure_up(self, token):
        """Starts the server again when an earlier check left it dead or wedged; returns what
        was wrong with it, or None."""
        if self.process is None:
            self.start()
            return None
        code = self.exited()
        if code is None and self.healthy(token):
            return None
        why = f"exited with {describe_exit(code)}" if code is not None else "stopped answering"
        words = self.last_words()
        if words:
            why += f" ({words})"
        self.stop()
        self.start()
        return why

    def last_words(self):
        """What the current process's log says about why it died (a panic, a stack overflow,
        a failed allocation), or None."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_offset)
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return None
        telling = [line.strip() for line in lines
                   if "overflowed its stack" in line or "panicked" in line
                   or "memory allocation" in line or "fatal runtime error" in line]
        return telling[0][:200] if telling else None

    def hwm_kib(self):
        return vm_kib(self.pid, "VmHWM")


def describe_exit(code):
    if code is None:
        return "nothing yet"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"status {code}"


class Project:
    """A project made with `stackport project create --json`, with helpers for its Storage."""

    def __init__(self, server, pid, token, name):
        self.server = server
        self.id = pid
        self.token = token
        self.name = name

    @classmethod
    def create(cls, server, binary, name):
        out = subprocess.run(
            [binary, "project", "create", "--url", server.url, "--name", name, "--json"],
            capture_output=True,
            check=False,
            timeout=60,
        )
        if out.returncode != 0:
            raise RuntimeError(f"project create {name} failed: {out.stderr.decode()}")
        made = json.loads(out.stdout)
        return cls(server, made["id"], made["token"], name)

    def headers(self, extra=None):
        h = {"X-StorageApi-Token": self.token}
        h.update(extra or {})
        return h

    def call(self, method, path, body=None, headers=None, timeout=30.0):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        return request(self.server.port, method, path, body, self.headers(headers), timeout)

    def must(self, method, path, body=None, headers=None, timeout=60.0):
        """A setup step: anything but a 2xx stops the check with the answer."""
        answer = self.call(method, path, body, headers, timeout)
        if answer.status is None or not 200 <= answer.status < 300:
            raise RuntimeError(f"{method} {path} as project {self.name}: {answer.describe()}")
        return answer

    def table(self, bucket, name, columns, primary_key=()):
        """`in.c-<bucket>.<name>`, made if missing."""
        bucket_id = f"in.c-{bucket}"
        if self.call("GET", f"/v2/storage/buckets/{bucket_id}").status == 404:
            self.must("POST", "/v2/storage/buckets", {"name": bucket, "stage": "in"})
        table_id = f"{bucket_id}.{name}"
        if self.call("GET", f"/v2/storage/tables/{table_id}").status == 404:
            self.must("POST", f"/v2/storage/buckets/{bucket_id}/tables",
                      {"name": name, "columns": list(columns), "primaryKey": list(primary_key)})
        return table_id

    def export_rows(self, table_id):
        """The table's rows as exported (header dropped), or raises."""
        answer = self.must("GET", f"/v2/storage/tables/{table_id}/export", timeout=120)
        lines = answer.body.decode().splitlines()
        return lines[1:]
