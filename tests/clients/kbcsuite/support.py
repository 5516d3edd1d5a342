"""What the cases share: the registry, the fixtures they make through the client, CSV bytes."""
import csv
import hashlib
import io
import itertools
import os

import requests

from .report import error_message

# Over azure-storage-blob's default max_single_put_size (64 MiB), which kbcstorage's upload_file does not let
# a caller lower, so the SDK uploads it as Put Block + Put Block List; not a multiple of its 4 MiB blocks.
BIG_FILE_BYTES = 64 * 1024 * 1024 + 1024 * 1024 + 7
CONFIG_COMPONENT = "keboola.ex-http"
# A component the stack runs: on the reference a trigger usually runs a flow (a keboola.orchestrator
# configuration), which this stack stores but runs only as an orchestration (docs/api.md, Triggers).
TRIGGER_COMPONENT = "keboola.sqlite-transformation"

COUNTER = itertools.count(1)


def unique(prefix):
    return "{}{}_{}".format(prefix, os.getpid() % 10000, next(COUNTER))


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def rows_csv(header, rows):
    """The bytes of a CSV as the stack exports one: every value quoted, quotes doubled, LF after each row."""
    out = io.StringIO()
    for row in ([header] if header else []) + rows:
        out.write(",".join('"{}"'.format(v.replace('"', '""')) for v in row) + "\n")
    return out.getvalue().encode("utf-8")


def parse_csv(data):
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return list(csv.reader(io.StringIO(text, newline="")))


def expect_status(status, fn, *args, **kwargs):
    """Calls fn and expects it to fail with HTTP `status`."""
    try:
        fn(*args, **kwargs)
    except requests.HTTPError as e:
        got = e.response.status_code
        assert got == status, "expected HTTP {} from {}, got {}: {}".format(
            status, fn.__name__, got, error_message(e.response))
        return
    raise AssertionError("expected HTTP {} from {}, but it succeeded".format(status, fn.__name__))


class Ctx:
    def __init__(self, client, work):
        self.c = client
        self.work = work

    def path(self, name):
        return os.path.join(self.work, name)

    def bucket(self, prefix="b"):
        return self.c.buckets.create(unique(prefix))["id"]

    def table(self, header, rows, primary_key=None, name=None):
        """A new table in a new bucket, created by tables.create from a CSV of header + rows."""
        bucket = self.bucket()
        src = write(self.path(unique("src") + ".csv"), rows_csv(header, rows))
        return self.c.tables.create(bucket, name or unique("t"), src, primary_key=primary_key)

    def export(self, table_id, **kwargs):
        out = self.path(unique("export"))
        os.mkdir(out)
        return read(self.c.tables.export_to_file(table_id, out, **kwargs))

    def config(self, name="cfg", configuration=None):
        return self.c.configurations.create(CONFIG_COMPONENT, name, configuration=configuration or {})["id"]

    def workspace(self):
        return self.c.workspaces.create()


CASES = []


def case(name, covers):
    """Registers a case and the client methods ("Class.method ...") it exists to call."""
    def register(fn):
        CASES.append((name, set(covers.split()), fn))
        return fn
    return register


HEADER = ["id", "name", "city"]
ROWS = [
    ["1", "Ann", "Prague"],
    ["2", 'Bob "the" Builder', "Brno"],
    ["3", "Čeněk, Jr.", "Prague"],
    ["4", "multi\nline", "Ostrava"],
]


def fail(message):
    raise AssertionError(message)
