"""Deeply nested JSON to every place the stack takes a JSON document: each must be refused
with a 4xx, and the stack must still serve afterwards. A recursive parser or scanner without a
depth limit overflows its thread's stack on these, and a stack overflow ends the process."""

import time

from report import Result
from stack import request

DEPTH = 10_000
ROUNDS = 10
TIME_BUDGET = 90.0
COMPONENT = "keboola.ex-db-mysql"


def shapes(depth):
    """(name, document) pairs: as deep as `depth` in arrays, then in objects."""
    return [
        ("arrays", "[" * depth + "]" * depth),
        ("objects", '{"a":' * depth + "1" + "}" * depth),
    ]


def targets(project, config_id):
    """(name, method, path, token?, body for a document) per place a document goes in."""
    encrypt = f"/v2/encryption/encrypt?componentId={COMPONENT}&projectId={project.id}"
    configs = f"/v2/storage/components/{COMPONENT}/configs"
    return [
        ("encrypt", "POST", encrypt, False, lambda doc: doc),
        ("configuration create", "POST", configs, True,
         lambda doc: '{"name":"deep","configuration":{"a":' + doc + "}}"),
        ("state", "PUT", f"{configs}/{config_id}/state", True,
         lambda doc: '{"state":{"a":' + doc + "}}"),
    ]


def send(project, method, path, with_token, body, timeout):
    headers = {"Content-Type": "application/json"}
    if with_token:
        return project.call(method, path, body.encode(), headers, timeout)
    return request(project.server.port, method, path, body.encode(), headers, timeout)


def run(server, project):
    result = Result("deep JSON")
    made = project.must("POST", f"/v2/storage/components/{COMPONENT}/configs",
                        {"name": "deep-json target"})
    config_id = made.json()["id"]
    # The same requests, shallow, must succeed: otherwise a 4xx below proves nothing.
    for name, method, path, with_token, wrap in targets(project, config_id):
        control = send(project, method, path, with_token, wrap(shapes(3)[1][1]), 30)
        result.count(control)
        if control.status is None or not 200 <= control.status < 300:
            result.detail = f"the shallow control request to {name} failed: {control.describe()}"
            return result
    bad = []
    statuses = set()
    deadline = time.monotonic() + TIME_BUDGET
    died = None
    for _ in range(ROUNDS):
        for name, method, path, with_token, wrap in targets(project, config_id):
            for shape, doc in shapes(DEPTH):
                answer = send(project, method, path, with_token, wrap(doc), 30)
                result.count(answer)
                statuses.add(answer.status)
                if answer.status is None or not 400 <= answer.status < 500:
                    bad.append(f"{name} ({shape}): {answer.describe()}")
                if answer.status is None:
                    time.sleep(0.5)  # a process that aborted is reaped a moment later
                if server.exited() is not None:
                    died = f"the server died on {name} ({shape})"
                    break
            if died or time.monotonic() > deadline:
                break
        if died or time.monotonic() > deadline:
            break
    alive = server.healthy(project.token)
    result.held = not bad and alive
    summary = (f"documents nested {DEPTH} deep (arrays, objects) to encrypt, configuration "
               f"create and state, {result.requests - 3} sent (shallow controls answered 2xx); "
               f"statuses {sorted(s for s in statuses if s) or 'none'}")
    if died:
        summary += f"; {died}"
    if bad:
        summary += f"; {len(bad)} not a 4xx, first: {bad[0]}"
    summary += "; GET /v2/storage afterwards: " + ("200" if alive else "no 200")
    result.detail = summary
    return result
