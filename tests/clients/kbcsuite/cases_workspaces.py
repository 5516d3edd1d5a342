"""Workspaces."""
import requests

from .support import HEADER, ROWS, case, expect_status, fail


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
    # As on the reference, a load answers a storage job (operationName workspaceLoad) to wait for.
    job = ctx.c.workspaces.load_tables(ws["id"], {table_id: "orders"})
    assert "id" in job, "load_tables answered {!r}, not a storage job".format(job)
    assert ctx.c.jobs.block_for_success(job["id"]) is True, "the workspace load job did not succeed"
    again = ctx.c.workspaces.load_tables(ws["id"], [{"source": table_id, "destination": "orders2"}],
                                         preserve=False)
    assert "id" in again, "load_tables answered {!r}, not a storage job".format(again)
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
