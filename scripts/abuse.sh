#!/usr/bin/env bash
# A bounded attack run against a real stack on 127.0.0.1, printing a table of what held
# (docs/reliability.md says what each check does and keeps the figures of the last run):
#   scripts/abuse.sh                 # every check, about 3 minutes once built
#   scripts/abuse.sh deep-json bombs # only the checks named (schemathesis, deep-json,
#                                    # stalled-uploads, bombs, retries)
# Exits 0 when every check held, 1 when one did not, 2 when the run itself could not be done.
# Builds the release binary, installs schemathesis and zstandard into a venv under target/,
# makes a throw-away stack in a temp dir and removes it at the end (ABUSE_KEEP=1 keeps it, with
# the server's log). Nothing is sent anywhere but 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target="${CARGO_TARGET_DIR:-$root/target}"

die() {
    echo "abuse.sh: $*" >&2
    exit 2
}

for tool in cargo python3; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH; install it and run again"
done

# The checks open 600 client sockets and the server as many: raise the soft limit to what
# the hard limit allows, and say so when that is too little.
want_fds=4096
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$want_fds" ]; then
    ulimit -n "$(ulimit -Hn)"
    echo "abuse.sh: the open-file limit is $(ulimit -n) (hard); the stalled-upload check needs about 1,300" >&2
else
    ulimit -n "$want_fds"
fi

# A venv needs Debian's python3-venv where python3 is the system's.
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "abuse.sh: installing python3-venv" >&2
        (apt-get install -y python3-venv || (apt-get update && apt-get install -y python3-venv)) >/dev/null \
            || die "cannot install python3-venv"
    else
        die "python3 cannot make a venv: install python3-venv (as root: apt-get install python3-venv)"
    fi
fi

# The venv is kept between runs; it is made again when its requirements change.
venv="$target/abuse-venv"
requirements="$root/scripts/abuse/requirements.txt"
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
    echo "abuse.sh: setting up $venv (schemathesis, zstandard)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" \
        || die "cannot install $requirements from PyPI"
    cp "$requirements" "$venv/requirements.txt"
fi
[ -x "$venv/bin/st" ] || die "$venv has no 'st' (schemathesis); remove $venv and run again"

echo "abuse.sh: building the release binary" >&2
cargo build --release --locked -p stackport >&2 || die "the release build failed"
bin="$target/release/stackport"

work=$(mktemp -d "${TMPDIR:-/tmp}/stackport-abuse.XXXXXX")
pidfile="$work/server.pid"
cleanup() {
    # The checks start and restart the server; whatever server is running now is the last one.
    if [ -s "$pidfile" ]; then
        kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
        sleep 1
        kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
    fi
    if [ "${ABUSE_KEEP:-0}" = 1 ]; then
        echo "abuse.sh: kept $work (server log: $work/server.log)" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A strong manage token, only ever in this process's environment: 40 random characters.
STACKPORT_MANAGE_TOKEN=$(python3 -c 'import secrets, string
print("".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40)))')
export STACKPORT_MANAGE_TOKEN

"$bin" stack init "$work/data" --name abuse --url http://127.0.0.1 --ip 127.0.0.1 >&2 \
    || die "stackport stack init failed"
# Tuned for the run: stalled bodies are dropped after 10 s instead of 30, so the stalled-upload
# check sees them end within its bounded wait. Every other limit keeps its default.
"$venv/bin/python" - "$work/data/stack.json" <<'EOF'
import json, sys
path = sys.argv[1]
settings = json.load(open(path))
settings.setdefault("limits", {})["bodyIdleTimeoutSeconds"] = 10
json.dump(settings, open(path, "w"), indent=2)
EOF

export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in scripts/abuse
# No exec: the trap must run after the checks to stop the server and remove the temp dir.
# Each check bounds itself; the timeout is the backstop should one of them not.
status=0
timeout --foreground 1200 "$venv/bin/python" "$root/scripts/abuse/main.py" \
    --bin "$bin" --data "$work/data" --work "$work" --pidfile "$pidfile" \
    --st "$venv/bin/st" --cache "$target/abuse-cache" "$@" || status=$?
if [ "$status" = 124 ]; then
    echo "abuse.sh: the checks did not finish within 20 minutes; stopped" >&2
    status=2
fi
exit "$status"
