"""Who is calling the API: a personal token (`Authorization: Bearer`) acting
as its owner, or a staff session, which must send its CSRF token.

Either way the caller is an active staff member who may see users (as at the
staff login); what they may change is for the services to judge, as on the
pages. Invalid bearer tokens count as failed logins of the client address
(django-axes, under attempts.API_TOKEN_KEY): five from one address lock it out
of token use for the cool-off, and they count toward the address's lockout
from sign-in too. Valid tokens are rate-limited per token.
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from .. import attempts, permissions, services, tokens
from ..models import User
from ..signin.lockout import API_TOKEN_CREDENTIAL, lockout_client_ip

# What an invalid token's failure is recorded with: never the token itself.
CREDENTIALS = {"username": "(API token)", API_TOKEN_CREDENTIAL: True}
RATE_WINDOW_SECONDS = 60


class Unauthorized(Exception):
    """401 with `WWW-Authenticate: Bearer`."""

    def __init__(self, detail: str, *, error: str | None = "invalid_token"):
        super().__init__(detail)
        self.detail, self.error = detail, error


class Forbidden(Exception):
    """403: signed in, but not someone the API serves (or no CSRF token)."""


class TooManyRequests(Exception):
    """429 with Retry-After."""

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail)
        self.detail, self.retry_after = detail, retry_after


def _count_failure(request) -> None:
    """Record an invalid token as a failed login of this address (axes)."""
    user_login_failed.send(__name__, credentials=CREDENTIALS, request=request)


def _locked_out(request) -> TooManyRequests:
    # axes' middleware would put its HTML page over our answer.
    request.axes_locked_out = False
    seconds = int(attempts.cool_off().total_seconds())
    return TooManyRequests(
        "Too many invalid API tokens from your address; try again later.",
        retry_after=seconds,
    )


def _check_rate(token) -> None:
    """A fixed window per token in Django's cache (per process with the local
    memory cache; shared with a shared cache)."""
    window = int(timezone.now().timestamp()) // RATE_WINDOW_SECONDS
    key = f"noogh:api-rate:{token.prefix}:{window}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr: count from here
        cache.set(key, used := 1, timeout=RATE_WINDOW_SECONDS + 5)
    if used > settings.API_TOKEN_RATE_LIMIT:
        elapsed = int(timezone.now().timestamp()) % RATE_WINDOW_SECONDS
        raise TooManyRequests(
            f"This token may make {settings.API_TOKEN_RATE_LIMIT} requests a minute.",
            retry_after=max(1, RATE_WINDOW_SECONDS - elapsed),
        )


class BearerToken(HttpBearer):
    """`Authorization: Bearer noogh_...`: a personal token of an active staff
    member (users.tokens). With no Authorization header, the session is tried."""

    def __call__(self, request) -> User | None:
        header = request.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, presented = header.strip().partition(" ")
        if scheme.lower() != "bearer":
            raise Unauthorized("Send Authorization: Bearer <token>.", error=None)
        return self.authenticate(request, presented.strip())

    def authenticate(self, request, token: str) -> User:
        if AxesProxyHandler.is_locked(request, CREDENTIALS):
            _count_failure(request)  # a refused try extends the lockout
            raise _locked_out(request)
        found = tokens.find_live_token(token)
        if found is None or not permissions.may_sign_in_to_staff_pages(found.user):
            with attempts.one_attempt_at_a_time(lockout_client_ip(request)):
                _count_failure(request)
            if getattr(request, "axes_locked_out", False):
                raise _locked_out(request)
            raise Unauthorized("The token is invalid, expired or revoked.")
        _check_rate(found)
        services.token_used(found)
        # The owner acts (request.auth, which the routes pass to the services;
        # token_owner, the trail's default actor). request.user stays
        # anonymous: a signed-in user there would make the session middleware
        # start and record a session for every token request.
        request.api_token, request.token_owner = found, found.user
        return found.user


class StaffSession(APIKeyCookie):
    """The browser's session (the docs page, scripts in a staff page), with
    Django's CSRF check on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request) -> User | None:
        user = request.user
        if not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise Forbidden(
                "CSRF check failed: send the csrftoken cookie's value in the "
                "X-CSRFToken header."
            )
        return self.authenticate(request, None)

    def authenticate(self, request, key) -> User:
        if not permissions.may_sign_in_to_staff_pages(request.user):
            raise Forbidden("Only active staff who may see users can use the API.")
        return request.user
