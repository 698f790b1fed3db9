"""OpenID Connect bearer tokens: real keys, real signatures, a real JWKS served over HTTP by the test; every
way a token must be refused, and the claims-to-grants mapping an identity provider's administrator relies on."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from esledger.access.oidc import TokenValidator
from esledger.access.principals import Grant
from esledger.core.errors import ConfigurationError, Unauthenticated, Unavailable

ISSUER = "https://sso.example.gov.cn/realms/zfjd"
AUDIENCE = "esledger"
MIN_REFRESH = 60.0

KEYS: dict[str, Any] = {
    "rsa-1": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "rsa-2": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "ec-256": ec.generate_private_key(ec.SECP256R1()),
    "ec-384": ec.generate_private_key(ec.SECP384R1()),
    "ed-1": ed25519.Ed25519PrivateKey.generate(),
}
"""The provider's signing keys by kid (made once: RSA generation takes a moment)."""
ATTACKER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
WEAK = rsa.generate_private_key(public_exponent=65537, key_size=1024)


def jwk(kid: str, key: Any = None, **members: Any) -> dict[str, Any]:
    """The public JWK of ``KEYS[kid]`` (or of ``key``) under ``kid``."""
    public = (key or KEYS[kid]).public_key()
    if isinstance(public, rsa.RSAPublicKey):
        fields = RSAAlgorithm.to_jwk(public, as_dict=True)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        fields = ECAlgorithm.to_jwk(public, as_dict=True)
    else:
        fields = OKPAlgorithm.to_jwk(public, as_dict=True)
    return {**fields, "kid": kid, "use": "sig", **members}


class FakeClock:
    """The validator's monotonic clock, for the JWKS refresh intervals (``exp`` and friends use real time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class JwksServer(ThreadingHTTPServer):
    """Serves ``keys`` as a JWKS at ``/jwks`` on the loopback interface; counts the fetches."""

    keys: list[dict[str, Any]]
    hits: int
    status: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/jwks"


class JwksHandler(BaseHTTPRequestHandler):
    server: JwksServer

    def do_GET(self) -> None:
        self.server.hits += 1
        if self.server.status != 200:
            self.send_error(self.server.status)
            return
        body = json.dumps({"keys": self.server.keys}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is for failures."""


@pytest.fixture
def server() -> Iterator[JwksServer]:
    srv = JwksServer(("127.0.0.1", 0), JwksHandler)
    srv.keys = [jwk(kid) for kid in KEYS]
    srv.hits = 0
    srv.status = 200
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def validator(server: JwksServer, clock: FakeClock) -> TokenValidator:
    return TokenValidator(
        ISSUER, AUDIENCE, jwks_url=server.url, jwks_min_refresh_seconds=MIN_REFRESH, jwks_timeout_seconds=2, clock=clock
    )


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-1001", "iat": now, "exp": now + 300}
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def sign(payload: dict[str, Any], kid: str = "rsa-1", alg: str = "RS256", key: Any = None) -> str:
    return jwt.encode(payload, key or KEYS[kid], algorithm=alg, headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def refused(validator: TokenValidator, token: str) -> str:
    """The reason a token is refused, checked never to reveal the token."""
    with pytest.raises(Unauthenticated) as caught:
        validator.principal(token)
    detail = caught.value.detail
    assert not any(len(part) >= 8 and part in detail for part in token.split("."))
    return detail


# -- good tokens --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "grants"),
    [
        ({"esledger_roles": ["inspector"], "esledger_units": ["JZ-SS"]}, [Grant("inspector", units=("JZ-SS",))]),
        (
            {"esledger_roles": ["supervisor"], "esledger_units": ["JZ", "JZ-SS"]},
            [Grant("supervisor", units=("JZ", "JZ-SS"))],
        ),
        (
            {"esledger_roles": ["respondent"], "esledger_units": ["JZ-SS-ZWSJ"]},
            [Grant("respondent", units=("JZ-SS-ZWSJ",))],
        ),
        ({"esledger_roles": ["reviewer"]}, [Grant("reviewer")]),
        (
            {"esledger_roles": ["observer"], "esledger_cases": ["G-2026-0001"]},
            [Grant("observer", cases=("G-2026-0001",))],
        ),
        ({"esledger_roles": ["admin"]}, [Grant("admin")]),
        # Units scope only the roles they belong to; repeated names count once; a lone string is a list of one.
        (
            {
                "esledger_roles": ["reviewer", "inspector", "inspector"],
                "esledger_units": ["JZ"],
                "esledger_cases": ["C"],
            },
            [Grant("inspector", units=("JZ",)), Grant("reviewer")],
        ),
        ({"esledger_roles": "admin"}, [Grant("admin")]),
        ({}, []),
    ],
)
def test_claims_map_to_grants(validator: TokenValidator, extra: dict[str, Any], grants: list[Grant]) -> None:
    principal = validator.principal(sign(claims(**extra, name="张三")))
    assert principal.id == "oidc:u-1001"
    assert principal.name == "张三"
    assert list(principal.grants) == grants


@pytest.mark.parametrize(
    ("names", "shown"),
    [
        ({"preferred_username": "zhangsan"}, "zhangsan"),
        ({"name": "", "preferred_username": "zs"}, "zs"),
        ({}, "u-1001"),
    ],
)
def test_name_falls_back_to_preferred_username_then_sub(
    validator: TokenValidator, names: dict[str, str], shown: str
) -> None:
    assert validator.principal(sign(claims(**names))).name == shown


@pytest.mark.parametrize(
    ("kid", "alg"),
    [
        ("rsa-1", "RS256"),
        ("rsa-1", "RS384"),
        ("rsa-1", "RS512"),
        ("rsa-1", "PS256"),
        ("rsa-2", "PS512"),
        ("ec-256", "ES256"),
        ("ec-384", "ES384"),
        ("ed-1", "EdDSA"),
    ],
)
def test_every_asymmetric_algorithm_that_fits_its_key(validator: TokenValidator, kid: str, alg: str) -> None:
    assert validator.principal(sign(claims(), kid, alg)).id == "oidc:u-1001"


def test_audience_list_containing_ours(validator: TokenValidator) -> None:
    assert validator.principal(sign(claims(aud=["other-app", AUDIENCE]))).id == "oidc:u-1001"


def test_custom_claim_names(server: JwksServer) -> None:
    validator = TokenValidator(
        ISSUER, AUDIENCE, server.url, roles_claim="groups", units_claim="org_units", cases_claim="shared_cases"
    )
    token = sign(claims(groups=["inspector", "observer"], org_units=["JZ"], shared_cases=["G-1"]))
    assert validator.principal(token).grants == (Grant("inspector", units=("JZ",)), Grant("observer", cases=("G-1",)))


def test_keys_are_fetched_once_while_fresh(validator: TokenValidator, server: JwksServer, clock: FakeClock) -> None:
    for kid in ("rsa-1", "ec-256", "ed-1"):
        validator.principal(sign(claims(), kid, {"rsa-1": "RS256", "ec-256": "ES256", "ed-1": "EdDSA"}[kid]))
    assert server.hits == 1
    clock.now += 3600  # the default max age: refetched on the next use
    validator.principal(sign(claims()))
    assert server.hits == 2


# -- time, audience, issuer, subject ------------------------------------------------------------------------
def test_expired(validator: TokenValidator) -> None:
    now = int(time.time())
    assert refused(validator, sign(claims(iat=now - 600, exp=now - 60))) == "token expired"
    assert validator.principal(sign(claims(iat=now - 600, exp=now - 10))).id == "oidc:u-1001"  # within the leeway


def test_exp_is_required(validator: TokenValidator) -> None:
    assert refused(validator, sign(claims(exp=None))) == "token has no exp claim"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_not_yet_valid(validator: TokenValidator, claim: str) -> None:
    now = int(time.time())
    assert refused(validator, sign(claims(**{claim: now + 120}))) == "token not yet valid"
    assert validator.principal(sign(claims(**{claim: now + 10}))).id == "oidc:u-1001"  # within the leeway


def test_wrong_audience(validator: TokenValidator) -> None:
    assert refused(validator, sign(claims(aud="other-app"))) == "wrong audience"
    assert refused(validator, sign(claims(aud=["a", "b"]))) == "wrong audience"
    assert refused(validator, sign(claims(aud=None))) == "token has no aud claim"


def test_wrong_issuer(validator: TokenValidator) -> None:
    assert refused(validator, sign(claims(iss="https://evil.example/realms/zfjd"))) == "wrong issuer"
    assert refused(validator, sign(claims(iss=None))) == "token has no iss claim"


@pytest.mark.parametrize(
    ("sub", "reason"),
    [
        (None, "token has no sub claim"),
        (42, "sub claim is not a string"),
        ("", "sub claim must be 1 to 255 printable characters"),
        ("x" * 256, "sub claim must be 1 to 255 printable characters"),
        ("a\nb", "sub claim must be 1 to 255 printable characters"),
    ],
)
def test_subject_is_required(validator: TokenValidator, sub: Any, reason: str) -> None:
    assert refused(validator, sign(claims(sub=sub))) == reason


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"iat": "soon"}, "iat claim is not a number"),
        ({"exp": "tomorrow"}, "malformed token"),
        ({"aud": 5}, "wrong audience"),
        ({"jti": 5}, "token not valid"),
    ],
)
def test_claims_of_the_wrong_type(validator: TokenValidator, bad: dict[str, Any], reason: str) -> None:
    assert refused(validator, sign(claims(**bad))) == reason


def test_signed_payload_that_is_not_json(validator: TokenValidator) -> None:
    token = jwt.api_jws.PyJWS().encode(b"not json", KEYS["rsa-1"], "RS256", headers={"kid": "rsa-1"})
    assert refused(validator, token) == "malformed token"


# -- keys and algorithms ------------------------------------------------------------------------------------
def test_unknown_key_id_refetches_once_then_is_refused(
    validator: TokenValidator, server: JwksServer, clock: FakeClock
) -> None:
    newcomer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = sign(claims(), "rsa-new", key=newcomer)
    assert refused(validator, token) == "unknown key id"
    assert server.hits == 1
    # A flood of made-up kids within the interval costs the provider nothing more.
    for i in range(20):
        assert refused(validator, sign(claims(), f"made-up-{i}", key=ATTACKER)) == "unknown key id"
    assert server.hits == 1
    # The provider rotates in a new key: picked up by the first refresh the interval allows.
    server.keys.append(jwk("rsa-new", newcomer))
    clock.now += MIN_REFRESH - 1
    assert refused(validator, token) == "unknown key id"
    assert server.hits == 1
    clock.now += 1
    assert validator.principal(token).id == "oidc:u-1001"
    assert server.hits == 2


def test_removed_key_is_refused_after_max_age(server: JwksServer, clock: FakeClock) -> None:
    validator = TokenValidator(ISSUER, AUDIENCE, server.url, jwks_max_age_seconds=600, clock=clock)
    token = sign(claims(), "rsa-2")
    assert validator.principal(token).id == "oidc:u-1001"
    server.keys = [k for k in server.keys if k["kid"] != "rsa-2"]
    clock.now += 600
    assert refused(validator, token) == "unknown key id"


def test_alg_none_is_refused(validator: TokenValidator) -> None:
    for header in ({"alg": "none", "typ": "JWT"}, {"alg": "none", "kid": "rsa-1"}, {"alg": "None", "kid": "rsa-1"}):
        token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}."
        assert refused(validator, token) == f"algorithm {header['alg']} not accepted"


def test_hs256_signed_with_the_rsa_public_key_is_refused(validator: TokenValidator) -> None:
    """HS/RS confusion: the attacker uses the published public key, as PEM, as the HMAC secret."""
    secret = (
        KEYS["rsa-1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for alg, digest in (("HS256", hashlib.sha256), ("HS384", hashlib.sha384), ("HS512", hashlib.sha512)):
        signing_input = f"{b64(json.dumps({'alg': alg, 'kid': 'rsa-1'}).encode())}.{b64(json.dumps(claims()).encode())}"
        token = f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), digest).digest())}"
        assert refused(validator, token) == f"algorithm {alg} not accepted"


def test_unnamed_or_odd_alg_is_not_echoed(validator: TokenValidator) -> None:
    for alg in (None, 256, ["RS256"], {"RS256": True}, "<script>alert(1)</script>"):
        header = {"kid": "rsa-1"} if alg is None else {"alg": alg, "kid": "rsa-1"}
        token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}.c2ln"
        assert refused(validator, token) == "algorithm (unnamed) not accepted"


def test_signed_by_another_key_with_the_same_kid(validator: TokenValidator) -> None:
    assert refused(validator, sign(claims(), "rsa-1", key=ATTACKER)) == "bad signature"
    assert refused(validator, sign(claims(), "ec-256", "ES256", key=ec.generate_private_key(ec.SECP256R1()))) == (
        "bad signature"
    )


def test_tampered_payload(validator: TokenValidator) -> None:
    header, _, signature = sign(claims(esledger_roles=["reviewer"])).split(".")
    forged = b64(json.dumps(claims(esledger_roles=["admin"])).encode())
    assert refused(validator, f"{header}.{forged}.{signature}") == "bad signature"


@pytest.mark.parametrize(
    ("kid", "alg"),
    [("ec-256", "RS256"), ("ed-1", "PS256"), ("rsa-1", "ES256"), ("ec-256", "ES384"), ("ec-384", "ES256")],
)
def test_algorithm_must_fit_the_key_type(validator: TokenValidator, kid: str, alg: str) -> None:
    """E.g. an RS256 header naming an EC key, or ES384 naming a P-256 key: signed by the attacker's own key of
    the header's type, which must not matter."""
    attacker = {"ES256": ec.generate_private_key(ec.SECP256R1()), "ES384": ec.generate_private_key(ec.SECP384R1())}
    assert (
        refused(validator, sign(claims(), kid, alg, key=attacker.get(alg, ATTACKER)))
        == f"algorithm {alg} does not fit key {kid}"
    )


def test_algorithm_must_match_the_keys_declared_alg(validator: TokenValidator, server: JwksServer) -> None:
    server.keys = [jwk("rsa-1", alg="PS256")]
    assert validator.principal(sign(claims(), "rsa-1", "PS256")).id == "oidc:u-1001"
    assert refused(validator, sign(claims(), "rsa-1", "RS256")) == "algorithm RS256 does not fit key rsa-1"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_weak_rsa_key_is_refused(validator: TokenValidator, server: JwksServer) -> None:
    server.keys.append(jwk("weak", WEAK))
    assert refused(validator, sign(claims(), "weak", key=WEAK)) == "signing key too weak or unusable"


def test_missing_kid(validator: TokenValidator) -> None:
    token = jwt.encode(claims(), KEYS["rsa-1"], algorithm="RS256")
    assert refused(validator, token) == "token names no key id (kid)"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "malformed token"),
        ("abc", "malformed token"),
        ("a.b.c", "malformed token"),
        ("e30.e30.", "algorithm (unnamed) not accepted"),
        ("x" * 20_000, "token too long"),
    ],
)
def test_malformed(validator: TokenValidator, token: str, reason: str) -> None:
    assert refused(validator, token) == reason


# -- roles --------------------------------------------------------------------------------------------------
def test_source_role_is_not_accepted_from_tokens(validator: TokenValidator) -> None:
    token = sign(claims(esledger_roles=["reviewer", "source"], esledger_units=["JZ"]))
    assert refused(validator, token) == "role source is not accepted from sign-in tokens: systems post with API keys"


def test_unknown_role_refuses_the_token(validator: TokenValidator) -> None:
    assert refused(validator, sign(claims(esledger_roles=["inspector", "superuser"], esledger_units=["JZ"]))) == (
        "role 'superuser' in the esledger_roles claim is not one of "
        "inspector, supervisor, reviewer, respondent, observer, admin"
    )


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (
            {"esledger_roles": ["inspector"]},
            "role inspector: esledger_units: a inspector grant names at least one unit",
        ),
        (
            {"esledger_roles": ["supervisor"], "esledger_units": []},
            "role supervisor: esledger_units: a supervisor grant names at least one unit",
        ),
        (
            {"esledger_roles": ["observer"], "esledger_units": ["JZ"]},
            "role observer: esledger_cases: an observer grant names the cases shared with it",
        ),
        (
            {"esledger_roles": ["respondent"], "esledger_units": [""]},
            "role respondent: esledger_units: a list of non-empty strings",
        ),
        ({"esledger_roles": ["inspector"], "esledger_units": "JZ,JZ-SS", "x": 1}, None),
        ({"esledger_roles": {"inspector": True}}, "the esledger_roles claim must be a list of strings"),
        (
            {"esledger_roles": ["inspector"], "esledger_units": [1, 2]},
            "the esledger_units claim must be a list of strings",
        ),
    ],
)
def test_grants_must_be_valid(validator: TokenValidator, extra: dict[str, Any], reason: str | None) -> None:
    token = sign(claims(**extra))
    if reason is None:  # a lone string is one unit code, taken as it is
        assert validator.principal(token).grants == (Grant("inspector", units=("JZ,JZ-SS",)),)
    else:
        assert refused(validator, token) == reason


# -- where the keys come from -------------------------------------------------------------------------------
def test_jwks_file(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk("ec-256"), {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}))
    validator = TokenValidator(ISSUER, AUDIENCE, jwks_file=path, clock=clock)
    assert validator.principal(sign(claims(esledger_roles=["reviewer"]), "ec-256", "ES256")).grants == (
        Grant("reviewer"),
    )
    assert refused(validator, sign(claims(), "hmac", "HS256", key=b"secret" * 6)) == "algorithm HS256 not accepted"
    # A key added to the file is read on the next refresh an unknown kid may cause.
    path.write_text(json.dumps({"keys": [jwk("ec-256"), jwk("ed-1")]}))
    token = sign(claims(), "ed-1", "EdDSA")
    assert refused(validator, token) == "unknown key id"
    clock.now += MIN_REFRESH
    assert validator.principal(token).id == "oidc:u-1001"


@pytest.mark.parametrize(
    "content",
    [
        None,
        "not json",
        json.dumps({"kid": "x"}),
        json.dumps({"keys": []}),
        json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}),
        json.dumps({"keys": [{k: v for k, v in jwk("rsa-1").items() if k != "kid"}]}),
        json.dumps({"keys": [jwk("rsa-1", use="enc")]}),
        json.dumps({"keys": [{**jwk("rsa-1"), "n": "AAAA"}]}),
    ],
)
def test_unusable_jwks_file_stops_the_start(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "jwks.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigurationError, match=r"the JWKS file .* cannot be used"):
        TokenValidator(ISSUER, AUDIENCE, jwks_file=path)


def test_private_key_in_the_jwks_is_not_used(tmp_path: Path) -> None:
    private = RSAAlgorithm.to_jwk(KEYS["rsa-1"], as_dict=True)
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{**private, "kid": "rsa-1"}, jwk("ed-1")]}))
    validator = TokenValidator(ISSUER, AUDIENCE, jwks_file=path)
    assert refused(validator, sign(claims())) == "unknown key id"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        (None, None),
        ("https://sso.example.gov.cn/jwks", Path("jwks.json")),
        ("http://sso.example.gov.cn/jwks", None),
        ("ftp://127.0.0.1/jwks", None),
        ("https:///jwks", None),
    ],
)
def test_configuration(url: str | None, path: Path | None) -> None:
    with pytest.raises(ConfigurationError):
        TokenValidator(ISSUER, AUDIENCE, jwks_url=url, jwks_file=path)


def test_empty_issuer_or_audience() -> None:
    with pytest.raises(ConfigurationError):
        TokenValidator("", AUDIENCE, jwks_url="https://sso.example.gov.cn/jwks")
    with pytest.raises(ConfigurationError):
        TokenValidator(ISSUER, "", jwks_url="https://sso.example.gov.cn/jwks")


def test_provider_down_before_any_key_is_unavailable(
    validator: TokenValidator, server: JwksServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    server.status = 500
    token = sign(claims())
    with caplog.at_level(logging.WARNING, "esledger.access"), pytest.raises(Unavailable) as caught:
        validator.principal(token)
    assert caught.value.retry_after == MIN_REFRESH
    clock.now += 45
    with pytest.raises(Unavailable) as caught:
        validator.principal(token)
    assert caught.value.retry_after == 15
    assert server.hits == 1
    assert "could not refresh" in caplog.text
    assert token not in caplog.text
    # Back: the next attempt the interval allows succeeds.
    server.status = 200
    clock.now += 15
    assert validator.principal(token).id == "oidc:u-1001"


def test_provider_down_later_keeps_the_known_keys(
    validator: TokenValidator, server: JwksServer, clock: FakeClock
) -> None:
    assert validator.principal(sign(claims())).id == "oidc:u-1001"
    server.status = 503
    clock.now += 3600
    assert validator.principal(sign(claims())).id == "oidc:u-1001"
    assert server.hits == 2


def test_oversized_jwks_is_not_read(validator: TokenValidator, server: JwksServer) -> None:
    server.keys = [jwk("rsa-1", x_padding="x" * (1024 * 1024))]
    with pytest.raises(Unavailable):
        validator.principal(sign(claims()))


def test_unreachable_provider(clock: FakeClock) -> None:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), JwksHandler)
    srv.server_close()  # a loopback port nobody listens on
    validator = TokenValidator(
        ISSUER, AUDIENCE, f"http://127.0.0.1:{srv.server_address[1]}/jwks", jwks_timeout_seconds=1, clock=clock
    )
    with pytest.raises(Unavailable):
        validator.principal(sign(claims()))
