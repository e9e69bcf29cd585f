"""Subcommands of the ``kslim`` command line (listed in ``kslim.cli.COMMANDS``)."""
