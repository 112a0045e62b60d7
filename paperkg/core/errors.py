"""Domain errors. Each carries the HTTP status it maps to; the API renders them as problem+json."""

from __future__ import annotations


class PaperkgError(Exception):
    """Base class of every error paperkg reports to a user."""

    status: int = 500
    title: str = "Internal error"
    slug: str = "internal"

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(PaperkgError):
    status, title, slug = 400, "Invalid input", "invalid-input"


class InvalidParameter(PaperkgError):
    status, title, slug = 422, "Invalid parameter", "invalid-parameter"


class NotFound(PaperkgError):
    status, title, slug = 404, "Not found", "not-found"


class Unauthorized(PaperkgError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class PayloadTooLarge(PaperkgError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class NotAcceptable(PaperkgError):
    status, title, slug = 406, "Not acceptable", "not-acceptable"


class QuerySyntaxError(PaperkgError):
    status, title, slug = 400, "SPARQL syntax error", "sparql-syntax"


class QueryRefused(PaperkgError):
    status, title, slug = 403, "SPARQL query refused", "sparql-refused"


class QueryTimeout(PaperkgError):
    status, title, slug = 503, "SPARQL query timed out", "sparql-timeout"


class DataDirLocked(PaperkgError):
    status, title, slug = 409, "Data directory locked", "locked"


class ReadOnly(PaperkgError):
    status, title, slug = 503, "Knowledge base is read-only", "read-only"


class StorageFull(PaperkgError):
    status, title, slug = 507, "Insufficient storage", "storage-full"


class UnsafeModel(PaperkgError):
    status, title, slug = 500, "Unsafe model or data file", "unsafe-file"


class CorruptData(PaperkgError):
    status, title, slug = 500, "Corrupt data", "corrupt-data"


class Unavailable(PaperkgError):
    """A service paperkg was asked to use is missing or unreachable (an optional extra, a Ray cluster)."""

    status, title, slug = 503, "Service unavailable", "unavailable"
