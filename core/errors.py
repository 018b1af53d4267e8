"""Errors the user can fix. The CLI prints their message and exits with code 2; the web app answers 4xx."""


class UserError(Exception):
    """Bad input or a missing prerequisite, explained in the message."""


class DataError(UserError):
    """Missing, corrupt or unverifiable data."""
