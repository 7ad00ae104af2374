"""The trail written for people: a sentence for every action, details with
labels and Yes/No, nothing a password could leak through."""

import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from users import history, services
from users.models import AuditEvent

from .factories import SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def event(action, changes=None, *, actor="ana", target="bob", target_id=7):
    return AuditEvent(
        action=action,
        actor_label=actor,
        target_label=target,
        target_id=target_id,
        changes=changes or {},
    )


# (action, changes as the services record them) -> (sentence, details)
CASES = [
    (
        event(
            Action.CREATE,
            {
                "email": [None, "b@x.org"],
                "is_active": [None, True],
                "is_staff": [None, False],
                "username": [None, "bob"],
            },
            actor="system",
        ),
        "Created by system",
        ["Email: b@x.org", "Active: Yes", "Staff: No", "Username: bob"],
    ),
    (
        event(
            Action.UPDATE,
            {"email": ["a@x.org", "b@x.org"], "is_staff": [False, True]},
        ),
        "Changed by ana",
        ["Email: a@x.org → b@x.org", "Staff: No → Yes"],
    ),
    (
        event(Action.UPDATE, {"full_name": ["", "Bob Dylan"]}),
        "Changed by ana",
        ["Full name: — → Bob Dylan"],
    ),
    (event(Action.ACTIVATE, {"is_active": [False, True]}), "Activated by ana", []),
    (
        event(Action.DEACTIVATE, {"is_active": [True, False]}),
        "Deactivated by ana",
        [],
    ),
    (event(Action.DELETE), "Deleted by ana", []),
    (event(Action.PASSWORD, {"password": [None, "set"]}), "Password set by ana", []),
    (
        event(Action.PASSWORD, {"password": [None, "made unusable"]}),
        "Password made unusable (no password login) by ana",
        [],
    ),
    (
        event(
            Action.GRANT,
            {
                "groups": [["Editors"], ["Support"]],
                "user_permissions": [
                    [],
                    ["Users | user | Can view user", "Users | user | Can change user"],
                ],
            },
        ),
        "Groups and permissions changed by ana",
        [
            "Groups: added Support; removed Editors",
            "Permissions: added Can view user, Can change user",
        ],
    ),
    (
        event(
            Action.GRANT,
            {"name": [None, "Support"], "permissions": [[], ["x | y | Can view user"]]},
            target="group Support",
            target_id=None,
        ),
        "Changed group Support by ana",
        ["Name: Support", "Permissions: added Can view user"],
    ),
    (
        event(
            Action.GRANT,
            {
                "deleted group": ["Support", None],
                "permissions": [["a | b | Can x"], []],
            },
            target="group Support",
            target_id=None,
        ),
        "Deleted group Support by ana",
        ["Deleted group: Support", "Permissions: removed Can x"],
    ),
    (
        event(Action.EXPORT, {"filters": "q=lina&is_active=true"}, target_id=None),
        "Users exported by ana",
        ["Search: q=lina&is_active=true"],
    ),
    (
        event(
            Action.IMPORT,
            {"created": 3, "updated": 1, "skipped": 0, "rejected": 2},
            target_id=None,
        ),
        "Users imported by ana",
        ["Created: 3", "Updated: 1", "Skipped: 0", "Rejected: 2"],
    ),
    (
        event(
            Action.MFA_ENROL,
            {"two-factor": ["not enrolled", "enrolled"], "recovery codes": [0, 10]},
            actor="bob",
        ),
        "Two-factor authentication set up by bob",
        [
            "Two-factor authentication: not enrolled → enrolled",
            "Recovery codes: 0 → 10",
        ],
    ),
    (
        event(Action.MFA_CODES, {"recovery codes": [3, 10]}, actor="bob"),
        "Recovery codes replaced by bob",
        ["Recovery codes: 3 → 10"],
    ),
    (
        event(Action.MFA_RESET, {"two-factor": ["enrolled", "not enrolled"]}),
        "Two-factor authentication reset by ana",
        ["Two-factor authentication: enrolled → not enrolled"],
    ),
    (
        event(Action.END_SESSION, {"session": ["Firefox (203.0.113.4)", "ended"]}),
        "A session ended by ana",
        ["Session: Firefox (203.0.113.4)"],
    ),
    (
        event(Action.END_SESSIONS, {"sessions": [2, 0]}),
        "All sessions ended by ana",
        ["Signed-in sessions ended: 2"],
    ),
    (event(Action.END_SESSIONS), "All sessions ended by ana", []),
    (
        event(Action.UNLOCK, {"lockout": ["5 failed logins from 192.0.2.1", "lifted"]}),
        "Lockout lifted by ana",
        ["Lockout: 5 failed logins from 192.0.2.1"],
    ),
    (
        event(Action.EXPORT, {"personal_data": [None, "subject access export"]}),
        "Personal data exported (subject access) by ana",
        [],
    ),
    (
        event(
            Action.ERASE,
            {"basis": [None, "Art. 17 request"], "erased": [None, "email, password"]},
        ),
        "Personal data erased by ana",
        ["Basis: Art. 17 request", "Erased: email, password"],
    ),
    (
        event(
            Action.BULK,
            {
                "action": "deactivate",
                "count": 50,
                "scope": "matching",
                "filters": "q=lina",
            },
            target="",
            target_id=None,
        ),
        "Bulk change: 50 accounts deactivated by ana",
        ["Chosen: matching", "Search: q=lina"],
    ),
    (
        event(
            Action.BULK,
            {
                "action": "activate",
                "count": 48,
                "scope": "ticked",
                "filters": "",
                "undoes": "5b1c…",
                "skipped": 2,
                "skipped_sample": ["lina1", "lina2"],
            },
            target="",
            target_id=None,
        ),
        "Undo of a bulk change: 48 accounts activated again (2 changed since, left "
        "alone) by ana",
        ["Chosen: ticked", "Search: —"],
    ),
    (
        event(
            Action.TOKEN_CREATE,
            {"token": [None, "ci (nk_ab12…)"], "expires": [None, "2027-01-01"]},
            actor="bob",
        ),
        "API token created by bob",
        ["Token: ci (nk_ab12…)", "Expires: 2027-01-01"],
    ),
    (
        event(Action.TOKEN_REVOKE, {"token": ["ci (nk_ab12…)", "revoked"]}),
        "API token ci (nk_ab12…) revoked by ana",
        [],
    ),
    (
        event(Action.TOKEN_USE, {"token": [None, "ci (nk_ab12…)"]}, actor="bob"),
        "API token used (first use that day) by bob",
        ["Token: ci (nk_ab12…)"],
    ),
    (
        event(
            Action.SUSPEND,
            {
                "reason": [None, "abuse"],
                "until": [None, "2030-01-01 00:00:00+00:00"],
                "is_active": [True, False],
            },
        ),
        "Suspended by ana",
        ["Reason: abuse", "Until: 2030-01-01 00:00:00+00:00", "Active: Yes → No"],
    ),
    (
        event(
            Action.LIFT,
            {"reason": ["abuse", None], "is_active": [False, True]},
            actor="policy",
        ),
        "Suspension lifted by policy",
        ["Reason: abuse → —"],
    ),
    (
        event(
            Action.ACTIVE_UNTIL,
            {"active_until": [None, "2030-01-01 00:00:00+00:00"]},
        ),
        "End of access changed by ana",
        ["Active until: 2030-01-01 00:00:00+00:00"],
    ),
    (
        event(
            Action.EXPIRE,
            {"is_active": [True, False], "active_until": ["2030-01-01", None]},
            actor="policy",
        ),
        "Access ended (its end date came) by policy",
        ["Active until: 2030-01-01 → —"],
    ),
    (
        event(Action.DORMANT, {"is_active": [True, False]}, actor="policy"),
        "Deactivated as dormant (no login for too long) by policy",
        [],
    ),
    (
        event(
            Action.DORMANT_WARN,
            {"dormant_warning": [None, "sent; 14 days' notice"]},
            actor="policy",
        ),
        "Warned of deactivation as dormant by policy",
        ["Warning: sent; 14 days' notice"],
    ),
    (
        event(
            Action.DORMANT_EXEMPT,
            {"dormancy_exempt": [False, True], "exemption_note": [None, "kiosk"]},
        ),
        "Dormancy exemption changed by ana",
        ["Exempt from the dormant-account policy: No → Yes", "Why exempt: kiosk"],
    ),
    (
        event(Action.PASSWORD_LINK, {"password_link": [None, "reset sent to b@x.org"]}),
        "Password reset link sent to b@x.org by ana",
        [],
    ),
    (
        event(
            Action.PASSWORD_LINK,
            {"password_link": [None, "invitation sent to b@x.org"]},
        ),
        "Invitation sent to b@x.org by ana",
        [],
    ),
]


@pytest.mark.parametrize(
    ("entry", "sentence", "details"),
    CASES,
    ids=[f"{case[0].action}-{n}" for n, case in enumerate(CASES)],
)
def test_each_action_reads_as_a_sentence(entry, sentence, details):
    text = history.describe(entry)
    assert text.sentence == sentence
    assert text.details == details


def test_every_action_has_its_own_sentence():
    """A new action gets words here, not Django's lower-case label."""
    assert set(history.SENTENCES) == set(Action.values)
    said = {case[0].action for case in CASES}
    assert said == set(Action.values), set(Action.values) - said


def test_an_unknown_action_falls_back_to_its_label():
    odd = event("somethingnew")
    assert history.describe(odd).sentence == "Somethingnew by ana"


def test_values_never_render_as_python():
    text = history.describe(event(Action.UPDATE, {"note": [None, ["a", "b"]]}))
    assert text.details == ["Note: a, b"]
    assert "[" not in str(text) and "True" not in str(text)


def test_sentences_come_from_the_real_writes(client):
    """Through the services, as the user's page shows them."""
    root = SuperuserFactory(username="ana")
    bob = UserFactory(username="bob", email="a@x.org")
    services.user_update(actor=root, user=bob, email="b@x.org")
    services.user_deactivate(actor=root, user=bob)
    services.user_set_password(actor=root, user=bob, password=None)
    group = Group.objects.create(name="Support")
    group.permissions.set(Permission.objects.filter(codename="view_user"))
    services.user_set_groups_and_permissions(actor=root, user=bob, groups=[group])
    client.force_login(root)
    html = client.get(reverse("users:detail", args=[bob.pk])).content.decode()
    for line in (
        "Changed by ana",
        "Email: a@x.org → b@x.org",
        "Deactivated by ana",
        "Password made unusable (no password login) by ana",
        "Groups and permissions changed by ana",
        "Groups: added Support",
    ):
        assert line in html, line
    assert "is_active" not in html and "pbkdf2" not in html and "argon2" not in html


def test_the_stale_edit_message_uses_the_same_words():
    bob = UserFactory(username="bob", full_name="Old")
    services.user_update(user=bob, full_name="New")
    events = list(AuditEvent.objects.about(bob))
    assert history.summary(events) == "Changed by system; Full name: Old → New"


def test_an_accounts_event_from_a_bulk_change_says_so():
    entry = event(Action.DEACTIVATE, {"is_active": [True, False]})
    entry.batch = uuid.uuid4()
    assert history.describe(entry).sentence == "Deactivated by ana, in a bulk change"
