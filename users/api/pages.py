"""The list and the search: the staff list's parameters (users.listing, one
validator), a bounded `skip`, and keyset `cursor`s for going deeper."""

from django.http import QueryDict
from ninja.errors import ValidationError as NinjaValidationError

from ..listing import ListParameters
from ..managers.accounts import UserQuerySet
from ..pagination import make_token, page_and_count, result_count

# OFFSET reads every row it skips (~500 ms at 250,000): past this, follow
# `next` cursors, which cost the same at any depth.
MAX_SKIP = 10_000
MAX_LIMIT = 100
DEFAULT_LIMIT = 100
# API name -> the list form's name.
RENAMED = {"cursor": "page"}


def invalid(errors: list[tuple[str, str]]) -> NinjaValidationError:
    """A 422 in the shape django-ninja gives its own validation errors."""
    return NinjaValidationError(
        [
            {"type": "value_error", "loc": ["query", name], "msg": msg}
            for name, msg in errors
        ]
    )


def list_parameters(query: dict) -> ListParameters:
    """The staff list's validation of filters, sort order and cursor; its
    errors as a 422 naming the API's parameters."""
    data = QueryDict(mutable=True)
    for name, value in query.items():
        if value is not None and name not in ("skip", "limit"):
            data[RENAMED.get(name, name)] = str(value)
    params = ListParameters(data)
    if not params.valid:
        back = {form: api for api, form in RENAMED.items()}
        raise invalid(
            [
                (back.get(name, name), " ".join(messages))
                for name, messages in params.form.errors.items()
            ]
        )
    return params


def page_of_users(query: dict, *, skip: int, limit: int) -> dict:
    """The list envelope: users, total (exact or flagged), skip, limit, next."""
    params = list_parameters(query)
    if skip and params.page_token:
        raise invalid([("skip", "Use either skip or cursor, not both.")])
    if skip > MAX_SKIP:
        raise invalid(
            [
                (
                    "skip",
                    f"At most {MAX_SKIP:,}: to go deeper, follow the `next` "
                    "cursor of each page.",
                )
            ]
        )
    users: UserQuerySet = params.users
    if params.page_token or not skip:
        page, count = page_and_count(
            users,
            ordering=params.ordering,
            per_page=limit,
            token=params.page_token,
            filtered=params.filtered,
        )
        if page.restarted:
            raise invalid(
                [
                    (
                        "cursor",
                        "The row this cursor continued from was deleted; start again.",
                    )
                ]
            )
        rows, next_token = page.rows, page.next_token
    else:
        rows = list(users.sorted_by(params.ordering)[skip : skip + limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        next_token = make_token("after", params.ordering, rows[-1]) if more else None
        count = result_count(users, filtered=params.filtered)
    return {
        "users": rows,
        "total": count.number,
        "total_is_estimate": not count.exact or count.capped,
        "skip": skip,
        "limit": limit,
        "next": next_token,
    }
