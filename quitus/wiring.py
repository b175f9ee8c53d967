"""Build the application's collaborators from :class:`~quitus.settings.Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from quitus.settings import Settings
from reports.capture.photos import PhotoLimits
from reports.intake import Intake
from reports.templates import TemplateCatalog
from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.keys import create_key_files, load_key_material
from storage.report_store import ReportStore

__all__ = ["App", "initialize", "open_app"]


@dataclass
class App:
    settings: Settings
    database: Database
    store: ReportStore
    catalog: TemplateCatalog
    intake: Intake

    def close(self) -> None:
        self.database.dispose()


def initialize(settings: Settings) -> list[Path]:
    """Create the home, the keys and the schema; idempotent. Returns what was created."""
    created: list[Path] = []
    for directory in (settings.home, settings.blob_dir, settings.template_dir):
        if not directory.exists():
            directory.mkdir(parents=True, mode=0o700)
            created.append(directory)
    created += create_key_files(settings.key_dir)
    database = Database(settings.resolved_database_url)
    try:
        database.upgrade()
    finally:
        database.dispose()
    return created


def open_app(settings: Settings) -> App:
    """Open an initialized installation (``quitus init`` first)."""
    keys = load_key_material(settings.key_dir, kek_override=settings.kek)
    database = Database(settings.resolved_database_url)
    database.upgrade()
    store = ReportStore(database, keys, BlobStore(LocalBlobBackend(settings.blob_dir)))
    catalog = TemplateCatalog.load(settings.template_dir)
    limits = PhotoLimits(
        max_bytes=settings.photo_max_bytes,
        max_pixels=settings.photo_max_pixels,
        max_side=settings.photo_max_side,
    )
    return App(settings, database, store, catalog, Intake(store, catalog, photo_limits=limits))
