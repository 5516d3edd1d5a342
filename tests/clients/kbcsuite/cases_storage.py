"""Tokens, branches and buckets."""
import requests

from .support import HEADER, ROWS, case, expect_status, unique


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
