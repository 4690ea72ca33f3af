"""Flask-Login over the core's server-side login sessions (AUTH-1).

The signed Flask session holds only the session token; the employee is looked up
through ``AuthService.employee_for_session`` on every request, so after logout (the
session row ended) a replayed cookie identifies nobody."""

from __future__ import annotations

from flask import Flask, current_app
from flask_login import LoginManager, UserMixin
from flask_login import login_user as _login_user
from flask_login import logout_user as _logout_user

from ecrm_core.org.model import Employee

login_manager = LoginManager()
login_manager.login_view = "ui_auth.login"
login_manager.session_protection = "basic"


class EmployeeUser(UserMixin):
    def __init__(self, employee: Employee, token: str) -> None:
        self.employee = employee
        self.token = token

    @property
    def id(self) -> int:
        return self.employee.id

    def get_id(self) -> str:
        return self.token


def _system():
    return current_app.extensions["ecrm"]


@login_manager.user_loader
def _load(token: str) -> EmployeeUser | None:
    employee = _system().app.auth.employee_for_session(token)
    return EmployeeUser(employee, token) if employee else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_message = None


def sign_in(login: object, password: object) -> EmployeeUser:
    """Check the pair (raises AuthenticationFailed) and start a login session."""
    employee, token = _system().app.auth.login(login, password)
    user = EmployeeUser(employee, token)
    _login_user(user)
    return user


def sign_out(user: EmployeeUser | None) -> None:
    if user is not None and getattr(user, "token", None):
        _system().app.auth.logout(user.token)
    _logout_user()
