"""Signing in to the console: the person's credential (an API key, or a token from the single sign-on
provider) is checked by the API and then kept in an HttpOnly, SameSite=Strict cookie scoped to the console,
so it is checked again, by the API, on every page: a revoked key or an expired token signs the person out at
once, and no session state lives in the server (any worker process answers).

Forms that change something carry a token derived from the credential (HMAC), which a page on another site
cannot know, besides the cookie's SameSite rule; the Origin header, when sent, must be this site's.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

from esledger.core.errors import Forbidden

COOKIE = "esledger_console"
PATH = "/console"
MAX_CREDENTIAL = 8192
"""Longer than any API key or SSO token this service accepts: a cookie beyond it is not even tried."""


def credential(request: Request) -> str | None:
    value = request.cookies.get(COOKIE)
    return value if value and len(value) <= MAX_CREDENTIAL else None


def sign_in(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        path=PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def sign_out(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH)


def form_token(value: str | None) -> str:
    """The anti-forgery token of forms shown to the holder of this credential."""
    return hmac.new((value or "").encode(), b"esledger-console-form", hashlib.sha256).hexdigest()


def check_origin(request: Request) -> None:
    """Refuse a form another site's page sent (the Origin header, when the browser sends one, is this site's):
    the sign-in form too, or a foreign page could sign a person in as someone else (login CSRF)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise Forbidden(f"a form from {origin!r} is not accepted: use the console's own pages")


def check_form(request: Request, submitted: str | None) -> None:
    """Refuse a form not sent from a console page of this credential's holder."""
    check_origin(request)
    if not submitted or not hmac.compare_digest(submitted, form_token(credential(request))):
        raise Forbidden("the form's token does not match your sign-in: reload the page and send it again")
