"""``quitus visits``: plan, list, move and cancel the follow-up visits of unfinished reports.

Registered in ``quitus/cli.py`` (``app.add_typer(visits.app, name="visits")``). Every change
is a ledger entry naming the operator (``quitus --as``). Nothing printed here is personal
data: visit and report ids and numbers, days, slots, technicians' identifiers. The plan a
visit carries (client, site, what is left to do) is read on the planning pages or with
``GET /api/v1/visits/{id}``, each read recorded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from quitus.cli_support import JsonOption, console, fail, plain, settings_or_fail
from quitus.exit_codes import ExitCode

if TYPE_CHECKING:
    from storage.report_store import ReportStore
    from storage.visits import VisitRow

__all__ = ["app"]

app = typer.Typer(help="Plan the follow-up visits of unfinished interventions.", no_args_is_help=True)

_SLOTS = ("matin", "apres_midi", "journee")
_STATUSES = ("planned", "done", "cancelled")

DayOption = Annotated[str, typer.Option("--day", help="The day, YYYY-MM-DD.")]
SlotOption = Annotated[str, typer.Option(help="matin (8 h–12 h), apres_midi (13 h 30–17 h 30) or journee.")]
TechnicianOption = Annotated[
    list[str],
    typer.Option("--technician", help="A technician's identifier (tech-042); repeat for a team."),
]


@app.command("plan")
def plan(
    report: Annotated[str, typer.Argument(help="The unfinished report: its number (RI-2026-000123) or id.")],
    day: DayOption,
    technician: TechnicianOption,
    slot: SlotOption = "journee",
    note: Annotated[
        str | None,
        typer.Option(help="For the technician (access, appointment agreed…); kept encrypted with the plan."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Plan the visit that continues an unfinished report: what it left is carried over."""
    from reports.visit_plan import plan_followup  # noqa: PLC0415
    from storage.visits import VisitSlot  # noqa: PLC0415

    when, chosen = _day(day), VisitSlot(_slot(slot))
    with _store() as store:
        visit = plan_followup(store, report, day=when, slot=chosen, technicians=technician, planner_note=note)
    _print_change(visit, changed=True, as_json=as_json, said=f"planned {visit.id}")


@app.command("list")
def list_visits(
    since: Annotated[
        str | None, typer.Option("--from", help="From this day (YYYY-MM-DD); default today.")
    ] = None,
    until: Annotated[str | None, typer.Option("--to", help="Up to this day (YYYY-MM-DD).")] = None,
    technician: Annotated[str | None, typer.Option(help="Only this technician's visits.")] = None,
    status: Annotated[str, typer.Option(help="planned, done, cancelled or all.")] = "planned",
    as_json: JsonOption = False,
) -> None:
    """Visits by day and slot, with the report each continues. No personal data."""
    from rich.table import Table  # noqa: PLC0415

    from storage.visits import VisitStatus, VisitStore  # noqa: PLC0415

    if status != "all" and status not in _STATUSES:
        fail(f"--status '{plain(status)}': one of {', '.join(_STATUSES)}, all")
    first = _day(since) if since else dt.date.today()
    last = _day(until) if until else None
    with _store() as store:
        rows = VisitStore(store).visits(
            since=first,
            until=last,
            technician=technician,
            status=None if status == "all" else VisitStatus(status),
        )
    if as_json:
        from quitus.cli_json import VisitEntry, VisitList, emit  # noqa: PLC0415

        emit(VisitList(visits=[VisitEntry.of(row) for row in rows]))
        return
    table = Table()
    for column in ("visit", "day", "slot", "technicians", "continues", "template", "status"):
        table.add_column(column, no_wrap=column in ("visit", "continues"))
    for row in rows:
        table.add_row(
            row.id,
            row.day.isoformat(),
            row.slot.value,
            ", ".join(row.technicians),
            row.continues_number or row.continues_report_id,
            row.template_id,
            "TAMPERED (refused: quitus audit verify)" if row.tampered else row.status.value,
        )
    console.print(table)
    console.print(f"{len(rows)} visit{'' if len(rows) == 1 else 's'}")


@app.command("move")
def move(
    visit: Annotated[str, typer.Argument(help="The visit (PV-…).")],
    day: Annotated[str | None, typer.Option("--day", help="The new day, YYYY-MM-DD.")] = None,
    slot: Annotated[str | None, typer.Option(help="The new slot: matin, apres_midi or journee.")] = None,
    technician: Annotated[
        list[str] | None, typer.Option("--technician", help="The new team (replaces it); repeat.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Move a planned visit to another day, slot or team (recorded in the ledger)."""
    from storage.visits import VisitSlot, VisitStore  # noqa: PLC0415

    if day is None and slot is None and not technician:
        fail("say what moves: --day, --slot or --technician")
    when = _day(day) if day else None
    chosen = VisitSlot(_slot(slot)) if slot else None
    with _store() as store:
        row, changed = VisitStore(store).move(visit, day=when, slot=chosen, technicians=technician or None)
    _print_change(
        row, changed=changed, as_json=as_json, said=f"moved {row.id}" if changed else "nothing to move"
    )


@app.command("cancel")
def cancel(
    visit: Annotated[str, typer.Argument(help="The visit (PV-…).")],
    reason: Annotated[
        str, typer.Option(help="A code: client_request, replanned, no_longer_needed… (never free text).")
    ],
    as_json: JsonOption = False,
) -> None:
    """Cancel a planned visit; the report's follow-up request is open again."""
    from storage.delivery_store import DeliveryStore, FollowupStatus  # noqa: PLC0415
    from storage.errors import ReportNotFoundError  # noqa: PLC0415
    from storage.visits import VisitStore  # noqa: PLC0415

    with _store() as store:
        row, changed = VisitStore(store).cancel(visit, reason=reason)
        if changed:
            with contextlib.suppress(ReportNotFoundError):  # no follow-up request was opened
                DeliveryStore(store).set_followup_status(
                    row.continues_report_id, FollowupStatus.OPEN, now=dt.datetime.now(dt.UTC)
                )
    _print_change(
        row, changed=changed, as_json=as_json, said=f"cancelled {row.id}" if changed else "already cancelled"
    )


def _print_change(row: VisitRow, *, changed: bool, as_json: bool, said: str) -> None:
    if as_json:
        from quitus.cli_json import VisitChange, VisitEntry, emit  # noqa: PLC0415

        emit(VisitChange(visit=VisitEntry.of(row), changed=changed))
        return
    console.print(
        f"{said}: {row.day.isoformat()} {row.slot.value}, {', '.join(row.technicians)} — "
        f"continues {row.continues_number or row.continues_report_id}"
    )


@contextmanager
def _store() -> Iterator[ReportStore]:
    """The installation's store; visit errors become messages with their exit code."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from storage.errors import InvalidTransitionError, ReportNotFoundError  # noqa: PLC0415
    from storage.visits import VisitError  # noqa: PLC0415

    opened = open_app(settings_or_fail())
    try:
        yield opened.store
        opened.ledger.checkpoint()
    except ReportNotFoundError as exc:
        fail(plain(exc), ExitCode.NOT_FOUND)
    except (VisitError, InvalidTransitionError) as exc:
        fail(plain(exc), ExitCode.REFUSED)
    finally:
        opened.close()


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"'{plain(value)}' is not a day: write it YYYY-MM-DD (2026-12-14)")


def _slot(value: str) -> str:
    if value not in _SLOTS:
        fail(f"--slot '{plain(value)}': one of {', '.join(_SLOTS)}")
    return value
