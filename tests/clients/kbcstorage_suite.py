"""Drives a stack with the reference platform's official Python client, `kbcstorage` 0.12, as a user would.

Usage: STACK_URL=http://127.0.0.1:8701 STACK_TOKEN=<a project's master token> python kbcstorage_suite.py

Every public method of every endpoint reachable from `kbcstorage.client.Client` is called at least once by
some case, with the assertions a user of that method would make. Each case names the methods it covers; the
last case fails if the installed client has a public method no case covers, so a new client version cannot
grow the surface unnoticed, and a case that passes without calling a method it names fails, so the names
stay true. The client is used unchanged: the only thing added is a recorder around each public method that
notes the calls made from the cases (kbcsuite/surface.py). Each case prints `PASS name` or `FAIL name: reason`, the run goes on after a failure, and the closing
line is `N passed, N failed` (exit code 1 when any failed).

The client retries every 5xx for about 17 minutes and polls jobs without end, so each case runs in a thread
with a deadline (CASE_TIMEOUT_SECONDS, default 180): one that outlives it is reported as a FAIL naming it.
"""
import os
import shutil
import sys
import tempfile
import threading

from kbcstorage.client import Client

from kbcsuite import surface
from kbcsuite.report import reason
from kbcsuite.support import CASES, Ctx

CASE_TIMEOUT = float(os.environ.get("CASE_TIMEOUT_SECONDS", "180"))


def coverage_case(ctx):
    covered = set().union(*(covers for _, covers, _ in CASES))
    missing = sorted(surface.SURFACE - covered)
    assert not missing, "public methods of kbcstorage no case calls: {}".format(", ".join(missing))
    unknown = sorted(covered - surface.SURFACE)
    assert not unknown, "cases name methods kbcstorage does not have: {}".format(", ".join(unknown))


def run_case(fn, covers, ctx):
    """Runs fn(ctx) in a daemon thread; returns None, an exception, or 'timeout'."""
    outcome = {}
    called = set()

    def body():
        surface.CALLS.called = called
        try:
            fn(ctx)
        except BaseException as e:  # noqa: B902 - every failure of a case is reported, none ends the run
            outcome["error"] = e

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(CASE_TIMEOUT)
    if thread.is_alive():
        return "timeout"
    if "error" not in outcome and not covers <= called:
        return AssertionError("passed without calling {}".format(", ".join(sorted(covers - called))))
    return outcome.get("error")


def main():
    url, token = os.environ.get("STACK_URL"), os.environ.get("STACK_TOKEN")
    if not url or not token:
        print("set STACK_URL (the stack's URL) and STACK_TOKEN (a project's master token)", file=sys.stderr)
        return 2
    client = Client(url, token)
    surface.record_calls(surface.endpoint_classes(client))
    work = tempfile.mkdtemp(prefix="kbcstorage-suite-")
    # The client writes the slices of a sliced download to the working directory.
    os.chdir(work)
    ctx = Ctx(client, work)
    passed = failed = 0
    for name, covers, fn in CASES + [("every public method of kbcstorage is called", set(), coverage_case)]:
        error = run_case(fn, covers, ctx)
        if error is None:
            passed += 1
            print("PASS {}".format(name), flush=True)
        else:
            failed += 1
            why = ("no answer within {:.0f} s (the client retries 5xx for ~17 minutes and polls jobs without "
                   "end)".format(CASE_TIMEOUT) if error == "timeout" else reason(error))
            print("FAIL {}: {}".format(name, why), flush=True)
    print("{} passed, {} failed".format(passed, failed), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # A case that outlived its deadline may still be waiting on the stack; do not wait for it.
    os._exit(code)
