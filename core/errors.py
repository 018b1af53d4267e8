"""Errors the user can fix, one hierarchy for the whole project (as `requests` has one).

Every error says what went wrong in its message and carries a machine-readable `code` and the HTTP
`status` the web app answers with (`{"error": code, "message": message}`); the CLI prints the
message and exits with code 2. A subclass sets `code` and `status` as class attributes; one raise
may give its own code or status when a class covers several cases.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a missing prerequisite, explained in the message."""

    code: str = "bad_request"
    status: int = 400

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class DataError(UserError):
    """Missing, corrupt or unverifiable data: the service is not ready, not the user's fault."""

    code = "not_ready"
    status = 503
