"""API tokens in a real browser: none yet, a refused form, a new token shown
once, a revoked one; and the API's docs page rendering under the site's CSP.
Every state passes axe."""

import re

import pytest
from playwright.sync_api import expect

from users.models import ApiToken
from users.tests.factories import SuperuserFactory

from .test_sessions import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_making_seeing_once_and_revoking_a_token(page, axe, screenshot):
    SuperuserFactory(username="root")
    sign_in(page, "root")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "api-tokens-none")

    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    assert axe(page) == []
    screenshot(page, "api-tokens-error")

    page.get_by_label("Name").fill("nightly sync")
    page.get_by_label("Expires after").select_option("90")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("code.token-value")
    expect(shown).to_contain_text("noogh_")
    token = ApiToken.objects.get()
    assert shown.inner_text().startswith(f"noogh_{token.prefix}_")
    expect(page.locator("table.tokens tbody tr")).to_contain_text("Active")
    assert axe(page) == []
    screenshot(page, "api-tokens-new")

    page.reload()
    expect(page.locator("code.token-value")).to_have_count(0)  # once only
    page.get_by_role("button", name=re.compile(r"^Revoke.*nightly sync")).click()
    expect(page.get_by_text("Revoked the token “nightly sync”.")).to_be_visible()
    expect(page.locator("table.tokens tbody tr")).to_contain_text("Revoked")
    assert axe(page) == []
    screenshot(page, "api-tokens-revoked")


def test_the_api_docs_render_under_the_csp(browser, live_server, screenshot):
    # Without bypass_csp: the real policy, which allows no inline script and
    # no other origin.
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("noogh users API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    screenshot(page, "api-docs")
    context.close()
    assert violations == []
