"""The filesystem DocumentStore (DOC-1) on a real folder: content-addressed by SHA-256,
sharded folders, whole files only, no key reaching outside the folder; and its place in
the settings and the composition root."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from ecrm_adapters.files.documents import FilesystemDocumentStore
from ecrm_adapters.settings import Settings
from tests.conftest import make_system

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_the_same_content_is_kept_once_under_its_hash(tmp_path):
    store = FilesystemDocumentStore(tmp_path / "documents")
    key = store.put(PDF)
    assert key == hashlib.sha256(PDF).hexdigest()
    assert store.put(bytearray(PDF)) == key
    assert files_under(tmp_path / "documents") == [
        tmp_path / "documents" / key[:2] / key[2:4] / key]
    assert store.get(key) == PDF
    other = store.put(b"")
    assert other != key and store.get(other) == b""
    store.delete(key)
    assert store.get(key) is None
    store.delete(key)  # twice: nothing left to delete is no error
    assert store.get(other) == b""


def test_a_damaged_file_is_written_again(tmp_path):
    store = FilesystemDocumentStore(tmp_path)
    key = store.put(PDF)
    path = tmp_path / key[:2] / key[2:4] / key
    path.write_bytes(PDF[:5])  # cut short (a disk filled up before ECRM wrote it whole)
    assert store.put(PDF) == key
    assert store.get(key) == PDF


@pytest.mark.parametrize("key", [
    "../" * 5 + "etc/passwd", "/etc/passwd", "..", "", "AB" * 32, "ab" * 31,
    "ab" * 32 + "/", "ab" * 32 + "\n", "g" * 64, "ab/cd/" + "ab" * 32, None, 42,
])
def test_a_bad_key_never_reaches_the_disk(tmp_path, key):
    store = FilesystemDocumentStore(tmp_path / "documents")
    (tmp_path / "secret").write_bytes(b"secret")
    assert store.get(key) is None
    with pytest.raises(ValueError):
        store.delete(key)
    assert (tmp_path / "secret").read_bytes() == b"secret"


def test_concurrent_writers_of_one_content_leave_one_whole_file(tmp_path):
    store = FilesystemDocumentStore(tmp_path)
    data = PDF * 50_000  # ~2 MB: the writes overlap
    start = threading.Barrier(8)
    keys: list[str] = []

    def put() -> None:
        start.wait()
        keys.append(store.put(data))

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1
    assert files_under(tmp_path) == [tmp_path / keys[0][:2] / keys[0][2:4] / keys[0]]
    assert store.get(keys[0]) == data


def test_the_folder_comes_from_the_settings(tmp_path):
    data = tmp_path / "data"
    assert Settings.from_env({"ECRM_DATA_DIR": str(data)}).documents_dir == data / "documents"
    assert Settings.from_env({"ECRM_DATA_DIR": str(data),
                              "ECRM_DOCUMENTS_DIR": str(tmp_path / "docs")}
                             ).documents_dir == tmp_path / "docs"
    assert Settings.from_env({}, data_dir=data).documents_dir == data / "documents"
    assert Settings(database_url="sqlite://", data_dir=data).documents_dir \
        == data / "documents"


def test_the_system_keeps_uploads_in_the_documents_folder(sqlite_url, tmp_path):
    from tests.conftest import found

    system = make_system(sqlite_url, tmp_path,
                         settings={"documents_dir": tmp_path / "uploads"})
    try:
        director = found(system).id
        app = system.app
        catalog = app.catalogs.create(director, {"name": "Клиенты"})
        card = app.counterparties.register(director, {
            "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа"})
        document = app.documents.upload(director, "counterparty", card.id, "скан.pdf", PDF)
        assert files_under(tmp_path / "uploads") == [
            tmp_path / "uploads" / document.key[:2] / document.key[2:4] / document.key]
        assert app.documents.download(director, document.id).data == PDF
    finally:
        system.close()


def test_the_store_lists_its_keys_and_a_repeated_put_refreshes_one(tmp_path):
    """What the clean-up (``DocumentService.collect_garbage``) reads: every key and when it
    was last put; putting content already kept makes it fresh again."""
    import os
    from datetime import UTC, datetime, timedelta

    store = FilesystemDocumentStore(tmp_path / "docs")
    assert list(store.keys()) == []
    key = store.put(b"%PDF-1.4 old")
    path = tmp_path / "docs" / key[:2] / key[2:4] / key
    week_ago = (datetime.now(UTC) - timedelta(days=7)).timestamp()
    os.utime(path, (week_ago, week_ago))
    [(listed, put_at)] = store.keys()
    assert listed == key and put_at < datetime.now(UTC) - timedelta(days=6)
    assert store.put(b"%PDF-1.4 old") == key
    [(_key, put_at)] = store.keys()
    assert put_at > datetime.now(UTC) - timedelta(minutes=5)
