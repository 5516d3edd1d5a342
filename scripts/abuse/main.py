"""The checks of scripts/abuse.sh, in order, against one throw-away stack; prints the table.

Exit status: 0 every check held, 1 at least one did not, 2 the run itself failed (a setup step,
a tool) so nothing can be said about the stack.
"""

import argparse
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import check_bombs  # noqa: E402
import check_deep_json  # noqa: E402
import check_retries  # noqa: E402
import check_schemathesis  # noqa: E402
import check_stalled  # noqa: E402
from report import Result, table  # noqa: E402
from stack import Project, Server, describe_exit  # noqa: E402

CHECKS = ["schemathesis", "deep-json", "retries", "stalled-uploads", "bombs"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bin", required=True, help="the stackport binary")
    p.add_argument("--data", required=True, help="the stack's data dir (stack init done)")
    p.add_argument("--work", required=True, help="a temp dir for logs and snapshots")
    p.add_argument("--pidfile", required=True, help="where the running server's pid is kept")
    p.add_argument("--st", required=True, help="schemathesis' st")
    p.add_argument("--cache", required=True, help="where generated bombs are kept between runs")
    p.add_argument("checks", nargs="*", help=f"only these of {', '.join(CHECKS)} (default: all)")
    args = p.parse_args()
    unknown = [c for c in args.checks if c not in CHECKS]
    if unknown:
        p.error(f"no check named {', '.join(unknown)}; the checks are {', '.join(CHECKS)}")
    return args


def guarded(name, server, token, check):
    """Runs one check on a serving stack; a failure of the run itself is reported, not
    raised, so the other checks still run. Returns (result, the run failed)."""
    revived = server.ensure_up(token)
    started = time.monotonic()
    print(f"-- {name} ...", file=sys.stderr, flush=True)
    try:
        result = check()
        failed = False
    except Exception as e:  # the check could not be carried out: say so and go on
        traceback.print_exc(file=sys.stderr)
        result = Result(name)
        result.detail = f"the check could not run: {type(e).__name__}: {e}"
        failed = True
    if revived:
        result.note(f"the server had {revived} after the previous check and was started again")
    code = server.exited()
    if code is not None:
        result.held = False
        words = server.last_words()
        result.note(f"the server died during this check ({describe_exit(code)}"
                    + (f": {words})" if words else ")"))
    print(f"   {name}: {'held' if result.held else 'DID NOT HOLD'} "
          f"({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    return result, failed


def main():
    args = parse_args()
    wanted = args.checks or CHECKS
    server = Server(args.bin, args.data, os.path.join(args.work, "server.log"), args.pidfile)
    server.start()
    projects = {name: Project.create(server, args.bin, f"abuse-{name}")
                for name in ("fuzz", "deep", "retry", "stalled", "bystander", "bomb")}
    token = projects["bystander"].token
    plan = {
        "schemathesis": lambda: check_schemathesis.run(server, projects["fuzz"], args.st,
                                                       args.work),
        "deep-json": lambda: check_deep_json.run(server, projects["deep"]),
        "retries": lambda: check_retries.run(server, projects["retry"]),
        "stalled-uploads": lambda: check_stalled.run(server, projects["stalled"],
                                                     projects["bystander"]),
        "bombs": None,
    }
    results, run_failed = [], False
    started = time.monotonic()
    for name in CHECKS:
        if name not in wanted:
            continue
        if name == "bombs":
            parts = [("gzip bomb", lambda: check_bombs.gzip_bomb(server, projects["bomb"],
                                                                   args.cache)),
                     ("zstd bomb", lambda: check_bombs.zstd_bomb(server, args.bin, args.work))]
        else:
            parts = [(name, plan[name])]
        for part, check in parts:
            result, failed = guarded(part, server, token, check)
            results.append(result)
            run_failed |= failed
    server.stop()
    print()
    print(f"stackport abuse run: {len(results)} checks in {time.monotonic() - started:.0f} s, "
          f"server started {server.starts} time(s)")
    print(table(results))
    if run_failed:
        return 2
    return 0 if all(r.held for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
