"""Policy files: the built-in library loads; bad files are refused with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies.errors import PolicyFileError
from policies.loading import BUILTIN_DIR, load_policies
from reports.templates import TemplateCatalog

KINDS = {t.key for t in TemplateCatalog.load()}

GOOD = """\
id: acme.entretien-chaudiere
title: Entretiens de chaudières
legal_basis:
  text: Preuve de l'entretien annuel.
  references: [Décret 2009-649]
scope:
  equipment_categories: [chaudiere_gaz]
trigger:
  kind: intervention_date
duration: P2Y
action: delete
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_builtin_french_library_loads_with_sources_and_dpo_notes() -> None:
    policies = load_policies([BUILTIN_DIR], known_kinds=KINDS)
    assert {p.policy.id for p in policies} >= {
        "fr.pieces-comptables",
        "fr.preuve-contractuelle",
        "fr.contrats-electroniques",
        "fr.fluides-frigorigenes",
        "fr.clients-inactifs",
    }
    for loaded in policies:
        assert loaded.policy.legal_basis.references
        assert loaded.policy.note and "DPO" in loaded.policy.note
    durations = {p.policy.id: p.policy.duration for p in policies}
    assert durations["fr.pieces-comptables"] == "P10Y"
    assert durations["fr.preuve-contractuelle"] == "P5Y"
    assert durations["fr.clients-inactifs"] == "P3Y"


def test_a_good_file_loads_and_its_version_is_its_content(tmp_path: Path) -> None:
    first = load_policies([write(tmp_path, GOOD)], known_kinds=KINDS)
    assert len(first) == 1
    edited = load_policies([write(tmp_path, GOOD.replace("P2Y", "P3Y"))], known_kinds=KINDS)
    assert first.get("acme.entretien-chaudiere").version != edited.get("acme.entretien-chaudiere").version
    assert first.version != edited.version


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("action: delete\n", "action: delete\ncolour: red\n", r"policy\.yaml:12: colour: Extra inputs"),
        (
            "duration: P2Y\n",
            "duration: 2 ans\n",
            r"policy\.yaml:10: duration: '2 ans' is not an ISO 8601 duration",
        ),
        ("duration: P2Y\n", "duration: PT5H\n", r"policy\.yaml:10: duration: .*hours and minutes"),
        ("duration: P2Y\n", "duration: P0Y\n", r"zero duration"),
        ("action: delete\n", "action: archive\n", r"policy\.yaml:11: action: Input should be"),
        ("  kind: intervention_date\n", "  kind: event\n", r"policy\.yaml:9: trigger: .*give 'event'"),
        ("  references: [Décret 2009-649]\n", "  references: []\n", r"legal_basis\.references"),
        ("duration: P2Y\n", "duration: P2Y\nactive_period: P3Y\n", r"active_period is longer"),
        (
            "  equipment_categories: [chaudiere_gaz]\n",
            "  equipment_categories: [ascenseur]\n",
            r"matches no template",
        ),
        ("title: Entretiens de chaudières\n", "", r"policy\.yaml:1: title: Field required"),
    ],
)
def test_bad_policy_files_are_refused_with_file_and_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    with pytest.raises(PolicyFileError, match=expected):
        load_policies([write(tmp_path, GOOD.replace(old, new, 1))], known_kinds=KINDS)


def test_an_id_used_twice_is_refused_and_every_problem_is_listed(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    write(tmp_path, GOOD.replace("P2Y", "forever").replace("acme.entretien-chaudiere", "acme.c"), "c.yaml")
    with pytest.raises(PolicyFileError) as caught:
        load_policies([tmp_path], known_kinds=KINDS)
    problems = caught.value.problems
    assert any("b.yaml:1: id 'acme.entretien-chaudiere' is already used" in p for p in problems)
    assert any("c.yaml:10: duration" in p for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "action: delete\n",
            "action: delete\nduration: P10Y\n",
            r"policy\.yaml:12:1: duplicate key 'duration' \(first at line 10\): remove one",
        ),
        (
            "  kind: intervention_date\n",
            "  kind: intervention_date\n  kind: archival_date\n",
            r"policy\.yaml:10:3: duplicate key 'kind' \(first at line 9\): remove one",
        ),
        (
            "  text: Preuve de l'entretien annuel.\n",
            "  text: Preuve de l'entretien annuel.\n  'text': Autre texte.\n",
            r"policy\.yaml:5:3: duplicate key 'text' \(first at line 4\)",
        ),
    ],
)
def test_a_key_written_twice_is_refused_not_silently_overridden(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    with pytest.raises(PolicyFileError, match=expected):
        load_policies([write(tmp_path, GOOD.replace(old, new, 1))], known_kinds=KINDS)


def test_every_key_written_twice_in_a_file_is_listed(tmp_path: Path) -> None:
    text = GOOD.replace("action: delete\n", "action: delete\nduration: P10Y\ntitle: Bis\n")
    with pytest.raises(PolicyFileError) as caught:
        load_policies([write(tmp_path, text)], known_kinds=KINDS)
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "duplicate key 'duration' (first at line 10): remove one",
        "duplicate key 'title' (first at line 2): remove one",
    ]
