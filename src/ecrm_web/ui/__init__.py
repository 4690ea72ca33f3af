"""The HTML interface: one blueprint per area.

- ``ui_auth``  — login, logout, language switch (AUTH-1, UI-5)
- ``ui_me``    — the personal page: personal data, Messages tab, API tokens (ORG-4, MSG-1/2)
- ``ui_org``   — object pages of employees, departments, projects with History; search (UI-1/2)
- ``ui_admin`` — administration of departments, projects, employees, roles, services (ORG-1…6)
- ``ui_clients`` — the client base: catalogs, counterparty cards, contacts, search,
  import and exports (CAT-1…6, CP-1…13)
- ``ui_tasks`` — tasks: the personal and employee Tasks tabs, the card's Tasks and
  Contact history tabs, the task form, the calendar and its feed (TASK-1…TASK-8)
- ``ui_sales`` — a client's contracts, requests, invoices with payments and acts, the
  printable invoice and documents (CON, REQ, INV, DOC-1)
- ``ui_books`` — reference books of sales under /admin: nomenclature and prices, service
  kinds, price and client types, contract types, state sets, company requisites
  (PRD-1…3, CON-1, REQ-4, INV-2)
- ``ui_deals`` — deals: the card's «Сделки» tab, the deal's page and form, the list, the
  pipeline board with drag and drop, the forecast with its chart; the books of deal
  templates and of working days (DEAL-1…DEAL-4, RPT-4)
- ``ui_orders`` — customer orders: the card's «Заказы» tab, the order form (package,
  equipment, works), the order's page with its estimate, approval rounds and billing
  hand-offs, the printable estimate, the book of approval routes (ORD-1…ORD-3)
"""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale
from flask_login import current_user

from ecrm_web.ui import texts
from ecrm_web.ui.common import navigation
from ecrm_web.ui.present import fmt_dt, fmt_due, fmt_number

LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


def register(app: Flask) -> None:
    """Register every UI blueprint on the app."""
    from ecrm_web.ui.admin import bp as admin_bp
    from ecrm_web.ui.auth_views import bp as auth_bp
    from ecrm_web.ui.books import bp as books_bp
    from ecrm_web.ui.clients import bp as clients_bp
    from ecrm_web.ui.me import bp as me_bp
    from ecrm_web.ui.org import bp as org_bp
    from ecrm_web.ui.sales import bp as sales_bp
    from ecrm_web.ui.tasks import bp as tasks_bp
    from ecrm_web.ui.tasks import task_state

    for bp in (auth_bp, me_bp, org_bp, admin_bp, clients_bp, tasks_bp, sales_bp):
        app.register_blueprint(bp)
    app.register_blueprint(books_bp)  # reference books of sales (issue 5)
    from ecrm_web.ui.deals import bp as deals_bp

    app.register_blueprint(deals_bp)  # deals, board, forecast, their books (issue 6)
    from ecrm_web.ui.orders import bp as orders_bp

    app.register_blueprint(orders_bp)  # customer orders, approval routes (issue 6, ORD)

    app.add_template_filter(fmt_dt, "dt")
    app.add_template_filter(fmt_due, "due")
    app.add_template_global(task_state, "task_state")
    app.add_template_filter(fmt_number, "number")
    app.add_template_filter(texts.core_text, "core_text")
    app.add_template_global(texts.label, "label")
    app.add_template_global(texts, "texts")

    @app.context_processor
    def _layout() -> dict:
        locale = get_locale()
        return {
            "nav": navigation() if current_user.is_authenticated else {},
            "current_locale": str(locale) if locale else "ru",
            "language_names": LANGUAGE_NAMES,
        }
