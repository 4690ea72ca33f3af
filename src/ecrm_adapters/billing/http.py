"""The billing system over HTTP (ORD-3): ``POST`` the hand-off's JSON to
``ECRM_BILLING_URL`` with the headers ``Idempotency-Key: <key>`` and, when
``ECRM_BILLING_TOKEN`` is set, ``Authorization: Bearer <token>``
(docs/configuration.md).

Only the standard library is used (``urllib.request``), as in the DaData adapter. The
answer decides:

- 2xx — accepted; 409 Conflict — the key was accepted before (a retry after a lost
  answer): accepted too;
- 401 / 403 (the token), 408, 425, 429 (the limit) and 5xx, timeouts, refused or broken
  connections, redirects (the URL is wrong) — ``BillingUnavailable``: the hand-off is
  retried later (once the billing system or the setting is fixed, it goes through);
- any other 4xx — ``BillingRejected``: the billing system refuses the document itself;
  sending it again would not help.

Redirects are never followed: a redirected POST may arrive as a GET without the
document, which must not count as accepted.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from ecrm_core.orders.ports import BillingRejected, BillingUnavailable

log = logging.getLogger(__name__)

#: How much of an answer's body is kept for the error message.
MAX_DETAIL = 500
_TOKEN_RE = re.compile(r"^[\x21-\x7e]+$")
#: 4xx answers that are not about the document: the setting, the timing or the limit.
RETRY_4XX = frozenset({401, 403, 408, 425, 429})


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx answer is raised as an HTTPError


class HttpBilling:
    """``BillingGateway`` over an HTTP endpoint that takes one JSON document per POST."""

    def __init__(self, url: str, token: str = "", timeout: float = 10.0) -> None:
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"ECRM_BILLING_URL: expected an http:// or https:// address, got {url!r}")
        token = (token or "").strip()
        if token and not _TOKEN_RE.match(token):
            raise ValueError("ECRM_BILLING_TOKEN: contains spaces or control characters")
        if not timeout > 0:
            raise ValueError("ECRM_BILLING_TIMEOUT: expected a number of seconds more than zero")
        self.url = url
        self.timeout = float(timeout)
        self._token = token
        self._opener = urllib.request.build_opener(_NoRedirects)

    def __repr__(self) -> str:  # never show the token
        return f"HttpBilling({self.url!r}, timeout={self.timeout})"

    def send(self, key: str, payload: dict[str, Any]) -> None:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Idempotency-Key": key,
            "User-Agent": "ECRM",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(MAX_DETAIL)
                status = response.status
        except urllib.error.HTTPError as exc:
            status, detail = exc.code, _detail(exc)
            exc.close()
            self._refused(key, status, detail)
            return
        except TimeoutError:
            raise self._timed_out() from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timed_out() from None
            log.warning("billing system unreachable: %s", exc.reason)
            raise BillingUnavailable(
                f"cannot reach the billing system ({exc.reason})") from None
        except (OSError, http.client.HTTPException) as exc:
            log.warning("billing system connection failed: %r", exc)
            raise BillingUnavailable("the connection to the billing system broke off") from None
        if not 200 <= status < 300:  # 1xx never reaches here; anything else is odd
            raise BillingUnavailable(f"the billing system answered HTTP {status}")
        log.info("billing system accepted %s (HTTP %s)", key, status)

    def _refused(self, key: str, status: int, detail: str) -> None:
        """An answer other than 2xx: accepted before (409), or the error to raise."""
        if status == 409:
            log.info("billing system had accepted %s before (HTTP 409)", key)
            return
        said = f": {detail}" if detail else ""
        if 400 <= status < 500 and status not in RETRY_4XX:
            log.error("billing system rejected %s with HTTP %s%s", key, status, said)
            raise BillingRejected(f"the billing system rejected the document "
                                  f"(HTTP {status}){said}")
        if status in (401, 403):
            log.error("billing system refused the token (HTTP %s)", status)
            raise BillingUnavailable(f"the billing system refused the token (HTTP {status}); "
                                     "check ECRM_BILLING_TOKEN")
        if 300 <= status < 400:
            log.error("billing system redirects (HTTP %s): check ECRM_BILLING_URL", status)
            raise BillingUnavailable(f"the billing system redirects (HTTP {status}); "
                                     "check ECRM_BILLING_URL")
        log.warning("billing system failed with HTTP %s%s", status, said)
        raise BillingUnavailable(f"the billing system is failing (HTTP {status}){said}")

    def _timed_out(self) -> BillingUnavailable:
        log.warning("billing system did not answer within %ss", self.timeout)
        return BillingUnavailable(
            f"the billing system did not answer within {self.timeout:g} seconds")


def _detail(exc: urllib.error.HTTPError) -> str:
    """A short, single-line excerpt of an error answer's body."""
    try:
        raw = exc.read(MAX_DETAIL)
    except (OSError, http.client.HTTPException):
        return ""
    text = raw.decode("utf-8", errors="replace") if raw else ""
    return " ".join(text.split())[:MAX_DETAIL]
