"""The cases of the kbcstorage suite, one module per part of the client; importing the package registers
them, in this order, in `support.CASES`."""
from . import cases_storage, cases_files, cases_tables, cases_components, cases_workspaces, cases_triggers

__all__ = ["cases_storage", "cases_files", "cases_tables", "cases_components", "cases_workspaces",
           "cases_triggers"]
