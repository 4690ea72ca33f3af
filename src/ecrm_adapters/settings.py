"""Settings from the environment (every ``ECRM_*`` variable is listed in
docs/configuration.md). Nothing configured means the embedded default: a SQLite file
and an in-process queue worker."""

from __future__ import annotations

import os
from pathlib import Path

import attrs


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
    #: Seconds between relay passes over the outbox (catches up after a broker outage).
    relay_interval: float = 2.0
    secure_cookies: bool = False

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
        )
        values.update(overrides)
        return cls(**values)

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
