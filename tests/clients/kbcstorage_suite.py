"""Drives a stack with the reference platform's official Python client, `kbcstorage` 0.12, as a user would.

Usage: STACK_URL=http://127.0.0.1:8701 STACK_TOKEN=<a project's master token> python kbcstorage_suite.py

Every public method of every endpoint reachable from `kbcstorage.client.Client` is called at least once by
some case, with the assertions a user of that method would make. Each case names the methods it covers; the
last case fails if the installed client has a public method no case covers, so a new client version cannot
grow the surface unnoticed, and a case that passes without calling a method it names fails, so the names
stay true. The client is used unchanged: the only thing added is a recorder around each public method that
notes the calls made from this file. Each case prints `PASS name` or `FAIL name: reason`, the run goes on after a failure, and the closing
line is `N passed, N failed` (exit code 1 when any failed).

The client retries every 5xx for about 17 minutes and polls jobs without end, so each case runs in a thread
with a deadline (CASE_TIMEOUT_SECONDS, default 180): one that outlives it is reported as a FAIL naming it.
"""
import csv
import functools
import gzip
import hashlib
import inspect
import io
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import traceback

import requests
from azure.core.exceptions import AzureError, HttpResponseError
from azure.storage.blob import BlobServiceClient
from kbcstorage.base import Endpoint
from kbcstorage.client import Client

SUITE_FILE = os.path.abspath(__file__)
CASE_TIMEOUT = float(os.environ.get("CASE_TIMEOUT_SECONDS", "180"))
# Over azure-storage-blob's default max_single_put_size (64 MiB), which kbcstorage's upload_file does not let
# a caller lower, so the SDK uploads it as Put Block + Put Block List; not a multiple of its 4 MiB blocks.
BIG_FILE_BYTES = 64 * 1024 * 1024 + 1024 * 1024 + 7
CONFIG_COMPONENT = "keboola.ex-http"
TRIGGER_COMPONENT = "keboola.orchestrator"

# --- which public methods the suite called -----------------------------------------------------------------

SURFACE = set()  # "Class.method" of every public method of the installed client
# The methods the case running in this thread called from this file; per thread, so that a case that
# outlived its deadline and still runs cannot count for the next one.
CALLS = threading.local()


def endpoint_classes(client):
    """Every Endpoint class reachable from a Client's attributes (tables.metadata, configurations.metadata)."""
    found, todo = {}, [client]
    while todo:
        obj = todo.pop()
        for value in vars(obj).values():
            if isinstance(value, Endpoint) and type(value).__name__ not in found:
                found[type(value).__name__] = type(value)
                todo.append(value)
    return found


def public_methods(cls):
    for name, raw in inspect.getmembers(cls):
        if name.startswith("_") or isinstance(inspect.getattr_static(cls, name), property):
            continue
        if callable(raw):
            yield name


def record_calls(classes):
    """Wraps each public method so that a call made from this file is noted; behaviour is unchanged."""
    for cls in classes.values():
        for name in public_methods(cls):
            key = "{}.{}".format(cls.__name__, name)
            SURFACE.add(key)
            static = inspect.getattr_static(cls, name)
            inner = static.__func__ if isinstance(static, staticmethod) else static

            def wrapper(*args, __inner=inner, __key=key, **kwargs):
                if os.path.abspath(sys._getframe(1).f_code.co_filename) == SUITE_FILE:
                    getattr(CALLS, "called", set()).add(__key)
                return __inner(*args, **kwargs)

            wrapper = functools.wraps(inner)(wrapper)
            setattr(cls, name, staticmethod(wrapper) if isinstance(static, staticmethod) else wrapper)


# --- helpers -----------------------------------------------------------------------------------------------

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


def error_message(response):
    try:
        body = response.json()
        if isinstance(body, dict) and body.get("error"):
            return str(body["error"])
    except ValueError:
        pass
    return response.text[:200]


def reason(exc):
    """One line: the HTTP status and the stack's error message when there is one."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        r = exc.response
        text = "HTTP {} {} {}: {}".format(r.status_code, r.request.method, r.request.path_url.split("?")[0],
                                          error_message(r))
    elif isinstance(exc, HttpResponseError):
        text = "blob service HTTP {}: {}".format(exc.status_code, (exc.message or str(exc)).splitlines()[0])
    elif isinstance(exc, AzureError):
        text = "blob service: {}".format(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    elif isinstance(exc, AssertionError):
        text = str(exc) or "assertion failed at " + traceback.extract_tb(exc.__traceback__)[-1].line
    else:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        text = "{}: {} (at {}:{})".format(type(exc).__name__, exc, os.path.basename(frame.filename),
                                          frame.lineno)
    return " ".join(text.split())


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

# --- tokens, branches, components --------------------------------------------------------------------------


@case("tokens.verify", "Tokens.verify")
def _(ctx):
    token = ctx.c.tokens.verify()
    assert isinstance(token["id"], (int, str)) and str(token["id"]), "verify has no token id"
    assert token["isMasterToken"] is True, "STACK_TOKEN should be a master token: {}".format(token)
    assert token["canManageBuckets"] is True


@case("branches.branch_detail/metadata", "Branches.branch_detail Branches.metadata")
def _(ctx):
    branch = ctx.c.branches.branch_detail("default")
    assert branch["isDefault"] is True, "the default branch detail says isDefault={}".format(branch.get("isDefault"))
    assert "id" in branch and "name" in branch
    metadata = ctx.c.branches.metadata("default")
    assert isinstance(metadata, list), "branch metadata is not a list: {!r}".format(metadata)


# --- buckets -----------------------------------------------------------------------------------------------


@case("buckets.create/detail/list", "Buckets.create Buckets.detail Buckets.list")
def _(ctx):
    name = unique("bk")
    created = ctx.c.buckets.create(name, stage="out", description="made by the suite")
    assert created["id"] == "out.c-" + name, "bucket id {!r}".format(created["id"])
    detail = ctx.c.buckets.detail(created["id"])
    assert detail["id"] == created["id"] and detail["stage"] == "out"
    assert detail["description"] == "made by the suite"
    assert created["id"] in detail["uri"], "bucket uri {!r}".format(detail.get("uri"))
    # As on the reference, `tables` is the URL of the bucket's table list.
    assert str(detail["tables"]).endswith("/buckets/{}/tables".format(created["id"])), \
        "bucket tables {!r}".format(detail.get("tables"))
    assert detail["attributes"] == [], "bucket attributes {!r}".format(detail.get("attributes"))
    assert created["id"] in [b["id"] for b in ctx.c.buckets.list()]


@case("buckets.list_tables", "Buckets.list_tables Tables.create")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS[:1])
    bucket_id = table_id.rsplit(".", 1)[0]
    tables = ctx.c.buckets.list_tables(bucket_id, include=["columns"])
    assert [t["id"] for t in tables] == [table_id], "tables of {}: {}".format(bucket_id, [t["id"] for t in tables])
    assert tables[0]["columns"] == HEADER


@case("buckets.delete(force=True) of a bucket with a table", "Buckets.delete")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS[:2])
    bucket_id = table_id.rsplit(".", 1)[0]
    try:
        ctx.c.buckets.delete(bucket_id)
        raise AssertionError("deleting a non-empty bucket without force succeeded")
    except (requests.HTTPError, RuntimeError):
        pass
    assert ctx.c.tables.detail(table_id)["id"] == table_id, "a refused delete removed the table"
    ctx.c.buckets.delete(bucket_id, force=True)
    expect_status(404, ctx.c.buckets.detail, bucket_id)
    expect_status(404, ctx.c.tables.detail, table_id)


@case("buckets.delete(asynchronous=False) of an empty bucket", "Buckets.delete")
def _(ctx):
    bucket_id = ctx.bucket()
    ctx.c.buckets.delete(bucket_id, asynchronous=False)
    expect_status(404, ctx.c.buckets.detail, bucket_id)


@case("buckets.link/share/unshare raise NotImplementedError in the client", "Buckets.link Buckets.share Buckets.unshare")
def _(ctx):
    for method in (ctx.c.buckets.link, ctx.c.buckets.share, ctx.c.buckets.unshare):
        try:
            method("in.c-any")
        except NotImplementedError:
            continue
        raise AssertionError("{} did not raise NotImplementedError".format(method.__name__))


# --- files -------------------------------------------------------------------------------------------------


@case("files.upload_file/detail/download (small)", "Files.upload_file Files.detail Files.download")
def _(ctx):
    data = "id,note\n1,žluťoučký kůň\n".encode("utf-8")
    src = write(ctx.path("small.csv"), data)
    tag = unique("tag")
    file_id = ctx.c.files.upload_file(src, tags=[tag], is_permanent=True)
    detail = ctx.c.files.detail(file_id)
    assert detail["name"] == "small.csv", "name {!r}".format(detail["name"])
    assert detail["sizeBytes"] == len(data), "sizeBytes {} for {} bytes".format(detail["sizeBytes"], len(data))
    assert detail["tags"] == [tag], "tags {!r}".format(detail["tags"])
    assert detail["isSliced"] is False
    local = ctx.c.files.download(file_id, ctx.path(unique("dl")))
    assert read(local) == data, "downloaded bytes differ from the uploaded ones"


@case("files.upload_file/download (block upload over 64 MiB)", "Files.upload_file Files.download")
def _(ctx):
    src = write(ctx.path("big.bin"), random.Random(14).randbytes(BIG_FILE_BYTES))
    file_id = ctx.c.files.upload_file(src)
    assert ctx.c.files.detail(file_id)["sizeBytes"] == BIG_FILE_BYTES
    local = ctx.c.files.download(file_id, ctx.path(unique("dl")))
    size = os.path.getsize(local)
    assert size == BIG_FILE_BYTES, "downloaded {} bytes of {}".format(size, BIG_FILE_BYTES)
    assert sha256_of(local) == sha256_of(src), "downloaded bytes differ from the uploaded ones"


@case("files.prepare_upload(is_sliced=True) + SDK upload of parts and manifest + download", "Files.prepare_upload Files.detail Files.download")
def _(ctx):
    parts = [b"1,a\n2,b\n", b"3,c\n", "4,ř\n".encode("utf-8")]
    resource = ctx.c.files.prepare_upload("sliced.csv", is_sliced=True, tags=[unique("sliced")])
    assert resource["provider"] == "azure", "provider {!r}".format(resource.get("provider"))
    params = resource["absUploadParams"]
    service = BlobServiceClient.from_connection_string(params["absCredentials"]["SASConnectionString"])
    container = service.get_container_client(params["container"])
    entries = []
    for i, part in enumerate(parts):
        blob = "{}part{:04d}".format(params["blobName"], i)
        container.upload_blob(blob, part)
        entries.append({"url": "azure://{}.blob.core.windows.net/{}/{}".format(
            params["accountName"], params["container"], blob)})
    container.upload_blob(params["blobName"] + "manifest", json.dumps({"entries": entries}).encode("utf-8"))
    detail = ctx.c.files.detail(resource["id"])
    assert detail["isSliced"] is True, "isSliced {!r}".format(detail.get("isSliced"))
    local = ctx.c.files.download(resource["id"], ctx.path(unique("dl")))
    assert read(local) == b"".join(parts), "the merged slices differ from the uploaded parts"


@case("files.list(tags=[...]) returns only tagged files", "Files.list")
def _(ctx):
    tag = unique("only")
    tagged = ctx.c.files.upload_file(write(ctx.path("tagged.txt"), b"tagged\n"), tags=[tag, "other"])
    ctx.c.files.upload_file(write(ctx.path("untagged.txt"), b"untagged\n"), tags=["other"])
    listed = ctx.c.files.list(tags=[tag])
    assert [f["id"] for f in listed] == [tagged], "files.list(tags=[{!r}]) gave {}".format(
        tag, [(f["id"], f.get("tags")) for f in listed])
    assert len(ctx.c.files.list(limit=1)) == 1, "files.list(limit=1) did not limit"


@case("files.delete", "Files.delete")
def _(ctx):
    file_id = ctx.c.files.upload_file(write(ctx.path("gone.txt"), b"gone\n"))
    ctx.c.files.delete(file_id)
    expect_status(404, ctx.c.files.detail, file_id)


# --- tables ------------------------------------------------------------------------------------------------


@case("tables.create/detail/list + export_to_file byte for byte", "Tables.create Tables.detail Tables.list Tables.export_to_file")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS, primary_key=["id"])
    detail = ctx.c.tables.detail(table_id)
    assert detail["id"] == table_id and detail["bucket"]["id"] == table_id.rsplit(".", 1)[0]
    assert table_id in detail["uri"], "table uri {!r}".format(detail.get("uri"))
    assert detail["columns"] == HEADER, "columns {!r}".format(detail["columns"])
    assert detail["primaryKey"] == ["id"], "primaryKey {!r}".format(detail["primaryKey"])
    assert detail["rowsCount"] == len(ROWS), "rowsCount {!r}".format(detail["rowsCount"])
    missing = [k for k in ("created", "lastImportDate", "lastChangeDate", "metadata", "columnMetadata")
               if k not in detail]
    assert not missing, "table detail lacks {}".format(missing)
    assert table_id in [t["id"] for t in ctx.c.tables.list(include=["columns"])]
    got = ctx.export(table_id)
    assert got == rows_csv(HEADER, ROWS), "export_to_file wrote {!r}".format(got[:300])
    plain = ctx.export(table_id, is_gzip=False)
    assert plain == rows_csv(HEADER, ROWS), "export_to_file(is_gzip=False) wrote {!r}".format(plain[:300])


@case("tables.load (full) replaces the rows", "Tables.load")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS, primary_key=["id"])
    new_rows = [["7", "Zoe", "Plzeň"], ["8", "", "Brno"]]
    results = ctx.c.tables.load(table_id, write(ctx.path("full.csv"), rows_csv(HEADER, new_rows)))
    assert results["importedColumns"] == HEADER, "the load's results: {!r}".format(results)
    assert results["totalRowsCount"] == len(new_rows), "the load's results: {!r}".format(results)
    got = ctx.export(table_id)
    assert got == rows_csv(HEADER, new_rows), "after a full load export_to_file wrote {!r}".format(got[:300])


@case("tables.load(is_incremental=True) upserts by primary key", "Tables.load")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS[:2], primary_key=["id"])
    changes = [["2", "Bob", "Zlín"], ["5", "Eve", "Prague"]]
    ctx.c.tables.load(table_id, write(ctx.path("incr.csv"), rows_csv(HEADER, changes)), is_incremental=True)
    got = parse_csv(ctx.export(table_id))
    assert got[0] == HEADER
    want = sorted([ROWS[0]] + changes)
    assert sorted(got[1:]) == want, "rows after the upsert: {}".format(sorted(got[1:]))
    assert ctx.c.tables.detail(table_id)["rowsCount"] == 3


@case("tables.preview with where filters and columns", "Tables.preview")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS, primary_key=["id"])
    everything = parse_csv(ctx.c.tables.preview(table_id))
    assert everything == [HEADER] + ROWS, "preview gave {!r}".format(everything)
    prague = parse_csv(ctx.c.tables.preview(table_id, where_column="city", where_values=["Prague"]))
    assert prague == [HEADER, ROWS[0], ROWS[2]], "where city=Prague gave {!r}".format(prague)
    other = parse_csv(ctx.c.tables.preview(table_id, columns=["id"], where_column="city",
                                           where_values=["Prague", "Brno"], where_operator="neq"))
    assert other == [["id"], ["4"]], "columns=id where city neq Prague,Brno gave {!r}".format(other)
    recent = parse_csv(ctx.c.tables.preview(table_id, changed_since="-2 days"))
    assert recent == [HEADER] + ROWS, "changed_since=-2 days gave {!r}".format(recent)


@case("tables.export_to_file with columns, where and changed_since/until", "Tables.export_to_file")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS, primary_key=["id"])
    got = ctx.export(table_id, columns=["id", "name"], where_column="city", where_values=["Prague"],
                     changed_since="-2 days")
    want = rows_csv(["id", "name"], [[r[0], r[1]] for r in ROWS if r[2] == "Prague"])
    assert got == want, "export_to_file(columns, where, changed_since) wrote {!r}".format(got)
    reordered = ctx.export(table_id, columns=["city", "id"], is_gzip=False)
    assert reordered == rows_csv(["city", "id"], [[r[2], r[0]] for r in ROWS]), \
        "export_to_file(columns=[city, id]) wrote {!r}".format(reordered)
    old = ctx.export(table_id, changed_until="-2 days")
    assert old == rows_csv(HEADER, []), "changed_until=-2 days should export no rows, wrote {!r}".format(old)


@case("tables.export to a Storage file (headerless, gzip)", "Tables.export")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS, primary_key=["id"])
    file_id = ctx.c.tables.export(table_id)
    plain = read(ctx.c.files.download(file_id, ctx.path(unique("dl"))))
    assert plain == rows_csv(None, ROWS), "tables.export file holds {!r}".format(plain[:300])
    zipped_id = ctx.c.tables.export(table_id, is_gzip=True)
    zipped = read(ctx.c.files.download(zipped_id, ctx.path(unique("dl"))))
    assert gzip.decompress(zipped) == rows_csv(None, ROWS), "the gzip export differs"


@case("tables.create_raw/load_raw/export_raw + jobs.list/detail/status/completed/block_*", "Tables.create_raw Tables.load_raw Tables.export_raw Jobs.list Jobs.detail Jobs.status Jobs.completed Jobs.block_until_completed Jobs.block_for_success")
def _(ctx):
    bucket = ctx.bucket()
    file_id = ctx.c.files.upload_file(write(ctx.path("raw.csv"), rows_csv(HEADER, ROWS[:2])))
    job = ctx.c.tables.create_raw(bucket, "raw", data_file_id=file_id, primary_key=["id"])
    assert ctx.c.jobs.status(job["id"]) in ("waiting", "processing", "success", "error")
    isinstance(ctx.c.jobs.completed(job["id"]), bool) or fail("jobs.completed is not a bool")
    done = ctx.c.jobs.block_until_completed(job["id"])
    assert done["status"] == "success", "table create job: {} {}".format(done["status"], done.get("error"))
    assert ctx.c.jobs.completed(job["id"]) is True
    table_id = done["results"]["id"]
    assert table_id == bucket + ".raw", "the job's results.id is {!r}".format(table_id)
    detail = ctx.c.jobs.detail(job["id"])
    assert detail["id"] == job["id"] and detail["status"] == "success"
    assert detail["operationName"] == "tableCreate", "operationName {!r}".format(detail.get("operationName"))
    assert job["id"] in [j["id"] for j in ctx.c.jobs.list()], "jobs.list lacks the job"

    more = ctx.c.files.upload_file(write(ctx.path("more.csv"), rows_csv(HEADER, ROWS[2:])))
    load = ctx.c.tables.load_raw(table_id, data_file_id=more, is_incremental=True)
    assert ctx.c.jobs.block_for_success(load["id"]) is True, "the import job did not succeed"
    export = ctx.c.tables.export_raw(table_id)
    result = ctx.c.jobs.block_until_completed(export["id"])
    assert result["status"] == "success", "export job: {}".format(result.get("error"))
    data = read(ctx.c.files.download(result["results"]["file"]["id"], ctx.path(unique("dl"))))
    assert sorted(parse_csv(data)) == sorted(ROWS), "export_raw exported {!r}".format(data[:300])

    bad = ctx.c.tables.load_raw(table_id, data_file_id=ctx.c.files.upload_file(
        write(ctx.path("bad.csv"), b"nope\n1\n")))
    assert ctx.c.jobs.block_for_success(bad["id"]) is False, "an import of unknown columns succeeded"
    failed = ctx.c.jobs.detail(bad["id"])
    assert failed["status"] == "error" and failed["error"]["message"], "a failed job carries no error.message"


def fail(message):
    raise AssertionError(message)


@case("tables.validate_data_source/validate_filter", "Tables.validate_data_source Tables.validate_filter")
def _(ctx):
    assert ctx.c.tables.validate_data_source(None, 12, None, None, None) == {"dataFileId": 12}
    try:
        ctx.c.tables.validate_data_source("http://x", 12, None, None, None)
        fail("two data sources were accepted")
    except ValueError:
        pass
    assert ctx.c.tables.validate_filter("id", "eq", ["1"]) == {
        "whereColumn": "id", "whereOperator": "eq", "whereValues[]": ["1"]}


@case("tables.optimize", "Tables.optimize")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS[:1])
    job = ctx.c.tables.optimize(table_id)
    assert "id" in job, "optimize answered {!r}, not a job".format(job)
    assert ctx.c.jobs.block_for_success(job["id"]) is True, "the optimize job did not succeed"


@case("tables.delete", "Tables.delete")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS[:1])
    ctx.c.tables.delete(table_id)
    expect_status(404, ctx.c.tables.detail, table_id)
    expect_status(404, ctx.c.tables.detail, "some-totally-non-existent-table")


@case("tables.metadata.create/list/delete", "TablesMetadata.create TablesMetadata.list TablesMetadata.delete")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS[:1])
    ctx.c.tables.metadata.create(
        table_id, "user", [{"key": "KBC.description", "value": "orders"}],
        columns_metadata=[[{"key": "KBC.description", "value": "the key", "columnName": "id"}]])
    items = ctx.c.tables.metadata.list(table_id)
    mine = [m for m in items if m["key"] == "KBC.description"]
    assert len(mine) == 1 and mine[0]["value"] == "orders" and mine[0]["provider"] == "user", \
        "table metadata {!r}".format(items)
    assert isinstance(mine[0]["id"], str), "metadata id {!r} is not a string".format(mine[0]["id"])
    columns = ctx.c.tables.detail(table_id).get("columnMetadata", {})
    assert [m["value"] for m in columns.get("id", [])] == ["the key"], "column metadata {!r}".format(columns)
    ctx.c.tables.metadata.delete(table_id, mine[0]["id"])
    assert [m for m in ctx.c.tables.metadata.list(table_id) if m["key"] == "KBC.description"] == []


# --- components and configurations -------------------------------------------------------------------------


@case("configurations.create/detail/list/delete + components.list", "Configurations.create Configurations.detail Configurations.list Configurations.delete Components.list")
def _(ctx):
    configuration = {"parameters": {"baseUrl": "https://example.com/", "path": "a.csv", "nested": [1, 2.5]}}
    config_id = unique("cfg")
    created = ctx.c.configurations.create(CONFIG_COMPONENT, "Orders", description="d",
                                          configuration=configuration, configuration_id=config_id)
    assert created["id"] == config_id, "configuration id {!r}".format(created["id"])
    detail = ctx.c.configurations.detail(CONFIG_COMPONENT, config_id)
    assert detail["name"] == "Orders" and detail["description"] == "d"
    assert detail["configuration"] == configuration, "configuration {!r}".format(detail["configuration"])
    assert config_id in [c["id"] for c in ctx.c.configurations.list(CONFIG_COMPONENT)]
    components = ctx.c.components.list(include=["configuration"])
    mine = [c for c in components if c["id"] == CONFIG_COMPONENT]
    assert mine and config_id in [c["id"] for c in mine[0]["configurations"]], \
        "components.list lacks {}/{}".format(CONFIG_COMPONENT, config_id)
    assert ctx.c.components.list() != [], "components.list() without include is empty"
    ctx.c.configurations.delete(CONFIG_COMPONENT, config_id)
    expect_status(404, ctx.c.configurations.detail, CONFIG_COMPONENT, config_id)
    assert config_id not in [c["id"] for c in ctx.c.configurations.list(CONFIG_COMPONENT)]


@case("configurations.list of an unknown component is an error", "Configurations.list")
def _(ctx):
    expect_status(404, ctx.c.configurations.list, "no.such-component")


@case("configurations.metadata.create/list/delete", "ConfigurationsMetadata.create ConfigurationsMetadata.list ConfigurationsMetadata.delete")
def _(ctx):
    config_id = ctx.config()
    ctx.c.configurations.metadata.create(CONFIG_COMPONENT, config_id, "user",
                                         [{"key": "KBC.configuration.folderName", "value": "sales"}])
    items = ctx.c.configurations.metadata.list(CONFIG_COMPONENT, config_id)
    assert [(m["key"], m["value"]) for m in items] == [("KBC.configuration.folderName", "sales")], \
        "configuration metadata {!r}".format(items)
    ctx.c.configurations.metadata.delete(CONFIG_COMPONENT, config_id, str(items[0]["id"]))
    assert ctx.c.configurations.metadata.list(CONFIG_COMPONENT, config_id) == []


@case("configurations.list_config_workspaces", "Configurations.list_config_workspaces")
def _(ctx):
    config_id = ctx.config()
    assert ctx.c.configurations.list_config_workspaces(CONFIG_COMPONENT, config_id) == []


# --- workspaces --------------------------------------------------------------------------------------------


@case("workspaces.create/detail/list/delete", "Workspaces.create Workspaces.detail Workspaces.list Workspaces.delete")
def _(ctx):
    ws = ctx.workspace()
    missing = [k for k in ("id", "type", "name", "component", "configurationId", "created", "connection",
                           "creatorToken") if k not in ws]
    assert not missing, "the created workspace lacks {}".format(missing)
    assert ws["type"] == "table", "workspace type {!r}".format(ws.get("type"))
    assert ws["connection"]["backend"], "the workspace has no connection.backend"
    assert ws["connection"]["password"], "the create answer has no connection.password"
    detail = ctx.c.workspaces.detail(ws["id"])
    assert detail["id"] == ws["id"] and not detail["connection"].get("password"), \
        "workspace detail shows a password"
    assert ws["id"] in [w["id"] for w in ctx.c.workspaces.list()]
    ctx.c.workspaces.delete(ws["id"])
    expect_status(404, ctx.c.workspaces.detail, ws["id"])


@case("workspaces.load_tables", "Workspaces.load_tables")
def _(ctx):
    table_id = ctx.table(HEADER, ROWS, primary_key=["id"])
    ws = ctx.workspace()
    job = ctx.c.workspaces.load_tables(ws["id"], {table_id: "orders"})
    assert ctx.c.jobs.block_for_success(job["id"]) is True, "the workspace load job did not succeed"
    again = ctx.c.workspaces.load_tables(ws["id"], [{"source": table_id, "destination": "orders2"}],
                                         preserve=False)
    assert ctx.c.jobs.block_for_success(again["id"]) is True, "the second workspace load did not succeed"


@case("workspaces.reset_password", "Workspaces.reset_password")
def _(ctx):
    ws = ctx.workspace()
    answer = ctx.c.workspaces.reset_password(ws["id"])
    assert answer["password"] and answer["password"] != ws["connection"]["password"], \
        "reset_password gave no new password"


@case("workspaces.set_public_key", "Workspaces.set_public_key")
def _(ctx):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    ws = ctx.workspace()
    ctx.c.workspaces.set_public_key(ws["id"], public)


@case("workspaces.load_files refuses a table workspace (client-side)", "Workspaces.load_files")
def _(ctx):
    ws = ctx.workspace()
    try:
        ctx.c.workspaces.load_files(ws["id"], {"tags": ["x"], "destination": "in"})
    except requests.HTTPError:
        raise
    except Exception as e:
        assert "only available for ABS workspaces" in str(e), "load_files raised {!r}".format(e)
        return
    fail("load_files into a table workspace did not raise")


# --- triggers ----------------------------------------------------------------------------------------------


@case("triggers.create/list/detail/update/delete", "Triggers.create Triggers.list Triggers.detail Triggers.update Triggers.delete")
def _(ctx):
    token_id = ctx.c.tokens.verify()["id"]
    table_id = ctx.table(HEADER, ROWS[:1])
    config_id = ctx.c.configurations.create(TRIGGER_COMPONENT, "flow")["id"]
    trigger = ctx.c.triggers.create(int(token_id), TRIGGER_COMPONENT, config_id, 5, [table_id])
    assert trigger["configurationId"] == config_id and trigger["coolDownPeriodMinutes"] == 5, \
        "trigger {!r}".format(trigger)
    assert [t["tableId"] for t in trigger["tables"]] == [table_id], "trigger tables {!r}".format(trigger["tables"])
    assert trigger["id"] in [t["id"] for t in ctx.c.triggers.list()]
    assert ctx.c.triggers.detail(trigger["id"])["component"] == TRIGGER_COMPONENT
    updated = ctx.c.triggers.update(trigger["id"], coolDownPeriodMinutes=10)
    assert updated["coolDownPeriodMinutes"] == 10, "update answered {!r}".format(updated)
    assert ctx.c.triggers.detail(trigger["id"])["coolDownPeriodMinutes"] == 10
    ctx.c.triggers.delete(trigger["id"])
    expect_status(404, ctx.c.triggers.detail, trigger["id"])


# --- the run -----------------------------------------------------------------------------------------------


def coverage_case(ctx):
    covered = set().union(*(covers for _, covers, _ in CASES))
    missing = sorted(SURFACE - covered)
    assert not missing, "public methods of kbcstorage no case calls: {}".format(", ".join(missing))
    unknown = sorted(covered - SURFACE)
    assert not unknown, "cases name methods kbcstorage does not have: {}".format(", ".join(unknown))


def run_case(fn, covers, ctx):
    """Runs fn(ctx) in a daemon thread; returns None, an exception, or 'timeout'."""
    outcome = {}
    called = set()

    def body():
        CALLS.called = called
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
    record_calls(endpoint_classes(client))
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
