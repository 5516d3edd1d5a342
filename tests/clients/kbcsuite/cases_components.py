"""Components, configurations and their metadata."""

from .support import CONFIG_COMPONENT, case, expect_status, unique


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
