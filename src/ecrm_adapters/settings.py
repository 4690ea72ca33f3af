"""Settings from the environment (every ``ECRM_*`` variable is listed in
docs/configuration.md). Nothing configured means the embedded default: a SQLite file
and an in-process queue worker."""

from __future__ import annotations

import math
import os
from pathlib import Path

import attrs

#: The DaData suggestions API (findById/party is appended).
DADATA_URL = "https://suggestions.dadata.ru/suggestions/api/4_1/rs/"


def _default_data_dir() -> Path:
    return Path(os.environ.get("ECRM_DATA_DIR") or Path.cwd() / "ecrm-data")


@attrs.frozen
class Settings:
    database_url: str
    broker_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    mail_from: str = "ecrm@localhost"
    data_dir: Path = attrs.field(factory=_default_data_dir)
    #: Where uploaded documents are kept (DOC-1; ``files.documents``): outside any web
    #: root, by default under the data folder.
    documents_dir: Path = attrs.field(
        default=attrs.Factory(lambda self: self.data_dir / "documents", takes_self=True))
    #: Seconds between relay passes over the outbox (catches up after a broker outage).
    relay_interval: float = 2.0
    secure_cookies: bool = False
    #: EGRUL lookup (CP-2): the DaData party API. No token: lookups say "not configured"
    #: and the periodic status re-check does not run.
    registry_url: str = DADATA_URL
    registry_token: str = ""
    #: Seconds to wait for the register's answer.
    registry_timeout: float = 5.0
    #: Hours between passes of the periodic status re-check (0: never).
    registry_recheck_hours: float = 24.0
    #: Minutes between passes of the task alerts job — reminders and escalations
    #: (TASK-7); 0: the periodic job never runs (``ecrm tasks escalate`` still does).
    task_alerts_minutes: float = 5.0
    #: minutes between passes of the deal alerts job (DEAL-4); 0 turns it off
    deal_alerts_minutes: float = 15.0
    #: SQLite's page cache per connection, MiB (PostgreSQL: unused).
    sqlite_cache_mb: int = 128
    #: The billing system (ORD-3): an HTTP endpoint taking one JSON document per POST
    #: (``billing.http``), or a drop folder for JSON files (``billing.filedrop``); neither:
    #: hand-offs wait, pending, until one is configured.
    billing_url: str = ""
    billing_token: str = ""
    billing_dir: Path | None = None
    #: Seconds to wait for the billing system's answer.
    billing_timeout: float = 10.0
    #: Minutes between sweeps of postponed hand-offs (0: never; the queue's own retries
    #: still run).
    billing_sweep_minutes: float = 5.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("ECRM_DATA_DIR") or Path.cwd() / "ecrm-data")
        values = dict(
            database_url=env.get("ECRM_DATABASE_URL") or f"sqlite:///{data_dir / 'ecrm.db'}",
            broker_url=env.get("ECRM_BROKER_URL", ""),
            secret_key=env.get("ECRM_SECRET_KEY", ""),
            base_url=env.get("ECRM_BASE_URL", "http://127.0.0.1:8000"),
            smtp_host=env.get("ECRM_SMTP_HOST", ""),
            smtp_port=int(env.get("ECRM_SMTP_PORT") or 25),
            smtp_user=env.get("ECRM_SMTP_USER", ""),
            smtp_password=env.get("ECRM_SMTP_PASSWORD", ""),
            smtp_starttls=env.get("ECRM_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            smtp_ssl=env.get("ECRM_SMTP_SSL", "").lower() in ("1", "true", "yes"),
            mail_from=env.get("ECRM_MAIL_FROM", "ecrm@localhost"),
            data_dir=data_dir,
            relay_interval=float(env.get("ECRM_RELAY_INTERVAL") or 2.0),
            secure_cookies=env.get("ECRM_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
            registry_url=env.get("ECRM_REGISTRY_URL") or DADATA_URL,
            registry_token=env.get("ECRM_REGISTRY_TOKEN", "").strip(),
            registry_timeout=_positive(env, "ECRM_REGISTRY_TIMEOUT", 5.0),
            registry_recheck_hours=_positive(env, "ECRM_REGISTRY_RECHECK_HOURS", 24.0,
                                             zero=True),
            task_alerts_minutes=_positive(env, "ECRM_TASK_ALERTS_MINUTES", 5.0, zero=True),
            deal_alerts_minutes=_positive(env, "ECRM_DEAL_ALERTS_MINUTES", 15.0, zero=True),
            sqlite_cache_mb=max(1, round(_positive(env, "ECRM_SQLITE_CACHE_MB", 128.0))),
            billing_url=env.get("ECRM_BILLING_URL", "").strip(),
            billing_token=env.get("ECRM_BILLING_TOKEN", "").strip(),
            billing_dir=Path(env["ECRM_BILLING_DIR"]) if env.get("ECRM_BILLING_DIR") else None,
            billing_timeout=_positive(env, "ECRM_BILLING_TIMEOUT", 10.0),
            billing_sweep_minutes=_positive(env, "ECRM_BILLING_SWEEP_MINUTES", 5.0, zero=True),
        )
        values.update(overrides)
        if "documents_dir" not in values:
            documents = env.get("ECRM_DOCUMENTS_DIR")
            values["documents_dir"] = (Path(documents) if documents
                                       else Path(values["data_dir"]) / "documents")
        return cls(**values)

    @property
    def registry_configured(self) -> bool:
        return bool(self.registry_token)

    @property
    def billing_configured(self) -> bool:
        return bool(self.billing_url or self.billing_dir)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_secret_key(self) -> str:
        """The configured key, or one kept in the data folder (made on first use)."""
        if self.secret_key:
            return self.secret_key
        import secrets

        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()


def _positive(env: dict[str, str], name: str, default: float, zero: bool = False) -> float:
    """A number of seconds, minutes or hours from ``env``; a clear error for anything
    else."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or not (value > 0 or (zero and value == 0)):
        limit = "zero or more" if zero else "more than zero"
        raise ValueError(f"{name}: expected a number {limit}, got {raw!r}")
    return value
