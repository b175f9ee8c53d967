"""Stateful property: every command that changes retention state, interleaved, keeps the
GDPR invariants (ARCHITECTURE 4 and 6).

A compliance officer places and releases legal holds, records events, decides queued
reviews (approve, extend, relabel, with free-text reasons), answers erasure requests,
shreds by hand and changes the policy set, while the nightly job runs on days that only
move forward. The machine keeps its own model — the policies as this file defines them,
the holds in force, the events, the review queue, the day — and after every step checks:

1. a report erased in this step was not held, its legal obligation had ended (computed
   here from the intervention date and the obligation's duration), and, for the nightly
   job or an approval, it was due; what the step erased is exactly what the model says;
2. ``explain_retention`` agrees with ``plan_dispositions`` at the day, and both with the
   model (due date, action, winning policy, obligation end, holds);
3. after a checkpoint, ``verify_ledger`` finds nothing wrong;
4. no ledger entry holds a client's name or e-mail, or a reason that was typed.

A refused command (``HoldError``, ``ReviewError``, ``EventError``) changes nothing.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from policies.loading import LoadedPolicy, PolicySet
from policies.model import Policy
from reports.intake import subject_terms
from reports.samples import generate_samples
from reports.schema import InterventionReport
from reports.templates import TemplateCatalog
from retention.clock import FixedClock
from retention.errors import EventError, HoldError, ReviewError
from retention.events import EventOutcome, EventWrite, record_report_event
from retention.executor import run_retention
from retention.explain import explain_retention
from retention.gate import DisposalGate
from retention.holds import HoldService
from retention.planner import plan_dispositions
from retention.policy_log import record_policy_set
from retention.review import ReviewQueue
from retention.subjects import erase_subject
from storage.blind_index import subject_digests
from storage.blobs import BlobStore, LocalBlobBackend
from storage.database import Database
from storage.keys import create_key_files, load_key_material, read_key_file
from storage.keystore import DataKeyStore
from storage.ledger.checkpoint import load_signer
from storage.ledger.events import decode_entry
from storage.ledger.store import Ledger
from storage.ledger.verify import verify_ledger
from storage.models import LedgerEntryRecord, NoteRecord, ReportEventRecord, ReportRecord
from storage.report_store import ReportStore
from storage.retention_store import RetentionStore
from storage.retention_vocabulary import DisposalPurpose, ReviewStatus
from storage.states import ReportState

pytestmark = pytest.mark.slow

TEMPLATE_ID = "climatisation.mise_en_service"
FIRST_DAY = dt.date(2026, 12, 2)
LAST_DAY = dt.date(2040, 12, 31)
TAGS = ("facturee", "litige", "contrat", "autre")
EVENT_NAMES = ("contract_end", "last_contact", "Fin de contrat", "", "contract_end!", "x" * 81)
CLIENTS = (
    ("Maëlle", "Kerdraon"),
    ("Ronan", "Abgrall"),
    ("Soizic", "Quefellec"),
    ("Yannick", "Guivarch"),
    ("Gwenaëlle", "Morvan"),
    ("Erwan", "Tanguy"),
)
REASONS = (
    "Litige en cours avec {name}, courrier du 3 mars",
    "Demande de {name} ({email}) au téléphone",
    "{email}",
    "{slug}-contentieux",
    "  dossier {slug} transmis à l'avocat  ",
    "",
    "   ",
)


# -- the policies, as this test defines them ----------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A retention policy in the test's own terms: what the model computes from."""

    id: str
    months: int
    action: str
    version: str
    obligation: bool = False
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    event: str | None = None
    """The trigger is this event (no fallback); otherwise the intervention date."""

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def explicitness(self) -> int:
        return sum(1 for values in (self.kinds, self.tags) if values)

    def covers(self, client: Client) -> bool:
        return (not self.kinds or client.kind in self.kinds) and (
            not self.tags or bool(client.tags & set(self.tags))
        )

    def loaded(self) -> LoadedPolicy:
        duration = f"P{self.months // 12}Y" if self.months % 12 == 0 else f"P{self.months}M"
        trigger: dict[str, str] = {"kind": "intervention_date"}
        if self.event:
            trigger = {"kind": "event", "event": self.event}
        scope: dict[str, list[str]] = {}
        if self.kinds:
            scope["client_kinds"] = list(self.kinds)
        if self.tags:
            scope["tags"] = list(self.tags)
        model = Policy.model_validate(
            {
                "id": self.id,
                "title": self.id,
                "legal_basis": {"text": "t", "references": ["r"], "obligation": self.obligation},
                "scope": scope,
                "trigger": trigger,
                "duration": duration,
                "action": self.action,
            }
        )
        return LoadedPolicy(model, Path(f"{self.id}.yaml"), self.version, "")


BASE = (
    Rule("compta-factures", 120, "review", "v1", obligation=True, tags=("facturee",)),
    Rule("anon-particuliers", 36, "anonymize", "v1", kinds=("particulier",)),
    Rule("del-pros", 24, "delete", "v1", kinds=("professionnel",)),
    Rule("revue-litige", 18, "review", "v1", kinds=("particulier",), tags=("litige",)),
    Rule("fin-contrat", 12, "delete", "v1", tags=("contrat",), event="contract_end"),
)
SHORTER = (
    BASE[0],
    Rule("anon-particuliers", 12, "anonymize", "v2", kinds=("particulier",)),
    Rule("del-pros", 6, "delete", "v2", kinds=("professionnel",)),
    BASE[3],
    Rule("fin-contrat", 3, "delete", "v2", tags=("contrat",), event="contract_end"),
)
LONGER_OBLIGATION = (
    Rule("compta-factures", 144, "review", "v3", obligation=True, tags=("facturee",)),
    BASE[1],
    BASE[2],
    BASE[4],
)
VARIANTS = (BASE, SHORTER, LONGER_OBLIGATION)
POLICY_SETS = tuple(PolicySet(r.loaded() for r in rules) for rules in VARIANTS)
POLICY_IDS = [*sorted({r.id for rules in VARIANTS for r in rules}), "inconnue"]


def after(start: dt.date, months: int) -> dt.date:
    """``start`` plus whole months; the 29 February plus a year is the 28th."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# -- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    kind: str
    day: dt.date
    tags: frozenset[str]
    name: str
    surname: str
    email: str


@dataclass(frozen=True)
class Review:
    """The model's review queue entry (``None`` when never queued)."""

    status: ReviewStatus
    policy_ref: str
    due: dt.date
    extended_until: dt.date | None = None
    override_policy: str | None = None


@dataclass(frozen=True)
class Expected:
    """What the model says of a live report."""

    due: dt.date | None
    """The effective due date (review decisions applied)."""
    policies_due: dt.date | None
    """The policies' own due date (what an approval is checked against)."""
    action: str | None
    winner: str | None
    obligation_until: dt.date | None
    held_by: frozenset[str]


@dataclass
class Model:
    rules: tuple[Rule, ...] = BASE
    day: dt.date = FIRST_DAY
    holds: dict[str, frozenset[str]] = field(default_factory=dict)
    """Holds in force → the reports each covers."""
    released: set[str] = field(default_factory=set)
    events: dict[str, dict[str, dt.date]] = field(default_factory=dict)
    reviews: dict[str, Review] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)

    def copy(self) -> Model:
        return Model(
            self.rules,
            self.day,
            dict(self.holds),
            set(self.released),
            copy.deepcopy(self.events),
            dict(self.reviews),
            set(self.erased),
        )

    def held_by(self, report_id: str) -> frozenset[str]:
        return frozenset(h for h, covered in self.holds.items() if report_id in covered)

    def expected(self, report_id: str, client: Client) -> Expected:
        events = self.events.get(report_id, {})
        matches: list[tuple[Rule, dt.date | None]] = []
        for r in self.rules:
            if not r.covers(client):
                continue
            start = events.get(r.event) if r.event else client.day
            matches.append((r, None if start is None else after(start, r.months)))
        held = self.held_by(report_id)
        if not matches:
            return Expected(None, None, None, None, None, held)
        ends = [end for _, end in matches]
        policies_due = None if None in ends else max(e for e in ends if e is not None)
        obligation = max((e for r, e in matches if r.obligation and e is not None), default=None)
        winner = min(
            matches,
            key=lambda m: (
                -m[0].explicitness,
                not m[0].obligation,
                m[0].action != "review",
                m[0].months,
                {"review": 0, "anonymize": 1, "delete": 2}[m[0].action],
                m[0].id,
            ),
        )
        rule_, due, action = winner[0], policies_due, winner[0].action
        review = self.reviews.get(report_id)
        if review is not None and review.status == ReviewStatus.EXTENDED:
            assert review.extended_until is not None
            action = "review"
            due = None if policies_due is None else max(review.extended_until, policies_due)
        elif review is not None and review.status == ReviewStatus.RELABELLED:
            chosen = next((m for m in matches if m[0].id == review.override_policy), None)
            if chosen is not None:
                rule_, action = chosen[0], chosen[0].action
                due = None if chosen[1] is None else max(chosen[1], obligation or chosen[1])
        return Expected(due, policies_due, action, rule_.ref, obligation, held)


# -- the installation -------------------------------------------------------------------------


@cache
def base_payload() -> dict[str, Any]:
    sample = next(
        s
        for s in generate_samples(TemplateCatalog.load(), 8, seed=4, photo_size=(64, 48))
        if s.expected == "valid" and s.template_id == TEMPLATE_ID
    )
    payload = copy.deepcopy(sample.payload)
    payload["photos"] = []
    payload["client_signature"] = payload["technician_signature"] = None
    payload["site"] = None
    return payload


# Hundreds of small SQLite commits per example: in memory when the machine has it, else the
# temporary directory (a fresh installation per example either way).
_FAST_TMP = "/dev/shm" if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK) else None


def new_store(root: Path) -> ReportStore:
    create_key_files(root / "keys")
    keys = load_key_material(root / "keys")
    database = Database(f"sqlite:///{root / 'quitus.db'}")
    database.upgrade()
    keystore = DataKeyStore(f"sqlite:///{root / 'keys' / 'datakeys.db'}", keys)
    keystore.ensure_schema()
    ledger = Ledger(database, load_signer("quitus.test", read_key_file(root / "keys" / "ledger.key")))
    return ReportStore(database, keystore, BlobStore(LocalBlobBackend(root / "blobs")), ledger, actor="dpo")


def add_report(store: ReportStore, n: int, client: Client) -> str:
    payload = copy.deepcopy(base_payload())
    payload["submission_id"] = f"machine-{n}"
    payload["client"].update(
        kind=client.kind,
        name=client.name,
        email=client.email,
        company_name=f"Atelier {client.surname}" if client.kind == "professionnel" else None,
    )
    payload["arrival"], payload["departure"] = f"{client.day}T09:00:00", f"{client.day}T10:30:00"
    payload["request"]["date"] = str(client.day - dt.timedelta(days=3))
    payload["tags"] = sorted(client.tags)
    report = InterventionReport.model_validate(payload)
    receipt = store.receive(
        json.dumps(payload).encode(), source="json", submission_id=payload["submission_id"]
    )
    store.save_capture(
        receipt.report_id,
        content=report.model_dump_json().encode(),
        template_id=TEMPLATE_ID,
        client_kind=client.kind,
        intervention_date=client.day,
        outcome="completed",
        tags=sorted(client.tags),
        site_country="FR",
        subjects=subject_digests(store.keys.index_key, subject_terms(report)),
    )
    store.transition(receipt.report_id, ReportState.VALIDATED)
    return receipt.report_id


# -- strategies -------------------------------------------------------------------------------

clients = st.lists(
    st.tuples(
        st.sampled_from(["particulier", "professionnel"]),
        # Half of them recent: reports from 2015 are all due on the first day.
        st.one_of(
            st.dates(dt.date(2015, 1, 1), dt.date(2026, 12, 31)),
            st.dates(dt.date(2022, 1, 1), dt.date(2026, 12, 31)),
        ),
        # Each tag on half the reports (a set strategy leaves most of them bare).
        st.tuples(*(st.booleans() for _ in TAGS)).map(
            lambda bits: frozenset(t for t, b in zip(TAGS, bits, strict=True) if b)
        ),
    ),
    min_size=3,
    max_size=len(CLIENTS),
)
picks = st.lists(st.integers(0, len(CLIENTS) - 1), min_size=1, max_size=3, unique=True)
reasons = st.tuples(st.sampled_from(REASONS), st.integers(0, len(CLIENTS) - 1))
queries = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "client_kind": st.sampled_from(["particulier", "professionnel"]),
            "intervention_from": st.dates(dt.date(2014, 1, 1), dt.date(2027, 1, 1)).map(str),
            "intervention_to": st.dates(dt.date(2014, 1, 1), dt.date(2027, 1, 1)).map(str),
            "template_id": st.sampled_from([TEMPLATE_ID, "chaudiere.entretien"]),
        },
    ),
    st.sampled_from([{"couleur": "bleu"}, {"intervention_from": "2020-13-01"}]),
)
hold_scopes = st.one_of(
    st.tuples(st.just("reports"), st.lists(st.integers(0, len(CLIENTS) - 1), min_size=1, max_size=3)),
    st.tuples(st.just("query"), queries),
    st.tuples(st.just("subject"), st.integers(0, len(CLIENTS) - 1)),
)


class RetentionMachine(RuleBasedStateMachine):
    """One installation per example, on SQLite, and the model beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="quitus-machine-", dir=_FAST_TMP))
        self.store = new_store(self.root)
        self.model = Model()
        self.ids: list[str] = []
        self.clients: dict[str, Client] = {}
        self.typed: set[str] = set()
        """Every non-empty reason typed: none may reach the ledger."""
        self.before = self.model.copy()
        self.purpose: DisposalPurpose | None = None
        """What the last step disposed for (``None``: it may dispose of nothing)."""
        self.predicted: set[str] = set()
        """What the model says the last step erased."""
        self.unchanged = False
        """The last step was refused and shown to have changed nothing: the invariants still hold."""
        self.verified_size = -1
        self.scanned_seq = -1

    # -- helpers ---------------------------------------------------------------------------

    @property
    def policies(self) -> PolicySet:
        return POLICY_SETS[VARIANTS.index(self.model.rules)]

    @property
    def clock(self) -> FixedClock:
        return FixedClock(self.model.day)

    def _begin(self, purpose: DisposalPurpose | None = None) -> None:
        self.before = self.model.copy()
        self.purpose = purpose
        self.predicted = set()
        self.unchanged = False

    def _live(self) -> list[str]:
        return [i for i in self.ids if i not in self.model.erased]

    def _expected(self, report_id: str) -> Expected:
        return self.before.expected(report_id, self.clients[report_id])

    def _reason(self, pick: tuple[str, int]) -> str:
        template, n = pick
        client = self.clients[self.ids[n % len(self.ids)]]
        text = template.format(name=client.name, email=client.email, slug=client.surname.lower())
        if text.strip():
            self.typed.add(text.strip())
        return text

    def _erasable(self, report_id: str) -> bool:
        """Neither a hold nor a running legal obligation keeps it (before this step)."""
        expected = self._expected(report_id)
        ended = expected.obligation_until is None or expected.obligation_until <= self.before.day
        return not expected.held_by and ended

    def _state(self) -> tuple[Any, ...]:
        """Everything a refused command must leave as it was."""
        store = self.store
        with store.database.session() as session:
            events = sorted(
                (e.report_id, e.name, e.occurred_on, e.recorded_at)
                for e in session.scalars(select(ReportEventRecord))
            )
            notes = session.scalar(select(func.count()).select_from(NoteRecord))
        summaries = [store.get(i) for i in self.ids]
        return (
            store.ledger.size(),
            [(s.state, s.restriction_reason) for s in summaries],
            sorted(RetentionStore(store).reviews_of(self.ids).items()),
            [(h.id, h.released_at) for h in HoldService(store).list(include_released=True)],
            events,
            notes,
        )

    def _refused(self, error: type[Exception], command: Callable[[], object]) -> None:
        state = self._state()
        with pytest.raises(error):
            command()
        event(f"refused: {error.__name__}")
        assert self._state() == state, "a refused command changed something"
        self.unchanged = True

    # -- setting up --------------------------------------------------------------------------

    @initialize(specs=clients, nightly=st.booleans())
    def create_reports(self, specs: list[tuple[str, dt.date, frozenset[str]]], nightly: bool) -> None:
        """The reports, and (when ``nightly``) a first run of the job on the first day."""
        self._begin()
        for n, (kind, day, tags) in enumerate(specs):
            first, surname = CLIENTS[n]
            email = f"{first.lower().replace('ë', 'e')}.{surname.lower()}@client-exemple.fr"
            client = Client(kind, day, tags, f"{first} {surname}", surname, email)
            report_id = add_report(self.store, n, client)
            self.ids.append(report_id)
            self.clients[report_id] = client
        record_policy_set(self.store, self.policies)
        if nightly:
            self._begin(DisposalPurpose.RETENTION)
            self._run_the_job()

    def teardown(self) -> None:
        self.store.database.dispose()
        self.store.keystore.dispose()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- the clock and the policies ------------------------------------------------------------

    @precondition(lambda self: self.model.day < LAST_DAY)
    @rule(days=st.integers(1, 2500), nightly=st.booleans())
    def advance_the_day(self, days: int, nightly: bool) -> None:
        """Time passes (forward only); on the new day the nightly job may run."""
        self._begin(DisposalPurpose.RETENTION if nightly else None)
        self.model.day = min(self.model.day + dt.timedelta(days=days), LAST_DAY)
        if nightly:
            self._run_the_job()

    @rule(variant=st.sampled_from(VARIANTS))
    def change_the_policies(self, variant: tuple[Rule, ...]) -> None:
        self._begin()
        self.model.rules = variant
        record_policy_set(self.store, self.policies)

    # -- legal holds -------------------------------------------------------------------------------

    def _place(
        self,
        pick: tuple[str, int],
        allow_empty: bool,
        covered: frozenset[str],
        place: Callable[..., Any],
        **scope: Any,
    ) -> None:
        """Place a hold covering ``covered`` (as the model sees it), or check that it is refused:
        a reason is required, and a scope that matches no live report needs ``allow_empty``."""
        reason = self._reason(pick)
        kwargs: dict[str, Any] = {"reason": reason, "allow_empty": allow_empty, **scope}
        if not reason.strip() or not (allow_empty or covered - self.model.erased):
            self._refused(HoldError, lambda: place(**kwargs))
            return
        self.model.holds[place(**kwargs).id] = covered
        event("hold placed" + ("" if covered - self.model.erased else " (empty)"))

    @rule(scope=hold_scopes, reason=reasons, allow_empty=st.booleans())
    def place_a_hold(self, scope: tuple[str, Any], reason: tuple[str, int], allow_empty: bool) -> None:
        self._begin()
        kind, what = scope
        {"reports": self._hold_reports, "query": self._hold_by_query, "subject": self._hold_a_person}[kind](
            what, reason, allow_empty
        )

    def _hold_reports(self, picked: list[int], reason: tuple[str, int], allow_empty: bool) -> None:
        ids = sorted({self.ids[n % len(self.ids)] for n in picked})
        service = HoldService(self.store)
        self._place(
            reason,
            allow_empty,
            frozenset(ids),
            service.place,
            scope_kind="reports",
            scope={"report_ids": ids},
        )

    def _hold_by_query(self, query: dict[str, str], reason: tuple[str, int], allow_empty: bool) -> None:
        service = HoldService(self.store)
        first = query.get("intervention_from", str(dt.date.min))
        last = query.get("intervention_to", str(dt.date.max))
        if not query or "couleur" in query or first == "2020-13-01" or first > last:
            self._refused(HoldError, lambda: service.place(reason="RG-2", scope_kind="query", scope=query))
            return

        def covers(client: Client) -> bool:
            return (
                query.get("template_id", TEMPLATE_ID) == TEMPLATE_ID
                and query.get("client_kind", client.kind) == client.kind
                and dt.date.fromisoformat(first) <= client.day <= dt.date.fromisoformat(last)
            )

        covered = frozenset(i for i, c in self.clients.items() if covers(c))
        self._place(reason, allow_empty, covered, service.place, scope_kind="query", scope=query)

    def _hold_a_person(self, n: int, reason: tuple[str, int], allow_empty: bool) -> None:
        client = self.clients[self.ids[n % len(self.ids)]]
        covered = frozenset(i for i, c in self.clients.items() if c.email == client.email)
        service = HoldService(self.store)
        self._place(reason, allow_empty, covered, service.place_on_subject, terms=[("email", client.email)])

    @rule(n=st.integers(0, 20), in_force=st.booleans())
    def release_a_hold(self, n: int, in_force: bool) -> None:
        """Mostly a hold in force; else one already released, or one that never existed."""
        self._begin()
        known = sorted(self.model.holds)
        if not (in_force and known):
            known += [*sorted(self.model.released), "hold-000000000000"]
        hold_id = known[n % len(known)]
        service = HoldService(self.store)
        if hold_id not in self.model.holds:
            self._refused(HoldError, lambda: service.release(hold_id))
            return
        service.release(hold_id)
        del self.model.holds[hold_id]
        event("hold released")
        self.model.released.add(hold_id)

    # -- events ---------------------------------------------------------------------------------

    @rule(
        n=st.integers(0, len(CLIENTS) - 1),
        name=st.sampled_from(EVENT_NAMES),
        days_ago=st.integers(-30, 6000),
    )
    def record_an_event(self, n: int, name: str, days_ago: int) -> None:
        """Accepted: a name a policy in force waits for, on a live report, between its
        intervention and today; the latest date recorded is the one that counts."""
        self._begin()
        on = self.model.day - dt.timedelta(days=days_ago)
        report_id = self.ids[n % len(self.ids)]
        client = self.clients[report_id]
        known = {r.event for r in self.model.rules if r.event}
        ok = name in known and report_id not in self.model.erased and client.day <= on <= self.model.day

        def record() -> EventWrite:
            return record_report_event(self.store, self.policies, report_id, name, on, clock=self.clock)

        if not ok:
            self._refused(EventError, record)
            return
        events = self.model.events.setdefault(report_id, {})
        if events.get(name) == on:
            state = self._state()
            assert record().outcome == EventOutcome.ALREADY_RECORDED
            assert self._state() == state, "recording the date already recorded changed something"
            return
        assert record().outcome == (EventOutcome.CHANGED if name in events else EventOutcome.RECORDED)
        events[name] = on
        event("event recorded")

    # -- the nightly job --------------------------------------------------------------------------

    @rule()
    def run_the_nightly_job(self) -> None:
        """Once more on the same day: what the last run did is not done twice."""
        self._begin(DisposalPurpose.RETENTION)
        self._run_the_job()

    def _run_the_job(self) -> None:
        day = self.model.day
        for report_id in self._live():
            expected = self._expected(report_id)
            review = self.before.reviews.get(report_id)
            if expected.held_by or expected.due is None or expected.due > day:
                continue
            if review is not None and review.status == ReviewStatus.PENDING:
                continue
            if expected.action == "review":
                assert expected.winner is not None
                self.model.reviews[report_id] = Review(ReviewStatus.PENDING, expected.winner, expected.due)
                event("queued for review")
            else:
                self.predicted.add(report_id)
        run_retention(self.store, self.policies, clock=self.clock)
        self.model.erased |= self.predicted

    # -- the review queue ----------------------------------------------------------------------------

    def _pending(self, report_id: str) -> Review | None:
        """The model's queue entry while the report waits for review (read before the step
        changes the model: also from a precondition, between two steps)."""
        review = self.model.reviews.get(report_id)
        live = report_id not in self.model.erased
        return review if live and review is not None and review.status == ReviewStatus.PENDING else None

    def _queue(self) -> list[str]:
        return [i for i in self.ids if self._pending(i) is not None]

    @rule(n=st.integers(0, len(CLIENTS) - 1))
    def approve(self, n: int) -> None:
        self._begin(DisposalPurpose.REVIEW_APPROVAL)
        self._approve(self.ids[n % len(self.ids)])

    @rule(n=st.integers(0, len(CLIENTS) - 1), days=st.integers(-60, 4000), reason=reasons)
    def extend(self, n: int, days: int, reason: tuple[str, int]) -> None:
        self._begin()
        self._extend(self.ids[n % len(self.ids)], days, reason)

    @rule(n=st.integers(0, len(CLIENTS) - 1), policy_id=st.sampled_from(POLICY_IDS), reason=reasons)
    def relabel(self, n: int, policy_id: str, reason: tuple[str, int]) -> None:
        self._begin()
        self._relabel(self.ids[n % len(self.ids)], policy_id, reason)

    @rule(
        n=st.integers(0, len(CLIENTS) - 1),
        decision=st.sampled_from(["approve", "extend", "relabel"]),
        days=st.integers(-60, 4000),
        policy=st.integers(0, 2 * len(POLICY_IDS)),
        reason=reasons,
    )
    def work_the_queue(self, n: int, decision: str, days: int, policy: int, reason: tuple[str, int]) -> None:
        """A compliance officer decides a report that is waiting for review (any report while
        the queue is empty)."""
        self._begin(DisposalPurpose.REVIEW_APPROVAL if decision == "approve" else None)
        queue = self._queue() or self.ids
        report_id = queue[n % len(queue)]
        if decision == "approve":
            self._approve(report_id)
        elif decision == "extend":
            self._extend(report_id, days, reason)
        else:
            # Half the time one of the policies in force that cover the report.
            client = self.clients[report_id]
            covering = [r.id for r in self.model.rules if r.covers(client)]
            choices = [*covering, *POLICY_IDS] if policy % 2 else POLICY_IDS
            self._relabel(report_id, choices[policy % len(choices)], reason)

    def _approve(self, report_id: str) -> None:
        queue = ReviewQueue(self.store, self.policies, clock=self.clock)
        if report_id in self.model.erased:
            assert queue.approve(report_id).already_erased == [report_id]
            return
        due = self._expected(report_id).policies_due
        if (
            self._pending(report_id) is None
            or not self._erasable(report_id)
            or due is None
            or due > self.model.day
        ):
            self._refused(ReviewError, lambda: queue.approve(report_id))
            return
        assert queue.approve(report_id).deleted == [report_id]
        event("review approved")
        self.predicted = {report_id}
        self.model.erased.add(report_id)
        self.model.reviews[report_id] = replace(self.model.reviews[report_id], status=ReviewStatus.APPROVED)

    def _extend(self, report_id: str, days: int, reason: tuple[str, int]) -> None:
        until = self.model.day + dt.timedelta(days=days)
        text = self._reason(reason)
        queue = ReviewQueue(self.store, self.policies, clock=self.clock)
        review = self._pending(report_id)
        due = None if review is None else self._expected(report_id).policies_due
        later = until > self.model.day and (due is None or until > due)
        if review is None or not later or not text.strip():
            self._refused(ReviewError, lambda: queue.extend(report_id, until, reason=text))
            return
        queue.extend(report_id, until, reason=text)
        event("review extended")
        self.model.reviews[report_id] = replace(review, status=ReviewStatus.EXTENDED, extended_until=until)

    def _relabel(self, report_id: str, policy_id: str, reason: tuple[str, int]) -> None:
        text = self._reason(reason)
        queue = ReviewQueue(self.store, self.policies, clock=self.clock)
        review = self._pending(report_id)
        allowed = review is not None and bool(text.strip()) and self._relabel_allowed(report_id, policy_id)
        if not allowed:
            self._refused(ReviewError, lambda: queue.relabel(report_id, policy_id, reason=text))
            return
        assert review is not None
        queue.relabel(report_id, policy_id, reason=text)
        event("review relabelled")
        self.model.reviews[report_id] = replace(
            review, status=ReviewStatus.RELABELLED, override_policy=policy_id
        )

    def _relabel_allowed(self, report_id: str, policy_id: str) -> bool:
        """The chosen policy is in force, covers the report and does not end before its obligation."""
        client = self.clients[report_id]
        chosen = next((r for r in self.model.rules if r.id == policy_id), None)
        if chosen is None or not chosen.covers(client):
            return False
        start = self.model.events.get(report_id, {}).get(chosen.event) if chosen.event else client.day
        end = None if start is None else after(start, chosen.months)
        obligation = self._expected(report_id).obligation_until
        return obligation is None or (end is not None and end >= obligation)

    # -- erasure requests --------------------------------------------------------------------------

    @rule(picked=picks, by_hand=st.booleans())
    def erasure_request(self, picked: list[int], by_hand: bool) -> None:
        """A person's erasure request (``subject erase``), or ``reports shred`` through the gate."""
        self._begin(DisposalPurpose.ERASURE_REQUEST)
        ids = list(dict.fromkeys(self.ids[n % len(self.ids)] for n in picked))
        self.predicted = {i for i in ids if i not in self.model.erased and self._erasable(i)}
        (self._shred_by_hand if by_hand else self._erase_a_subject)(ids)
        self.model.erased |= self.predicted

    def _erase_a_subject(self, ids: list[str]) -> None:
        outcomes = {
            o.report_id: o.result for o in erase_subject(self.store, self.policies, ids, clock=self.clock)
        }
        for report_id in ids:
            if report_id in self.model.erased:
                assert outcomes[report_id] == "already_erased"
            else:
                assert outcomes[report_id] == ("erased" if report_id in self.predicted else "restricted")

    def _shred_by_hand(self, ids: list[str]) -> None:
        outcome = DisposalGate(self.store, self.policies, clock=self.clock).dispose(
            ids, DisposalPurpose.ERASURE_REQUEST
        )
        assert set(outcome.deleted) == self.predicted
        assert {r.report_id for r in outcome.refused} == {
            i for i in ids if i not in self.model.erased and i not in self.predicted
        }

    # -- invariants ----------------------------------------------------------------------------------

    @invariant()
    def erased_only_when_free_and_due(self) -> None:
        with self.store.database.session() as session:
            erased = set(
                session.scalars(select(ReportRecord.id).where(ReportRecord.state == ReportState.ERASED))
            )
        newly = erased - self.before.erased
        for report_id in newly:
            event(f"erased: {self.purpose}")
            expected = self._expected(report_id)
            assert not expected.held_by, f"{report_id} erased under hold {sorted(expected.held_by)}"
            obligation = expected.obligation_until
            assert obligation is None or obligation <= self.model.day, (
                f"{report_id} erased on {self.model.day}, its legal obligation runs to {obligation}"
            )
            assert self.purpose is not None, f"{report_id} erased by a step that disposes of nothing"
            due = {
                DisposalPurpose.RETENTION: expected.due,
                DisposalPurpose.REVIEW_APPROVAL: expected.policies_due,
            }.get(self.purpose, self.model.day)
            assert due is not None and due <= self.model.day, f"{report_id} erased before its due date {due}"
        assert erased == self.model.erased, (newly, self.predicted)
        assert newly == self.predicted

    @invariant()
    def explain_agrees_with_the_plan_and_the_model(self) -> None:
        if self.unchanged:
            return
        day, store, policies = self.model.day, self.store, self.policies
        plan = {p.report_id: p for p in plan_dispositions(store, policies, HoldService(store).active(), day)}
        reviews = RetentionStore(store).reviews_of(self.ids)
        for report_id in self.ids:
            if report_id in self.model.erased:
                assert explain_retention(store, policies, report_id) is None
                assert report_id not in plan
                continue
            explanation = explain_retention(store, policies, report_id)
            assert explanation is not None
            effective = explanation.decision
            expected = self.model.expected(report_id, self.clients[report_id])
            assert (effective.due, effective.action, effective.policy_ref) == (
                expected.due,
                expected.action,
                expected.winner,
            ), effective.reasons
            assert effective.obligation_until == expected.obligation_until
            assert set(effective.held_by) == expected.held_by
            model_review = self.model.reviews.get(report_id)
            stored = reviews.get(report_id)
            assert (stored is None) == (model_review is None)
            if stored is not None and model_review is not None:
                assert (stored.status, stored.policy_ref, stored.due) == (
                    model_review.status,
                    model_review.policy_ref,
                    model_review.due,
                )
                assert (stored.extended_until, stored.override_policy) == (
                    model_review.extended_until,
                    model_review.override_policy,
                )
            assert (report_id in plan) == effective.is_due(day)
            if report_id in plan:
                planned = plan[report_id]
                assert (planned.action, planned.due, planned.policy_ref) == (
                    effective.action,
                    effective.due,
                    effective.policy_ref,
                )
                assert set(planned.held_by) == set(effective.held_by)
                assert planned.awaiting_review == effective.awaiting_review
        assert set(plan) <= set(self.ids)
        assert {h.id for h in HoldService(store).list()} == set(self.model.holds)

    @invariant()
    def ledger_verifies(self) -> None:
        size, _ = self.store.ledger.checkpoint()
        if size == self.verified_size:
            return  # nothing appended, nothing erased since the last verification
        self.verified_size = size
        result = verify_ledger(
            self.store.ledger, self.store.ledger.signer.verifier_key(), blob_root=self.root / "blobs"
        )
        assert result.ok, result.problems

    @invariant()
    def ledger_holds_no_personal_value(self) -> None:
        personal = {v.lower() for c in self.clients.values() for v in (c.name, c.surname, c.email)}
        personal |= {t.lower() for t in self.typed}
        for seq, entry in _ledger_entries(self.store, after=self.scanned_seq):
            self.scanned_seq = seq
            decoded = json.dumps(decode_entry(entry.encode("ascii")), ensure_ascii=False).lower()
            for text in (entry.lower(), decoded):
                leaked = sorted(v for v in personal if v in text)
                assert not leaked, f"ledger entry holds {leaked}: {entry}"


def _ledger_entries(store: ReportStore, *, after: int) -> list[tuple[int, str]]:
    """Sequence numbers and texts of the entries after ``after``."""
    query = select(LedgerEntryRecord.seq, LedgerEntryRecord.entry).where(LedgerEntryRecord.seq > after)
    with store.database.session() as session:
        return [(seq, entry) for seq, entry in session.execute(query.order_by(LedgerEntryRecord.seq))]


RetentionMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestRetentionStateMachine = RetentionMachine.TestCase
