"""The HTML interface: one blueprint per area."""

from flask import Flask


def register(app: Flask) -> None:
    """Register every UI blueprint on the app."""
