"""The seed's routes under /api/users: reads through the query layer, writes
through users.services with the caller as actor (a token's owner, or the
session's user), so the rules, the privilege hierarchy and the trail are
those of the staff pages."""

from datetime import date
from typing import Annotated, Literal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from ninja import Path, Query, Router, Schema, Status
from ninja.errors import HttpError

from .. import services
from ..listing import ORDERING_CHOICES
from ..models import User
from . import schemas
from .pages import DEFAULT_LIMIT, MAX_LIMIT, MAX_SKIP, page_of_users

router = Router(tags=["users"])
# The largest id a PostgreSQL bigint holds: a bigger one is a 422, not a 500.
MAX_ID = 2**63 - 1
UserId = Annotated[int, Path(ge=1, le=MAX_ID)]
Ordering = Literal[tuple(value for value, _ in ORDERING_CHOICES)]
Flag = Literal["true", "false"]
ERRORS = {
    401: schemas.Detail,
    403: schemas.Detail,
    404: schemas.Detail,
    422: schemas.Invalid,
    429: schemas.Detail,
}
NOT_FOUND = "User not found"


class Filters(Schema):
    """The staff list's parameters (/users/), validated by the same form."""

    is_active: Flag | None = None
    is_staff: Flag | None = None
    is_superuser: Flag | None = None
    created_after: date | None = None
    created_before: date | None = None
    ordering: Ordering | None = None
    cursor: str | None = Query(
        None, max_length=300, description="A `next` value from a previous page."
    )


class Paging(Schema):
    skip: int = Query(0, ge=0, le=MAX_SKIP)
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


def _user_or_404(user_id: int) -> User:
    user = User.objects.get_or_none(pk=user_id)
    if user is None:
        raise HttpError(404, NOT_FOUND)
    return user


@router.get("/search", response={200: schemas.UserList, **ERRORS})
def search_users(
    request,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    paging: Query[Paging],
    filters: Query[Filters],
):
    """Name, email or username, ignoring case (as the staff list's search).

    Three or more characters match anywhere, one or two the start of a field;
    a complete email address finds exactly that account.
    """
    query = filters.model_dump() | {"q": q}
    return page_of_users(query, skip=paging.skip, limit=paging.limit)


@router.get("/email/{email}", response={200: schemas.UserOut, **ERRORS})
def get_user_by_email(request, email: Annotated[str, Path(max_length=254)]):
    """The account with this email address, ignoring case."""
    user = None if "\x00" in email else User.objects.get_by_email(email)
    if user is None:
        raise HttpError(404, NOT_FOUND)
    return user


@router.get("", response={200: schemas.UserList, **ERRORS})
def list_users(
    request,
    paging: Query[Paging],
    filters: Query[Filters],
    q: Annotated[str | None, Query(max_length=200)] = None,
):
    """Users, newest first unless `ordering` says otherwise.

    `skip` goes at most 10,000 deep; follow `next` (pass it as `cursor`)
    beyond that.
    """
    query = filters.model_dump() | {"q": q}
    return page_of_users(query, skip=paging.skip, limit=paging.limit)


@router.post("", response={201: schemas.UserOut, **ERRORS})
def create_user(request, payload: schemas.UserIn):
    fields = payload.model_dump()
    password = fields.pop("password")
    if password is not None:
        try:
            validate_password(password, User(**fields))
        except ValidationError as error:
            raise ValidationError({"password": error.error_list}) from None
    user = services.user_create(actor=request.auth, password=password, **fields)
    return Status(201, user)


@router.get("/{int:user_id}", response={200: schemas.UserOut, **ERRORS})
def get_user(request, user_id: UserId):
    return _user_or_404(user_id)


@router.patch("/{int:user_id}", response={200: schemas.UserOut, **ERRORS})
def update_user(request, user_id: UserId, payload: schemas.UserPatch):
    """Change the fields sent (the others stay as they are)."""
    user = _user_or_404(user_id)
    changes = payload.changes()
    if not changes:
        return user  # nothing to change: no new version, nothing to record
    return services.user_update(actor=request.auth, user=user, **changes)


@router.delete("/{int:user_id}", response={204: None, **ERRORS})
def delete_user(request, user_id: UserId):
    services.user_delete(actor=request.auth, user=_user_or_404(user_id))
    return Status(204, None)


@router.post("/{int:user_id}/deactivate", response={200: schemas.Message, **ERRORS})
def deactivate_user(request, user_id: UserId):
    """Stop the user logging in (and end their sessions); idempotent."""
    user = services.user_deactivate(actor=request.auth, user=_user_or_404(user_id))
    return {"message": "User deactivated", "user": user}


@router.post("/{int:user_id}/activate", response={200: schemas.Message, **ERRORS})
def activate_user(request, user_id: UserId):
    """Let the user log in again; idempotent."""
    user = services.user_activate(actor=request.auth, user=_user_or_404(user_id))
    return {"message": "User activated", "user": user}
