"""Tables: creates, loads, previews, exports, storage jobs and table metadata."""
import gzip

from .support import HEADER, ROWS, case, expect_status, fail, parse_csv, read, rows_csv, unique, write


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
