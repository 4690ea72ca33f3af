"""Entering the system: login sessions, failed-login throttling, API tokens (AUTH-1)."""
