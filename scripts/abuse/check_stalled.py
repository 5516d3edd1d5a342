"""600 stalled uploads in one project while another project keeps working.

Each stalled connection sends an import's headers (a Content-Length of 1 GiB) and one partial
row, then nothing. A stack that gives each request body a thread and no deadline runs out of
threads, and every project waits; the bystander project imports and lists tables all along and
must keep succeeding. How the stalled connections end (dropped by the body idle timeout, 503
from the connection limit, still open when the check gives up) is reported as found.
"""

import asyncio
import collections
import threading
import time

from report import Result, mib, seconds_text
from stack import HOST, RssWatch

STALLED = 600
# How long the stalled connections are held at most; the run sets the body idle timeout to
# 10 s, so a stack that enforces it has dropped them all well before.
HOLD_SECONDS = 40.0
BYSTANDER_TIMEOUT = 10.0
BYSTANDER_MAX_ITERATIONS = 2_000


def bystander(project, table_id, stop, result, failures, latencies):
    """Imports three rows and lists the tables, again and again, until `stop` is set."""
    n = 0
    while not stop.is_set() and n < BYSTANDER_MAX_ITERATIONS:
        n += 1
        body = f"id,v\n1,{n}\n2,{n}\n3,{n}\n".encode()
        for method, path, data, headers in (
            ("POST", f"/v2/storage/tables/{table_id}/import", body, {"Content-Type": "text/csv"}),
            ("GET", "/v2/storage/tables", None, None),
        ):
            answer = project.call(method, path, data, headers, timeout=BYSTANDER_TIMEOUT)
            result.count(answer)
            latencies.append((time.monotonic(), answer.seconds))
            if answer.status != 200:
                failures.append(f"{method} {path.split('?')[0]}: {answer.describe()}")
        stop.wait(0.05)


async def stall_one(port, token, table_id, deadline, opening, ends):
    """Opens one connection, stalls its upload, and records how it ended."""
    started = time.monotonic()
    try:
        async with opening:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 10)
    except (OSError, asyncio.TimeoutError) as e:
        ends.append(("connect failed: " + type(e).__name__, 0.0))
        return None
    head = (
        f"POST /v2/storage/tables/{table_id}/import HTTP/1.1\r\n"
        f"Host: {HOST}:{port}\r\n"
        f"X-StorageApi-Token: {token}\r\n"
        "Content-Type: text/csv\r\n"
        f"Content-Length: {1 << 30}\r\n"
        "\r\n"
        "id,v\n1,partial"
    )
    try:
        writer.write(head.encode())
        await writer.drain()
        sent = time.monotonic()
        data = await asyncio.wait_for(reader.read(200), max(0.1, deadline - time.monotonic()))
        after = time.monotonic() - sent
        if not data:
            ends.append(("closed without an answer", after))
        else:
            status = data.split(b" ", 2)[1].decode(errors="replace") if b" " in data else "?"
            ends.append((f"answered {status}", after))
    except asyncio.TimeoutError:
        ends.append((f"still open after {HOLD_SECONDS:.0f} s", time.monotonic() - started))
    except OSError as e:
        ends.append(("reset: " + type(e).__name__, time.monotonic() - started))
    return writer


async def stall_all(port, token, table_id):
    deadline = time.monotonic() + HOLD_SECONDS
    ends = []
    # Connects go 100 at a time, so the listen backlog never decides the outcome.
    opening = asyncio.Semaphore(100)
    writers = await asyncio.gather(
        *(stall_one(port, token, table_id, deadline, opening, ends) for _ in range(STALLED)))
    for w in writers:
        if w is not None:
            w.close()
    return ends


def run(server, stalled_project, bystander_project):
    result = Result("600 stalled uploads")
    stalled_table = stalled_project.table("stall", "t", ["id", "v"])
    table_id = bystander_project.table("bystander", "t", ["id", "v"], ["id"])
    stop = threading.Event()
    failures, latencies = [], []
    thread = threading.Thread(target=bystander,
                              args=(bystander_project, table_id, stop, result, failures, latencies))
    with RssWatch(server.pid) as rss:
        thread.start()
        time.sleep(2)  # a baseline before the attack
        attack_started = time.monotonic()
        ends = asyncio.run(stall_all(server.port, stalled_project.token, stalled_table))
        attack_ended = time.monotonic()
        time.sleep(3)  # and the stack once they are gone
        stop.set()
        thread.join()
    during = [s for t, s in latencies if attack_started <= t <= attack_ended + BYSTANDER_TIMEOUT]
    before = [s for t, s in latencies if t < attack_started]
    kinds = collections.Counter(kind for kind, _ in ends)
    endings = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
    ended_after = sorted(s for kind, s in ends if not kind.startswith("still open"))
    if ended_after:
        endings += (f" (ended {seconds_text(ended_after[0])} to "
                    f"{seconds_text(ended_after[-1])} after their last byte)")
    result.held = not failures
    result.detail = (
        f"bystander: {len(latencies)} requests, {len(failures)} failed, worst "
        f"{seconds_text(max(during, default=None))} during the attack "
        f"(before it {seconds_text(max(before, default=None))})"
        + (f", first failure: {failures[0]}" if failures else "")
        + f"; stalled connections: {endings}; server peak RSS {mib(rss.peak_kib)}"
    )
    result.bystander_worst = max(during, default=None)
    return result
