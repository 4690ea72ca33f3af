"""The billing system as a drop folder (ORD-3): each hand-off is written as
``<folder>/<key>.json`` for the billing system to pick up.

The file appears whole or not at all: it is written to a temporary file in the same
folder (a dot-name ending ``.tmp``, which a pickup should ignore), flushed to disk and
renamed into place with ``os.replace`` (atomic within one file system). A file already
there under the key means the hand-off was delivered before (a retry after a lost
answer): success, and the file is left as it is.

A folder that cannot be written (missing share, no space, no permission) is a
``BillingUnavailable``: the hand-off is retried later.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ecrm_core.orders.ports import BillingRejected, BillingUnavailable

log = logging.getLogger(__name__)

#: A key must be a safe file name (the core's keys are ``ecrm-order-<id>-v<n>``).
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class FileDropBilling:
    """``BillingGateway`` writing JSON files into ``folder``."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"FileDropBilling({str(self.folder)!r})"

    def path_of(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def send(self, key: str, payload: dict[str, Any]) -> None:
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise BillingRejected(f"the key {key!r} cannot name a file")
        target = self.path_of(key)
        try:
            data = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise BillingRejected(f"the document cannot be written as JSON: {exc}") from None
        try:
            if target.exists():
                log.info("billing drop: %s is there already (delivered before)", target.name)
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{key}.",
                                                 suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError as exc:
            log.warning("billing drop folder %s cannot be written: %s", self.folder, exc)
            raise BillingUnavailable(
                f"the billing drop folder cannot be written ({exc.strerror or exc}); "
                "check ECRM_BILLING_DIR") from None
        log.info("billing drop: wrote %s", target.name)
