"""Users, hashed tokens and signed portal links, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from storage.access_store import AccessError, AccessStore, ApiTokenRecord, PortalLinkError, Role
from storage.models import LedgerEntryRecord
from storage.report_store import ReportStore


@pytest.fixture
def access(store: ReportStore) -> AccessStore:
    return AccessStore(store)


def test_a_token_authenticates_its_user_until_revoked(access: AccessStore) -> None:
    access.add_user("tech-042", Role.TECHNICIAN, actor="admin-1")
    token_id, secret = access.create_token("tech-042", actor="admin-1", label="tablette")

    principal = access.authenticate(secret)
    assert principal is not None
    assert (principal.handle, principal.role, principal.token_id) == ("tech-042", Role.TECHNICIAN, token_id)

    assert access.revoke_token(token_id, actor="admin-1") is True
    assert access.authenticate(secret) is None
    assert access.revoke_token(token_id, actor="admin-1") is False


def test_the_secret_is_stored_only_as_a_hash(access: AccessStore, store: ReportStore) -> None:
    access.add_user("audit-1", Role.AUDITOR, actor="cli")
    _, secret = access.create_token("audit-1", actor="cli")
    with store.database.session() as session:
        stored = session.scalar(select(ApiTokenRecord.token_hash))
        dump = " ".join(str(v) for row in session.execute(text("SELECT * FROM api_tokens")) for v in row)
    assert stored is not None and secret not in dump and secret[3:] not in dump


def test_expired_unknown_and_disabled_tokens_are_refused(access: AccessStore) -> None:
    access.add_user("comp-7", Role.COMPLIANCE, actor="cli")
    _, short = access.create_token("comp-7", actor="cli", expires_in=dt.timedelta(hours=1))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    assert access.authenticate(short) is not None
    assert access.authenticate(short, now=later) is None
    assert access.authenticate("qt_not-a-real-token") is None
    assert access.authenticate("Bearer something") is None

    _, other = access.create_token("comp-7", actor="cli")
    access.disable_user("comp-7", actor="cli")
    assert access.authenticate(other) is None
    with pytest.raises(AccessError, match="disabled"):
        access.create_token("comp-7", actor="cli")


@pytest.mark.parametrize("handle", ["Jean Dupont", "x", "jean.dupont@example.fr", "UPPER"])
def test_handles_are_staff_identifiers(access: AccessStore, handle: str) -> None:
    with pytest.raises(AccessError, match="staff identifier"):
        access.add_user(handle, Role.ADMIN, actor="cli")


def test_duplicate_users_and_unknown_tokens_say_what_to_do(access: AccessStore) -> None:
    access.add_user("admin-1", Role.ADMIN, actor="cli")
    with pytest.raises(AccessError, match="already exists"):
        access.add_user("admin-1", Role.ADMIN, actor="cli")
    with pytest.raises(AccessError, match="quitus tokens list"):
        access.revoke_token("tok_missing", actor="cli")


def test_user_and_token_changes_are_in_the_ledger(access: AccessStore, store: ReportStore) -> None:
    access.add_user("tech-1", Role.TECHNICIAN, actor="admin-1")
    token_id, _ = access.create_token("tech-1", actor="admin-1")
    access.revoke_token(token_id, actor="admin-1")
    with store.database.session() as session:
        steps = list(session.scalars(select(LedgerEntryRecord.step).order_by(LedgerEntryRecord.seq)))
    assert steps[-3:] == ["user.add", "token.create", "token.revoke"]


def test_portal_links_are_signed_expire_and_can_be_revoked(access: AccessStore, store: ReportStore) -> None:
    report_id = store.receive(b'{"x": 1}', source="json", submission_id="sub-portal-1").report_id
    link = access.create_portal_link(report_id, actor="tech-1", valid_for=dt.timedelta(days=7))

    assert access.open_portal_link(link.token) == report_id
    link_id = link.token.partition(".")[0]
    with pytest.raises(PortalLinkError) as forged:
        access.open_portal_link(f"{link_id}.{'0' * 32}")
    assert forged.value.code == "invalid"
    with pytest.raises(PortalLinkError) as expired:
        access.open_portal_link(link.token, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=8))
    assert expired.value.code == "expired"

    access.revoke_portal_link(link.token, actor="comp-1")
    with pytest.raises(PortalLinkError) as revoked:
        access.open_portal_link(link.token)
    assert revoked.value.code == "revoked"


@pytest.mark.parametrize("handle", ["0611223344", "jeanne.leroy@exemple.fr", "tech-0611223344"])
def test_a_handle_that_is_a_phone_or_an_email_is_refused_without_quoting_it(
    store: ReportStore, handle: str
) -> None:
    """A handle names its user in visits and teams, in the signed ledger: never a phone or e-mail."""
    with pytest.raises(AccessError, match=r"looks like a|a staff identifier such as tech-042") as refused:
        AccessStore(store).add_user(handle, Role.TECHNICIAN, actor="admin-1")
    assert handle not in str(refused.value)
