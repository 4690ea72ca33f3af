"""The FileStore port on a folder (``ECRM_DATA_DIR/files``): random names, one file per
upload (two contacts with the same picture own separate files, so deleting one keeps the
other's), and a reference never points outside the folder."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

REF_RE = re.compile(r"^[0-9a-f]{64}\.[a-z]{3,4}$")


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, data: bytes, suffix: str) -> str:
        ref = secrets.token_hex(32) + suffix.lower()
        if not REF_RE.match(ref):
            raise ValueError(f"bad suffix {suffix!r}")
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / ref
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return ref

    def get(self, ref: str) -> bytes | None:
        if not REF_RE.match(ref or ""):
            return None
        path = self.root / ref
        return path.read_bytes() if path.exists() else None

    def delete(self, ref: str) -> None:
        if REF_RE.match(ref or ""):
            (self.root / ref).unlink(missing_ok=True)
