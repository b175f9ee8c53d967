"""``quitus policies``: the retention policies in force, validated and explained."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from quitus.cli_support import JsonOption, console, fail, plain, settings_or_fail
from quitus.exit_codes import ExitCode

if TYPE_CHECKING:
    from collections.abc import Mapping

    from policies.loading import LoadedPolicy
    from retention.explain import RetentionExplanation

__all__ = ["app"]

app = typer.Typer(help="Retention policies: validate, list, show, diff, explain.", no_args_is_help=True)


@app.command("validate")
def validate(
    directory: Annotated[
        Path | None, typer.Argument(help="A folder of policy files (default: those in force).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check policy files strictly; every problem is printed with file and line. Exit 1 if any."""
    from policies.errors import PolicyFileError  # noqa: PLC0415
    from policies.loading import load_policies  # noqa: PLC0415
    from quitus.wiring import open_app  # noqa: PLC0415

    app_ = open_app(settings_or_fail())
    try:
        if directory is None:
            policies = app_.policies()
        else:
            if not directory.is_dir():
                fail(f"{plain(directory)} is not a folder")
            policies = load_policies([directory], known_kinds=app_.catalog.kinds)
    except PolicyFileError as exc:
        if as_json:
            _emit_validation(problems=[str(p) for p in exc.problems])
        else:
            for problem in exc.problems:
                console.print(f"[red]✗[/] {plain(problem)}", soft_wrap=True, markup=True, highlight=False)
        raise typer.Exit(ExitCode.REJECTED) from None
    finally:
        app_.close()
    if as_json:
        _emit_validation(problems=[], count=len(policies), set_version=policies.version)
        return
    console.print(f"[green]{len(policies)} policies valid[/] (set version {policies.version})")


def _emit_validation(
    *, problems: list[str], count: int | None = None, set_version: str | None = None
) -> None:
    from quitus.cli_json import PolicyValidation, emit  # noqa: PLC0415

    emit(PolicyValidation(valid=not problems, policies=count, set_version=set_version, problems=problems))


@app.command("list")
def list_policies(as_json: JsonOption = False) -> None:
    """The policies in force: id@version, scope, trigger, duration, action."""
    from rich.table import Table  # noqa: PLC0415

    from quitus.wiring import open_app  # noqa: PLC0415

    app_ = open_app(settings_or_fail())
    try:
        policies = app_.policies()
    finally:
        app_.close()
    if as_json:
        from quitus.cli_json import PolicyEntry, PolicyList, emit  # noqa: PLC0415

        emit(
            PolicyList(
                set_version=policies.version,
                policies=[
                    PolicyEntry(
                        ref=loaded.ref,
                        id=loaded.policy.id,
                        version=loaded.version,
                        duration=loaded.policy.duration,
                        action=loaded.policy.action,
                        trigger=loaded.policy.trigger.describe(),
                        scope={k: list(v) for k, v in loaded.policy.scope.model_dump().items() if v},
                    )
                    for loaded in policies
                ],
            )
        )
        return
    table = Table()
    table.add_column("policy", no_wrap=True)
    for column in ("keep", "then", "from", "scope"):
        table.add_column(column)
    for loaded in policies:
        p = loaded.policy
        scope = "; ".join(f"{k}={','.join(v)}" for k, v in p.scope.model_dump().items() if v) or "all reports"
        table.add_row(loaded.ref, p.duration, p.action, p.trigger.describe(), scope)
    console.print(table)
    console.print(f"set version {policies.version}")


@app.command("show")
def show(
    policy_id: Annotated[str, typer.Argument(help="Policy id, e.g. fr.preuve-contractuelle")],
    as_json: JsonOption = False,
) -> None:
    """A policy's file as in force, with its version and path."""
    from quitus.wiring import open_app  # noqa: PLC0415

    app_ = open_app(settings_or_fail())
    try:
        policies = app_.policies()
    finally:
        app_.close()
    loaded = policies.get(policy_id)
    if loaded is None:
        fail(
            f"no policy '{plain(policy_id)}'; known: {plain(', '.join(p.policy.id for p in policies))}",
            code=ExitCode.NOT_FOUND,
        )
    if as_json:
        from quitus.cli_json import PolicyDetail, emit  # noqa: PLC0415

        emit(PolicyDetail(ref=loaded.ref, path=str(loaded.path), text=loaded.text))
        return
    console.print(f"[bold]{plain(loaded.ref)}[/] — {plain(loaded.path)}")
    console.print(loaded.text, markup=False, highlight=False)


@app.command("diff")
def diff(
    directory: Annotated[
        Path, typer.Argument(help="A folder of proposed policy files to compare with those in force.")
    ],
    as_json: JsonOption = False,
) -> None:
    """What would change: policies added, removed, edited (with a unified diff)."""
    from policies.loading import load_policies  # noqa: PLC0415
    from quitus.wiring import open_app  # noqa: PLC0415

    app_ = open_app(settings_or_fail())
    try:
        current = {p.policy.id: p for p in app_.policies()}
        proposed = {p.policy.id: p for p in load_policies([directory], known_kinds=app_.catalog.kinds)}
    finally:
        app_.close()
    if as_json:
        _emit_diff(current, proposed)
        return
    changes = 0
    for policy_id in sorted(current.keys() | proposed.keys()):
        old, new = current.get(policy_id), proposed.get(policy_id)
        if old is not None and new is not None and old.version == new.version:
            continue
        changes += 1
        if old is None:
            console.print(f"[green]+ {plain(policy_id)}[/] (new, {plain(new.ref if new else '')})")
        elif new is None:
            console.print(f"[red]- {plain(policy_id)}[/] (removed)")
        else:
            console.print(f"[yellow]~ {plain(policy_id)}[/] {plain(old.version)} → {plain(new.version)}")
            lines = difflib.unified_diff(
                old.text.splitlines(), new.text.splitlines(), str(old.path), str(new.path), lineterm=""
            )
            console.print("\n".join(lines), markup=False, highlight=False)
    console.print(f"{changes} change(s)")


def _emit_diff(current: Mapping[str, LoadedPolicy], proposed: Mapping[str, LoadedPolicy]) -> None:
    from quitus.cli_json import PolicyChange, PolicyDiff, emit  # noqa: PLC0415

    changes = []
    for policy_id in sorted(current.keys() | proposed.keys()):
        old, new = current.get(policy_id), proposed.get(policy_id)
        if old is not None and new is not None and old.version == new.version:
            continue
        text = None
        if old is not None and new is not None:
            text = "\n".join(
                difflib.unified_diff(
                    old.text.splitlines(), new.text.splitlines(), str(old.path), str(new.path), lineterm=""
                )
            )
        changes.append(
            PolicyChange(
                policy_id=policy_id,
                change="added" if old is None else "removed" if new is None else "edited",
                old_ref=None if old is None else old.ref,
                new_ref=None if new is None else new.ref,
                diff=text,
            )
        )
    emit(PolicyDiff(changes=changes))


@app.command("explain")
def explain(
    reference: Annotated[str, typer.Argument(help="Report number (RI-2026-000123) or id (RI-…).")],
    as_json: JsonOption = False,
) -> None:
    """Which policies apply to a report, which one wins and why, and when it is due."""
    from quitus.wiring import open_app  # noqa: PLC0415
    from retention.explain import explain_retention  # noqa: PLC0415

    app_ = open_app(settings_or_fail())
    try:
        report_id = app_.store.resolve(reference)
        number = app_.store.get(report_id).number
        explanation = explain_retention(app_.store, app_.policies(), report_id)
    finally:
        app_.close()
    if as_json:
        _emit_explanation(report_id, number, explanation)
        return
    shown = number or report_id
    if explanation is None:
        console.print(f"{plain(shown)} is erased: no retention rule applies any more")
        return
    facts, decision, held = explanation.facts, explanation.decision, explanation.held_by
    console.print(
        f"[bold]{plain(shown)}[/] — {facts.equipment_category}.{facts.intervention_type}, "
        f"{facts.client_kind}, intervention {facts.intervention_date}"
    )
    for reason in decision.reasons:
        console.print(f"  • {plain(reason)}", soft_wrap=True)
    if decision.action is not None:
        when = f"on {decision.due}" if decision.due else "once its trigger happens (date unknown yet)"
        console.print(
            f"  → {plain(decision.action)} {plain(when)} ({plain(decision.policy_ref)})", soft_wrap=True
        )
    if decision.restricted_from:
        console.print(f"  • active base until {decision.restricted_from}; intermediate archiving after")
    if held:
        console.print(f"  • [red]under legal hold {plain(', '.join(held))}[/]: never disposed while held")
    for problem in explanation.tampered:
        console.print(f"  • [red]TAMPERED[/]: {plain(problem)}", soft_wrap=True)
    if explanation.tampered:
        console.print("  → the disposal gate refuses it until `quitus audit verify` is clean", soft_wrap=True)


def _emit_explanation(report_id: str, number: str | None, explanation: RetentionExplanation | None) -> None:
    from quitus.cli_json import PolicyExplanation, emit  # noqa: PLC0415

    if explanation is None:
        emit(
            PolicyExplanation(
                report_id=report_id,
                number=number,
                erased=True,
                template=None,
                client_kind=None,
                intervention_date=None,
                policies=[],
                winner=None,
                action=None,
                due=None,
                restricted_from=None,
                obligation_until=None,
                held_by=[],
                reasons=[],
            )
        )
        return
    facts, decision = explanation.facts, explanation.decision
    emit(
        PolicyExplanation(
            report_id=report_id,
            number=number,
            erased=False,
            template=f"{facts.equipment_category}.{facts.intervention_type}"
            if facts.equipment_category
            else None,
            client_kind=facts.client_kind,
            intervention_date=facts.intervention_date,
            policies=list(decision.policy_refs),
            winner=decision.policy_ref,
            action=decision.action,
            due=decision.due,
            restricted_from=decision.restricted_from,
            obligation_until=decision.obligation_until,
            held_by=list(explanation.held_by),
            reasons=list(decision.reasons),
            tampered=list(explanation.tampered),
        )
    )
