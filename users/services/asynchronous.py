"""Async twins of the account services: the one write path, in a worker thread.

Each twin runs its service unchanged (the transaction, the locked rows, the
rules, the audit event) through asgiref's sync_to_async. The actor follows
the same rule as the service's: name it, or leave it to FROM_REQUEST. The
request context (users.audit.context) lives in context variables, which
sync_to_async copies into the worker thread, so FROM_REQUEST finds the
request being served by this task - and the system outside a request, as in
a management command.
"""

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async

from .accounts import (
    user_activate,
    user_create,
    user_deactivate,
    user_delete,
    user_set_password,
    user_update,
)


def _twin(service: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    @wraps(service)
    async def twin(**kwargs: Any) -> Any:
        # thread_sensitive: the worker is the one thread Django's async ORM
        # calls use too, so a twin sees the caller's transaction and connection.
        return await sync_to_async(service, thread_sensitive=True)(**kwargs)

    twin.__name__ = twin.__qualname__ = f"a{service.__name__}"
    twin.__doc__ = f"Async twin of {service.__name__}: same rules, audit and actor."
    return twin


auser_create = _twin(user_create)
auser_update = _twin(user_update)
auser_activate = _twin(user_activate)
auser_deactivate = _twin(user_deactivate)
auser_set_password = _twin(user_set_password)
auser_delete = _twin(user_delete)
