"""The command line: one module per noun (`flask db ...`, `flask editions ...`, ...)."""

from portal.commands.editions import init_app

__all__ = ["init_app"]
