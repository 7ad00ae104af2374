"""The trail: who did what to which account, from where, and what changed.

Every write in users.services records its events here (trail). The acting
user and the client address come from the request being served (context:
RequestContextMiddleware lends them to the services for the length of each
request), so a path that does not name its actor still records the real one;
outside a request (a management command) the actor is the system. Passwords
and hashes never appear in an event: only whether a password was set or made
unusable. An erased account's events are rewritten under pseudonyms (erasure).

The security log (logins, lockouts, refusals) is a second, log-file trail of
one JSON line per event on the "noogh.security" logger (security_log).
"""
