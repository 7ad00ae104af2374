from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from .managers.accounts import UserManager
from .managers.dormancy import dormancy_index
from .managers.ordering import last_login_key
from .managers.trail import AuditEventManager

# Violation code -> field: a case-insensitive duplicate is reported beside its
# field, not at the top of the form (Django only does that for plain fields).
DUPLICATE_CODES = {"duplicate_email": "email", "duplicate_username": "username"}
DUPLICATE_MESSAGES = {
    "email": _("A user with that email already exists."),
    "username": _("A user with that username already exists."),
}
# What staff edit on a user's form and the services accept, in form order.
EDITABLE_FIELDS = (
    "username",
    "email",
    "full_name",
    "is_active",
    "is_staff",
    "is_superuser",
)
SORT_FIELDS = ("created_at", "full_name", "email", "username")


def _sort_index(field: str) -> models.Index:
    # id breaks ties so that ordering (and keyset pagination) is total.
    return models.Index(fields=[field, "id"], name=f"users_user_{field}_id_idx")


def _state_index(name: str, condition: Q, fields=("created_at", "id")) -> models.Index:
    # Partial: only the accounts in a rare state (deactivated, staff,
    # superuser, never logged in), so the list's filter on it reads its first
    # page in the default order and its capped count from a small index, not
    # by walking or scanning 1M rows (migrations 0026, 0027; bench/measure.py
    # "filter ...").
    return models.Index(fields=list(fields), name=name, condition=condition)


def _last_login_index() -> models.Index:
    # On the expression the list sorts and filters by (managers.ordering.last_login_key:
    # never = a date before any login), so one index serves both directions,
    # "never", and before/after ranges. last_login itself is carried along
    # (INCLUDE, migration 0028): PostgreSQL answers from an expression index
    # alone only when it holds the columns the expression reads, and a
    # last-login filter's capped count read 10,001 rows of the table (11.8 ->
    # 5.5 ms at 1M users, "last 7 days"). SQLite ignores it (models.W040).
    return models.Index(
        last_login_key(),
        F("id"),
        name="users_user_last_login_key_idx",
        include=["last_login"],
    )


class LoginNameValidator(UnicodeUsernameValidator):
    """Letters, digits and ./+/-/_ - no "@": a login with "@" is an email, so a
    username can never shadow another account's email address."""

    regex = r"^[\w.+-]+\Z"
    message = _(
        "Enter a valid username. This value may contain only letters, "
        "numbers, and ./+/-/_ characters (no @: that marks an email address)."
    )


class User(AbstractBaseUser, PermissionsMixin):
    username_validator = LoginNameValidator()

    email = models.EmailField(
        _("email address"),
        max_length=254,
        validators=[ProhibitNullCharactersValidator()],
    )
    # The seed's limit. In PostgreSQL the column stays varchar(150) with a
    # CHECK (char_length(username) <= 100): shrinking the varchar would rewrite
    # the table (migrations 0013 and 0014).
    username = models.CharField(
        _("username"),
        max_length=100,
        help_text=_("100 characters or fewer. Letters, digits and ./+/-/_ only."),
        validators=[username_validator, ProhibitNullCharactersValidator()],
    )
    full_name = models.CharField(
        _("full name"),
        max_length=255,
        blank=True,
        validators=[ProhibitNullCharactersValidator()],
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Unselect this instead of deleting the account."),
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Designates whether the user can log into the staff pages."),
    )
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, editable=False
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Part of every session's auth hash: raising it ends all of the account's
    # sessions (deactivation, demotion, password change), and they stay ended
    # if the account is later reactivated or promoted again.
    session_epoch = models.IntegerField(
        _("session epoch"), default=0, db_default=0, editable=False
    )
    # Access ends then: the lifecycle run (manage.py lifecycle) deactivates the
    # account. Nullable, so adding it rewrites nothing.
    active_until = models.DateTimeField(
        _("active until"), null=True, blank=True, editable=False
    )

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="users_user_email_ci_unique",
                violation_error_code="duplicate_email",
                violation_error_message=DUPLICATE_MESSAGES["email"],
            ),
            models.CheckConstraint(
                condition=~Q(username__contains="@"),
                name="users_user_username_no_at",
                violation_error_code="invalid",
                violation_error_message=LoginNameValidator.message,
            ),
            models.UniqueConstraint(
                Lower("username"),
                name="users_user_username_ci_unique",
                violation_error_code="duplicate_username",
                violation_error_message=DUPLICATE_MESSAGES["username"],
            ),
        ]
        indexes = [
            *(_sort_index(field) for field in SORT_FIELDS),
            _last_login_index(),
            # Partial: only accounts with an end date; the lifecycle run and
            # the "expiring" filter read it.
            models.Index(
                fields=["active_until", "id"],
                name="users_user_active_until_idx",
                condition=Q(active_until__isnull=False),
            ),
            # The few active superusers, which every write that could remove
            # one locks (lock_for_write): without it a scan of every account.
            models.Index(
                fields=["id"],
                name="users_active_superuser_idx",
                condition=Q(is_active=True, is_superuser=True),
            ),
            dormancy_index(),  # the dormant-account policy's
            _state_index("users_user_inactive_idx", Q(is_active=False)),
            _state_index("users_user_staff_idx", Q(is_staff=True)),
            _state_index("users_user_superuser_idx", Q(is_superuser=True)),
            _state_index("users_user_never_logged_in_idx", Q(last_login=None)),
        ]

    def __str__(self) -> str:
        return self.username

    def normalize(self) -> None:
        """Normalise identity fields the way every entry point should see them."""
        self.email = self.__class__.objects.normalize_email((self.email or "").strip())
        self.username = self.normalize_username((self.username or "").strip())
        self.full_name = " ".join((self.full_name or "").split())

    def clean_fields(self, exclude=None) -> None:
        self.normalize()
        super().clean_fields(exclude)

    def validate_constraints(self, exclude=None) -> None:
        try:
            super().validate_constraints(exclude)
        except ValidationError as error:
            raise ValidationError(_duplicates_on_fields(error.error_dict)) from None

    def _get_session_auth_hash(self, secret=None) -> str:
        if not self.session_epoch:
            # Epoch 0 hashes as Django does: sessions survive this code's deploy.
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "users.User.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_absolute_url(self) -> str:
        return reverse("users:detail", kwargs={"pk": self.pk})

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.username


def _duplicates_on_fields(error_dict: dict) -> dict:
    moved: dict = {}
    for key, errors in error_dict.items():
        for error in errors:
            field = (
                DUPLICATE_CODES.get(error.code, key) if key == NON_FIELD_ERRORS else key
            )
            moved.setdefault(field, []).append(error)
    return moved


class AuditEvent(models.Model):
    """Who did what to which account, from where, and what changed.

    Plain ids and labels rather than foreign keys: the trail outlives the
    accounts it describes (a deleted user's history stays readable).
    """

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        ACTIVATE = "activate", _("activated")
        DEACTIVATE = "deactivate", _("deactivated")
        DELETE = "delete", _("deleted")
        PASSWORD = "password", _("password changed")
        GRANT = "grant", _("groups/permissions changed")
        EXPORT = "export", _("exported users")
        IMPORT = "import", _("imported users")
        MFA_ENROL = "mfa_enrol", _("two-factor authentication set up")
        MFA_CODES = "mfa_codes", _("recovery codes replaced")
        MFA_RESET = "mfa_reset", _("two-factor authentication reset")
        END_SESSION = "end_session", _("session ended")
        END_SESSIONS = "end_sessions", _("all sessions ended")
        UNLOCK = "unlock", _("lifted a lockout")
        PASSWORD_LINK = "password_link", _("password link sent")
        ERASE = "erase", _("personal data erased")
        # One per bulk action (and per undo): what, how many, which selection;
        # its accounts' own events share its `batch`.
        BULK = "bulk", _("bulk action")
        TOKEN_CREATE = "token_create", _("created an API token")
        TOKEN_REVOKE = "token_revoke", _("revoked an API token")
        TOKEN_USE = "token_use", _("used an API token (first use that day)")
        SUSPEND = "suspend", _("suspended")
        LIFT = "lift", _("lifted a suspension")
        ACTIVE_UNTIL = "active_until", _("set when access ends")
        EXPIRE = "expire", _("access ended (expired)")
        DORMANT = "dormant", _("deactivated as dormant")
        DORMANT_WARN = "dormant_warn", _("warned of deactivation as dormant")
        DORMANT_EXEMPT = "dormant_exempt", _("dormancy exemption changed")

    at = models.DateTimeField(_("time"), default=timezone.now)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150)
    target_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    target_label = models.CharField(_("user"), max_length=254, blank=True)
    ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # The bulk action an event belongs to: its BULK event and the events of the
    # accounts it touched share this, so an undo knows exactly which accounts.
    batch = models.UUIDField(_("batch"), null=True, blank=True, editable=False)
    # The hash chain (users.audit.chain): set once by the sealer, in seal order;
    # NULL (not "") until then, like seq: adding the columns rewrites nothing.
    seq = models.BigIntegerField(_("chain position"), null=True, editable=False)
    hash = models.CharField(  # noqa: DJ001
        _("chain hash"), max_length=64, null=True, editable=False
    )
    # Erasure's record of what each field it rewrote hashed as before.
    redacted = models.JSONField(null=True, editable=False)

    objects = AuditEventManager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_id", "-at"], name="users_audit_target_at_idx"),
            models.Index(fields=["-at", "-id"], name="users_audit_at_idx"),
            # Partial: only bulk actions' events carry a batch.
            models.Index(
                fields=["batch", "action"],
                name="users_audit_batch_idx",
                condition=Q(batch__isnull=False),
            ),
            # What an account did: its subject-access export, its erasure.
            models.Index(fields=["actor_id", "at"], name="users_audit_actor_at_idx"),
            # The chain in order (verify, purge, its head); what awaits sealing.
            models.Index(fields=["seq"], name="users_audit_seq_idx"),
            models.Index(
                fields=["id"],
                name="users_audit_unsealed_idx",
                condition=Q(seq__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.get_action_display()} {self.target_label}"


# Session records and personal API tokens live in their own modules,
# registered with the app here, in this order (content types are made in it).
from .usersession import UserSession  # noqa: E402, F401, I001
from .usersearch import UserSearch  # noqa: E402, F401
from .apitoken import ApiToken  # noqa: E402, F401
from .suspension import Suspension  # noqa: E402, F401
from .auditcheckpoint import AuditCheckpoint  # noqa: E402, F401
from .dormancy import DormancyExemption, DormancyWarning  # noqa: E402, F401
