"""Retention: legal holds, the disposition plan, dated events, the review queue, the register
of disposed items and certificates of disposition."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, model_validator

from quitus.api.context import ApiContext, context_of
from quitus.api.errors import INVALID_POLICIES, REPORT_LOOKUP, ApiError, error_responses
from quitus.api.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKey, Once, begin, canonical, replayed
from quitus.api.pagination import (
    CURSOR_ERRORS,
    MAX_LIMIT,
    CursorQuery,
    LimitQuery,
    decode_cursor,
    encode_cursor,
    next_link,
    page_of,
)
from quitus.api.params import API_V1, REPORT_ID_PATTERN, HoldIdPath, ReportIdPath, StrictBody
from quitus.api.roles import allow
from quitus.api.routes.reports import aware
from retention.certificates import JSON_NAME, PDF_NAME, disposed_register, disposition_documents
from retention.errors import CertificateError
from retention.events import EventOutcome, record_report_event
from retention.holds import Hold, HoldService
from retention.planner import plan_dispositions
from retention.review import ReviewQueue
from storage.access_store import Principal
from storage.blind_index import SubjectKind, subject_digests
from storage.report_numbers import numbers_of
from storage.retention_vocabulary import HoldScope

__all__ = ["SubjectTerms", "router"]

router = APIRouter(prefix=API_V1, tags=["retention"])

Context = Annotated[ApiContext, Depends(context_of)]


class SubjectTerms(StrictBody):
    """A person, by any of e-mail, phone or name (matched through the blind index)."""

    email: Annotated[str, Field(min_length=3, max_length=320)] | None = None
    phone: Annotated[str, Field(min_length=4, max_length=40)] | None = None
    name: Annotated[str, Field(min_length=2, max_length=200)] | None = None

    @model_validator(mode="after")
    def _someone(self) -> SubjectTerms:
        if not (self.email or self.phone or self.name):
            raise ValueError("give an email, a phone or a name")
        return self

    def terms(self) -> list[tuple[SubjectKind, str]]:
        terms: list[tuple[SubjectKind, str]] = []
        if self.email:
            terms.append(("email", self.email))
        if self.phone:
            terms.append(("phone", self.phone))
        if self.name:
            terms.append(("name", self.name))
        return terms


class HoldQuery(StrictBody):
    template_id: Annotated[str, Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")] | None = None
    client_kind: Literal["particulier", "professionnel"] | None = None
    intervention_from: dt.date | None = None
    intervention_to: dt.date | None = None


class HoldRequest(StrictBody):
    """Exactly one of ``report_ids``, ``subject`` or ``query``.

    Refused (409 ``hold_refused``) when it covers no report, unless ``allow_empty``; an
    unknown ``query.template_id`` is always refused.
    """

    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="Why, in words (a case, the people involved): kept encrypted; the ledger has its hash.",
    )
    report_ids: list[Annotated[str, Field(pattern=REPORT_ID_PATTERN)]] | None = Field(
        default=None, min_length=1
    )
    subject: SubjectTerms | None = None
    query: HoldQuery | None = None
    allow_empty: bool = Field(
        default=False, description="Place it even if it covers no report yet (for reports still to come)."
    )

    @model_validator(mode="after")
    def _one_scope(self) -> HoldRequest:
        if sum(x is not None for x in (self.report_ids, self.subject, self.query)) != 1:
            raise ValueError("give exactly one of report_ids, subject or query")
        return self


class HoldOut(BaseModel):
    id: str
    reason: str | None
    """The reason, decrypted; ``null`` once it was erased."""
    scope_kind: str
    covers: str
    """What the hold covers, in words (a person's hold names no one)."""
    report_ids: list[str] | None
    placed_by: str
    placed_at: dt.datetime
    released_at: dt.datetime | None

    @classmethod
    def of(cls, hold: Hold) -> HoldOut:
        return cls(
            id=hold.id,
            reason=hold.reason,
            scope_kind=hold.scope_kind.value,
            covers=hold.describe(),
            report_ids=list(hold.scope["report_ids"]) if hold.scope_kind == HoldScope.REPORTS else None,
            placed_by=hold.placed_by,
            placed_at=aware(hold.placed_at),
            released_at=aware(hold.released_at) if hold.released_at else None,
        )


class PlannedOut(BaseModel):
    report_id: str
    number: str | None = None
    """The report's number (``RI-2026-000123``); ``null`` if it has none."""
    status: str
    """``delete``, ``anonymize`` or ``review`` (what the run will do), ``held``, ``awaiting_review``,
    or ``tampered`` (its rows differ from the ledger: the run refuses it; ``quitus audit verify``)."""
    action: str
    policy: str
    due: dt.date
    held_by: list[str]


class PlanOut(BaseModel):
    at: dt.date
    counts: dict[str, int]
    """Over everything due, not only the items listed."""
    items: list[PlannedOut]
    """In report id order, a page at a time."""
    truncated: bool
    """More items follow this page (``next_cursor``)."""
    next_cursor: str | None = None
    """The ``cursor`` of the next page; ``null`` on the last page."""
    next: str | None = None
    """The next page's address (also in the ``Link: rel="next"`` header); ``null`` on the last."""


class EventRequest(StrictBody):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")] = Field(
        description="Event a policy in force waits for (trigger kind: event): contract_end, last_contact…"
    )
    on: dt.date = Field(description="When it happened: not before the intervention, not after today.")


class EventOut(BaseModel):
    name: str
    on: dt.date
    outcome: EventOutcome
    """``recorded`` (first date), ``changed`` (another date: a new ledger entry), ``already_recorded``."""
    replaces: dt.date | None = None
    """For a changed date: the date it replaced."""
    replaces_seq: int | None = None
    """For a changed date: the ledger entry of the date it replaced."""


class ReviewItemOut(BaseModel):
    report_id: str
    number: str | None = None
    """The report's number (``RI-2026-000123``); ``null`` if it has none."""
    policy: str
    due: dt.date


Reason = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="Why, in words: may name people; kept encrypted, the ledger records its hash.",
    ),
]


class ExtendRequest(StrictBody):
    until: dt.date
    reason: Reason


class RelabelRequest(StrictBody):
    policy: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")]
    reason: Reason


_REVIEW_ERRORS = error_responses(
    REPORT_LOOKUP,
    INVALID_POLICIES,
    {409: ("review_refused", "hold_refused"), 422: ("retention_refused",)},
    IDEMPOTENCY_ERRORS,
)


class Decided(BaseModel):
    report_id: str
    number: str | None = None
    """The report's number (``RI-2026-000123``); ``null`` if it has none."""
    decision: str


@router.get("/holds", name="list_holds", responses=error_responses(CURSOR_ERRORS))
def list_holds(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(allow("list_holds"))],
    context: Context,
    include_released: bool = False,
    limit: LimitQuery = MAX_LIMIT,
    cursor: CursorQuery = None,
) -> list[HoldOut]:
    """Legal holds in force (or all of them), with their reasons, oldest first, a page at a time
    (the next page's address in the ``Link: rel="next"`` header)."""
    holds = HoldService(context.app.store).list(include_released=include_released)
    page = page_of(
        "holds",
        holds,
        lambda h: [aware(h.placed_at).isoformat(), h.id],
        cursor=cursor,
        limit=limit,
        shape=(str, str),
    )
    next_link(request, response, page.next_cursor)
    return [HoldOut.of(h) for h in page.items]


@router.post(
    "/holds",
    name="place_hold",
    status_code=201,
    responses={
        200: {
            "model": HoldOut,
            "description": "The same hold was already in force (same caller, reason and scope): that hold.",
        },
        **error_responses({409: ("hold_refused", "subject_index_outdated")}, IDEMPOTENCY_ERRORS),
    },
)
def place_hold(
    body: HoldRequest,
    principal: Annotated[Principal, Depends(allow("place_hold"))],
    context: Context,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> HoldOut:
    """Place a legal hold on reports, a person, or a query: nothing it covers is disposed.

    Idempotent: the same caller placing the same reason on the same scope as a hold in
    force (a retry whose answer was lost) gets that hold back with ``200``; nothing is
    recorded again. Another reason, scope or caller is a new hold (``201``). With an
    ``Idempotency-Key``, the same request again is answered as the first time.
    """
    service = HoldService(context.store_for(principal))
    with begin(context, principal, "place_hold", idempotency_key, canonical(request.url.path, body)) as once:
        if once.replay is not None:
            return replayed(response, once.replay, HoldOut.of(_hold(service, once.replay.answer["hold_id"])))
        status, hold = _place_hold(service, body, principal, context)
        once.record(status, {"hold_id": hold.id})
    response.status_code = status
    return HoldOut.of(hold)


def _place_hold(
    service: HoldService, body: HoldRequest, principal: Principal, context: ApiContext
) -> tuple[int, Hold]:
    """The status and the hold: the same one in force (200), or a new one (201)."""
    kind, scope = _requested_scope(body, context)
    same = _same_hold_in_force(service, principal, body.reason, kind, scope)
    if same is not None:
        return 200, same
    if kind == HoldScope.SUBJECT:
        assert body.subject is not None
        hold = service.place_on_subject(
            reason=body.reason, terms=body.subject.terms(), allow_empty=body.allow_empty
        )
    else:
        hold = service.place(
            reason=body.reason,
            scope_kind=kind,
            scope=scope,
            allow_empty=body.allow_empty,
            known_templates={t.id for t in context.app.catalog} if kind == HoldScope.QUERY else None,
        )
    context.app.ledger.checkpoint()
    return 201, hold


def _hold(service: HoldService, hold_id: str) -> Hold:
    """A hold by its id, released or not (holds are never deleted)."""
    for hold in service.list(include_released=True):
        if hold.id == hold_id:
            return hold
    raise ApiError(404, "not_found", f"no hold {hold_id}", where="path.hold_id")


def _requested_scope(body: HoldRequest, context: ApiContext) -> tuple[HoldScope, dict[str, Any]]:
    """The kind and scope a request asks for, in the form a stored hold keeps them."""
    if body.report_ids is not None:
        return HoldScope.REPORTS, {"report_ids": list(dict.fromkeys(body.report_ids))}
    if body.subject is not None:
        digests = subject_digests(context.app.store.keys.index_key, body.subject.terms())
        return HoldScope.SUBJECT, {"digests": sorted([kind, digest] for kind, digest in digests)}
    assert body.query is not None
    query = {
        k: v.isoformat() if isinstance(v, dt.date) else str(v)
        for k, v in body.query.model_dump().items()
        if v is not None
    }
    return HoldScope.QUERY, query


def _same_hold_in_force(
    service: HoldService, principal: Principal, reason: str, kind: HoldScope, scope: dict[str, Any]
) -> Hold | None:
    """The hold in force that this caller placed with this reason on this scope, if any."""
    wanted = _scope_key(kind, scope)
    for hold in service.list():
        if (
            hold.placed_by == principal.handle
            and hold.scope_kind == kind
            and hold.reason is not None
            and hold.reason == reason.strip()
            and _scope_key(hold.scope_kind, hold.scope) == wanted
        ):
            return hold
    return None


def _scope_key(kind: HoldScope, scope: dict[str, Any]) -> object:
    """What makes two scopes the same (the order of report ids and digests does not)."""
    if kind == HoldScope.REPORTS:
        return frozenset(scope.get("report_ids", ()))
    if kind == HoldScope.SUBJECT:
        return frozenset(tuple(pair) for pair in scope.get("digests", ()))
    return tuple(sorted((k, str(v)) for k, v in scope.items()))


@router.post(
    "/holds/{hold_id}/release",
    name="release_hold",
    responses=error_responses({409: ("hold_refused",)}, IDEMPOTENCY_ERRORS),
)
def release_hold(
    hold_id: HoldIdPath,
    principal: Annotated[Principal, Depends(allow("release_hold"))],
    context: Context,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> HoldOut:
    """Release a hold; the normal retention rules apply again to what it covered."""
    service = HoldService(context.store_for(principal))
    with begin(
        context, principal, "release_hold", idempotency_key, canonical(request.url.path, None)
    ) as once:
        if once.replay is not None:
            return replayed(response, once.replay, HoldOut.of(_hold(service, hold_id)))
        hold = service.release(hold_id)
        context.app.ledger.checkpoint()
        once.record(200, {"hold_id": hold.id})
    return HoldOut.of(hold)


@router.get(
    "/retention/plan", name="retention_plan", responses=error_responses(INVALID_POLICIES, CURSOR_ERRORS)
)
def retention_plan(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(allow("retention_plan"))],
    context: Context,
    at: Annotated[dt.date | None, Query(description="Plan as of this date (default: today).")] = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Items per page, 1 to 5000.")] = 200,
    cursor: CursorQuery = None,
) -> PlanOut:
    """What is due for disposition at a date, with action, policy and due date, a page at a
    time (counts over everything). Writes nothing."""
    day = at or context.app.clock().today()
    after = str(decode_cursor("plan", cursor, (str,))[0]) if cursor is not None else None
    store = context.app.store
    counts: Counter[str] = Counter()
    items: list[PlannedOut] = []
    more = False
    for item in plan_dispositions(store, context.app.policies(), HoldService(store).active(), day):
        status = (
            "held"
            if item.held_by
            else "tampered"
            if item.tampered
            else ("awaiting_review" if item.awaiting_review else item.action)
        )
        counts[status] += 1
        if after is not None and item.report_id <= after:
            continue  # on an earlier page (the plan comes in report id order)
        if len(items) == limit:
            more = True
            continue
        items.append(
            PlannedOut(
                report_id=item.report_id,
                status=status,
                action=item.action,
                policy=item.policy_ref,
                due=item.due,
                held_by=list(item.held_by),
            )
        )
    items = _numbered(context, items)
    next_cursor = encode_cursor("plan", [items[-1].report_id]) if more else None
    return PlanOut(
        at=day,
        counts=dict(sorted(counts.items())),
        items=items,
        truncated=more,
        next_cursor=next_cursor,
        next=next_link(request, response, next_cursor),
    )


@router.post(
    "/reports/{report_id}/retention-events",
    name="record_retention_event",
    status_code=201,
    responses={
        200: {"model": EventOut, "description": "This date was already recorded."},
        **error_responses(REPORT_LOOKUP, INVALID_POLICIES, {422: ("retention_refused",)}, IDEMPOTENCY_ERRORS),
    },
)
def record_event(
    report_id: ReportIdPath,
    body: EventRequest,
    principal: Annotated[Principal, Depends(allow("record_retention_event"))],
    context: Context,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> EventOut:
    """Record a dated event (retention periods triggered by it run from then).

    201 when a ledger entry was written (another date is a new entry naming the one it
    replaces); 200 when this date was already recorded; 422 ``retention_refused`` for a name
    no policy waits for, or a date before the intervention or after today.
    """
    path = request.url.path
    with begin(context, principal, "record_retention_event", idempotency_key, canonical(path, body)) as once:
        if once.replay is not None:
            return replayed(response, once.replay, EventOut.model_validate(once.replay.answer))
        written = record_report_event(
            context.store_for(principal),
            context.app.policies(),
            report_id,
            body.name,
            body.on,
            clock=context.app.clock(),
        )
        if written.outcome == EventOutcome.ALREADY_RECORDED:
            response.status_code = 200
        else:
            context.app.ledger.checkpoint()
        answer = EventOut(
            name=body.name,
            on=body.on,
            outcome=written.outcome,
            replaces=written.replaces,
            replaces_seq=written.replaces_seq,
        )
        once.record(response.status_code or 201, answer.model_dump(mode="json"))
    return answer


@router.get("/review", name="review_queue", responses=error_responses(INVALID_POLICIES, CURSOR_ERRORS))
def review_queue(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(allow("review_queue"))],
    context: Context,
    limit: LimitQuery = MAX_LIMIT,
    cursor: CursorQuery = None,
) -> list[ReviewItemOut]:
    """Reports waiting for a disposition decision, by due date, a page at a time (the next
    page's address in the ``Link: rel="next"`` header)."""
    page = page_of(
        "review",
        ReviewQueue(context.app.store, context.app.policies()).pending(),
        lambda i: [i.due.isoformat(), i.report_id],
        cursor=cursor,
        limit=limit,
        shape=(str, str),
    )
    next_link(request, response, page.next_cursor)
    return _numbered(
        context, [ReviewItemOut(report_id=i.report_id, policy=i.policy_ref, due=i.due) for i in page.items]
    )


@router.post("/review/{report_id}/approve", name="approve_review", responses=_REVIEW_ERRORS)
def approve_review(
    report_id: ReportIdPath,
    principal: Annotated[Principal, Depends(allow("approve_review"))],
    context: Context,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decided:
    """Approve disposition: the report is erased now, with a certificate in the ledger."""
    with _decision(context, principal, "approve_review", idempotency_key, request, None) as once:
        if once.replay is not None:
            return replayed(response, once.replay, Decided.model_validate(once.replay.answer))
        ReviewQueue(
            context.store_for(principal),
            context.app.policies(),
            clock=context.app.clock(),
            sealer=context.app.certificate_sealer(),
        ).approve(report_id)
        return _decided(context, once, report_id, "approved")


@router.post("/review/{report_id}/extend", name="extend_review", responses=_REVIEW_ERRORS)
def extend_review(
    report_id: ReportIdPath,
    body: ExtendRequest,
    principal: Annotated[Principal, Depends(allow("extend_review"))],
    context: Context,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decided:
    """Keep the report longer; it returns to the queue at the new date."""
    with _decision(context, principal, "extend_review", idempotency_key, request, body) as once:
        if once.replay is not None:
            return replayed(response, once.replay, Decided.model_validate(once.replay.answer))
        ReviewQueue(context.store_for(principal), context.app.policies(), clock=context.app.clock()).extend(
            report_id, body.until, reason=body.reason
        )
        return _decided(context, once, report_id, "extended")


@router.post("/review/{report_id}/relabel", name="relabel_review", responses=_REVIEW_ERRORS)
def relabel_review(
    report_id: ReportIdPath,
    body: RelabelRequest,
    principal: Annotated[Principal, Depends(allow("relabel_review"))],
    context: Context,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Decided:
    """Govern the report by another policy from now on."""
    with _decision(context, principal, "relabel_review", idempotency_key, request, body) as once:
        if once.replay is not None:
            return replayed(response, once.replay, Decided.model_validate(once.replay.answer))
        ReviewQueue(context.store_for(principal), context.app.policies(), clock=context.app.clock()).relabel(
            report_id, body.policy, reason=body.reason
        )
        return _decided(context, once, report_id, "relabelled")


def _decision(
    context: ApiContext,
    principal: Principal,
    operation: str,
    key: str | None,
    request: Request,
    body: StrictBody | None,
) -> Once:
    return begin(context, principal, operation, key, canonical(request.url.path, body))


def _decided(context: ApiContext, once: Once, report_id: str, decision: str) -> Decided:
    context.app.ledger.checkpoint()
    [answer] = _numbered(context, [Decided(report_id=report_id, decision=decision)])
    once.record(200, answer.model_dump(mode="json"))
    return answer


_Numbered = TypeVar("_Numbered", PlannedOut, ReviewItemOut, Decided)


def _numbered(context: ApiContext, items: list[_Numbered]) -> list[_Numbered]:
    """The items with their reports' numbers (one query a page: storage.report_numbers)."""
    with context.app.store.database.session() as session:
        numbers = numbers_of(session, [item.report_id for item in items])
    return [item.model_copy(update={"number": numbers.get(item.report_id)}) for item in items]


class DisposedItemOut(BaseModel):
    """One disposal, as the signed ledger records it (ids and codes only)."""

    report_id: str
    number: str | None = None
    """The report's number (``RI-2026-000123``), kept after erasure; ``null`` if it had none."""
    disposed_at: str
    """UTC, ISO 8601 with ``Z`` (the ledger entry's time)."""
    disposed_at_europe_paris: str
    action: Literal["deleted", "anonymized"] | str
    purpose: str
    reason: str | None
    policy: str | None
    approver: str | None
    """Who approved (a review), requested (an erasure) or ran (retention: the job)."""
    ledger_seq: int
    certificate_sha256: str | None
    """``null`` for a disposal recorded before certificates of disposition existed."""
    pdf_issued: bool
    certificate_pdf_sha256: str | None


@router.get(
    "/retention/disposed",
    name="disposed_register",
    responses=error_responses({422: ("invalid_period",)}, CURSOR_ERRORS),
)
def disposed(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(allow("disposed_register"))],
    context: Context,
    since: Annotated[dt.date, Query(description="First day (UTC) of the register.")],
    until: Annotated[dt.date | None, Query(description="Last day (UTC), included; default: today.")] = None,
    limit: LimitQuery = MAX_LIMIT,
    cursor: CursorQuery = None,
) -> list[DisposedItemOut]:
    """The register of disposed items, read from the ledger's dispose, shred and certify entries,
    in ledger order, a page at a time (the next page's address in the ``Link: rel="next"`` header)."""
    try:
        rows = disposed_register(context.app.store, since=since, until=until)
    except CertificateError as exc:
        raise ApiError(
            422, "invalid_period", str(exc), where="query.until", hint="give an until on or after since"
        ) from exc
    items = [DisposedItemOut(**row.as_dict()) for row in rows]
    page = page_of("disposed", items, lambda i: [i.ledger_seq], cursor=cursor, limit=limit, shape=(int,))
    next_link(request, response, page.next_cursor)
    return page.items


@router.get(
    "/reports/{report_id}/certificate",
    name="report_certificate",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {}, "application/json": {}},
            "description": "The sealed certificate of disposition (PDF), or its canonical JSON.",
        },
        **error_responses(
            REPORT_LOOKUP, {404: ("certificate_not_found",), 409: ("certificate_unavailable",)}
        ),
    },
)
def report_certificate(
    report_id: ReportIdPath,
    principal: Annotated[Principal, Depends(allow("report_certificate"))],
    context: Context,
    document: Annotated[
        Literal["pdf", "json"], Query(description="pdf: the sealed French PDF; json: the signed JSON.")
    ] = "pdf",
) -> Response:
    """A disposed report's certificate of disposition (its PDF is issued now if it was not yet)."""
    try:
        documents = disposition_documents(
            context.store_for(principal), report_id, sealer=context.app.certificate_sealer()
        )
    except CertificateError as exc:
        raise ApiError(
            409,
            "certificate_unavailable",
            str(exc),
            where="path.report_id",
            hint="only a disposed report has a certificate; GET /api/v1/retention/disposed lists them",
        ) from exc
    if context.app.ledger.appended:
        context.app.ledger.checkpoint()
    if not documents:
        raise ApiError(
            404,
            "certificate_not_found",
            "this report was disposed of before certificates of disposition existed",
            where="path.report_id",
            hint="its dispose or shred ledger entry certifies it: GET /api/v1/reports/{report_id}/proof",
        )
    if document == "json":
        return Response(documents[JSON_NAME], media_type="application/json")
    return Response(
        documents[PDF_NAME],
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{report_id}-certificat-disposition.pdf"'},
    )
