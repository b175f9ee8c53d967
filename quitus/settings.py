"""All settings, read once from the environment (prefix ``QUITUS_``).

=============================  ==============================================================
``QUITUS_HOME``                data directory (database, keys, blobs); default ``~/.quitus``
``QUITUS_DATABASE_URL``        SQLAlchemy URL; default SQLite ``$QUITUS_HOME/quitus.db``
``QUITUS_KEY_DIR``             keys and wrapped data keys; default ``$QUITUS_HOME-keys`` (beside,
                               never inside, the data: a data backup must not hold its keys)
``QUITUS_KEYSTORE_URL``        database of the wrapped data keys; default SQLite in the key folder
``QUITUS_KEK``                 key-encryption key in base64, instead of ``$QUITUS_KEY_DIR/kek.key``
                               (a secret: or ``QUITUS_KEK_FILE``, a file holding it)
``QUITUS_SECRETS_DIR``         a folder of files, one per setting, named as the variable
                               (``QUITUS_SMTP_PASSWORD``, any case): each holds its value; a
                               variable set in the environment wins over its file
``QUITUS_ACTOR``               who the audit ledger names for this process's actions, e.g.
                               ``dpo-01`` or ``worker@host`` (default: the OS user, ``os:<login>``;
                               a flow names its job, ``job:intake``); ``quitus --as`` wins
``QUITUS_COMPANY_NAME``        the name ``quitus init`` gives the seal certificate and seeds the
                               company identity with (then ``quitus company set`` rules; a
                               fallback only while a home has no identity, docs/company.md)
``QUITUS_TSA_URL``             RFC 3161 timestamp authority: seals become PAdES B-T instead of B-B
``QUITUS_INTAKE_INTERVAL_MINUTES`` how often ``quitus serve`` runs the intake flow (default 5)
``QUITUS_INTAKE_PROCESSES``    processes rendering and sealing an intake batch in parallel
                               (default: the CPU count; 1 = in the flow's own process)
``QUITUS_LOG_FORMAT``          ``text`` (default) or ``json``: one JSON object per log line (time,
                               level, logger, message, request and run ids; docs/operations.md)
``QUITUS_SMTP_HOST`` …         e-mail delivery of the sealed PDF (see docs/delivery.md); unset = off
                               (``QUITUS_SMTP_PASSWORD`` a secret: or ``QUITUS_SMTP_PASSWORD_FILE``)
``QUITUS_POLICY_DIR``          the company's retention policies; default ``$QUITUS_HOME/policies``
``QUITUS_BUILTIN_POLICIES``    ``true`` (default) to apply the built-in French library as well
``QUITUS_PHOTO_MAX_BYTES``     largest accepted photo file (default 15 MB)
``QUITUS_PHOTO_MAX_PIXELS``    largest accepted photo in pixels (default 40 million)
``QUITUS_PHOTO_MAX_SIDE``      photos are scaled down to this longer side (default 4096)
``QUITUS_MAX_SUBMISSION_BYTES`` largest accepted submission file (default 100 MB)
``QUITUS_MAX_REQUEST_BYTES``   largest accepted HTTP request body (default 64 MiB; more is 413)
``QUITUS_PUBLIC_URL``          the address clients reach ``quitus serve`` at, e.g.
                               ``https://rapports.example.fr`` (full client-portal links; set,
                               each delivered e-mail carries a portal link to its report)
``QUITUS_PORTAL_LINK_DAYS``    validity of the portal link a delivered e-mail carries (default 30,
                               1-365)
``QUITUS_DELIVERY_ATTACH_PDF`` ``true`` (default) to attach the sealed PDF to the e-mail; ``false``
                               sends the portal link alone (needs ``QUITUS_PUBLIC_URL``)
``QUITUS_WITNESS_URL``         the witness that cosigns the ledger's checkpoints (C2SP tlog-witness),
                               e.g. ``https://witness.example.fr``: the nightly job and
                               ``quitus audit checkpoint --witness`` submit to it (docs/witness.md)
``QUITUS_WITNESS_KEY``         that witness's verifier key (``quitus witness init`` prints it);
                               set both or neither
``QUITUS_SIMULATED_TODAY``     the date retention sees, YYYY-MM-DD — only in a simulation home
                               (``quitus init --simulation``); refused in any other
=============================  ==============================================================

Secrets (:data:`SECRET_SETTINGS`) are :class:`pydantic.SecretStr`: never printed, masked in a
``repr``; their value is read with ``get_secret_value()`` where it is used, nowhere else.
"""

from __future__ import annotations

import datetime as dt
import difflib
import getpass
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from storage.identifiers import personal_identifier_kind

__all__ = [
    "ACTOR_PATTERN",
    "RESERVED_ACTOR_PREFIXES",
    "SECRET_SETTINGS",
    "Settings",
    "SettingsError",
    "check_actor",
    "load_settings",
    "os_actor",
]

ACTOR_PATTERN = re.compile(r"^[A-Za-z0-9_.:@/+=-]{1,64}$")
"""What a named actor may be: an identifier the ledger accepts (a staff handle such as ``dpo-01``)."""
RESERVED_ACTOR_PREFIXES = ("os:", "job:")
"""What quitus writes itself (the OS user, a flow's job): a named actor cannot pass for one."""


class SettingsError(Exception):
    """An environment variable has a value quitus cannot use."""


def check_actor(actor: str) -> str:
    """``actor`` if it can name who acts in the ledger; raises :class:`ValueError` saying why not."""
    if not ACTOR_PATTERN.fullmatch(actor):
        raise ValueError(
            "an actor is 1-64 letters, digits or ._:@/+=- (a staff identifier such as dpo-01, "
            "never a person's name: the ledger keeps it for good)"
        )
    shape = personal_identifier_kind(actor)
    if shape is not None:
        raise ValueError(
            f"this actor looks like {shape}: name a staff identifier such as dpo-01 (the ledger keeps "
            "it for good, and personal data never goes there)"
        )
    if actor.startswith(RESERVED_ACTOR_PREFIXES):
        reserved = " or ".join(RESERVED_ACTOR_PREFIXES)
        raise ValueError(f"an actor cannot start with {reserved} (quitus names the OS user and its jobs so)")
    return actor


def os_actor() -> str:
    """The OS user running this process, as the ledger names it: ``os:<login>``, else ``os:uid:<uid>``.

    A login that is not identifier-like (spaces, accents…) is replaced by the uid: the
    ledger accepts codes only. A login cannot hold ``:``, so ``os:uid:…`` is unambiguous.
    """
    try:
        login = getpass.getuser()
    except (OSError, KeyError):  # no LOGNAME/USER and no passwd entry (a bare container)
        login = ""
    actor = f"os:{login}"
    return actor if login and ACTOR_PATTERN.fullmatch(actor) else f"os:uid:{os.getuid()}"


class Settings(BaseModel):
    """quitus configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home: Path = Field(default_factory=lambda: Path.home() / ".quitus")
    database_url: str | None = None
    key_dir: Path | None = None
    keystore_url: str | None = None
    kek: SecretStr | None = None
    """``QUITUS_KEK`` (or ``QUITUS_KEK_FILE``): the key-encryption key in base64, instead of the
    key folder's ``kek.key``."""
    actor: str = Field(default_factory=os_actor)
    """Who the ledger names for this process's actions: ``QUITUS_ACTOR`` or ``quitus --as``, else
    the OS user (see :attr:`names_actor`)."""
    company_name: str = Field(default="Entreprise de maintenance", min_length=1, max_length=120)
    """Seeds the company identity at ``quitus init`` (with the seal's name); afterwards the
    identity (:mod:`storage.company`, ``quitus company set``) is what every document names."""
    tsa_url: str | None = Field(default=None, pattern=r"^https?://")
    intake_interval_minutes: int = Field(default=5, ge=1, le=1440)
    intake_processes: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)
    """``QUITUS_INTAKE_PROCESSES``: how many processes render and seal an intake batch (1: the
    flow's own process, no pool); see docs/operations.md, 'Sizing'."""
    log_format: Literal["text", "json"] = "text"
    """``QUITUS_LOG_FORMAT``: how the logs on stderr are written (:mod:`quitus.logging_setup`)."""
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_use_tls: bool = False
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str | None = None
    smtp_timeout: float = Field(default=30, gt=0, le=600)
    smtp_ca_file: Path | None = None
    smtp_max_attempts: int = Field(default=12, ge=1, le=100)
    smtp_retry_delay: int = Field(default=600, ge=0)
    smtp_max_age_days: int = Field(default=30, ge=0)
    policy_dir: Path | None = None
    builtin_policies: bool = True
    photo_max_bytes: int = Field(default=15 * 1024 * 1024, gt=0)
    photo_max_pixels: int = Field(default=40_000_000, gt=0)
    photo_max_side: int = Field(default=4096, ge=64)
    max_submission_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_request_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s?#]+$")
    portal_link_days: int = Field(default=30, ge=1, le=365)
    delivery_attach_pdf: bool = True
    witness_url: str | None = Field(default=None, pattern=r"^https?://[^\s?#]+$")
    """``QUITUS_WITNESS_URL``: the witness's submission prefix (``<url>/add-checkpoint``)."""
    witness_key: str | None = None
    """``QUITUS_WITNESS_KEY``: the witness's verifier key; its cosignatures must verify under it."""
    simulated_today: dt.date | None = None
    """``QUITUS_SIMULATED_TODAY``: the date retention sees, honoured **only** in a simulation
    home (``quitus init --simulation``: declared in the first entry of its own ledger); any
    other home refuses to start with it. For the demo and tests; never a way to dispose early."""

    @field_validator("actor")
    @classmethod
    def _actor_is_an_identifier(cls, actor: str) -> str:
        return check_actor(actor)  # a named actor only: the OS-user default is not validated

    @model_validator(mode="after")
    def _delivery_needs_the_report_or_a_link(self) -> Settings:
        if not self.delivery_attach_pdf and self.public_url is None:
            raise ValueError(
                "QUITUS_DELIVERY_ATTACH_PDF=false needs QUITUS_PUBLIC_URL: without it, a delivered "
                "e-mail would carry neither the report nor a link to it"
            )
        return self

    @field_validator("witness_key")
    @classmethod
    def _witness_key_is_a_cosigner_key(cls, vkey: str | None) -> str | None:
        if vkey is None:
            return None
        from storage.ledger.errors import KeyFormatError  # noqa: PLC0415
        from storage.ledger.witness import parse_cosigner_key  # noqa: PLC0415

        try:
            return parse_cosigner_key(vkey).vkey()
        except KeyFormatError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _witness_needs_url_and_key(self) -> Settings:
        if (self.witness_url is None) != (self.witness_key is None):
            raise ValueError(
                "QUITUS_WITNESS_URL and QUITUS_WITNESS_KEY go together: the witness's address and the "
                "key its cosignatures are checked with"
            )
        return self

    @property
    def kek_override(self) -> str | None:
        """The key-encryption key given by ``QUITUS_KEK``/``QUITUS_KEK_FILE`` (None: the key folder's)."""
        return None if self.kek is None else self.kek.get_secret_value()

    @property
    def names_actor(self) -> bool:
        """Whether the actor was named (``QUITUS_ACTOR``, ``quitus --as``) rather than the OS user.

        A flow then records the named actor (a worker's ``worker@host``, an operator's
        handle) instead of its job name (``job:intake``).
        """
        return "actor" in self.model_fields_set

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'quitus.db'}"

    @property
    def resolved_key_dir(self) -> Path:
        return self.key_dir or self.home.parent / f"{self.home.name}-keys"

    @property
    def resolved_keystore_url(self) -> str:
        return self.keystore_url or f"sqlite:///{self.resolved_key_dir / 'datakeys.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def seal_dir(self) -> Path:
        """The company CA and seal certificate and key (in the key folder)."""
        return self.resolved_key_dir / "seal"

    @property
    def resolved_policy_dir(self) -> Path:
        return self.policy_dir or self.home / "policies"

    @property
    def company_dir(self) -> Path:
        """The company's logo files (company data, not personal: in the home, not encrypted)."""
        return self.home / "company"

    @property
    def template_dir(self) -> Path:
        """Company templates that add to or override the built-in ones."""
        return self.home / "templates"


SECRET_SETTINGS = frozenset({"kek", "smtp_password"})
"""Settings that are secrets: ``SecretStr``, and also readable from ``QUITUS_<NAME>_FILE``."""

NOT_SETTINGS = frozenset({"debug", "screenshots", "secrets_dir"})
"""``QUITUS_*`` variables that are not settings and are accepted: ``QUITUS_DEBUG`` (tracebacks,
read by the CLI's error boundary), ``QUITUS_SCREENSHOTS`` (the browser tests),
``QUITUS_SECRETS_DIR`` (where settings are read from). Besides these, any ``QUITUS_TEST_*``
variable belongs to the test suite (:data:`TEST_PREFIX`)."""

TEST_PREFIX = "test_"
"""``QUITUS_TEST_*`` (``QUITUS_TEST_POSTGRES_URL``…): the test suite's, never a setting."""

_PREFIX = "QUITUS_"
_FILE_SUFFIX = "_file"
MAX_SECRET_FILE_BYTES = 64 * 1024
"""A setting's file is a value, not a document: larger is refused."""


def _unknown(name: str, known: set[str]) -> str:
    """A variable no setting reads, with the setting it was probably meant to be."""
    candidates = known | {f"{secret}{_FILE_SUFFIX}" for secret in SECRET_SETTINGS} | NOT_SETTINGS
    guess = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
    hint = f" (did you mean QUITUS_{guess[0].upper()}?)" if guess else ""
    return (
        f"QUITUS_{name.upper()}: no such setting{hint}; unset it, or see docs/configuration.md "
        "for the settings quitus reads"
    )


def _read_value_file(path: Path, variable: str) -> str:
    """A setting's value from a file (a secret manager's mount): its text, without the final newline."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        raise SettingsError(f"{variable}: cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise SettingsError(f"{variable}: {path} is larger than {MAX_SECRET_FILE_BYTES} bytes: not a setting")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SettingsError(f"{variable}: {path} is not UTF-8 text") from None
    return text.removesuffix("\n").removesuffix("\r")


def _from_secrets_dir(folder: str, known: set[str]) -> dict[str, str]:
    """``QUITUS_SECRETS_DIR``: one file per setting, named as its variable (any case).

    Other files (a shared ``/run/secrets`` holds other programs' too) are left alone unless
    they start with ``QUITUS_``: such a file that names no setting is an error, as a variable is.
    """
    root = Path(folder)
    if not root.is_dir():
        raise SettingsError(f"QUITUS_SECRETS_DIR: {folder} is not a folder")
    values: dict[str, str] = {}
    unknown: list[str] = []
    for path in sorted(root.iterdir()):
        if not path.name.upper().startswith(_PREFIX) or not path.is_file():
            continue  # not ours (Kubernetes' ..data links and hidden files included)
        name = path.name[len(_PREFIX) :].lower()
        if name not in known:
            unknown.append(name)
            continue
        values[name] = _read_value_file(path, f"QUITUS_SECRETS_DIR/{path.name}")
    if unknown:
        raise SettingsError(
            "; ".join(f"file in QUITUS_SECRETS_DIR: {_unknown(name, known)}" for name in unknown)
        )
    return values


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``QUITUS_*`` variables, ``QUITUS_<SECRET>_FILE`` files and the
    ``QUITUS_SECRETS_DIR`` folder (in that order of precedence); a bad value names its source."""
    env = os.environ if environ is None else environ
    values = {
        name.removeprefix(_PREFIX).lower(): value
        for name, value in env.items()
        if name.startswith(_PREFIX) and value != ""
    }
    known = set(Settings.model_fields)
    files = {
        name.removesuffix(_FILE_SUFFIX): values.pop(name)
        for name in list(values)
        if name.endswith(_FILE_SUFFIX) and name.removesuffix(_FILE_SUFFIX) in SECRET_SETTINGS
    }
    unknown = sorted(
        k for k in values if k not in known and k not in NOT_SETTINGS and not k.startswith(TEST_PREFIX)
    )
    if unknown:
        raise SettingsError("; ".join(_unknown(name, known) for name in unknown))
    for name, path in files.items():
        variable = f"{_PREFIX}{name.upper()}"
        if name in values:
            raise SettingsError(f"{variable} and {variable}_FILE are both set: keep one")
        values[name] = _read_value_file(Path(path), f"{variable}_FILE")
    from_folder = _from_secrets_dir(values["secrets_dir"], known) if "secrets_dir" in values else {}
    values = {**from_folder, **{k: v for k, v in values.items() if k in known}}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_PREFIX}{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg'].removeprefix('Value error, ')}"
            if e["loc"]
            else str(e["msg"]).removeprefix("Value error, ")  # a rule across settings names them
            for e in exc.errors(include_input=False)
        )
        raise SettingsError(problems) from exc
