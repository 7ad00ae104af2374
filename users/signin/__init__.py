"""Signing in: login forms, lockouts (django-axes), and the security log of
sign-in events."""
