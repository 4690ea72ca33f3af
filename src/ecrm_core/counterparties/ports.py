"""What the client base needs from the outside world: the state register (EGRUL) by
INN, a substring search index over names, and a store for contacts' photos."""

from __future__ import annotations

from typing import Protocol

import attrs

from ecrm_core.counterparties.model import CounterpartyType, OrganisationStatus


@attrs.frozen
class RegistryRecord:
    """A legal entity or sole proprietor as the register knows it (CP-2)."""

    inn: str
    name: str
    type: CounterpartyType
    status: OrganisationStatus
    kpp: str = ""
    ogrn: str = ""
    full_name: str = ""
    legal_address: str = ""
    okved: str = ""
    head: str = ""


class RegistryUnavailable(Exception):
    """The register did not answer usefully (timeout, bad key, limit, server error);
    the message says which, in words a user can act on."""


class RegistryGateway(Protocol):
    def find_by_inn(self, inn: str) -> RegistryRecord | None:
        """The main record for ``inn``; None when the register has none.
        Raises RegistryUnavailable."""


@attrs.frozen
class SearchCandidate:
    id: int
    search_text: str


class CounterpartySearch(Protocol):
    """Substring search over the folded names (``Counterparty.search_text``) and the
    contacts' surnames, backed by an index (SQLite FTS5 trigram, PostgreSQL pg_trgm).
    ``text`` is already folded (lower case, ё→е) and at least 3 characters long. Each
    call returns at most ``limit`` candidates: the limit applies inside the index."""

    def names(self, text: str, limit: int, include_deleted: bool = False
              ) -> list[SearchCandidate]: ...

    def contact_surnames(self, text: str, limit: int, include_deleted: bool = False
                         ) -> list[SearchCandidate]: ...


class FileStore(Protocol):
    """Keeps uploaded files (contacts' photos); references are opaque strings."""

    def put(self, data: bytes, suffix: str) -> str: ...

    def get(self, ref: str) -> bytes | None: ...

    def delete(self, ref: str) -> None: ...
