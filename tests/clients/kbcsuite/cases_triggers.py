"""Triggers."""

import time

from .support import HEADER, ROWS, TRIGGER_COMPONENT, case, expect_status, rows_csv, unique, write


@case("triggers.create/list/detail/update/delete", "Triggers.create Triggers.list Triggers.detail Triggers.update Triggers.delete")
def _(ctx):
    token_id = ctx.c.tokens.verify()["id"]
    table_id = ctx.table(HEADER, ROWS[:1])
    config_id = ctx.c.configurations.create(TRIGGER_COMPONENT, "on-import")["id"]
    trigger = ctx.c.triggers.create(int(token_id), TRIGGER_COMPONENT, config_id, 5, [table_id])
    assert trigger["configurationId"] == config_id and trigger["coolDownPeriodMinutes"] == 5, \
        "trigger {!r}".format(trigger)
    assert [t["tableId"] for t in trigger["tables"]] == [table_id], "trigger tables {!r}".format(trigger["tables"])
    assert trigger["id"] in [t["id"] for t in ctx.c.triggers.list()]
    assert ctx.c.triggers.detail(trigger["id"])["component"] == TRIGGER_COMPONENT
    updated = ctx.c.triggers.update(trigger["id"], coolDownPeriodMinutes=10)
    assert updated["coolDownPeriodMinutes"] == 10, "update answered {!r}".format(updated)
    assert ctx.c.triggers.detail(trigger["id"])["coolDownPeriodMinutes"] == 10
    # What a trigger is for: a load into its table runs the configuration.
    assert ctx.c.triggers.detail(trigger["id"])["lastRun"] is None
    src = write(ctx.path(unique("trigger") + ".csv"), rows_csv(HEADER, ROWS[1:2]))
    ctx.c.tables.load(table_id, src, is_incremental=True)
    deadline = time.monotonic() + 60
    while ctx.c.triggers.detail(trigger["id"])["lastRun"] is None:
        assert time.monotonic() < deadline, "the trigger did not run after its table was loaded"
        time.sleep(0.2)
    ctx.c.triggers.delete(trigger["id"])
    expect_status(404, ctx.c.triggers.detail, trigger["id"])
