"""The schema. Alembic migrations (``migrations/``) create it; a test checks that the
migrations and this metadata agree on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)

from ecrm_adapters.sqlalchemy.types import (
    APPROVAL_STEPS,
    ATTRIBUTE_DEFS,
    DECISIONS,
    LINES,
    ORDER_LINES,
    STATES,
    TEMPLATE,
    TRANSITIONS,
    MoneyType,
    StrEnum,
    UTCDateTime,
    ValueJSON,
)
from ecrm_core.access.model import Role
from ecrm_core.counterparties.model import AssignmentState, CounterpartyType, OrganisationStatus
from ecrm_core.messages.model import ConfirmationState, MessageKind
from ecrm_core.orders.model import HandoffState, RoundStatus
from ecrm_core.org.model import ServiceState
from ecrm_core.products.model import ItemKind
from ecrm_core.sales.model import RequestKind
from ecrm_core.tasks.model import DelayUnit, EscalationTarget, TaskState

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

TS = UTCDateTime()
MONEY = MoneyType()
#: a tuple of names kept as a JSON list (a deal's approvals)
NAMES = ValueJSON(list, tuple)


def _id():
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _version():
    return Column("version", Integer, nullable=False, server_default="1")


company = Table(
    "company", metadata, _id(), _version(),
    Column("name", String(255), nullable=False),
    # the company's requisites the invoice prints (INV-1): {"inn": …, "bik": …, …}
    Column("requisites", JSON, nullable=False, server_default="{}"),
)

employees = Table(
    "employees", metadata, _id(), _version(),
    Column("login", String(64), nullable=False),
    Column("full_name", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("email", String(254)),
    Column("department_id", Integer, ForeignKey("departments.id", use_alter=True)),
    Column("head_id", Integer, ForeignKey("employees.id")),
    Column("position", String(255), nullable=False, server_default=""),
    Column("phone", String(40), nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("locale", String(5), nullable=False, server_default="ru"),
    Column("timezone", String(64), nullable=False, server_default="Europe/Moscow"),
    Column("created_at", TS),
    Column("home_page", String(500), nullable=False, server_default=""),
    Column("calendar_token_hash", String(128), nullable=False, server_default=""),
    UniqueConstraint("login"),
    Index("ix_employees_department_id", "department_id"),
)

departments = Table(
    "departments", metadata, _id(), _version(),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("parent_id", Integer, ForeignKey("departments.id")),
    Column("head_id", Integer, ForeignKey("employees.id")),
)

projects = Table(
    "projects", metadata, _id(), _version(),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default="1"),
)

service_types = Table(
    "service_types", metadata, _id(), _version(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default="1"),
)

services = Table(
    "services", metadata, _id(), _version(),
    Column("service_type_id", Integer, ForeignKey("service_types.id"), nullable=False),
    Column("owner_kind", String(32), nullable=False),
    Column("owner_id", Integer, nullable=False),
    Column("state", StrEnum(ServiceState), nullable=False),
    Column("available", Boolean, nullable=False, server_default="1"),
    Column("opened_at", TS),
    Column("closed_at", TS),
    Index("ix_services_owner", "owner_kind", "owner_id"),
)

role_assignments = Table(
    "role_assignments", metadata, _id(), _version(),
    Column("role", StrEnum(Role), nullable=False),
    Column("employee_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("scope_kind", String(32), nullable=False),
    Column("scope_id", Integer, nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id")),
    Column("granted_at", TS),
    Column("granted_by", Integer, ForeignKey("employees.id")),
    Index("ix_role_assignments_employee_id", "employee_id"),
    Index("ix_role_assignments_scope", "scope_kind", "scope_id"),
)

messages = Table(
    "messages", metadata, _id(), _version(),
    Column("message_kind", StrEnum(MessageKind), nullable=False),
    Column("recipient_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("sender_id", Integer, ForeignKey("employees.id")),
    Column("text", Text, nullable=False),
    Column("subject_kind", String(32)),
    Column("subject_id", Integer),
    Column("action", String(255), nullable=False, server_default=""),
    Column("state", StrEnum(ConfirmationState)),
    Column("reason", Text, nullable=False, server_default=""),
    Column("reply_to_id", Integer, ForeignKey("messages.id")),
    Column("created_at", TS),
    Column("read_at", TS),
    Column("answered_at", TS),
    Column("emailed_at", TS),
    Index("ix_messages_recipient", "recipient_id", "id"),
)

history = Table(
    "history", metadata, _id(), _version(),
    Column("at", TS, nullable=False),
    Column("actor_id", Integer, ForeignKey("employees.id")),
    Column("subject_kind", String(32), nullable=False),
    Column("subject_id", Integer, nullable=False),
    Column("action", String(64), nullable=False),
    Column("changes", JSON, nullable=False),
    Index("ix_history_subject", "subject_kind", "subject_id", "id"),
)

login_sessions = Table(
    "login_sessions", metadata, _id(), _version(),
    Column("employee_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("token_digest", String(128), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
    Column("last_seen_at", TS, nullable=False),
    Column("ended_at", TS),
)

api_tokens = Table(
    "api_tokens", metadata, _id(), _version(),
    Column("employee_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_digest", String(128), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS),
)

login_throttles = Table(
    "login_throttles", metadata, _id(), _version(),
    Column("login", String(64), nullable=False, unique=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("window_start", TS),
    Column("locked_until", TS),
)

handled_messages = Table(
    "handled_messages", metadata, _id(), _version(),
    Column("key", String(128), nullable=False, unique=True),
    Column("handled_at", TS, nullable=False),
)

catalogs = Table(
    "catalogs", metadata, _id(), _version(),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("parent_id", Integer, ForeignKey("catalogs.id")),
    Column("curator_id", Integer, ForeignKey("employees.id")),
    Index("ix_catalogs_parent_id", "parent_id"),
)

counterparties = Table(
    "counterparties", metadata, _id(), _version(),
    Column("catalog_id", Integer, ForeignKey("catalogs.id"), nullable=False),
    Column("type", StrEnum(CounterpartyType), nullable=False),
    Column("name", String(255), nullable=False),
    Column("full_name", String(500), nullable=False, server_default=""),
    Column("inn", String(12), nullable=False, server_default=""),
    Column("kpp", String(9), nullable=False, server_default=""),
    Column("ogrn", String(15), nullable=False, server_default=""),
    Column("legal_address", String(500), nullable=False, server_default=""),
    Column("postal_address", String(500), nullable=False, server_default=""),
    Column("phone", String(40), nullable=False, server_default=""),
    Column("sms_phone", String(40), nullable=False, server_default=""),
    Column("email", String(254), nullable=False, server_default=""),
    Column("mailing_email", String(254), nullable=False, server_default=""),
    Column("status", StrEnum(OrganisationStatus), nullable=False),
    Column("parent_id", Integer, ForeignKey("counterparties.id")),
    Column("okved", String(255), nullable=False, server_default=""),
    Column("head", String(255), nullable=False, server_default=""),
    Column("extra", JSON, nullable=False),
    Column("export_1c", Boolean, nullable=False, server_default="0"),
    Column("deleted", Boolean, nullable=False, server_default="0"),
    Column("deleted_at", TS),
    Column("created_at", TS),
    Column("created_by", Integer, ForeignKey("employees.id")),
    Column("updated_at", TS),
    Column("updated_by", Integer, ForeignKey("employees.id")),
    Column("search_text", String(800), nullable=False, server_default=""),
    Column("name_key", String(255), nullable=False, server_default=""),
    # the client's type, and through it the price type its invoices use (PRD-2)
    Column("client_type_id", Integer, ForeignKey("client_types.id")),
    # Lists go by name_key (Counterparty.LIST_ORDER): a catalog's page reads
    # ix_counterparties_catalog_key, a list across catalogs ix_counterparties_name_key
    # (which the duplicate check needs anyway) — no index on the raw name, which cost a
    # new card as much as all the others together (migration 0011).
    Index("ix_counterparties_catalog_key", "catalog_id", "name_key", "id"),
    Index("ix_counterparties_inn", "inn"),
    Index("ix_counterparties_phone", "phone"),
    Index("ix_counterparties_sms_phone", "sms_phone"),
    Index("ix_counterparties_name_key", "name_key"),
    Index("ix_counterparties_parent_id", "parent_id"),
    Index("ix_counterparties_client_type_id", "client_type_id"),
)

# The duplicate check (CP-3) compares e-mails case-insensitively (``email__ieq`` is
# ``lower(email) = …``): indexes on the expression, not on the column (migration 0004).
Index("ix_counterparties_email_lower", func.lower(counterparties.c.email))
Index("ix_counterparties_mailing_email_lower", func.lower(counterparties.c.mailing_email))

contacts = Table(
    "contacts", metadata, _id(), _version(),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id"), nullable=False),
    Column("full_name", String(255), nullable=False),
    Column("position", String(255), nullable=False, server_default=""),
    Column("birthday", Date),
    Column("phones", JSON, nullable=False),
    Column("emails", JSON, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("photo", String(255), nullable=False, server_default=""),
    Column("surname_key", String(255), nullable=False, server_default=""),
    Index("ix_contacts_counterparty_id", "counterparty_id"),
)

curator_assignments = Table(
    "curator_assignments", metadata, _id(), _version(),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id"), nullable=False),
    Column("employee_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("project_id", Integer, ForeignKey("projects.id")),
    Column("requested_by", Integer, ForeignKey("employees.id"), nullable=False),
    Column("head_id", Integer, ForeignKey("employees.id")),
    Column("state", StrEnum(AssignmentState), nullable=False),
    Column("employee_confirmed", Boolean, nullable=False, server_default="0"),
    Column("head_confirmed", Boolean, nullable=False, server_default="0"),
    Column("reason", Text, nullable=False, server_default=""),
    Column("requested_at", TS),
    Index("ix_curator_assignments_counterparty_id", "counterparty_id"),
)

# -- tasks (§6.1, TASK-1…TASK-8) ---------------------------------------------------------

task_types = Table(
    "task_types", metadata, _id(), _version(),
    Column("name", String(100), nullable=False),
    Column("code", String(32), nullable=False, server_default=""),
    Column("remind_minutes", Integer),
    Column("active", Boolean, nullable=False, server_default="1"),
)

escalation_rules = Table(
    "escalation_rules", metadata, _id(), _version(),
    Column("name", String(200), nullable=False),
    Column("delay", Integer, nullable=False),
    Column("unit", StrEnum(DelayUnit), nullable=False),
    Column("target", StrEnum(EscalationTarget), nullable=False),
    Column("task_type_id", Integer, ForeignKey("task_types.id")),
    Column("active", Boolean, nullable=False, server_default="1"),
)

tasks = Table(
    "tasks", metadata, _id(), _version(),
    Column("responsible_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("task_type_id", Integer, ForeignKey("task_types.id"), nullable=False),
    Column("state", StrEnum(TaskState), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("due_time", Time),
    Column("due_at", TS, nullable=False),
    Column("what", Text, nullable=False, server_default=""),
    Column("result", Text, nullable=False, server_default=""),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id")),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("project_id", Integer, ForeignKey("projects.id")),
    Column("remind_minutes", Integer),
    Column("remind_at", TS),
    Column("reminded_at", TS),
    Column("done_at", TS),
    Column("created_at", TS),
    Column("created_by", Integer, ForeignKey("employees.id")),
    Column("updated_at", TS),
    Column("updated_by", Integer, ForeignKey("employees.id")),
    # The personal Tasks tab: by employee, by deadline (planned soonest / latest first).
    # The filters' columns ride along, so a tab's count and its filters (section, state,
    # period, typical task, counterparty, project) read the index alone, however many
    # tasks the employee has (docs/performance.md, migration 0007).
    Index("ix_tasks_responsible_tab", "responsible_id", "due_at", "id", "counterparty_id",
          "state", "task_type_id", "due_date", "project_id"),
    # planned / overdue tasks of an employee: the overdue filter and the personal page
    Index("ix_tasks_responsible_state", "responsible_id", "state", "due_at", "id"),
    # the counterparty's Tasks tab (the same idea) and contact history
    Index("ix_tasks_counterparty_tab", "counterparty_id", "due_at", "id", "state",
          "task_type_id", "due_date", "project_id"),
    # the escalation job: planned tasks in id order (its batches), the deadline checked
    # in the index
    Index("ix_tasks_state_id", "state", "id", "due_at"),
    # the reminder job: not yet reminded, reminder time passed
    Index("ix_tasks_reminder", "reminded_at", "remind_at"),
    Index("ix_tasks_contact_id", "contact_id"),
)

#: One escalation sent per task, rule and deadline (TASK-7): a second copy of the job
#: fails on the unique constraint instead of sending again.
task_escalations = Table(
    "task_escalations", metadata, _id(), _version(),
    Column("task_id", Integer, ForeignKey("tasks.id"), nullable=False),
    Column("rule_id", Integer, ForeignKey("escalation_rules.id"), nullable=False),
    Column("due_at", TS, nullable=False),
    Column("recipient_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("sent_at", TS, nullable=False),
    UniqueConstraint("task_id", "rule_id", "due_at", name="uq_task_escalations_once"),
    Index("ix_task_escalations_rule_task", "rule_id", "task_id"),
)

# -- state sets, goods and prices, sales documents (issue 5) -----------------------------

#: The reference book of state sets (REQ-4, INV-2): states and transitions as JSON of
#: the workflow's value objects (``workflow.definition``'s shape).
state_sets = Table(
    "state_sets", metadata, _id(), _version(),
    Column("code", String(81), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("states", STATES, nullable=False),
    Column("transitions", TRANSITIONS, nullable=False),
)

item_groups = Table(
    "item_groups", metadata, _id(), _version(),
    Column("name", String(200), nullable=False),
    Column("parent_id", Integer, ForeignKey("item_groups.id")),
    Index("ix_item_groups_parent_id", "parent_id"),
)

items = Table(
    "items", metadata, _id(), _version(),
    Column("name", String(300), nullable=False),
    Column("item_kind", StrEnum(ItemKind), nullable=False),
    Column("group_id", Integer, ForeignKey("item_groups.id")),
    Column("unit", String(20), nullable=False, server_default="шт"),
    Column("vat_rate", String(10), nullable=False, server_default="22"),
    Column("article", String(50), nullable=False, server_default=""),
    Column("description", Text, nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default="1"),
    # the nomenclature's pages: active items by name, of a group or of all
    Index("ix_items_group", "group_id", "active", "name", "id"),
    Index("ix_items_active_name", "active", "name", "id"),
)

service_kinds = Table(
    "service_kinds", metadata, _id(), _version(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id")),
    Column("template", TEMPLATE, nullable=False),
    Column("conditions", ATTRIBUTE_DEFS, nullable=False),
    Column("card", ATTRIBUTE_DEFS, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
)

price_types = Table(
    "price_types", metadata, _id(), _version(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("vat_included", Boolean, nullable=False, server_default="1"),
)

client_types = Table(
    "client_types", metadata, _id(), _version(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("price_type_id", Integer, ForeignKey("price_types.id"), nullable=False),
)

#: Dated prices (PRD-3): ``[valid_from, valid_to)``, ``valid_to`` NULL = open-ended.
#: Ranges of one item and price type never overlap: besides the core's check, the
#: database refuses an overlap itself — an exclusion constraint on PostgreSQL
#: (``ex_prices_no_overlap``, btree_gist) and triggers on SQLite
#: (``prices_no_overlap_insert`` / ``_update``), both made by migration 0008.
prices = Table(
    "prices", metadata, _id(), _version(),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("price_type_id", Integer, ForeignKey("price_types.id"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("amount", MONEY, nullable=False),
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="range"),
    # the price on a day: one range read (the latest start on or before the day), and an
    # item's prices by type and date; two ranges cannot start on the same day
    Index("uq_prices_item_type_from", "item_id", "price_type_id", "valid_from",
          unique=True),
)

contract_types = Table(
    "contract_types", metadata, _id(), _version(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("attributes", ATTRIBUTE_DEFS, nullable=False),
    Column("number_pattern", String(60), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
)

documents = Table(
    "documents", metadata, _id(), _version(),
    Column("owner_kind", String(32), nullable=False),
    Column("owner_id", Integer, nullable=False),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id")),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(120), nullable=False),
    Column("size", Integer, nullable=False),
    # the document store's key: the SHA-256 of the content, in hex
    Column("key", String(64), nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    Column("uploaded_at", TS),
    Column("uploaded_by", Integer, ForeignKey("employees.id")),
    Index("ix_documents_owner", "owner_kind", "owner_id", "id"),
    # whether another document still uses the stored file (on removal)
    Index("ix_documents_key", "key"),
    Index("ix_documents_counterparty_id", "counterparty_id"),
)

contracts = Table(
    "contracts", metadata, _id(), _version(),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id"), nullable=False),
    Column("contract_type_id", Integer, ForeignKey("contract_types.id"), nullable=False),
    Column("number", String(60), nullable=False, unique=True),
    Column("subject", String(500), nullable=False, server_default=""),
    Column("signed_on", Date),
    Column("draft", Boolean, nullable=False, server_default="1"),
    Column("attributes", JSON, nullable=False),
    # the electronic copy; removing the document clears the link
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="SET NULL")),
    Column("created_at", TS),
    Column("created_by", Integer, ForeignKey("employees.id")),
    Index("ix_contracts_counterparty", "counterparty_id", "id"),
    Index("ix_contracts_document_id", "document_id"),
)

invoices = Table(
    "invoices", metadata, _id(), _version(),
    Column("number", String(60), nullable=False, unique=True),
    Column("issued_on", Date, nullable=False),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id"), nullable=False),
    Column("author_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("contract_id", Integer, ForeignKey("contracts.id")),
    Column("price_type_id", Integer, ForeignKey("price_types.id")),
    Column("vat_included", Boolean, nullable=False, server_default="1"),
    # the lines as JSON: quantities and sums as decimal text
    Column("lines", LINES, nullable=False),
    Column("total", MONEY, nullable=False),
    Column("vat", MONEY, nullable=False),
    Column("paid", MONEY, nullable=False),
    Column("state", String(40), nullable=False),
    Column("state_entered_at", TS),
    Column("requisites", JSON, nullable=False),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("contact_name", String(300), nullable=False, server_default=""),
    Column("due_on", Date),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", TS),
    # a client's invoices newest first, filtered by state in the index (INV-4)
    Index("ix_invoices_counterparty", "counterparty_id", "id", "state"),
    Index("ix_invoices_contract", "contract_id", "id"),
    # whether a state is in use (the state sets' reference book)
    Index("ix_invoices_state", "state"),
    Index("ix_invoices_contact_id", "contact_id"),
)

requests = Table(
    "requests", metadata, _id(), _version(),
    Column("request_kind", StrEnum(RequestKind), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("author_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("assignee_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("state", String(40), nullable=False),
    Column("state_entered_at", TS),
    Column("service_kind_id", Integer, ForeignKey("service_kinds.id")),
    Column("conditions", JSON, nullable=False),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id")),
    Column("contract_id", Integer, ForeignKey("contracts.id")),
    Column("invoice_id", Integer, ForeignKey("invoices.id")),
    Column("description", Text, nullable=False, server_default=""),
    Column("due_on", Date),
    Column("created_at", TS),
    # "My requests": an employee's newest first; the open-only filter (state IN …) is
    # checked in the index
    Index("ix_requests_assignee", "assignee_id", "id", "state"),
    Index("ix_requests_counterparty", "counterparty_id", "id"),
    Index("ix_requests_contract", "contract_id", "id"),
    Index("ix_requests_invoice", "invoice_id", "id"),
    Index("ix_requests_state", "state"),
)

payments = Table(
    "payments", metadata, _id(), _version(),
    Column("invoice_id", Integer, ForeignKey("invoices.id"), nullable=False),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id"), nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("contract_id", Integer, ForeignKey("contracts.id")),
    Column("planned", Boolean, nullable=False, server_default="0"),
    Column("reference", String(100), nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", TS),
    Column("created_by", Integer, ForeignKey("employees.id")),
    Index("ix_payments_invoice", "invoice_id", "paid_on", "id"),
    Index("ix_payments_counterparty", "counterparty_id", "planned"),
    Index("ix_payments_contract", "contract_id", "planned"),
)

acts = Table(
    "acts", metadata, _id(), _version(),
    Column("number", String(60), nullable=False, unique=True),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id"), nullable=False),
    Column("act_on", Date, nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("contract_id", Integer, ForeignKey("contracts.id")),
    Column("invoice_id", Integer, ForeignKey("invoices.id")),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", TS),
    Column("created_by", Integer, ForeignKey("employees.id")),
    Index("ix_acts_counterparty", "counterparty_id", "act_on", "id"),
    Index("ix_acts_contract", "contract_id", "act_on", "id"),
    Index("ix_acts_invoice_id", "invoice_id"),
)

#: One row a client: what it has been invoiced and has paid (CP-13, CON-4). Derived
#: data: it goes with its client.
settlements = Table(
    "settlements", metadata, _id(), _version(),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id", ondelete="CASCADE"),
           nullable=False, unique=True),
    Column("invoiced", MONEY, nullable=False),
    Column("paid", MONEY, nullable=False),
)

#: Named sequences of contract, invoice and act numbers (CON-2): one row a key,
#: advanced by ``SqlUnitOfWork.next_number`` in one atomic statement.
number_sequences = Table(
    "number_sequences", metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Integer, nullable=False),
)

# -- deals (DEAL-1…DEAL-4, RPT-4 first part; issue 6) ------------------------------------

#: The reference book of deal templates (DEAL-1): the card's attributes; the template's
#: states live in the state set ``deal:<code>`` (``state_sets``).
deal_templates = Table(
    "deal_templates", metadata, _id(), _version(),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("attributes", ATTRIBUTE_DEFS, nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("head_after_days", Integer, nullable=False, server_default="2"),
    # counts the edits of the template's states: an edit of the states alone changes the
    # row too, so its version guards concurrent edits (DEAL-1)
    Column("revision", Integer, nullable=False, server_default="1"),
)

#: The condition of the partial indexes of open deals.
OPEN_DEAL = text("closed_at IS NULL")

#: Deals (DEAL-3). ``planned`` is the sum of the deal's planned payments (``deal_payments``,
#: kept in step by ``DealService``): the forecast weighs the part of the amount they do
#: not cover in one pass over an index instead of a join (docs/performance.md).
deals = Table(
    "deals", metadata, _id(), _version(),
    Column("number", String(60), nullable=False, unique=True),
    Column("template_id", Integer, ForeignKey("deal_templates.id"), nullable=False),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id"), nullable=False),
    Column("name", String(300), nullable=False),
    Column("manager_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("author_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("planned", MONEY, nullable=False, server_default="0"),
    Column("expected_close_on", Date),
    Column("project_id", Integer, ForeignKey("projects.id")),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("attributes", JSON, nullable=False),
    # the approvals obtained: a JSON list of names
    Column("approvals", NAMES, nullable=False),
    Column("state", String(40), nullable=False),
    Column("state_entered_at", TS),
    Column("due_in_state", TS),
    Column("probability", Integer, nullable=False, server_default="0"),
    Column("outcome", String(10)),
    Column("close_reason", Text, nullable=False, server_default=""),
    Column("closed_at", TS),
    Column("created_at", TS),
    Column("note", Text, nullable=False, server_default=""),
    # The three indexes of open deals are partial (WHERE closed_at IS NULL): they hold
    # only open deals, and their order serves ORDER BY — PostgreSQL does not take a
    # leading "closed_at IS NULL" column as an equality for the order, so with it in the
    # key a column's first cards were a bitmap scan and a sort of the whole column.
    # ``closed_at`` rides last: SQLite reads an index alone only when it holds every
    # column the query names, the partial condition's too.
    # The pipeline board of a template: its open deals by state — the columns' totals
    # GROUP BY state and the cards, longest in the state first (state_entered_at, id) —
    # with the filters' and the totals' columns riding along, so both read the index
    # alone (an index-only scan of the template's open deals).
    Index("ix_deals_board", "template_id", "state", "state_entered_at", "id",
          "manager_id", "project_id", "expected_close_on", "amount", "probability",
          "due_in_state", "closed_at", sqlite_where=OPEN_DEAL, postgresql_where=OPEN_DEAL),
    # The forecast (RPT-4): open deals by expected close date, covering what it sums
    # (amount, planned, probability) and its filters — one range read of the index.
    Index("ix_deals_forecast", "expected_close_on", "amount", "planned",
          "probability", "template_id", "manager_id", "project_id", "closed_at",
          sqlite_where=OPEN_DEAL, postgresql_where=OPEN_DEAL),
    # Open deals in id order. The escalation job (DEAL-4): its batches are ranges, the
    # norm's end checked in the index (as ``ix_tasks_state_id``). The forecast's planned
    # payments: the open deals (probability, filters) read in id order and their payments
    # probed in ``ix_deal_payments_deal`` in the same order — no row of either table read.
    Index("ix_deals_open_due", "id", "due_in_state", "state_entered_at",
          "probability", "template_id", "manager_id", "project_id", "expected_close_on",
          "closed_at", sqlite_where=OPEN_DEAL, postgresql_where=OPEN_DEAL),
    # a manager's deals newest first (the lists of a manager), filters in the index; what
    # a manager's forecast sums rides along, so it reads this index alone (SQLite takes it
    # for manager_id = ?: without the sums it read ~50,000 rows at 1,000,000 deals)
    Index("ix_deals_manager", "manager_id", "id", "template_id", "state", "project_id",
          "expected_close_on", "closed_at", "amount", "planned", "probability"),
    # a client's deals newest first (the client's Deals tab)
    Index("ix_deals_counterparty", "counterparty_id", "id"),
    # whether a state of a template is in use (the state sets' reference book)
    Index("ix_deals_state", "state", "template_id"),
    Index("ix_deals_contact_id", "contact_id"),
    Index("ix_deals_project_id", "project_id"),
)

#: One stay of a deal in a state (DEAL-4: the time in each state).
deal_stages = Table(
    "deal_stages", metadata, _id(), _version(),
    Column("deal_id", Integer, ForeignKey("deals.id"), nullable=False),
    Column("state", String(40), nullable=False),
    Column("entered_at", TS, nullable=False),
    Column("left_at", TS),
    Column("working_hours", Float),
    Index("ix_deal_stages_deal", "deal_id", "entered_at", "id"),
)

#: Payments planned on entering a state (DEAL-2), for the forecast (RPT-4).
deal_payments = Table(
    "deal_payments", metadata, _id(), _version(),
    Column("deal_id", Integer, ForeignKey("deals.id"), nullable=False),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id"), nullable=False),
    Column("amount", MONEY, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("state", String(40), nullable=False, server_default=""),
    Column("created_at", TS),
    # a deal's payments by due date (its card); with the amount, the forecast's probe of
    # an open deal's payments in the months reads the index alone
    Index("ix_deal_payments_deal", "deal_id", "due_on", "id", "amount"),
    # the forecast's planned payments: a range of due dates with the amount and the deal
    Index("ix_deal_payments_due", "due_on", "deal_id", "amount"),
    Index("ix_deal_payments_counterparty_id", "counterparty_id"),
)

#: One notice per deal, stay and level (DEAL-4): a second copy of the escalation job
#: fails on the unique constraint instead of sending again.
deal_escalations = Table(
    "deal_escalations", metadata, _id(), _version(),
    Column("deal_id", Integer, ForeignKey("deals.id"), nullable=False),
    Column("entered_at", TS, nullable=False),
    Column("level", Integer, nullable=False),
    Column("recipient_id", Integer, ForeignKey("employees.id")),
    Column("sent_at", TS, nullable=False),
    Column("state", String(40), nullable=False, server_default=""),
    UniqueConstraint("deal_id", "entered_at", "level", name="uq_deal_escalations_once"),
    Index("ix_deal_escalations_recipient_id", "recipient_id"),
)

#: The working-days calendar (DEAL-4): the days marked off on a weekday or working on a
#: weekend.
calendar_days = Table(
    "calendar_days", metadata, _id(), _version(),
    Column("day", Date, nullable=False, unique=True),
    Column("working", Boolean, nullable=False, server_default="0"),
    Column("note", String(200), nullable=False, server_default=""),
)

# A task and an invoice may be about a deal (TASK-2; DEAL-2's invoice conditions).
tasks.append_column(Column("deal_id", Integer, ForeignKey("deals.id")))
Index("ix_tasks_deal_id", tasks.c.deal_id)
invoices.append_column(Column("deal_id", Integer, ForeignKey("deals.id")))
Index("ix_invoices_deal_id", invoices.c.deal_id)
# The forecast's received payments (RPT-4): by the day paid, the sum and the invoice (for
# the deal filter) in the index.
Index("ix_payments_actual", payments.c.planned, payments.c.paid_on, payments.c.amount,
      payments.c.invoice_id)


#: Domain events waiting to be handed to the queue (transactional outbox).
outbox = Table(
    "outbox", metadata, _id(),
    Column("name", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("published_at", TS),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Index("ix_outbox_unpublished", "published_at", "id"),
)

#: Periodic jobs run through the queue (the EGRUL status re-check, CP-2): one row per
#: job. ``holder`` owns the running pass until ``lease_until`` (each batch renews it), so
#: several workers never run two passes at once; ``cursor`` is where the pass goes on.
job_leases = Table(
    "job_leases", metadata, _id(),
    Column("name", String(64), nullable=False),
    Column("holder", String(128)),
    Column("lease_until", TS),
    Column("cursor", Integer, nullable=False, server_default="0"),
    Column("started_at", TS),
    Column("finished_at", TS),
    UniqueConstraint("name"),
)


# -- customer orders (ORD-1…ORD-3, issue 6) -----------------------------------------------

#: Customer orders (ORD-1): the lines as JSON (an invoice line's shape and its part:
#: package / equipment / work), the one-time and monthly totals derived from them.
orders = Table(
    "orders", metadata, _id(), _version(),
    Column("number", String(60), nullable=False, unique=True),
    Column("counterparty_id", Integer, ForeignKey("counterparties.id"), nullable=False),
    Column("author_id", Integer, ForeignKey("employees.id"), nullable=False),
    Column("ordered_on", Date, nullable=False),
    Column("contract_id", Integer, ForeignKey("contracts.id")),
    Column("price_type_id", Integer, ForeignKey("price_types.id")),
    Column("vat_included", Boolean, nullable=False, server_default="1"),
    Column("lines", ORDER_LINES, nullable=False),
    Column("one_time_total", MONEY, nullable=False),
    Column("monthly_total", MONEY, nullable=False),
    Column("state", String(40), nullable=False),
    Column("state_entered_at", TS),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", TS),
    # a client's orders newest first, filtered by state in the index
    Index("ix_orders_counterparty", "counterparty_id", "id", "state"),
    Index("ix_orders_contract", "contract_id", "id"),
    Index("ix_orders_author_id", "author_id"),
    # whether a state is in use (the state sets' reference book)
    Index("ix_orders_state", "state"),
)

#: The reference book of approval routes (ORD-2): the steps as JSON
#: (``{"role": …, "employee_id": …}``, exactly one set).
approval_routes = Table(
    "approval_routes", metadata, _id(), _version(),
    Column("name", String(200), nullable=False),
    Column("steps", APPROVAL_STEPS, nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
)

#: One submission of an order's estimate (ORD-2): the route's steps and the estimate
#: frozen as submitted, the step waiting and the decisions taken.
approval_rounds = Table(
    "approval_rounds", metadata, _id(), _version(),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False),
    Column("route_id", Integer, ForeignKey("approval_routes.id")),
    Column("route_name", String(200), nullable=False, server_default=""),
    Column("steps", APPROVAL_STEPS, nullable=False),
    Column("estimate", JSON, nullable=False),
    Column("order_version", Integer, nullable=False),
    Column("step", Integer, nullable=False, server_default="0"),
    Column("decisions", DECISIONS, nullable=False),
    Column("status", StrEnum(RoundStatus), nullable=False),
    Column("submitted_by", Integer, ForeignKey("employees.id")),
    Column("submitted_at", TS),
    Column("finished_at", TS),
    # an order's latest round
    Index("ix_approval_rounds_order", "order_id", "id"),
    Index("ix_approval_rounds_route_id", "route_id"),
    Index("ix_approval_rounds_submitted_by", "submitted_by"),
)

#: The data of an order for the billing system (ORD-3): one row per revision of an
#: order's document, its idempotency key unique; ``sending_until`` is a delivery's hold.
billing_handoffs = Table(
    "billing_handoffs", metadata, _id(), _version(),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("key", String(100), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("state", StrEnum(HandoffState), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("next_try_at", TS),
    Column("sending_until", TS),
    Column("accepted_at", TS),
    Column("created_at", TS),
    UniqueConstraint("order_id", "revision"),
    # the sweep of pending hand-offs whose next try is due
    Index("ix_billing_handoffs_due", "state", "next_try_at"),
)
