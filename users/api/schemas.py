"""What the API reads and answers (Pydantic, via django-ninja): the seed's
user object, the list envelope, the bodies of create and change, and errors."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from ..models import User


def _max_length(name: str) -> int:
    # Follows the model: a migration changing a limit changes the schema too.
    return User._meta.get_field(name).max_length


class UserOut(Schema):
    """A user as the seed's repository returned it."""

    id: int
    email: str
    username: str
    full_name: str
    is_active: bool
    is_superuser: bool
    created_at: datetime
    updated_at: datetime


class UserList(Schema):
    users: list[UserOut]
    total: int = Field(
        description="Matching users. Exact when cheap; see total_is_estimate."
    )
    total_is_estimate: bool = Field(
        description="True when total is the planner's estimate of the whole table, "
        "or a lower bound (10,000) for a filtered list that matches more."
    )
    skip: int
    limit: int
    next: str | None = Field(
        description="Pass as `cursor` for the page after this one (keyset: "
        "constant time at any depth); null on the last page."
    )


class Message(Schema):
    message: str
    user: UserOut


class Detail(Schema):
    detail: str


class FieldError(Schema):
    model_config = ConfigDict(extra="allow")

    loc: list[int | str]
    msg: str
    type: str


class Invalid(Schema):
    detail: list[FieldError]


class _Body(Schema):
    # An unknown field is refused, not silently dropped: a typo in
    # "is_superuser" must not create an ordinary account and say 201.
    model_config = ConfigDict(extra="forbid")


class UserIn(_Body):
    email: str = Field(max_length=_max_length("email"))
    username: str = Field(max_length=_max_length("username"))
    full_name: str = Field("", max_length=_max_length("full_name"))
    password: str | None = Field(
        None,
        max_length=4096,
        description="Without one the account cannot log in until one is set.",
    )
    is_active: bool = True
    is_staff: bool = Field(False, description="Superusers only.")
    is_superuser: bool = Field(False, description="Superusers only.")


class UserPatch(_Body):
    """Only the fields sent are changed; null is no value for any of them."""

    email: str = Field(None, max_length=_max_length("email"))
    username: str = Field(None, max_length=_max_length("username"))
    full_name: str = Field(None, max_length=_max_length("full_name"))
    is_active: bool = None
    is_staff: bool = Field(None, description="Superusers only.")
    is_superuser: bool = Field(None, description="Superusers only.")

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)
