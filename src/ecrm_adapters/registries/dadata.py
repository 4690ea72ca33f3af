"""The state register (EGRUL) through the DaData party API (CP-2).

``POST {base}findById/party`` with ``{"query": "<INN>"}``, the key in
``Authorization: Token <key>``, JSON both ways (docs/configuration.md,
ECRM_REGISTRY_URL, _TOKEN, _TIMEOUT). A 10-digit INN asks for the head organisation only
(``"branch_type": "MAIN"``: a large company would list its branches too); a 12-digit INN
asks for a sole proprietor (``"type": "INDIVIDUAL"``), who has no branches.

Only the standard library is used (``urllib.request``): one POST with a timeout needs no
HTTP client package, and the proxy variables (``https_proxy``, ``no_proxy``) work as
usual. Every failure becomes ``RegistryUnavailable`` with a message a user can act on;
a record is returned whole or not at all.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from ecrm_core.counterparties.model import CounterpartyType, OrganisationStatus
from ecrm_core.counterparties.ports import RegistryRecord, RegistryUnavailable

log = logging.getLogger(__name__)

#: The largest answer read (a findById answer for one company is some tens of KB).
MAX_ANSWER = 8 * 1024 * 1024
_CHUNK = 64 * 1024

STATUSES = {
    "ACTIVE": OrganisationStatus.ACTIVE,
    "LIQUIDATING": OrganisationStatus.LIQUIDATING,
    "LIQUIDATED": OrganisationStatus.LIQUIDATED,
    "BANKRUPT": OrganisationStatus.BANKRUPT,
    "REORGANIZING": OrganisationStatus.REORGANISING,
}
TYPES = {"LEGAL": CounterpartyType.LEGAL_ENTITY, "INDIVIDUAL": CounterpartyType.SOLE_PROPRIETOR}

_TOKEN_RE = re.compile(r"^[\x21-\x7e]+$")


class _Unreadable(Exception):
    """The answer is not shaped like a findById/party answer."""


class DadataRegistry:
    """``RegistryGateway`` over DaData's ``findById/party``."""

    def __init__(self, base_url: str, token: str, timeout: float = 5.0) -> None:
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"ECRM_REGISTRY_URL: expected an http:// or https:// address, got {base_url!r}")
        token = (token or "").strip()
        if not _TOKEN_RE.match(token):
            raise ValueError("ECRM_REGISTRY_TOKEN: the API key is empty or contains spaces "
                             "or control characters")
        if not timeout > 0:
            raise ValueError("ECRM_REGISTRY_TIMEOUT: expected a number of seconds more than zero")
        self.url = base_url.rstrip("/") + "/findById/party"
        self.timeout = float(timeout)
        self._token = token

    def __repr__(self) -> str:  # never show the key
        return f"DadataRegistry({self.url!r}, timeout={self.timeout})"

    # -- RegistryGateway ------------------------------------------------------------------

    def find_by_inn(self, inn: str) -> RegistryRecord | None:
        body: dict[str, Any] = {"query": inn}
        if len(inn) == 12:
            body["type"] = "INDIVIDUAL"
        else:
            body["branch_type"] = "MAIN"
        answer = self._post(body)
        try:
            return record_from_answer(inn, answer)
        except _Unreadable as exc:
            log.warning("EGRUL answer for %s cannot be read: %s", inn, exc)
            raise RegistryUnavailable(
                "the EGRUL service sent an answer ECRM cannot read; try later") from None

    # -- HTTP -------------------------------------------------------------------------------

    def _post(self, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode("utf-8"), method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Token {self._token}",
                "User-Agent": "ECRM",
            },
        )
        deadline = time.monotonic() + self.timeout
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = self._read(response, deadline)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise RegistryUnavailable(self._status_message(exc.code)) from None
        except TimeoutError:
            raise self._timed_out() from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timed_out() from None
            log.warning("EGRUL service unreachable: %s", exc.reason)
            raise RegistryUnavailable(
                f"cannot reach the EGRUL service ({exc.reason}); try later") from None
        except (OSError, http.client.HTTPException) as exc:
            log.warning("EGRUL service connection failed: %r", exc)
            raise RegistryUnavailable(
                "the connection to the EGRUL service broke off; try later") from None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            log.warning("EGRUL answer is not JSON: %r", raw[:200])
            raise RegistryUnavailable(
                "the EGRUL service sent an answer ECRM cannot read; try later") from None

    def _read(self, response, deadline: float) -> bytes:
        """The body, read within the overall timeout and at most MAX_ANSWER bytes."""
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError
            chunk = response.read(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_ANSWER:
                raise RegistryUnavailable(
                    "the EGRUL service sent an answer ECRM cannot read (too large)")
            chunks.append(chunk)

    def _timed_out(self) -> RegistryUnavailable:
        log.warning("EGRUL service did not answer within %ss", self.timeout)
        return RegistryUnavailable(
            f"the EGRUL service did not answer within {self.timeout:g} seconds; try later")

    @staticmethod
    def _status_message(code: int) -> str:
        if code in (401, 403):
            log.error("EGRUL service refused the key (HTTP %s)", code)
            return ("the EGRUL service refused the key (HTTP "
                    f"{code}); check ECRM_REGISTRY_TOKEN")
        if code == 429:
            log.warning("EGRUL service: request limit reached")
            return "the EGRUL service: request limit reached, try later"
        if code >= 500:
            log.warning("EGRUL service failed with HTTP %s", code)
            return f"the EGRUL service is failing (HTTP {code}); try later"
        log.error("EGRUL service rejected the request with HTTP %s", code)
        return f"the EGRUL service rejected the request (HTTP {code}); check ECRM_REGISTRY_URL"


# -- the answer -> RegistryRecord ------------------------------------------------------------


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _part(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Unreadable(f"{name} is not an object")
    return value


def record_from_answer(inn: str, answer: Any) -> RegistryRecord | None:
    """The head organisation (or the sole proprietor) of a findById/party answer; None
    when the register has nobody with that INN. Raises _Unreadable for any other shape."""
    if not isinstance(answer, dict) or not isinstance(answer.get("suggestions"), list):
        raise _Unreadable("no list of suggestions")
    suggestions = answer["suggestions"]
    if not suggestions:
        return None
    usable = [s for s in suggestions if isinstance(s, dict) and isinstance(s.get("data"), dict)]
    if not usable:
        raise _Unreadable("suggestions without data")
    chosen = next((s for s in usable if s["data"].get("branch_type") in ("MAIN", None)), usable[0])
    data = chosen["data"]
    names = _part(data, "name")
    full_name = _text(names.get("full_with_opf"))
    name = _text(names.get("short_with_opf")) or full_name or _text(chosen.get("value"))
    if not name:
        raise _Unreadable("no name")
    record_inn = _text(data.get("inn")) or inn
    kind = TYPES.get(_text(data.get("type")))
    if kind is None:
        kind = CounterpartyType.LEGAL_ENTITY if len(record_inn) == 10 \
            else CounterpartyType.SOLE_PROPRIETOR
    status = STATUSES.get(_text(_part(data, "state").get("status")), OrganisationStatus.UNKNOWN)
    head = _text(_part(data, "management").get("name"))
    if kind is CounterpartyType.SOLE_PROPRIETOR:
        fio = _part(data, "fio")
        person = " ".join(_text(fio.get(k)) for k in ("surname", "name", "patronymic")).strip()
        head = " ".join(person.split()) or head
    address = _part(data, "address")
    return RegistryRecord(
        inn=record_inn,
        name=name,
        type=kind,
        status=status,
        kpp=_text(data.get("kpp")) if kind is CounterpartyType.LEGAL_ENTITY else "",
        ogrn=_text(data.get("ogrn")),
        full_name=full_name,
        legal_address=_text(address.get("value")) or _text(address.get("unrestricted_value")),
        okved=_text(data.get("okved")),
        head=head,
    )
