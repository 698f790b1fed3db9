"""The errors the services raise, typed by what went wrong, never by how a transport reports it.

Each carries a sentence for people (``detail``) and the facts a client acts on (``context``: the case id,
the current version, each field and rule that failed, ...). The HTTP edge (``esledger.web.problems``) maps
every class to its RFC 9457 problem type in one table; the CLI prints ``detail``.
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base class: ``detail`` says what happened and what to do; ``context`` holds the facts, by name."""

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context


# -- the request itself ---------------------------------------------------------------------------------------
class InvalidArgument(LedgerError):
    """A parameter or header that is not well-formed or out of range (``errors`` names each)."""


class ValidationFailed(LedgerError):
    """An event breaks the published schema or an admission rule; ``errors`` lists pointer, rule and detail."""


class UnknownEventType(LedgerError):
    """A well-formed event whose type the catalog does not list."""


# -- who asks ------------------------------------------------------------------------------------------------
class Unauthenticated(LedgerError):
    """No credential, or one that is not valid (unknown, revoked, expired, badly signed). ``detail`` says which
    without revealing anything about principals or keys."""


class Forbidden(LedgerError):
    """The principal is authenticated but its roles do not allow this operation at all. (A case outside its
    scope answers NotFound, exactly as a case that does not exist.)"""


# -- the ledger's state -----------------------------------------------------------------------------------------
class NotFound(LedgerError):
    """No such case, version, position or checkpoint (or none the caller may see)."""


class UnknownCase(LedgerError):
    """A non-opening act names a case the ledger does not hold."""


class CaseExists(LedgerError):
    """An opening act names a case that already exists."""


class CaseKindMismatch(LedgerError):
    """The act is not admitted on the kind of case it names."""


class IdempotencyConflict(LedgerError):
    """A (source, id) already recorded with other content."""


class AlreadyErased(LedgerError):
    """The confidential value named for erasure was erased before (its erasure is in the case's timeline)."""


class PreconditionFailed(LedgerError):
    """If-Match names a case version other than the current one."""


# -- transient: retry later ----------------------------------------------------------------------------------------
class Unavailable(LedgerError):
    """Nothing was done; the same request may succeed after ``retry_after`` seconds."""

    def __init__(self, detail: str, *, retry_after: int, **context: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **context)
        self.retry_after = retry_after


class StorageUnavailable(Unavailable):
    """The database did not answer."""


class WriteContention(Unavailable):
    """Too many concurrent writers on the same case; the append gave up."""


class ProjectionBehind(Unavailable):
    """The read model has not reached the position the caller asked for."""


class RateLimited(Unavailable):
    """The principal (or, for failed sign-ins, the client address) made more requests than its limit."""


# -- configuration ---------------------------------------------------------------------------------------------------
class ConfigurationError(LedgerError):
    """The deployment is not usable as configured (missing schemas, no rule set, a bad key file): raised at
    start, with what to change."""
