"""Audit events and their canonical encoding (the bytes a Merkle leaf hashes).

An event holds ids, step names, policy versions, outcome codes and hashes of
ciphertext — **never personal data** (ARCHITECTURE invariant 3), so every proof still
verifies after the report itself was erased.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from storage.ledger.steps import LedgerStep

__all__ = ["LedgerEvent", "decode_entry", "encode_entry", "is_code"]

ENTRY_VERSION = 1
_SAFE = re.compile(r"^[A-Za-z0-9_.:@/+=-]{0,128}$")


@dataclass(frozen=True)
class LedgerEvent:
    """One step in a report's life (or in the installation's: key rotation, policy change)."""

    step: LedgerStep
    """What happened, e.g. ``capture``, ``validate``, ``dispose``, ``kek.rotate``."""
    actor: str
    """Who or what did it: a user id, ``cli``, a job name. Never a person's name."""
    outcome: str
    """``ok``, ``rejected``, ``validated``, ``destroyed``…"""
    report_id: str | None = None
    artifacts: Mapping[str, str] = field(default_factory=dict)
    """Blob id → SHA-256 (hex) of the blob's *ciphertext*."""
    policy: str | None = None
    """Policy id and version that decided this step, when one did."""
    details: Mapping[str, str | int | list[str]] = field(default_factory=dict)
    """Codes and counts only (e.g. issue codes); values are checked to look like codes."""

    def __post_init__(self) -> None:
        try:
            # A plain string from untyped code is accepted only when it spells a known step.
            object.__setattr__(self, "step", LedgerStep(self.step))
        except ValueError:
            raise ValueError(
                f"unknown ledger step {self.step!r}: steps are members of storage.ledger.steps.LedgerStep"
            ) from None
        for name in ("step", "actor", "outcome"):
            _check_token(name, getattr(self, name))
        for blob_id, digest in self.artifacts.items():
            _check_token("artifact id", blob_id)
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError(f"artifact {blob_id}: expected a hex SHA-256")
        for key, value in self.details.items():
            _check_token("detail key", key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    _check_token(f"detail {key}", item)


def is_code(value: str) -> bool:
    """Whether ``value`` may go into a ledger entry as it is (an identifier or a code)."""
    return bool(_SAFE.fullmatch(value)) and bool(value)


def _check_token(what: str, value: str | None) -> None:
    # Free text cannot get in: only identifier-like values are accepted.
    if value is not None and not _SAFE.fullmatch(value):
        raise ValueError(f"ledger {what} must be an identifier or a code (letters, digits, ._:@/+=-)")


def encode_entry(seq: int, recorded_at: dt.datetime, event: LedgerEvent) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8): the exact bytes that are hashed."""
    body: dict[str, Any] = {
        "v": ENTRY_VERSION,
        "seq": seq,
        "time": recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "step": event.step.value,
        "actor": event.actor,
        "outcome": event.outcome,
    }
    if event.report_id is not None:
        body["report"] = event.report_id
    if event.artifacts:
        body["artifacts"] = dict(event.artifacts)
    if event.policy is not None:
        body["policy"] = event.policy
    if event.details:
        body["details"] = dict(event.details)
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def decode_entry(entry: bytes | str) -> dict[str, Any]:
    """The JSON object of an entry; raises ``ValueError`` when it is not one."""
    value = json.loads(entry)
    if not isinstance(value, dict) or "seq" not in value:
        raise ValueError("not a quitus ledger entry")
    return value
