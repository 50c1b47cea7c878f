"""The application's expected failures, each carrying its contract code.

Anything raised that is not an `AppError` is a bug: it reaches the client as INTERNAL with
a masked message, and the details go to the log with the request id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    TENANT_REQUIRED = "TENANT_REQUIRED"
    TENANT_SUSPENDED = "TENANT_SUSPENDED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
    INTERNAL = "INTERNAL"


# The one status map, for answers given outside GraphQL's own result (a refused upload, an
# export download, a REST route) and for request errors answered as
# application/graphql-response+json (iafactory/protocol/negotiation.py).
HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.TENANT_REQUIRED: 403,
    ErrorCode.TENANT_SUSPENDED: 403,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.CONFLICT: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.QUOTA_EXCEEDED: 403,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.QUERY_TOO_COMPLEX: 400,
    # Apollo's router and the persisted-documents RFC: an unknown id is 404, a document the
    # deployment does not allow is a bad request (the client sent something it must not).
    ErrorCode.PERSISTED_QUERY_NOT_FOUND: 404,
    ErrorCode.PERSISTED_QUERY_NOT_ALLOWED: 400,
    ErrorCode.INTERNAL: 500,
}


class AppError(Exception):
    """An expected failure whose message is safe to show to the client."""

    code: ErrorCode = ErrorCode.INTERNAL
    default_message = "Internal server error."

    def __init__(self, message: str | None = None, **extensions: Any) -> None:
        self.message = message or self.default_message
        self.extensions = extensions
        super().__init__(self.message)

    def status(self) -> int:
        return HTTP_STATUS[self.code]

    def entry(self, request_id: str | None) -> dict[str, Any]:
        """The error as a GraphQL response lists it."""
        return {
            "message": self.message,
            "extensions": {"code": self.code.value, **self.extensions, "requestId": request_id},
        }

    def body(self, request_id: str | None) -> dict[str, Any]:
        """A whole GraphQL-shaped answer for a request refused before execution."""
        return {"data": None, "errors": [self.entry(request_id)]}

    def headers(self) -> dict[str, str]:
        retry_after = self.extensions.get("retryAfter")
        return {"Retry-After": str(retry_after)} if retry_after is not None else {}


class Unauthenticated(AppError):
    code = ErrorCode.UNAUTHENTICATED
    default_message = "Authentication required."


class TenantRequired(AppError):
    code = ErrorCode.TENANT_REQUIRED
    default_message = "This field needs a token bound to a tenant."


class TenantSuspended(AppError):
    code = ErrorCode.TENANT_SUSPENDED
    default_message = "This tenant is suspended."


class Forbidden(AppError):
    code = ErrorCode.FORBIDDEN
    default_message = "You are not allowed to do this."


class NotFound(AppError):
    code = ErrorCode.NOT_FOUND
    default_message = "Not found."


class BadUserInput(AppError):
    code = ErrorCode.BAD_USER_INPUT
    default_message = "Invalid input."


class Conflict(AppError):
    code = ErrorCode.CONFLICT
    default_message = "This conflicts with existing data."


class RateLimited(AppError):
    code = ErrorCode.RATE_LIMITED
    default_message = "Too many requests."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, retryAfter=max(1, retry_after))
        self.retry_after = max(1, retry_after)


class QuotaExceeded(AppError):
    code = ErrorCode.QUOTA_EXCEEDED
    default_message = "This would exceed your plan's quota."


class PayloadTooLarge(AppError):
    code = ErrorCode.PAYLOAD_TOO_LARGE
    default_message = "The upload is larger than allowed."


class UnsupportedMediaType(AppError):
    code = ErrorCode.UNSUPPORTED_MEDIA_TYPE
    default_message = "The upload is not decodable audio."


class QueryTooComplex(AppError):
    code = ErrorCode.QUERY_TOO_COMPLEX
    default_message = "The query is too complex."


class PersistedQueryNotFound(AppError):
    code = ErrorCode.PERSISTED_QUERY_NOT_FOUND
    # Apollo's clients also recognise this exact message.
    default_message = "PersistedQueryNotFound"


class PersistedQueryNotAllowed(AppError):
    code = ErrorCode.PERSISTED_QUERY_NOT_ALLOWED
    default_message = "Only the trusted documents of this deployment may run."


RETRY_UNAVAILABLE_SECONDS = 5


class Unavailable(AppError):
    """The database cannot be reached (restarting, overloaded): answered at once, with a
    retry hint, rather than after a long wait or as an anonymous INTERNAL."""

    code = ErrorCode.INTERNAL
    default_message = "The database is unavailable right now; retry in a few seconds."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, retryAfter=RETRY_UNAVAILABLE_SECONDS)


RETRY_COLLISION_SECONDS = 1


class Collided(AppError):
    """PostgreSQL rolled the transaction back to break a deadlock or a serialization
    conflict with a concurrent one. Nothing was written; the same request, sent again,
    normally goes through. A tenant's own writers never collide (they queue behind its write
    lock, migrations/CONVENTIONS.md); what remains is rare (two tenants' identity flows)."""

    code = ErrorCode.INTERNAL
    default_message = "This request collided with a concurrent one and nothing was saved; retry it."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, retryAfter=RETRY_COLLISION_SECONDS)


class TimedOut(AppError):
    """A statement ran past the server's statement timeout (IAFACTORY_STATEMENT_TIMEOUT_MS)
    and PostgreSQL stopped it: the request's transaction is rolled back."""

    code = ErrorCode.INTERNAL
    default_message = (
        "The database took longer than this server allows for one statement, so the request was"
        " stopped and nothing was saved; narrow it (fewer or smaller pages, a more precise search)."
    )


# SQLSTATEs raised by our own SQL functions (migrations/CONVENTIONS.md) and by PostgreSQL.
SQLSTATE_ERRORS: dict[str, type[AppError]] = {
    "IA401": Unauthenticated,
    "IA403": Forbidden,
    "IA404": NotFound,
    "IA409": Conflict,
    "IA422": BadUserInput,
    "IA423": TenantSuspended,
    "IA428": TenantRequired,
    "IA402": QuotaExceeded,
    "23505": Conflict,  # unique_violation
    "23503": NotFound,  # foreign_key_violation: the referenced row is not in this tenant
    "23514": BadUserInput,  # check_violation
    "23502": BadUserInput,  # not_null_violation
    "22P02": BadUserInput,  # invalid_text_representation (e.g. a malformed uuid)
    "22021": BadUserInput,  # character_not_in_repertoire (a NUL byte in a text argument)
    "22001": BadUserInput,  # string_data_right_truncation
    "42501": NotFound,  # insufficient_privilege / RLS violation: never confirm the row exists
    # The server went away or refuses connections: shutdown, restart, too many clients.
    "08000": Unavailable,
    "08001": Unavailable,
    "08003": Unavailable,
    "08004": Unavailable,
    "08006": Unavailable,
    "57P01": Unavailable,
    "57P02": Unavailable,
    "57P03": Unavailable,
    "53300": Unavailable,
    "40P01": Collided,  # deadlock_detected
    "40001": Collided,  # serialization_failure
    "57014": TimedOut,  # query_canceled: the statement timeout
}


def from_sqlstate(sqlstate: str | None, message: str | None = None) -> AppError | None:
    """The AppError for a database error, or None when it is unexpected (→ INTERNAL)."""
    error_class = SQLSTATE_ERRORS.get(sqlstate or "")
    if error_class is None:
        return None
    # Our own functions raise messages written for clients; PostgreSQL's own may name
    # tables, constraints or values, so those get the class's generic message.
    own = (sqlstate or "").startswith("IA")
    return error_class(message if own else None)
