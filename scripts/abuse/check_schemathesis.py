"""Schemathesis against the stack's own `/v2/openapi.json`, as a project's master token: every
operation gets generated requests, valid and not, and none may be answered with a 5xx.

Operations that start jobs are left out: a job runs component programs, and a generated
configuration could send one to any address, while this run talks to 127.0.0.1 only.
"""

import json
import os
import re
import subprocess
import time

from report import Result, seconds_text
from stack import request

MAX_EXAMPLES = 15
MAX_TIME = 150
EXCLUDED = [
    "POST /v2/queue/jobs",
    "POST /v2/orchestrations",
    "PUT /v2/orchestrations/{id}",
]


def operations(server):
    """(method, template, regex) of every operation the stack describes; fixed paths first,
    so that `/v2/storage/tables/{id}` does not claim `/v2/storage/tables/{id}/export`."""
    spec = request(server.port, "GET", "/v2/openapi.json").json()
    ops = []
    for template, methods in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")
        for method in methods:
            ops.append((method.upper(), template, pattern))
    ops.sort(key=lambda op: op[1].count("{"))
    return ops


def operation_of(ops, method, path):
    for m, template, pattern in ops:
        if m == method and pattern.match(path):
            return f"{m} {template}"
    return f"{method} {path}"


def har_entries(path):
    with open(path) as f:
        return json.load(f)["log"]["entries"]


def run(server, project, st, work):
    result = Result("schemathesis")
    har = os.path.join(work, "schemathesis.har")
    command = [
        st, "run", f"{server.url}/v2/openapi.json",
        "--header", f"X-StorageApi-Token: {project.token}",
        "--checks", "not_a_server_error",
        "--max-examples", str(MAX_EXAMPLES),
        "--max-time", str(MAX_TIME),
        "--request-timeout", "30",
        "--workers", "2",
        "--seed", "12",
        "--generation-database", "none",
        "--no-color",
        "--report", "har", "--report-har-path", har,
    ]
    for name in EXCLUDED:
        command += ["--exclude-name", name]
    started = time.monotonic()
    # The token is on st's command line: a local process of this run, for a throw-away stack.
    out = subprocess.run(command, capture_output=True, timeout=MAX_TIME + 120, cwd=work)
    seconds = time.monotonic() - started
    output = out.stdout.decode(errors="replace")
    with open(os.path.join(work, "schemathesis.log"), "w") as f:
        f.write(output + out.stderr.decode(errors="replace"))
    if not os.path.exists(har):
        raise RuntimeError(f"schemathesis wrote no report (exit {out.returncode}): "
                           f"{(output + out.stderr.decode(errors='replace'))[-600:]}")
    entries = har_entries(har)
    # The report holds the token in its request headers: it goes as soon as it is counted.
    os.remove(har)
    ops = operations(server)
    five_xx = {}
    no_answer = 0
    slowest = (0.0, None)
    for e in entries:
        status = e["response"]["status"]
        result.requests += 1
        took = max(0.0, e.get("time", 0) / 1000.0)
        result.latency(took)
        if took > slowest[0]:
            slowest = (took, e["request"])
        if status >= 500:
            result.five_xx += 1
            path = e["request"]["url"].split("?")[0].replace(server.url, "")
            op = operation_of(ops, e["request"]["method"], path)
            five_xx[op] = five_xx.get(op, 0) + 1
        elif status <= 0:
            no_answer += 1
    alive = server.healthy(project.token)
    result.held = result.five_xx == 0 and no_answer == 0 and alive
    summary = (f"{result.requests} requests in {seconds:.0f} s (--max-examples {MAX_EXAMPLES}, "
               f"--max-time {MAX_TIME}; jobs and orchestration writes left out)")
    if slowest[1]:
        path = slowest[1]["url"].split("?")[0].replace(server.url, "")
        summary += (f"; slowest {operation_of(ops, slowest[1]['method'], path)} "
                    f"({seconds_text(slowest[0])}, as schemathesis timed it)")
    if five_xx:
        worst = sorted(five_xx.items(), key=lambda kv: -kv[1])
        summary += (f"; 5xx from {len(five_xx)} operations: "
                    + ", ".join(f"{op} ({n})" for op, n in worst[:5])
                    + (", …" if len(worst) > 5 else ""))
    if no_answer:
        summary += f"; {no_answer} requests got no answer"
    summary += "; the stack " + ("still serves" if alive else "no longer serves")
    result.detail = summary
    return result
