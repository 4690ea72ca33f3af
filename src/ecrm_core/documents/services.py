"""Use cases of documents (DOC-1): upload to a client, contract, invoice or request
(type and size checked), list, download — only by those allowed to see the owner — and
remove (by those allowed to edit it). The client's history tells of every document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

from ecrm_core.access.model import Action
from ecrm_core.access.services import chain_of, load, policy_for
from ecrm_core.documents.model import DOCUMENT, MAX_SIZE, OWNERS, Document, DocumentStore, sniff
from ecrm_core.kernel.errors import NotFound, ValidationFailed
from ecrm_core.kernel.events import FieldChange, ObjectChanged
from ecrm_core.kernel.fields import Fields, expected_version
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.kernel.uow import UnitOfWorkFactory, existing

MAX_NAME = 200
#: How long an unused file is kept before the clean-up removes it.
GRACE = timedelta(days=1)


@attrs.frozen
class Download:
    document: Document
    data: bytes


def _client_of(owner: Any, kind: str) -> int | None:
    if kind == "counterparty":
        return owner.id
    return getattr(owner, "counterparty_id", None)


def _clean_name(filename: Any) -> str:
    name = filename if isinstance(filename, str) else ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-MAX_NAME:]


class DocumentService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock,
                 store: DocumentStore) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.store = store
        self.followers: list = []

    def _owner(self, owner_kind: Any, owner_id: Any) -> ObjectRef:
        fields = Fields()
        ident = fields.ident({"owner_id": owner_id}, "owner_id", required=True)
        if not isinstance(owner_kind, str) or owner_kind not in OWNERS:
            fields.errors["owner_kind"] = "one of: " + ", ".join(sorted(OWNERS))
        fields.check()
        return ObjectRef(owner_kind, ident)

    def on_change(self, follower) -> None:
        """``follower(uow, owner_ref, actor_id)`` is told, in the same unit of work, when
        a document is attached to or removed from an object (a deal's "document
        attached" condition may now hold, DEAL-2)."""
        self.followers.append(follower)

    def _tell(self, uow, owner_ref: ObjectRef, actor_id: int) -> None:
        for follower in self.followers:
            follower(uow, owner_ref, actor_id)

    def upload(self, actor_id: int, owner_kind: Any, owner_id: Any, filename: Any,
               data: bytes, note: Any = "") -> Document:
        owner_ref = self._owner(owner_kind, owner_id)
        name = _clean_name(filename)
        if not name:
            raise ValidationFailed.single("file", "choose a file")
        if not data:
            raise ValidationFailed.single("file", "the file is empty")
        if len(data) > MAX_SIZE:
            raise ValidationFailed.single("file", f"at most {MAX_SIZE // (1024 * 1024)} MB")
        sniffed = sniff(data, name)
        if sniffed is None:
            raise ValidationFailed.single(
                "file", "PDF, images, Word/Excel/OpenDocument, RTF, text or CSV files only")
        fields = Fields()
        note_text = fields.text({"note": note}, "note", max_len=500) or ""
        fields.check()
        with self.uow_factory(readonly=True) as uow:
            # Rights first, and the file written before the writing unit of work: a
            # 20 MB write does not hold the database's write lock (SQLite).
            policy_for(uow, actor_id).require(Action.CREATE, DOCUMENT,
                                              chain_of(uow, owner_ref))
        key = self.store.put(data)  # a failed commit leaves a file the clean-up removes
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            owner = load(uow, owner_ref)
            policy.require(Action.CREATE, DOCUMENT, chain_of(uow, owner_ref))
            document = uow.documents.add(Document(
                owner_kind=owner_ref.kind, owner_id=owner_ref.id,
                counterparty_id=_client_of(owner, owner_ref.kind), filename=name,
                content_type=sniffed[0], size=len(data), key=key, note=note_text,
                uploaded_at=self.clock.now(), uploaded_by=actor_id))
            document.record_created(("owner_kind", "owner_id", "filename", "content_type",
                                     "size", "note"))
            if document.counterparty_id is not None:
                document.record(ObjectChanged(
                    subject=ObjectRef("counterparty", document.counterparty_id),
                    changes=(FieldChange("document", None, f"{name} ({owner_ref})"),)))
            self._tell(uow, owner_ref, actor_id)
            uow.commit()
            return document

    def of_owner(self, actor_id: int, owner_kind: Any, owner_id: Any) -> list[Document]:
        owner_ref = self._owner(owner_kind, owner_id)
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            load(uow, owner_ref)
            policy.require(Action.VIEW, DOCUMENT, chain_of(uow, owner_ref))
            return uow.documents.list(owner_kind=owner_ref.kind, owner_id=owner_ref.id,
                                      order_by=("-id",))

    def download(self, actor_id: int, document_id: Any) -> Download:
        """The file, for those allowed to see its owner."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            document = existing(uow.documents, DOCUMENT, document_id)
            policy.require(Action.VIEW, DOCUMENT, chain_of(uow, document.ref))
        data = self.store.get(document.key)
        if data is None:
            raise NotFound(DOCUMENT, document_id)
        return Download(document, data)

    def remove(self, actor_id: int, document_id: Any, version: Any = None) -> None:
        """The document goes; its file stays until ``collect_garbage`` finds no document
        using it (another upload of the same content may be taking it right now)."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            document = existing(uow.documents, DOCUMENT, document_id)
            policy.require(Action.DELETE, DOCUMENT, chain_of(uow, document.ref))
            document.check_version(expected_version({"version": version}))
            for contract in uow.contracts.list(document_id=document.id):
                contract.apply_changes({"document_id": None})
            document.record_deleted(("owner_kind", "owner_id", "filename"))
            if document.counterparty_id is not None:
                document.record(ObjectChanged(
                    subject=ObjectRef("counterparty", document.counterparty_id),
                    changes=(FieldChange("document", document.filename, None),)))
            uow.documents.delete(document)
            self._tell(uow, ObjectRef(document.owner_kind, document.owner_id), actor_id)
            uow.commit()

    def collect_garbage(self, grace: timedelta = GRACE) -> int:
        """Remove the files no document uses that were last put more than ``grace``
        ago (those of removed documents, and those of uploads whose unit of work failed).
        Run by ``ecrm documents gc``; returns how many went."""
        cutoff = self.clock.now() - grace
        removed = 0
        for key, put_at in list(self.store.keys()):
            if put_at > cutoff:
                continue
            with self.uow_factory(readonly=True) as uow:
                used = uow.documents.count(key=key, limit=1)
            if not used:
                self.store.delete(key)
                removed += 1
        return removed
