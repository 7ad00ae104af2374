"""The API object: its routes, who may call it, and every refusal as JSON.

Mounted at /api/ by noogh_site.urls; OpenAPI at /api/openapi.json and the
Swagger UI at /api/docs, served from django-ninja's own static files (the CSP
allows no other origin).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from ..services import UserGone
from .auth import BearerToken, Forbidden, StaffSession, TooManyRequests, Unauthorized
from .routes import NOT_FOUND, router

REALM = 'Bearer realm="noogh"'

api = NinjaAPI(
    title="noogh users API",
    version="1",
    description=(
        "The seed's user routes. Authenticate with a personal API token "
        "(`Authorization: Bearer noogh_...`, made at /accounts/tokens/) or a "
        "staff session with its CSRF token."
    ),
    auth=[BearerToken(), StaffSession()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/users", router)


def _detail(request, detail: str, status: int):
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(Unauthorized)
def _unauthorized(request, error: Unauthorized):
    response = _detail(request, error.detail, 401)
    challenge = f'{REALM}, error="{error.error}"' if error.error else REALM
    response["WWW-Authenticate"] = challenge
    return response


@api.exception_handler(AuthenticationError)
def _no_credentials(request, error):
    response = _detail(
        request, "Authentication required: send Authorization: Bearer <token>.", 401
    )
    response["WWW-Authenticate"] = REALM
    return response


@api.exception_handler(TooManyRequests)
def _too_many(request, error: TooManyRequests):
    response = _detail(request, error.detail, 429)
    response["Retry-After"] = str(error.retry_after)
    return response


@api.exception_handler(Forbidden)
@api.exception_handler(PermissionDenied)
def _forbidden(request, error):
    return _detail(request, str(error) or "You may not do that.", 403)


@api.exception_handler(UserGone)
@api.exception_handler(Http404)
def _gone(request, error):
    return _detail(
        request, NOT_FOUND if isinstance(error, UserGone) else "Not Found", 404
    )


@api.exception_handler(ValidationError)
def _invalid(request, error: ValidationError):
    """A model or password error, in the shape of django-ninja's own 422s."""
    errors = (
        error.message_dict
        if hasattr(error, "error_dict")
        else {"__all__": error.messages}
    )
    detail = [
        {"type": "value_error", "loc": ["body", field], "msg": message}
        for field, messages in errors.items()
        for message in messages
    ]
    return api.create_response(request, {"detail": detail}, status=422)
