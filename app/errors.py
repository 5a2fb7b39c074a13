"""Errors a command reports as one line and a non-zero exit."""


class CommandError(Exception):
    """A command failed in a way the operator can fix; printed as one line."""
