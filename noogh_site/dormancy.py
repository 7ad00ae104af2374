"""The dormant-account policy's settings, from the environment (imported by
settings.py, kept apart so that it stays short; users.managers.dormancy reads
them as DormancyPolicy).

DORMANT_AFTER_DAYS: no login for this many days deactivates an active account
(0: the policy is off). DORMANT_WARN_DAYS (K): the account is e-mailed K days
before, and waited for (0: no warning). DORMANT_EXEMPT_GROUPS: comma-separated
group names whose members are never deactivated (accounts are exempted on
their page).
"""

from .environment import env, stop


def settings() -> tuple[int, int, list[str]]:
    try:
        after = env.int("DORMANT_AFTER_DAYS", default=0)
        warn = env.int("DORMANT_WARN_DAYS", default=0)
    except ValueError as error:
        stop(f"DORMANT_AFTER_DAYS and DORMANT_WARN_DAYS are whole days ({error})")
    if after < 0 or not 0 <= warn < max(after, 1):
        stop("DORMANT_WARN_DAYS must be less than DORMANT_AFTER_DAYS, both 0 or more")
    return after, warn, env.list("DORMANT_EXEMPT_GROUPS", default=[])
