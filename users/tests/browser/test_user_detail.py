"""A user's page in a real browser: groups and permissions, the access form,
the history for people and its "see all" page, the password page - each state
checked by axe at desktop and phone widths, light and dark."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import expect

from users import services
from users.models import AuditEvent
from users.tests.factories import PASSWORD, SuperuserFactory, UserFactory, staff_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()


def check_every_variant(page, axe, screenshot, name: str) -> None:
    """Zero axe violations at each width and scheme, no sideways scrolling on
    a phone; screenshots of the light variants."""
    for width_name, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            assert axe(page) == [], (name, width_name, scheme)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, (name, width_name, scheme, overflow)
            if scheme == "light":
                suffix = "" if width_name == "desktop" else "-phone"
                screenshot(page, f"{name}{suffix}")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(color_scheme="light")


def group_with(name: str, *codenames: str) -> Group:
    group = Group.objects.create(name=name)
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    return group


def test_user_page_with_groups_and_history(page, axe, screenshot):
    root = SuperuserFactory(username="ana")
    target = UserFactory(username="bob", email="a@example.com", full_name="Bob Example")
    support = group_with("Support", "view_user", "change_user")
    services.user_update(actor=root, user=target, email="b@example.com")
    services.user_update(actor=root, user=target, is_staff=True)
    services.user_set_groups_and_permissions(actor=root, user=target, groups=[support])
    services.user_deactivate(actor=root, user=target)
    sign_in(page, root)
    page.goto(f"/users/{target.pk}/")
    access = page.get_by_role("region", name="Groups and permissions")
    expect(access).to_contain_text("Support")
    expect(access).to_contain_text("Users: Can change user, Can view user")
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Deactivated by ana")
    expect(history).to_contain_text("Email: a@example.com → b@example.com")
    expect(history).to_contain_text("Staff: No → Yes")
    exact = history.locator("time").first.get_attribute("title")
    assert exact.startswith(str(timezone.now().year))
    check_every_variant(page, axe, screenshot, "user-detail")


def test_access_form_gives_a_group_and_shows_a_refusal(page, axe, screenshot):
    actor = staff_with("view_user", "change_user", username="lead")
    target = UserFactory(username="bob")
    theirs = group_with("Viewers", "view_user")
    beyond = group_with("Deleters", "view_user", "delete_user")
    sign_in(page, actor)
    page.goto(f"/users/{target.pk}/")
    page.get_by_role("link", name="Change groups and permissions").click()
    expect(
        page.get_by_role("heading", name="Groups and permissions of bob")
    ).to_be_visible()
    expect(page.get_by_label("Deleters")).to_be_disabled()
    expect(page.get_by_label("Can delete user")).to_be_disabled()
    check_every_variant(page, axe, screenshot, "user-access")

    # A hand-made request for what the page would not offer.
    page.get_by_label("Deleters").evaluate("box => { box.disabled = false; }")
    page.get_by_label("Deleters").check()
    page.get_by_label("Viewers").check()
    page.get_by_role("button", name="Save groups and permissions").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    groups = page.get_by_role("group", name="Groups")
    expect(groups).to_contain_text("You cannot give the group “Deleters”")
    described = groups.get_attribute("aria-describedby")
    assert "id_groups_error" in described.split()
    check_every_variant(page, axe, screenshot, "user-access-error")
    assert not target.groups.exists()

    page.get_by_label("Viewers").check()
    page.get_by_role("button", name="Save groups and permissions").click()
    expect(page.locator(".messages")).to_contain_text(
        "Saved the groups and permissions"
    )
    expect(page.get_by_role("region", name="Groups and permissions")).to_contain_text(
        "Viewers"
    )
    assert list(target.groups.all()) == [theirs]
    assert beyond not in target.groups.all()


def test_see_all_history(page, axe, screenshot):
    root = SuperuserFactory(username="ana")
    target = UserFactory(username="bob")
    start = timezone.now() - timedelta(hours=3)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=start + timedelta(minutes=n),
            action=AuditEvent.Action.UPDATE,
            actor_label="ana",
            target_id=target.pk,
            target_label="bob",
            ip="203.0.113.4",
            changes={"full_name": [f"Name {n}", f"Name {n + 1}"]},
        )
        for n in range(60)
    )
    sign_in(page, root)
    page.goto(f"/users/{target.pk}/")
    page.get_by_role("link", name="See all 60 events").click()
    expect(page.get_by_role("heading", name="History of bob")).to_be_visible()
    entries = page.locator("ol.history > li")
    expect(entries).to_have_count(50)
    expect(entries.first).to_contain_text("Full name: Name 59 → Name 60")
    expect(entries.first).to_contain_text("from 203.0.113.4")
    check_every_variant(page, axe, screenshot, "user-history")
    page.get_by_role("link", name="Older").click()
    expect(entries).to_have_count(10)
    expect(entries.last).to_contain_text("Full name: Name 0 → Name 1")
    assert axe(page) == []


def test_password_page_is_a_choice_first(page, axe, screenshot):
    root = SuperuserFactory(username="ana")
    target = UserFactory(username="bob")
    sign_in(page, root)
    page.goto(f"/users/{target.pk}/password/")
    choice = page.get_by_role("group", name="What to do")
    expect(choice).to_be_visible()
    set_one = page.get_by_label("Set a new password")
    expect(set_one).to_be_checked()
    # The radio sits right beside its label, not stretched across the form.
    radio = set_one.bounding_box()
    label = page.locator("label", has=set_one).bounding_box()
    assert radio["width"] < 40 and label["width"] < 400, (radio, label)
    fields = page.locator("form input, form fieldset").evaluate_all(
        "nodes => nodes.map(n => n.name || n.tagName)"
    )
    assert fields.index("FIELDSET") < fields.index("password1")
    help_text = page.locator("#id_password1_helptext")
    expect(help_text).to_contain_text("The account holder’s password")
    expect(help_text).not_to_contain_text("Your password")
    check_every_variant(page, axe, screenshot, "user-password")

    page.locator("#id_password1").fill("a-new-pass-8462")
    page.get_by_label("New password again").fill("something else")
    page.get_by_role("button", name="Save password").click()
    second = page.get_by_label("New password again")
    expect(second).to_have_attribute("aria-invalid", "true")
    assert "id_password2_error" in second.get_attribute("aria-describedby").split()
    check_every_variant(page, axe, screenshot, "user-password-error")

    page.get_by_label("Make the password unusable").check()
    page.get_by_role("button", name="Save password").click()
    expect(page.locator(".messages")).to_contain_text("cannot log in")
    target.refresh_from_db()
    assert not target.has_usable_password()
