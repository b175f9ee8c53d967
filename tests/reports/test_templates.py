"""Templates: the built-in library loads, and bad files are refused with file and line."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from reports.errors import TemplateError
from reports.templates import TemplateCatalog, load_template

GOOD = """\
id: vmc.entretien
title: Entretien VMC
equipment_category: vmc
intervention_type: entretien
checklist:
  - id: nettoyage_bouches
    label: Nettoyage des bouches
measurements:
  - id: debit
    label: Débit
    unit: m3/h
    min: 45
    max: 135
selections:
  - id: type_vmc
    label: Type
    choices: [Simple flux, Double flux]
photos:
  - kind: after
    label: Caisson
"""


def test_builtin_library_has_the_four_french_templates(catalog: TemplateCatalog) -> None:
    assert {t.id for t in catalog} >= {
        "chaudiere_gaz.entretien_annuel",
        "pompe_a_chaleur.depannage",
        "climatisation.mise_en_service",
        "tableau_electrique.controle",
    }


def test_air_conditioning_template_records_cerfa_15497_fluid_data(catalog: TemplateCatalog) -> None:
    clim = catalog.by_id("climatisation.mise_en_service")
    assert {"quantite_chargee", "quantite_recuperee"} <= {m.id for m in clim.measurements}
    assert all(m.unit == "kg" for m in clim.measurements if m.id.startswith("quantite"))
    fluid = clim.selection("fluide")
    assert fluid is not None and {"R32", "R410A"} <= set(fluid.choices)
    assert clim.selection("resultat_controle_etancheite") is not None


def test_a_company_template_is_added(tmp_path: Path) -> None:
    (tmp_path / "vmc.entretien.yaml").write_text(GOOD, encoding="utf-8")
    catalog = TemplateCatalog.load(tmp_path)
    vmc = catalog.for_report("vmc", "entretien")
    assert vmc is not None and vmc.measurement("debit") is not None


def test_a_company_template_overrides_a_builtin_one(tmp_path: Path) -> None:
    text = (
        GOOD.replace("vmc.entretien", "chaudiere_gaz.entretien_annuel")
        .replace("equipment_category: vmc", "equipment_category: chaudiere_gaz")
        .replace("intervention_type: entretien", "intervention_type: entretien_annuel")
    )
    (tmp_path / "chaudiere_gaz.entretien_annuel.yaml").write_text(text, encoding="utf-8")
    template = TemplateCatalog.load(tmp_path).by_id("chaudiere_gaz.entretien_annuel")
    assert template.title == "Entretien VMC"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    unit: m3/h\n", "    unit: m3/h\n    colour: red\n"),
            r"\.yaml:12: measurements\.0\.colour: Extra inputs",
        ),
        (("title: Entretien VMC\n", ""), r"\.yaml:1: title: Field required"),
        (("    min: 45\n", "    min: 500\n"), r"\.yaml:9: measurements\.0: .*'min' is greater than 'max'"),
        (("id: vmc.entretien\n", "id: vmc.autre\n"), r"\.yaml:1: .*id must be 'vmc\.entretien'"),
        (("  - kind: after\n", "  - kind: pendant\n"), r"\.yaml:19: photos\.0\.kind: Input should be"),
        (
            ("    choices: [Simple flux, Double flux]\n", "    choices: []\n"),
            r"\.yaml:17: selections\.0\.choices",
        ),
        (("  - id: debit\n", "  - id: nettoyage_bouches\n"), r"ids used twice: nettoyage_bouches"),
        (("checklist:\n", "checklist: [\n"), r"\.yaml:\d+: invalid YAML"),
    ],
)
def test_bad_template_is_refused_with_file_and_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in GOOD
    path = tmp_path / "vmc.entretien.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TemplateError, match=expected):
        load_template(path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    label: Caisson\n", "    label: Caisson\ntitle: Entretien VMC bis\n"),
            r"vmc\.entretien\.yaml:21:1: duplicate key 'title' \(first at line 2\): remove one",
        ),
        (
            ("    min: 45\n", "    min: 45\n    min: 50\n"),
            r"vmc\.entretien\.yaml:13:5: duplicate key 'min' \(first at line 12\): remove one",
        ),
        (
            ("    choices: [Simple flux, Double flux]\n", "    choices: [Simple flux]\n    choices: []\n"),
            r"vmc\.entretien\.yaml:18:5: duplicate key 'choices' \(first at line 17\)",
        ),
    ],
)
def test_a_key_written_twice_in_a_template_is_refused(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in GOOD
    (tmp_path / "vmc.entretien.yaml").write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    [broken] = TemplateCatalog.load(tmp_path).broken
    assert any(re.search(expected, problem) for problem in broken.problems), broken.problems


MERGED_MEASUREMENT = """\
  - <<: *debit
    id: debit_sdb
    label: Débit salle de bains
"""


def test_anchors_and_merge_keys_still_work_in_templates(tmp_path: Path) -> None:
    text = GOOD.replace("  - id: debit\n", "  - &debit\n    id: debit\n").replace(
        "selections:\n", MERGED_MEASUREMENT + "selections:\n"
    )
    path = tmp_path / "vmc.entretien.yaml"
    path.write_text(text, encoding="utf-8")
    merged = load_template(path).measurement("debit_sdb")
    assert merged is not None
    assert (merged.label, merged.unit, merged.min, merged.max) == ("Débit salle de bains", "m3/h", 45, 135)


def test_a_key_written_twice_beside_a_merge_key_is_refused(tmp_path: Path) -> None:
    # overriding a merged key is what merge keys are for; writing the same key twice is not
    text = GOOD.replace("  - id: debit\n", "  - &debit\n    id: debit\n").replace(
        "selections:\n", MERGED_MEASUREMENT + "    label: Débit SdB\nselections:\n"
    )
    path = tmp_path / "vmc.entretien.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError, match=r"\.yaml:18:5: duplicate key 'label' \(first at line 17\)"):
        load_template(path)


def test_two_merge_keys_in_one_mapping_are_a_key_written_twice(tmp_path: Path) -> None:
    text = GOOD.replace("  - id: debit\n", "  - &debit\n    id: debit\n").replace(
        "selections:\n", MERGED_MEASUREMENT + "    <<: *debit\nselections:\n"
    )
    path = tmp_path / "vmc.entretien.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError, match=r"\.yaml:18:5: duplicate key '<<' \(first at line 15\)"):
        load_template(path)


def test_template_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "vmc.entretien.yaml"
    path.write_bytes(GOOD.replace("Débit", "D\xe9bit").encode("latin-1"))
    with pytest.raises(TemplateError, match="not UTF-8"):
        load_template(path)


def test_a_template_must_be_in_the_file_named_by_its_id(tmp_path: Path) -> None:
    # so two files can never define the same template
    (tmp_path / "vmc.entretien.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "vmc.entretien2.yaml").write_text(GOOD, encoding="utf-8")
    catalog = TemplateCatalog.load(tmp_path)
    [broken] = catalog.broken
    assert broken.template_id == "vmc.entretien2"
    assert re.search(r"vmc\.entretien2\.yaml:1: .* named vmc\.entretien\.yaml", broken.problems[0])
    assert catalog.by_id("vmc.entretien").title == "Entretien VMC"


def test_unknown_template_id_lists_the_known_ones(catalog: TemplateCatalog) -> None:
    with pytest.raises(TemplateError, match="known templates: chaudiere_gaz"):
        catalog.by_id("nope.nope")


# -- issue 18: one pass, broken files, reload, thresholds -------------------------------------

THREE_PROBLEMS = (
    GOOD.replace("    label: Caisson\n", "    label: Caisson\ntitle: Entretien VMC bis\n")  # key twice
    .replace("    unit: m3/h\n", "    unit: m3/h\n    colour: red\n")  # unknown key
    .replace("  - id: debit\n", "  - id: nettoyage_bouches\n")  # id used twice
)


def test_every_problem_of_a_template_file_is_reported_in_one_pass(tmp_path: Path) -> None:
    path = tmp_path / "vmc.entretien.yaml"
    path.write_text(THREE_PROBLEMS, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    problems = caught.value.problems
    assert len(problems) == 3, problems
    assert re.search(r"\.yaml:9: measurements\.0\.id: ids used twice: nettoyage_bouches", problems[0])
    assert re.search(r"\.yaml:12: measurements\.0\.colour: Extra inputs", problems[1])
    assert re.search(r"\.yaml:22:1: duplicate key 'title'", problems[2])
    assert "\n  ".join(problems) in str(caught.value)


def test_a_broken_template_file_is_listed_and_the_others_still_work(tmp_path: Path) -> None:
    (tmp_path / "vmc.entretien.yaml").write_text(THREE_PROBLEMS, encoding="utf-8")
    catalog = TemplateCatalog.load(tmp_path)
    [broken] = catalog.broken
    assert (broken.template_id, broken.path, len(broken.problems)) == (
        "vmc.entretien",
        tmp_path / "vmc.entretien.yaml",
        3,
    )
    assert catalog.by_id("chaudiere_gaz.entretien_annuel").title == "Entretien annuel chaudière gaz"
    assert catalog.for_report("vmc", "entretien") is None
    with pytest.raises(
        TemplateError, match=r"template 'vmc\.entretien' is broken; fix .*vmc\.entretien\.yaml"
    ):
        catalog.by_id("vmc.entretien")


def test_a_broken_override_hides_the_builtin_template_it_replaces(tmp_path: Path) -> None:
    # the company meant to change the rules: reports are not checked against the old ones
    (tmp_path / "chaudiere_gaz.entretien_annuel.yaml").write_text("id: [\n", encoding="utf-8")
    catalog = TemplateCatalog.load(tmp_path)
    assert [b.template_id for b in catalog.broken] == ["chaudiere_gaz.entretien_annuel"]
    assert catalog.for_report("chaudiere_gaz", "entretien_annuel") is None


def test_the_catalog_sees_a_template_added_changed_or_removed(tmp_path: Path) -> None:
    catalog = TemplateCatalog.load(tmp_path, recheck_seconds=0)
    assert catalog.for_report("vmc", "entretien") is None
    path = tmp_path / "vmc.entretien.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert catalog.by_id("vmc.entretien").title == "Entretien VMC"
    path.write_text(GOOD.replace("title: Entretien VMC", "title: Entretien VMC (2026)"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert catalog.by_id("vmc.entretien").title == "Entretien VMC (2026)"
    path.write_text("id: [\n", encoding="utf-8")
    assert [b.template_id for b in catalog.broken] == ["vmc.entretien"]
    path.unlink()
    assert catalog.broken == [] and catalog.for_report("vmc", "entretien") is None


def test_the_catalog_checks_its_files_at_most_every_recheck_seconds(tmp_path: Path) -> None:
    catalog = TemplateCatalog.load(tmp_path, recheck_seconds=3600)
    (tmp_path / "vmc.entretien.yaml").write_text(GOOD, encoding="utf-8")
    assert catalog.for_report("vmc", "entretien") is None  # cheap: no listing on every lookup


THRESHOLD = """\
    thresholds:
      - above: 100
        label: Débit excessif
        requires:
          - item: {item}
            comment: true
"""


def test_a_threshold_naming_an_unknown_checklist_item_is_a_template_error(tmp_path: Path) -> None:
    path = tmp_path / "vmc.entretien.yaml"
    path.write_text(
        GOOD.replace("    max: 135\n", "    max: 135\n" + THRESHOLD.format(item="reglage_debit")),
        encoding="utf-8",
    )
    with pytest.raises(
        TemplateError,
        match=r"\.yaml:18: measurements\.0\.thresholds\.0\.requires\.0\.item: threshold requires "
        r"checklist item 'reglage_debit', which is not in this template's checklist",
    ):
        load_template(path)
    path.write_text(
        GOOD.replace("    max: 135\n", "    max: 135\n" + THRESHOLD.format(item="nettoyage_bouches")),
        encoding="utf-8",
    )
    debit = load_template(path).measurement("debit")
    assert debit is not None
    [threshold] = debit.thresholds
    assert (threshold.above, threshold.requires[0].item, threshold.requires[0].comment) == (
        100,
        "nettoyage_bouches",
        True,
    )


@pytest.mark.parametrize("limits", ["", "      - above: 100\n        below: 10\n"])
def test_a_threshold_has_exactly_one_limit(tmp_path: Path, limits: str) -> None:
    block = limits or "      - label: x\n"
    if limits:
        block += "        label: x\n"
    block += "        requires: [{item: nettoyage_bouches}]\n"
    path = tmp_path / "vmc.entretien.yaml"
    path.write_text(
        GOOD.replace("    max: 135\n", "    max: 135\n    thresholds:\n" + block), encoding="utf-8"
    )
    with pytest.raises(TemplateError, match=r"thresholds\.0: .*exactly one of 'above' or 'below'"):
        load_template(path)


def test_the_boiler_template_requires_shutting_down_above_50_ppm_of_co(catalog: TemplateCatalog) -> None:
    boiler = catalog.by_id("chaudiere_gaz.entretien_annuel")
    co = boiler.measurement("co_ambiant")
    assert co is not None and co.unit == "ppm"
    [danger] = co.thresholds
    assert danger.above == 50
    assert [(r.item, r.comment) for r in danger.requires] == [("appareil_mis_a_l_arret", True)]
    shutdown = boiler.checklist_item("appareil_mis_a_l_arret")
    assert shutdown is not None and not shutdown.required
