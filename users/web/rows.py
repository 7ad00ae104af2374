"""The list page's rows, drawn in one pass.

Through the template engine the 25 rows were about half of the page's CPU:
some twenty nodes a row, each resolving its variable, localizing and escaping
it, and the permission asked again on every row. Here each row is one string
with the same HTML the template drew, byte for byte (test_list_rows.py
compares the two for every kind of row); the page's other parts stay in
templates/users/user_list.html.
"""

from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeString
from django.utils.timezone import get_current_timezone

from ..templatetags.rowurls import url_maker
from ..templatetags.times import moment_html

YES_NO = ("No", "Yes")
# The row's actions: the first the rules offer (account.offered, set by
# permissions.offered_row_actions), as a button of the page's row-actions form.
ACTIONS = (("deactivate", "Deactivate"), ("activate", "Activate"))


def draw_rows(
    accounts: Iterable, *, back: str, selectable: bool, with_actions: bool
) -> SafeString:
    """The <tr>s of the list's table body: with a tick box each when there
    are bulk actions (selectable), and the Actions cell when the viewer may
    change users (with_actions). back: the list's own URL, URL-encoded."""
    page = _Page(escape(back), selectable, with_actions)
    return SafeString("".join(page.row(account) for account in accounts))


def draw_page_ids(accounts: Iterable) -> SafeString:
    """The bulk form's hidden page_id inputs, one per account on the page."""
    return SafeString(
        "".join(
            f'<input type="hidden" name="page_id" value="{int(account.pk)}">'
            for account in accounts
        )
    )


class _Page:
    """What every row of a page shares, read once: the page's options, the
    time zone and the row URLs' configuration."""

    def __init__(self, back: str, selectable: bool, with_actions: bool):
        self.back, self.selectable, self.with_actions = back, selectable, with_actions
        self.zone = get_current_timezone()
        self.urls = {
            name: url_maker(f"users:{name}")
            for name in ("detail", *(action for action, _ in ACTIONS))
        }

    def row(self, account) -> str:
        pk, username = account.pk, escape(account.username)
        select = ""
        if self.selectable:
            select = (
                f'<td class="select-cell" data-label="Select"><input type="checkbox" '
                f'name="id" value="{pk}" id="select-{pk}" form="bulk"><label '
                f'for="select-{pk}" class="visually-hidden">Select {username}'
                "</label></td>"
            )
        inactive = "" if account.is_active else ' class="inactive"'
        detail = escape(self.urls["detail"](pk))
        actions = self._actions(account, username) if self.with_actions else ""
        return (
            f"\n      <tr{inactive}>\n        {select}\n"
            f'        <th scope="row" class="long" data-label="Username"><a '
            f'href="{detail}?back={self.back}">{username}</a></th>\n'
            f'        <td class="long" data-label="Full name">'
            f"{escape(account.full_name)}</td>\n"
            f'        <td class="long" data-label="Email">'
            f"{escape(account.email)}</td>\n"
            f'        <td data-label="Active">{YES_NO[bool(account.is_active)]}</td>\n'
            f'        <td data-label="Staff">{YES_NO[bool(account.is_staff)]}</td>\n'
            f'        <td data-label="Superuser">'
            f"{YES_NO[bool(account.is_superuser)]}</td>\n"
            f'        <td data-label="Created">'
            f"{self._moment(account.created_at)}</td>\n"
            f'        <td data-label="Last login">'
            f"{self._moment(account.last_login, 'Never')}</td>\n"
            f"        {actions}\n"
            "      </tr>\n    "
        )

    def _moment(self, value, empty: str = "—") -> str:
        return moment_html(value, self.zone) if value else empty

    def _actions(self, account, username: str) -> str:
        button = ""
        for action, label in ACTIONS:
            if account.offered[action]:
                url = escape(self.urls[action](account.pk))
                button = (
                    f'<button type="submit" form="row-actions" formaction="{url}" '
                    f'class="link-button">{label}<span class="visually-hidden"> '
                    f"{username}</span></button>"
                )
                break
        return f'<td class="row-actions" data-label="Actions">{button}\n</td>'
