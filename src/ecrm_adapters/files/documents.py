"""The DocumentStore port on a folder (``ECRM_DOCUMENTS_DIR``, by default
``$ECRM_DATA_DIR/documents``; DOC-1).

Files are kept by the SHA-256 of their content — the same content is kept once, and a
key names exactly one content — in folders sharded by the key's first two pairs of
digits (``ab/cd/abcd…``), so no folder grows past a few hundred entries. A file is
written to a temporary name in its folder and renamed into place (``os.replace``): a
reader never sees half a file, and two writers of the same content both leave it whole.
A key is 64 lower-case hex digits or nothing: no key reaches outside the folder. The
folder is ECRM's own, never served by the web server: downloads go through
``DocumentService.download``, which checks the right to see the document's owner.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

KEY_RE = re.compile(r"[0-9a-f]{64}")


class FilesystemDocumentStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or not KEY_RE.fullmatch(key):
            raise ValueError("a document key is 64 lower-case hex digits")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        """Keep ``data``; its key (kept once however often it is put)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError("a document is bytes")
        data = bytes(data)
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if path.is_file() and path.stat().st_size == len(data):
            os.utime(path)  # fresh again: the clean-up spares what was just put
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes | None:
        """The content under ``key``; None for an unknown or malformed key."""
        try:
            path = self._path(key)
        except ValueError:
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def keys(self) -> Iterator[tuple[str, datetime]]:
        """Every key kept, with when its file was last put (the clean-up's view)."""
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if KEY_RE.fullmatch(path.name) and path.is_file():
                yield path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def delete(self, key: str) -> None:
        """Forget the content (the caller knows no document uses it any more); a missing
        file is no error, a malformed key is refused."""
        self._path(key).unlink(missing_ok=True)
