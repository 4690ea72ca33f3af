"""A document (DOC-1): a file attached to a client, a contract, an invoice or a request,
kept by a ``DocumentStore`` under the key of its content."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar, Protocol

from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.kernel.refs import ObjectRef

DOCUMENT = "document"
#: What a document may be attached to.
OWNERS = frozenset({"counterparty", "contract", "invoice", "request", "deal"})
MAX_SIZE = 20 * 1024 * 1024

#: Accepted types by their first bytes (the name's extension is not trusted):
#: content type and the extension the download gets.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
    (b"II*\x00", "image/tiff", ".tif"),
    (b"MM\x00*", "image/tiff", ".tif"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/msword", ".doc"),
    (b"{\\rtf", "application/rtf", ".rtf"),
)
#: Office Open XML and OpenDocument files are zip archives told apart by their name.
ZIP_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".zip": "application/zip",
}


#: content type -> the extension a download of it gets
SUFFIXES = {content_type: suffix for _magic, content_type, suffix in SIGNATURES} | {
    content_type: suffix for suffix, content_type in ZIP_TYPES.items()} | {
    "text/plain": ".txt", "text/csv": ".csv"}


def sniff(data: bytes, filename: str) -> tuple[str, str] | None:
    """The content type and extension of an accepted file, or None."""
    for magic, content_type, suffix in SIGNATURES:
        if data.startswith(magic):
            return content_type, suffix
    if data.startswith(b"PK\x03\x04"):
        suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ".zip"
        return (ZIP_TYPES[suffix], suffix) if suffix in ZIP_TYPES else (ZIP_TYPES[".zip"],
                                                                        ".zip")
    if filename.lower().endswith((".txt", ".csv")):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        suffix = filename.lower().rsplit(".", 1)[-1]
        return ("text/csv" if suffix == "csv" else "text/plain") + "; charset=utf-8", \
            f".{suffix}"
    return None


@entity
class Document(Aggregate):
    kind: ClassVar[str] = DOCUMENT

    owner_kind: str
    owner_id: int
    #: the client the owner belongs to (its history tells of the document), if any
    counterparty_id: int | None
    filename: str
    content_type: str
    size: int
    #: the store's key: the SHA-256 of the content
    key: str
    note: str = ""
    uploaded_at: datetime | None = None
    uploaded_by: int | None = None

    @property
    def owner(self) -> ObjectRef:
        return ObjectRef(self.owner_kind, self.owner_id)

    @property
    def download_name(self) -> str:
        """The name a download is saved under: the uploaded name, with the extension of
        what the content is when the name says otherwise (``scan.pdf.exe`` holding a PDF
        is saved as ``scan.pdf.exe.pdf``)."""
        suffix = SUFFIXES.get(self.content_type.split(";")[0].strip())
        if suffix is None or self.filename.lower().endswith(suffix):
            return self.filename
        return self.filename + suffix


class DocumentStore(Protocol):
    """Keeps files by the SHA-256 of their content, outside the web root (the same
    content is kept once)."""

    def put(self, data: bytes) -> str:
        """Store the content; returns its key."""

    def get(self, key: str) -> bytes | None: ...

    def keys(self) -> Iterable[tuple[str, datetime]]:
        """Every key kept and when it was last put (``put`` of content already kept
        refreshes it)."""

    def delete(self, key: str) -> None: ...
