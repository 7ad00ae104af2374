"""Every page state, on a desktop and a phone, in light and dark: axe finds
nothing, and nothing on our pages scrolls sideways on the phone.

The feature tests run axe where they reach a state; this sweep makes sure no
state is missed in any of the four variants (the issue asks for all four).
"""

import pytest
from django.conf import settings
from django.test import Client

from users.tests.factories import SuperuserFactory, UserFactory, staff_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
SCHEMES = ["light", "dark"]
LONG = "x" * 200
# What sticks out furthest past the window's right edge, to name in a failure.
WIDEST = """() => {
  let worst = null, right = window.innerWidth;
  const clipped = element => {
    if (getComputedStyle(element).position === "absolute") return false;
    for (let e = element.parentElement; e; e = e.parentElement)
      if (getComputedStyle(e).overflowX !== "visible") return true;
    return false;
  };
  for (const element of document.body.querySelectorAll("*")) {
    if (clipped(element)) continue;
    const r = element.getBoundingClientRect().right;
    if (r > right) { right = r; worst = element; }
  }
  if (!worst) return `${document.documentElement.scrollWidth}px wide, cause not found`;
  const name = worst.tagName.toLowerCase()
    + (worst.className ? "." + worst.className : "");
  return `${name} ends at ${Math.round(right)}px of ${window.innerWidth}px`;
}"""

# name -> (who is signed in, the path; {id} is an account with long values)
STATES = {
    "list": ("superuser", "/users/"),
    "list-searched": ("superuser", "/users/?q=hopper&ordering=username"),
    "list-empty": ("superuser", "/users/?q=nobody-matches-this"),
    "list-bad-parameters": ("superuser", "/users/?is_active=perhaps&per_page=0"),
    "detail": ("superuser", "/users/{id}/"),
    "edit": ("superuser", "/users/{id}/edit/"),
    "create": ("superuser", "/users/new/"),
    "password": ("superuser", "/users/{id}/password/"),
    "access": ("superuser", "/users/{id}/access/"),
    "history": ("superuser", "/users/{id}/history/"),
    "api-tokens": ("superuser", "/accounts/tokens/"),
    "delete-confirm": ("superuser", "/users/{id}/delete/"),
    "mfa-reset-confirm": ("superuser", "/users/{id}/two-factor/reset/"),
    "erase-confirm": ("superuser", "/users/{id}/erase/"),
    "lockouts": ("superuser", "/users/lockouts/"),
    "my-sessions": ("superuser", "/users/me/sessions/"),
    "my-security": ("superuser", "/accounts/mfa/"),
    "not-found": ("superuser", "/users/999999999/"),
    "forbidden": ("viewer", "/users/{id}/delete/"),
    "login": (None, "/accounts/login/"),
    "password-link-broken": (None, "/accounts/password/MQ/not-a-token/"),
    "password-link-done": (None, "/accounts/password/done/"),
}


def sign_in(page, live_server, who: str | None) -> None:
    """Hand the browser a session made by Django's test client (no typing)."""
    if who is None:
        return
    user = SuperuserFactory() if who == "superuser" else staff_with("view_user")
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )


@pytest.mark.parametrize("state", STATES)
def test_every_page_state_in_four_variants(page, live_server, axe, state):
    who, path = STATES[state]
    UserFactory.create_batch(3, full_name="Grace Hopper")
    target = UserFactory(
        username="u" + LONG[:99], full_name=LONG, email=f"{LONG[:60]}@example.com"
    )
    sign_in(page, live_server, who)
    found = {}
    for viewport, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            page.goto(path.format(id=target.pk))
            variant = f"{viewport}/{scheme}"
            if violations := axe(page):
                found[variant] = violations
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            if overflow > 0:
                found[f"{variant} scrolls sideways"] = page.evaluate(WIDEST)
    assert found == {}
