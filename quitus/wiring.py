"""Build the application's collaborators from :class:`~quitus.settings.Settings`."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from policies.loading import BUILTIN_DIR, PolicySet, load_policies
from quitus.settings import Settings, SettingsError
from reports.capture.photos import PhotoLimits
from reports.company import report_company
from reports.intake import Intake
from reports.pdf import create_company_ca
from reports.templates import TemplateCatalog
from retention.clock import Clock, FixedClock, SystemClock
from storage.blobs import BlobStore, LocalBlobBackend
from storage.company import CompanyStore
from storage.company_logo import LogoStore
from storage.database import Database
from storage.key_safety import check_published_ledger_key, open_keys, refuse_new_keys_for_data
from storage.keys import create_key_files, load_key_material, read_key_file
from storage.keystore import DataKeyStore
from storage.ledger.anchors import CHECKPOINT_LOG_FILE, CheckpointLog
from storage.ledger.checkpoint import NoteSigner, load_signer
from storage.ledger.store import Ledger, origin_for
from storage.ledger.witness_client import WitnessEndpoint
from storage.report_store import ReportStore
from storage.simulation import is_simulation_home

if TYPE_CHECKING:
    from anonymization import PiiEngine, ReportRedactor
    from reports.pdf.disposition import DispositionSealer
    from storage.subject_index import ReindexOutcome
    from workflows.stages import Pipeline

__all__ = [
    "COMPANY_CA_FILE",
    "App",
    "checkpoint_log",
    "initialize",
    "ledger_signer",
    "ledger_verifier_key",
    "open_app",
    "open_worker_pipeline",
    "witness_endpoint",
]

LEDGER_PUBLIC_KEY_FILE = "ledger.vkey"
COMPANY_CA_FILE = "company-ca.pem"
"""In QUITUS_HOME: the certificate clients and auditors trust to check sealed PDFs."""
"""In QUITUS_HOME: the verifier key auditors use to check checkpoints."""


@dataclass
class App:
    settings: Settings
    database: Database
    keystore: DataKeyStore
    ledger: Ledger
    store: ReportStore
    catalog: TemplateCatalog
    intake: Intake
    _pii_engine: PiiEngine | None = field(default=None, init=False, repr=False)

    def policies(self) -> PolicySet:
        """The policy set in force (built-in library, then the company's own files)."""
        directories = [BUILTIN_DIR] if self.settings.builtin_policies else []
        directories.append(self.settings.resolved_policy_dir)
        return load_policies(directories, known_kinds=self.catalog.kinds)

    def company(self) -> CompanyStore:
        """The company's identity (``quitus company``, the admin page), changes named by this actor."""
        return company_store(self.settings, self.store)

    def pipeline(self) -> Pipeline:
        """The stages after validation; the PII model is loaded on first use."""
        # Imported here: the stages pull in reportlab and pyHanko, which most commands never use.
        from workflows.stages import Pipeline  # noqa: PLC0415

        index_key = self.store.keys.index_key

        def redactor() -> ReportRedactor:
            from anonymization import PiiEngine, ReportRedactor, load_vocabulary  # noqa: PLC0415 - loads spaCy

            return ReportRedactor(
                PiiEngine(load_vocabulary(self.catalog)), pseudonym_key=index_key, style="placeholder"
            )

        return Pipeline(
            self.store,
            self.catalog,
            self.settings.seal_dir,
            tsa_url=self.settings.tsa_url,
            redactor_factory=redactor,
            logo_reader=LogoStore(self.settings.company_dir).get,
            processes=self.settings.intake_processes,
            worker_opener=functools.partial(open_worker_pipeline, self.settings),
        )

    def subject_redactor(self) -> ReportRedactor:
        """What an access answer redacts other people with: placeholders, no pseudonym (a
        pseudonym would let the person link a third party across reports). The PII model is
        loaded on first use, once per process."""
        from anonymization import PiiEngine, ReportRedactor, load_vocabulary  # noqa: PLC0415 - loads spaCy

        if self._pii_engine is None:
            self._pii_engine = PiiEngine(load_vocabulary(self.catalog))
        return ReportRedactor(self._pii_engine, style="placeholder")

    def subject_index_outdated(self) -> bool:
        """Whether the blind index follows an older normalization (``reindex_subjects`` first)."""
        from storage.subject_index import index_is_outdated  # noqa: PLC0415

        return index_is_outdated(self.database)

    def reindex_subjects(self) -> ReindexOutcome:
        """Recompute every live report's phone digests (E.164) from its content."""
        from reports.intake import subject_terms  # noqa: PLC0415
        from reports.schema import InterventionReport  # noqa: PLC0415
        from storage.subject_index import reindex_phones  # noqa: PLC0415

        def phones_of(content: bytes) -> list[str]:
            report = InterventionReport.model_validate_json(content)
            return [value for kind, value in subject_terms(report) if kind == "phone"]

        return reindex_phones(self.store, phones_of)

    def certificate_sealer(self) -> DispositionSealer:
        """Seals certificates of disposition with the company's seal, the one reports are sealed
        with (loaded when the first PDF is sealed: an expired seal delays the PDFs, never a disposal)."""
        from reports.pdf.disposition import DispositionSealer  # noqa: PLC0415 - pyHanko, when needed

        return DispositionSealer.from_directory(self.settings.seal_dir, tsa_url=self.settings.tsa_url)

    def clock(self) -> Clock:
        """Today's date as retention sees it: the system's; ``QUITUS_SIMULATED_TODAY`` only in a
        simulation home (see :mod:`storage.simulation`), refused in any other."""
        day = self.settings.simulated_today
        if day is None:
            return SystemClock()
        if not is_simulation_home(self.store):
            raise SettingsError(
                f"QUITUS_SIMULATED_TODAY={day}: a simulated date is only honoured in a simulation home "
                "(`quitus init --simulation` on a new, empty home); this one holds real data: unset it"
            )
        return FixedClock(day)

    def close(self) -> None:
        """Sign what this process recorded, then let go of the databases.

        Every command that appends to the ledger thus ends with a signed checkpoint — reads
        that record an event too (``reports show --reveal``, ``proof export``) — so that
        ``audit verify`` finds a normal home intact. Only a crash leaves entries unsigned."""
        try:
            if self.ledger.appended:
                self.ledger.checkpoint()
        finally:
            self.database.dispose()
            self.keystore.dispose()


def company_store(settings: Settings, store: ReportStore) -> CompanyStore:
    """The company identity over ``store``'s database and ledger, changes named by its actor."""
    return CompanyStore(
        store.database,
        store.ledger,
        LogoStore(settings.company_dir),
        actor=store.actor,
        fallback_name=settings.company_name,
    )


def ledger_signer(settings: Settings) -> NoteSigner:
    """The checkpoint signer; its key name is the ledger's origin."""
    private = read_key_file(settings.resolved_key_dir / "ledger.key")
    provisional = load_signer("quitus.ledger", private)
    return load_signer(origin_for(provisional), private)


def checkpoint_log(settings: Settings) -> CheckpointLog:
    """``checkpoints.log`` in the key folder: every signed checkpoint, outside the database."""
    return CheckpointLog(settings.resolved_key_dir / CHECKPOINT_LOG_FILE)


def ledger_verifier_key(settings: Settings) -> str:
    """The verifier key auditors trust: the published copy in QUITUS_HOME."""
    path = settings.home / LEDGER_PUBLIC_KEY_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        return ledger_signer(settings).verifier_key()


def initialize(settings: Settings) -> list[Path]:
    """Create the data and key folders, the keys and the schemas; idempotent. Returns what was created.

    Refuses (before creating anything) to make keys for a home that holds data, and keys
    that are not the ones that wrote it (:mod:`storage.key_safety`).
    """
    database = Database(settings.resolved_database_url)
    try:
        refuse_new_keys_for_data(
            settings.resolved_key_dir,
            settings.resolved_keystore_url,
            database,
            kek_override=settings.kek_override,
        )
    finally:
        database.dispose()
    created: list[Path] = []
    for directory in (settings.home, settings.blob_dir, settings.template_dir, settings.resolved_policy_dir):
        if not directory.exists():
            directory.mkdir(parents=True, mode=0o700)
            created.append(directory)
    created += create_key_files(settings.resolved_key_dir)
    anchors = checkpoint_log(settings)
    if not anchors.exists():
        with anchors.locked():
            pass  # an empty log: nothing signed yet, and `audit verify` knows it was begun
        created.append(anchors.path)
    if not (settings.seal_dir / "seal.pem").exists():
        paths = create_company_ca(settings.seal_dir, settings.company_name)
        created += [paths.ca_certificate, paths.seal_certificate, paths.seal_key]
    public_ca = settings.home / COMPANY_CA_FILE
    if not public_ca.exists():
        public_ca.write_bytes((settings.seal_dir / "ca.pem").read_bytes())
        created.append(public_ca)
    keys = load_key_material(settings.resolved_key_dir, kek_override=settings.kek_override)
    keystore = DataKeyStore(settings.resolved_keystore_url, keys)
    database = Database(settings.resolved_database_url)
    try:
        keystore.ensure_schema()
        database.upgrade()
    finally:
        keystore.dispose()
        database.dispose()
    vkey = settings.home / LEDGER_PUBLIC_KEY_FILE
    check_published_ledger_key(vkey, ledger_signer(settings).verifier_key())
    if not vkey.exists():
        vkey.write_text(ledger_signer(settings).verifier_key() + "\n", encoding="ascii")
        created.append(vkey)
    return created


def open_app(settings: Settings) -> App:
    """Open an initialized installation (``quitus init`` first).

    The keys are checked against the home before anything is written (:mod:`storage.key_safety`).
    """
    database = Database(settings.resolved_database_url)
    try:
        _keys, keystore = open_keys(
            settings.resolved_key_dir,
            settings.resolved_keystore_url,
            database,
            kek_override=settings.kek_override,
        )
    except BaseException:
        database.dispose()
        raise
    try:
        signer = ledger_signer(settings)
        check_published_ledger_key(settings.home / LEDGER_PUBLIC_KEY_FILE, signer.verifier_key())
    except BaseException:
        keystore.dispose()
        database.dispose()
        raise
    database.upgrade()
    ledger = Ledger(database, signer, anchors=checkpoint_log(settings))
    store = ReportStore(
        database, keystore, BlobStore(LocalBlobBackend(settings.blob_dir)), ledger, actor=settings.actor
    )
    catalog = TemplateCatalog.load(settings.template_dir)
    limits = PhotoLimits(
        max_bytes=settings.photo_max_bytes,
        max_pixels=settings.photo_max_pixels,
        max_side=settings.photo_max_side,
    )
    company = company_store(settings, store)
    intake = Intake(store, catalog, photo_limits=limits, company=lambda: report_company(company.current()))
    return App(settings, database, keystore, ledger, store, catalog, intake)


def open_worker_pipeline(settings: Settings) -> Pipeline:
    """The pipeline a worker process of the intake's stage pool renders and seals with
    (:mod:`workflows.parallel`): the installation opened again in that process."""
    pipeline = open_app(settings).pipeline()
    pipeline.processes, pipeline.worker_opener = 1, None
    return pipeline


def witness_endpoint(settings: Settings) -> WitnessEndpoint | None:
    """The witness of ``QUITUS_WITNESS_URL`` / ``QUITUS_WITNESS_KEY``, or ``None`` when not set."""
    if settings.witness_url is None or settings.witness_key is None:
        return None
    return WitnessEndpoint.from_config(settings.witness_url, settings.witness_key)
