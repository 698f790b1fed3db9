"""Authentication and scoping for a process: a bearer credential (an API key, or an OpenID Connect token
when single sign-on is configured) becomes a principal; a principal becomes the ``Scope`` every service asks.

Failed authentication is limited per client address and logged (with the key's prefix, never the key or
token); requests are limited per principal. Both answer 429 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import math
from typing import Protocol

from esledger.access.keys import parse_key
from esledger.access.policy import EVERY_ROLE, Scope
from esledger.access.principals import ANONYMOUS_DEVELOPER, Principal
from esledger.access.ratelimit import RateLimiter
from esledger.access.registry import PrincipalRegistry
from esledger.core.errors import RateLimited, Unauthenticated
from esledger.domain.organisations import Organisations

logger = logging.getLogger("esledger.access")


class TokenValidator(Protocol):
    def principal(self, token: str) -> Principal: ...


class AccessService:
    def __init__(
        self,
        registry: PrincipalRegistry,
        organisations: Organisations,
        *,
        tokens: TokenValidator | None,
        requests: RateLimiter,
        failures: RateLimiter,
        disabled: bool = False,
    ) -> None:
        self.registry = registry
        self.organisations = organisations
        self.tokens = tokens
        self.requests = requests
        self.failures = failures
        self.disabled = disabled

    def authenticate(self, authorization: str | None, client: str) -> Principal:
        """The principal a request's ``Authorization: Bearer ...`` header names; Unauthenticated otherwise."""
        if self.disabled:
            return ANONYMOUS_DEVELOPER
        scheme, _, credential = (authorization or "").partition(" ")
        credential = credential.strip()
        try:
            if scheme.lower() != "bearer" or not credential:
                raise Unauthenticated("send `Authorization: Bearer <API key or sign-in token>`")
            if credential.startswith("esl_"):
                return self.registry.authenticate(credential)
            if self.tokens is None:
                raise Unauthenticated("the credential is not an API key, and single sign-on is not configured")
            return self.tokens.principal(credential)
        except Unauthenticated as refused:
            presented = parse_key(credential) if credential.startswith("esl_") else None
            logger.warning(
                "authentication failed",
                extra={
                    "client": client,
                    "reason": refused.detail,
                    "key_prefix": presented.prefix if presented else None,
                },
            )
            wait = self.failures.take(client)
            if wait is not None:
                raise RateLimited(
                    "too many failed sign-ins from this address; wait before trying again", retry_after=math.ceil(wait)
                ) from None
            raise

    def admit(self, principal: Principal) -> None:
        """Count one request against the principal's rate limit."""
        wait = self.requests.take(principal.id)
        if wait is not None:
            raise RateLimited(
                f"principal {principal.id!r} is over its request rate; slow down", retry_after=max(1, math.ceil(wait))
            )

    def scope(self, principal: Principal, roles: frozenset[str] = EVERY_ROLE) -> Scope:
        """What the principal may see in an operation allowed to ``roles`` (all of its grants by default)."""
        return Scope(principal, self.organisations, roles)
