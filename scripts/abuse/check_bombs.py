"""Decompression bombs: a gzip import and a snapshot whose chunk is a zstd bomb. Each must be
refused while the server (and for the snapshot, the restoring process) stays within a memory
bound, and the data already stored must stay as it was.

Each part starts from a freshly started server, so its VmHWM (peak resident memory) is the
peak of that part alone. A watchdog kills a process that passes KILL_KIB, so a bomb that works
cannot take the shared machine down; that counts as not held.
"""

import hashlib
import json
import os
import shutil
import subprocess
import time

import bomb_files
from report import Result, mib
from stack import Project, RssWatch, request

BOUND_KIB = 1 << 20  # 1 GiB: what "bounded" means here
KILL_KIB = 3 << 20  # past 3 GiB the bomb has worked; stop it there
GZIP_TIMEOUT = 300.0
RESTORE_TIMEOUT = 300.0


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def gzip_bomb(server, project, cache):
    result = Result("gzip bomb")
    table_id = project.table("bomb", "g", ["a"])
    project.must("POST", f"/v2/storage/tables/{table_id}/import", b"a\nkeep\n",
                 {"Content-Type": "text/csv"})
    path = bomb_files.gzip_bomb(cache, b"a\n")
    bomb_files.check_gzip(path)
    body = open(path, "rb").read()
    server.restart()
    with RssWatch(server.pid, KILL_KIB) as rss:
        answer = request(server.port, "POST", f"/v2/storage/tables/{table_id}/import", body,
                         project.headers({"Content-Type": "text/csv", "Content-Encoding": "gzip"}),
                         timeout=GZIP_TIMEOUT)
    result.count(answer)
    if rss.killed_at_kib:
        server.process.wait(30)  # reaped before anything asks whether it is alive
    hwm = server.hwm_kib() if server.exited() is None else rss.peak_kib
    killed = rss.killed_at_kib
    if server.exited() is not None:
        server.start()
    rows = project.export_rows(table_id)
    intact = rows == ['"keep"']
    refused = answer.status is not None and 400 <= answer.status < 500
    result.held = refused and not killed and hwm is not None and hwm < BOUND_KIB and intact
    result.detail = (
        f"{len(body) / 1e6:.1f} MB of gzip expanding to {bomb_files.EXPANDED >> 30} GiB of 'a' "
        f"with no newline: {answer.describe()}; server peak RSS {mib(hwm)} "
        f"(bound {mib(BOUND_KIB)})"
        + (f", killed by the watchdog at {mib(killed)}" if killed else "")
        + "; the table's row " + ("intact" if intact else f"changed: {rows[:3]}")
    )
    result.peak_kib = hwm
    return result


def tamper(good, bomb, table_id):
    """Copies the snapshot `good` to `bomb` and replaces `table_id`'s one chunk with a zstd
    bomb. The manifest and the table entry are made to tell the truth about it (sizes, hashes,
    one row of 3 GiB), so only a limit on what a value or an import may hold can stop it."""
    shutil.copytree(good, bomb)
    tables_path = os.path.join(bomb, "storage", "tables.json")
    tables = json.load(open(tables_path))
    entry = next(t for t in tables if t["table"]["id"] == table_id)
    data = entry["data"]
    chunk = data["chunks"][0]
    header = ",".join(f'"{c}"' for c in entry["table"]["columns"]).encode() + b"\n"
    old_chunk_bytes = os.path.getsize(os.path.join(bomb, chunk["path"]))
    rows_sha = bomb_files.zstd_bomb(os.path.join(bomb, chunk["path"]), header)
    old_data_bytes = data["bytes"]
    chunk.update(rows=1, bytes=bomb_files.EXPANDED)
    data.update(rows=1, bytes=bomb_files.EXPANDED, sha256=rows_sha)
    with open(tables_path, "w") as f:
        json.dump(tables, f, sort_keys=True, indent=2)
    manifest_path = os.path.join(bomb, "manifest.json")
    manifest = json.load(open(manifest_path))
    for f in manifest["files"]:
        if f["path"] in (chunk["path"], "storage/tables.json"):
            full = os.path.join(bomb, f["path"])
            f.update(bytes=os.path.getsize(full), sha256=sha256_file(full))
    inventory = manifest["inventory"]
    inventory["dataBytes"] += bomb_files.EXPANDED - old_data_bytes
    inventory["storedBytes"] += os.path.getsize(os.path.join(bomb, chunk["path"])) - old_chunk_bytes
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, sort_keys=True, indent=2)
    return os.path.getsize(os.path.join(bomb, chunk["path"]))


def wait_with_rusage(process, timeout):
    """Waits for `process`; returns (exit status, peak RSS in KiB from the kernel's rusage)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage.ru_maxrss
        if time.monotonic() > deadline:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            return None, usage.ru_maxrss
        time.sleep(0.05)


def zstd_bomb(server, binary, work):
    result = Result("zstd bomb (restore)")
    source = Project.create(server, binary, "abuse-snapshot-source")
    table_id = source.table("bomb", "z", ["a"])
    source.must("POST", f"/v2/storage/tables/{table_id}/import", b"a\nx\n",
                {"Content-Type": "text/csv"})
    good, bomb = os.path.join(work, "snap-good"), os.path.join(work, "snap-bomb")
    env = dict(os.environ, STACKPORT_SOURCE_TOKEN=source.token)
    made = subprocess.run([binary, "snapshot", "create", "--source", server.url, "--out", good,
                           "--json"], env=env, capture_output=True, timeout=120)
    if made.returncode != 0:
        raise RuntimeError(f"snapshot create failed: {made.stderr.decode()[-400:]}")
    chunk_bytes = tamper(good, bomb, table_id)
    server.restart()
    dest = Project.create(server, binary, "abuse-snapshot-dest")
    env = dict(os.environ, STACKPORT_DEST_TOKEN=dest.token)
    events_path, errors_path = (os.path.join(work, f"restore.{n}") for n in ("jsonl", "err"))
    with open(events_path, "wb") as events, open(errors_path, "wb") as errors:
        started = time.monotonic()
        process = subprocess.Popen(
            [binary, "snapshot", "restore", bomb, "--dest", server.url,
             "--work", os.path.join(work, "restore-work"), "--json"],
            env=env, stdout=events, stderr=errors, stdin=subprocess.DEVNULL)
        with RssWatch(server.pid, KILL_KIB) as server_rss, RssWatch(process.pid, KILL_KIB) as own:
            code, restore_peak = wait_with_rusage(process, RESTORE_TIMEOUT)
        seconds = time.monotonic() - started
    result.requests = 1
    result.latency(seconds)
    if server_rss.killed_at_kib:
        server.process.wait(30)
    server_hwm = server.hwm_kib() if server.exited() is None else server_rss.peak_kib
    killed = [n for n, w in (("server", server_rss), ("restore", own)) if w.killed_at_kib]
    if server.exited() is not None:
        server.start()
    tables = dest.must("GET", "/v2/storage/tables").json()
    loaded = sum(t.get("rowsCount") or 0 for t in tables)
    said = open(errors_path, "rb").read().decode(errors="replace").strip().splitlines()
    last = said[-1] if said else "nothing on stderr"
    # The cause comes last in the error's chain of contexts.
    last = last if len(last) <= 300 else "…" + last[-300:]
    refused = code not in (0, None)
    result.held = (refused and not killed and restore_peak < BOUND_KIB
                   and server_hwm is not None and server_hwm < BOUND_KIB and loaded == 0)
    outcome = ("timed out" if code is None else
               f"exit {code}" + (", refused" if refused else ", restored"))
    result.detail = (
        f"a {chunk_bytes / 1e3:.0f} kB chunk expanding to {bomb_files.EXPANDED >> 30} GiB, manifest "
        f"truthful: restore {outcome} in {seconds:.1f} s ({last}); peak RSS restore "
        f"{mib(restore_peak)}, server {mib(server_hwm)} (bound {mib(BOUND_KIB)})"
        + (f"; killed by the watchdog: {', '.join(killed)}" if killed else "")
        + f"; rows loaded into the destination: {loaded}"
    )
    result.restore_peak_kib = restore_peak
    result.peak_kib = server_hwm
    return result
