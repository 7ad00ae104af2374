"""Signing in: login forms, lockouts (django-axes), the security log of
sign-in events, and second factors for staff (django-otp: the gate, the
setup, verification and security pages)."""
