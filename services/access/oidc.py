"""People sign in through the organisation's OpenID Connect provider: each request carries the provider's
signed ID or access token (a JWT) as ``Authorization: Bearer``, and ``TokenValidator.principal`` turns a
valid one into a ``Principal``. Signatures are checked by PyJWT against the provider's published keys (its
JWKS), fetched from a URL or read from a file.

What the provider's administrator configures — the claims a token must carry:

| claim | required | meaning here |
|---|---|---|
| ``iss`` | yes | exactly the configured issuer |
| ``aud`` | yes | a string or list containing the configured audience |
| ``exp`` | yes | refused after it; before ``nbf`` or ``iat`` when present (each with the leeway) |
| ``sub`` | yes | 1 to 255 printable characters: the principal id is ``oidc:<sub>`` (``recorded_by``) |
| ``name``, ``preferred_username`` | no | the display name, the first present (else ``sub``) |
| ``esledger_roles`` | no | role names, one grant each, of: inspector supervisor reviewer respondent observer admin |
| ``esledger_units`` | with inspector, supervisor, respondent | unit codes scoping those grants |
| ``esledger_cases`` | with observer | the case ids shared with the observer |

An unknown role name refuses the token, so that a misconfigured provider is noticed at once, and so does
``source``: systems post with API keys, never with a person's sign-in. Without the roles claim the person is
signed in with no role (every operation answers 403). A unit-scoped role without units, or ``observer``
without cases, refuses the token.

The three ``esledger_*`` names are the defaults and can be configured. Each of them is a JSON list of strings
(a single string counts as a list of one); ``units`` and ``cases`` are ignored for roles they do not scope.
Example payload of an inspector::

    {"iss": "https://sso.example.gov.cn/realms/zfjd", "aud": "esledger", "sub": "5f0c…", "exp": 1790000000,
     "name": "张三", "esledger_roles": ["inspector"], "esledger_units": ["JZ-SS"]}

The token's header must name, in ``kid``, a key of the JWKS, with an asymmetric ``alg`` that fits that key's
type: RS256/384/512 or PS256/384/512 (RSA, at least 2048 bits), ES256/ES384/ES512 (EC P-256/P-384/P-521),
EdDSA (OKP Ed25519/Ed448). ``none`` and HS256/384/512 are refused outright: an HMAC "verified" with the public
key as secret is the classic forgery. An unknown ``kid`` (the provider rotated its keys) refetches the JWKS,
at most once per minimum refresh interval, so a flood of made-up kids cannot hammer the provider.

Every refusal is ``Unauthenticated`` with a reason safe to show (never the token); when no key was ever
obtained from the provider, ``Unavailable`` (503: the token may well be good).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from esledger.access.principals import ROLES, Grant, Principal, grant_problems
from esledger.core.errors import ConfigurationError, Unauthenticated, Unavailable

logger = logging.getLogger("esledger.access")

KEY_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    **{f"{family}{bits}": ("RSA", frozenset()) for family in ("RS", "PS") for bits in (256, 384, 512)},
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "ES512": ("EC", frozenset({"P-521"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}
"""The accepted algorithms and the key each needs: type and curves (empty: any)."""

TOKEN_ROLES = tuple(role for role in ROLES if role != "source")
"""The roles a token may carry: all but ``source``, which systems hold through API keys."""
UNIT_ROLES = ("inspector", "supervisor", "respondent")
MAX_TOKEN_CHARS = 16 * 1024
"""Longer bearer values are refused before any parsing."""
MAX_JWKS_BYTES = 1024 * 1024
MAX_SUB_CHARS = 255
"""OpenID Connect Core 1.0 §2: ``sub`` is at most 255 ASCII characters."""
_ALG_NAME = re.compile(r"[A-Za-z0-9+_-]{1,16}")


class TokenValidator:
    """Validates bearer tokens of one issuer and audience against the issuer's JWKS; thread-safe.

    Blocking: a JWKS fetch (rare: at start, after ``jwks_max_age_seconds``, on an unknown kid) waits up to
    ``jwks_timeout_seconds``, so call ``principal`` from a worker thread, not on the event loop."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        jwks_file: Path | None = None,
        *,
        roles_claim: str = "esledger_roles",
        units_claim: str = "esledger_units",
        cases_claim: str = "esledger_cases",
        leeway_seconds: int = 30,
        jwks_max_age_seconds: float = 3600.0,
        jwks_min_refresh_seconds: float = 60.0,
        jwks_timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not issuer or not audience:
            raise ConfigurationError("OpenID Connect sign-in needs both an issuer and an audience")
        if (jwks_url is None) == (jwks_file is None):
            raise ConfigurationError("OpenID Connect sign-in needs exactly one of a JWKS URL and a JWKS file")
        if jwks_url is not None:
            _check_jwks_url(jwks_url)
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.jwks_file = jwks_file
        self.roles_claim = roles_claim
        self.units_claim = units_claim
        self.cases_claim = cases_claim
        self.leeway_seconds = leeway_seconds
        self.jwks_max_age_seconds = jwks_max_age_seconds
        self.jwks_min_refresh_seconds = jwks_min_refresh_seconds
        self.jwks_timeout_seconds = jwks_timeout_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, dict[str, Any]] = {}
        """By kid; empty until the first successful load (an empty set never loads)."""
        self._loaded_at = -math.inf
        self._tried_at = -math.inf
        if jwks_file is not None:
            # A local file is configuration: a bad one stops the service at start, not at the first sign-in.
            try:
                self._keys = _usable_keys(_read_jwks(jwks_file))
            except (OSError, ValueError) as exc:
                raise ConfigurationError(f"the JWKS file {jwks_file} cannot be used: {exc}") from exc
            self._loaded_at = self._tried_at = clock()

    def principal(self, token: str) -> Principal:
        """Who the token's bearer is, with the grants its claims map to; ``Unauthenticated`` otherwise."""
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthenticated("token too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthenticated("malformed token") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in KEY_TYPES:
            shown = alg if isinstance(alg, str) and _ALG_NAME.fullmatch(alg) else "(unnamed)"
            raise Unauthenticated(f"algorithm {shown} not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("token names no key id (kid)")
        jwk = self._key(kid)
        if not _fits(jwk, alg):
            raise Unauthenticated(f"algorithm {alg} does not fit key {kid}")
        try:
            claims = jwt.decode(
                token,
                jwt.PyJWK(jwk, alg),
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"], "enforce_minimum_key_length": True},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(_reason(exc)) from exc
        return self._principal(claims)

    # -- claims to principal -----------------------------------------------------------------------------------
    def _principal(self, claims: Mapping[str, Any]) -> Principal:
        sub = claims["sub"]
        if not sub or len(sub) > MAX_SUB_CHARS or not sub.isprintable():
            raise Unauthenticated(f"sub claim must be 1 to {MAX_SUB_CHARS} printable characters")
        name = next(
            (v for v in (claims.get("name"), claims.get("preferred_username")) if isinstance(v, str) and v), sub
        )
        roles = self._strings(claims, self.roles_claim)
        for role in roles:
            if role == "source":
                raise Unauthenticated("role source is not accepted from sign-in tokens: systems post with API keys")
            if role not in TOKEN_ROLES:
                raise Unauthenticated(
                    f"role {role[:40]!r} in the {self.roles_claim} claim is not one of {', '.join(TOKEN_ROLES)}"
                )
        units = self._strings(claims, self.units_claim)
        cases = self._strings(claims, self.cases_claim)
        grants = tuple(
            Grant(
                role,
                units=units if role in UNIT_ROLES else (),
                cases=cases if role == "observer" else (),
            )
            for role in TOKEN_ROLES
            if role in roles
        )
        claim_of = {"units": self.units_claim, "cases": self.cases_claim}
        for grant in grants:
            problems = grant_problems([grant.to_json()])
            if problems:
                # grant_problems names a scope as ``grants/0/units``: name the claim the administrator sets.
                pointer, _, text = problems[0].partition(": ")
                scope = pointer.rsplit("/", 1)[-1]
                raise Unauthenticated(f"role {grant.role}: {claim_of.get(scope, scope)}: {text}")
        return Principal(f"oidc:{sub}", name, grants)

    def _strings(self, claims: Mapping[str, Any], claim: str) -> tuple[str, ...]:
        """A list-of-strings claim, deduplicated in order; a lone string is a list of one; absent: empty."""
        value = claims.get(claim)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Unauthenticated(f"the {claim} claim must be a list of strings")
        return tuple(dict.fromkeys(value))

    # -- the provider's keys -----------------------------------------------------------------------------------
    def _key(self, kid: str) -> dict[str, Any]:
        """The JWK named ``kid``, refreshing the set when it is old or lacks the kid — at most once per
        ``jwks_min_refresh_seconds``, whatever tokens arrive."""
        with self._lock:
            now = self._clock()
            stale = now - self._loaded_at >= self.jwks_max_age_seconds
            if (stale or kid not in self._keys) and now - self._tried_at >= self.jwks_min_refresh_seconds:
                self._refresh(now)
            if not self._keys:
                wait = self.jwks_min_refresh_seconds - (now - self._tried_at)
                raise Unavailable(
                    "the sign-in provider's signing keys could not be obtained", retry_after=max(1, math.ceil(wait))
                )
            jwk = self._keys.get(kid)
        if jwk is None:
            raise Unauthenticated("unknown key id")
        return jwk

    def _refresh(self, now: float) -> None:
        """Reloads the key set; on failure keeps the keys it has (the provider may be briefly down)."""
        self._tried_at = now
        try:
            document = (
                _read_jwks(self.jwks_file)
                if self.jwks_file is not None
                else _fetch_jwks(str(self.jwks_url), self.jwks_timeout_seconds)
            )
            keys = _usable_keys(document)
        except (OSError, ValueError, httpx.HTTPError) as exc:
            logger.warning(
                "could not refresh the sign-in provider's keys; keeping the %d known",
                len(self._keys),
                extra={"jwks": self.jwks_url or str(self.jwks_file), "cause": f"{type(exc).__name__}: {exc}"},
            )
            return
        self._keys = keys
        self._loaded_at = now


def _read_jwks(path: Path) -> Any:
    return json.loads(path.read_bytes())


def _fetch_jwks(url: str, timeout_seconds: float) -> Any:
    """The JWKS document at ``url``, refused past ``MAX_JWKS_BYTES`` (redirects are not followed)."""
    with httpx.stream("GET", url, timeout=timeout_seconds, headers={"Accept": "application/json"}) as response:
        response.raise_for_status()
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > MAX_JWKS_BYTES:
                raise ValueError(f"the JWKS is larger than {MAX_JWKS_BYTES} bytes")
    return json.loads(body)


def _check_jwks_url(url: str) -> None:
    """HTTPS only (whoever can alter the JWKS can sign tokens), except on the loopback interface."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not (parts.scheme == "https" or (parts.scheme == "http" and loopback)) or not host:
        raise ConfigurationError(f"the JWKS URL {url!r} must be https:// (http:// only on the loopback interface)")


def _usable_keys(document: Any) -> dict[str, dict[str, Any]]:
    """The signature keys of a JWKS by kid: public, of an accepted type, and loadable; others are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('not a JWK set (a JSON object with a "keys" list)')
    keys: dict[str, dict[str, Any]] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        kid = jwk.get("kid")
        algs = [alg for alg in KEY_TYPES if _fits(jwk, alg)]
        if not isinstance(kid, str) or not kid or not algs or kid in keys:
            continue
        if "d" in jwk:
            logger.warning("the JWKS publishes a private key; it is not used", extra={"kid": kid})
            continue
        try:
            jwt.PyJWK(jwk, algs[0])
        except jwt.PyJWTError as exc:
            logger.warning("a key of the JWKS cannot be loaded; it is not used", extra={"kid": kid, "cause": str(exc)})
            continue
        keys[kid] = jwk
    if not keys:
        raise ValueError("the JWK set holds no usable signature key with a kid")
    return keys


def _fits(jwk: Mapping[str, Any], alg: str) -> bool:
    """Whether ``alg`` may verify with this key: its type and curve, and its own ``alg`` when it names one."""
    kty, curves = KEY_TYPES[alg]
    return jwk.get("kty") == kty and (not curves or jwk.get("crv") in curves) and jwk.get("alg", alg) == alg


_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "wrong audience"),
    (jwt.InvalidIssuerError, "wrong issuer"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidIssuedAtError, "iat claim is not a number"),
    (jwt.exceptions.InvalidSubjectError, "sub claim is not a string"),
    (jwt.InvalidKeyError, "signing key too weak or unusable"),
    (jwt.DecodeError, "malformed token"),
)
"""PyJWT's refusals as reasons to show, subclasses before their bases (a bad signature is a DecodeError)."""


def _reason(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"token has no {exc.claim} claim"
    return next((text for kind, text in _REASONS if isinstance(exc, kind)), "token not valid")
