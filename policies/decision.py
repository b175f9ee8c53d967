"""Which policies apply to a report, which one wins, and when it is due — explained.

Precedence, after Microsoft Purview's principles of retention:

1. **Retention wins over deletion** and **the longest retention wins**: every matching
   policy keeps the report until its own period ends; nothing is disposed before the
   latest of these ends. That date is the due date.
2. The action taken at the due date is the **winning policy**'s: an **explicit scope
   wins over a broad one** (more scope conditions); among equally explicit policies a
   **legal obligation wins** over a policy the law does not impose, then a **review**
   wins over an automatic action (a person looks before anything is destroyed), then
   **the shortest deletion wins** (shortest period); remaining ties go to the gentlest
   action (anonymize before delete), then to the policy id. ``docs/retention.md`` has
   this as a table, each row tested.
3. A policy whose trigger has not happened yet (an event not recorded, a report not
   archived) makes the due date unknown: the report is not due.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

from policies.duration import RetentionPeriod, parse_period
from policies.loading import LoadedPolicy, PolicySet
from policies.model import Action, Policy

__all__ = ["Decision", "PolicyMatch", "ReportFacts", "decide", "why_not_covered"]

_GENTLENESS: Mapping[str, int] = {"review": 0, "anonymize": 1, "delete": 2}


@dataclass(frozen=True)
class ReportFacts:
    """What policies look at: no personal data."""

    report_id: str
    intervention_type: str | None
    equipment_category: str | None
    client_kind: str | None
    tags: frozenset[str]
    site_country: str | None
    intervention_date: dt.date | None
    archival_date: dt.date | None
    received_date: dt.date
    """Used when the intervention date is unknown (a submission that could not be read)."""
    events: Mapping[str, dt.date] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyMatch:
    """A policy that covers the report, and the period it imposes."""

    loaded: LoadedPolicy
    start: dt.date | None
    end: dt.date | None
    waiting_for: str | None = None

    @property
    def policy(self) -> Policy:
        return self.loaded.policy


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`decide`, with the reasons a compliance officer reads."""

    report_id: str
    matches: tuple[PolicyMatch, ...]
    winner: PolicyMatch | None
    due: dt.date | None
    reasons: tuple[str, ...]
    obligation_until: dt.date | None = None
    """End of the longest period a legal obligation imposes (erasure restricts until then)."""
    restricted_from: dt.date | None = None
    """End of the active-base period: from then on, access is restricted."""

    @property
    def action(self) -> Action | None:
        return None if self.winner is None else self.winner.policy.action

    @property
    def policy_refs(self) -> tuple[str, ...]:
        return tuple(m.loaded.ref for m in self.matches)

    def is_due(self, at: dt.date) -> bool:
        return self.due is not None and self.due <= at


def why_not_covered(policy: Policy, facts: ReportFacts) -> str | None:
    """``None`` when the scope covers the report, else why not."""
    scope = policy.scope
    checks = (
        ("intervention type", scope.intervention_types, facts.intervention_type),
        ("equipment category", scope.equipment_categories, facts.equipment_category),
        ("client kind", scope.client_kinds, facts.client_kind),
        ("site country", scope.site_countries, facts.site_country),
    )
    for label, wanted, actual in checks:
        if wanted and actual not in wanted:
            return f"{label} is {actual or 'unknown'}, scope wants {', '.join(wanted)}"
    if scope.tags and not facts.tags & set(scope.tags):
        return f"report has none of the tags {', '.join(scope.tags)}"
    return None


def _covers(policy: Policy, facts: ReportFacts) -> bool:
    """What :func:`why_not_covered` decides, without building the sentence (asked per report)."""
    scope = policy.scope
    return (
        (not scope.intervention_types or facts.intervention_type in scope.intervention_types)
        and (not scope.equipment_categories or facts.equipment_category in scope.equipment_categories)
        and (not scope.client_kinds or facts.client_kind in scope.client_kinds)
        and (not scope.site_countries or facts.site_country in scope.site_countries)
        and (not scope.tags or not facts.tags.isdisjoint(scope.tags))
    )


@functools.lru_cache(maxsize=1024)
def _period(duration: str) -> RetentionPeriod:
    """``Policy.period`` parses the duration at each call; a plan asks it for every report."""
    return parse_period(duration)


def _start(policy: Policy, facts: ReportFacts) -> tuple[dt.date | None, str | None]:
    trigger = policy.trigger
    if trigger.kind == "intervention_date":
        return facts.intervention_date or facts.received_date, None
    if trigger.kind == "archival_date":
        return facts.archival_date, None if facts.archival_date else "archival of the report"
    assert trigger.event is not None
    date = facts.events.get(trigger.event)
    if date is None and trigger.fallback == "intervention_date":
        date = facts.intervention_date or facts.received_date
    return date, None if date else f"event '{trigger.event}'"


def _match(loaded: LoadedPolicy, facts: ReportFacts) -> PolicyMatch | None:
    if not _covers(loaded.policy, facts):
        return None
    start, waiting = _start(loaded.policy, facts)
    end = None if start is None else _period(loaded.policy.duration).after(start)
    return PolicyMatch(loaded, start, end, waiting)


def _precedence(match: PolicyMatch) -> tuple[int, bool, bool, float, int, str]:
    """Smallest wins: most explicit scope, an obligation, a review, then shortest period,
    gentlest action, policy id."""
    policy = match.policy
    return (
        -policy.scope.explicitness,
        not policy.legal_basis.obligation,
        policy.action != "review",
        _period(policy.duration).approx_days(),
        _GENTLENESS[policy.action],
        policy.id,
    )


def decide(facts: ReportFacts, policies: PolicySet, *, explain: bool = True) -> Decision:
    """Apply every policy to ``facts`` and the precedence rules of the module doc.

    With ``explain=False`` the decision is the same but its ``reasons`` are empty: a plan
    decides for every report of the archive and reads only the outcome, and writing the
    sentences was most of the cost of deciding.
    """
    matches = [match for loaded in policies if (match := _match(loaded, facts)) is not None]
    if not matches:
        reasons = _reasons(facts, policies, matches, None, None) if explain else ()
        return Decision(facts.report_id, (), None, None, reasons)
    winner = matches[0] if len(matches) == 1 else min(matches, key=_precedence)
    ends = [m.end for m in matches]
    due = max(end for end in ends if end is not None) if None not in ends else None
    obligation_ends = [m.end for m in matches if m.policy.legal_basis.obligation and m.end is not None]
    active_ends = [
        _period(m.policy.active_period).after(m.start)
        for m in matches
        if m.policy.active_period is not None and m.start is not None
    ]
    return Decision(
        facts.report_id,
        tuple(matches),
        winner,
        due,
        _reasons(facts, policies, matches, winner, due) if explain else (),
        obligation_until=max(obligation_ends, default=None),
        restricted_from=min(active_ends, default=None),
    )


def _reasons(
    facts: ReportFacts,
    policies: PolicySet,
    matches: list[PolicyMatch],
    winner: PolicyMatch | None,
    due: dt.date | None,
) -> tuple[str, ...]:
    """What a compliance officer reads: each policy in turn, then the winner and the due date."""
    by_policy = {id(m.loaded): m for m in matches}
    reasons = []
    for loaded in policies:
        policy, match = loaded.policy, by_policy.get(id(loaded))
        if match is None:
            reasons.append(f"{policy.id}: not applicable ({why_not_covered(policy, facts)})")
        elif match.waiting_for:
            reasons.append(
                f"{policy.id}: applies, waiting for {match.waiting_for} ({policy.duration} after it)"
            )
        else:
            reasons.append(
                f"{policy.id}: applies, {policy.duration} from "
                f"{policy.trigger.describe()} {match.start} → until {match.end}, then {policy.action}"
            )
    if winner is None:
        reasons.append("no policy covers this report: it is kept until one does")
        return tuple(reasons)
    reasons.append(_why_winner(winner, matches))
    if due is None:
        pending = [m for m in matches if m.end is None]
        reasons.append("not due: " + "; ".join(f"{m.policy.id} waits for {m.waiting_for}" for m in pending))
    else:
        longest = max((m for m in matches if m.end is not None), key=lambda m: m.end or dt.date.min)
        reasons.append(
            f"due {due}: the longest retention ({longest.policy.id}) ends then; action {winner.policy.action}"
        )
    return tuple(reasons)


def _why_winner(winner: PolicyMatch, matches: list[PolicyMatch]) -> str:
    if len(matches) == 1:
        return f"{winner.policy.id} decides: the only applicable policy"
    others = [m for m in matches if m is not winner]
    if all(m.policy.scope.explicitness < winner.policy.scope.explicitness for m in others):
        return f"{winner.policy.id} decides the action: its scope is the most explicit"
    tied = [m for m in others if m.policy.scope.explicitness == winner.policy.scope.explicitness]
    if winner.policy.legal_basis.obligation and any(not m.policy.legal_basis.obligation for m in tied):
        return (
            f"{winner.policy.id} decides the action: among the most explicit scopes, a legal obligation wins"
        )
    if winner.policy.action == "review" and any(m.policy.action != "review" for m in tied):
        return (
            f"{winner.policy.id} decides the action: among the most explicit scopes, a review wins "
            "(a person decides before anything is destroyed)"
        )
    return (
        f"{winner.policy.id} decides the action: among the most explicit scopes, the shortest period "
        f"({winner.policy.duration}) wins"
    )
