"""Statistical records are anonymous: no link to the report, k-anonymous over every value kept."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from reports.samples import generate_samples
from reports.schema import InterventionReport
from reports.templates import TemplateCatalog
from retention.statistics import (
    GENERALIZATION,
    SUPPRESSED,
    QuasiIdentifiers,
    StatisticalDraft,
    draft_record,
    generalizations,
    write_k_anonymous,
)
from storage.database import Database
from storage.models import StatisticalRecord
from storage.report_store import new_report_id

TEMPLATE = "climatisation.mise_en_service"
QI_NAMES = [f.name for f in dataclasses.fields(QuasiIdentifiers)]
QI_COLUMNS = [getattr(StatisticalRecord, name) for name in QI_NAMES]


def report_like(base: dict[str, Any], **changes: Any) -> InterventionReport:
    """The base sample with a few facts changed."""
    payload = copy.deepcopy(base)
    day = changes.pop("day", dt.date(2020, 3, 10))
    arrival = dt.datetime.combine(day, dt.time(9, 0))
    departure = arrival + dt.timedelta(minutes=changes.pop("minutes", 90))
    payload["arrival"], payload["departure"] = arrival.isoformat(), departure.isoformat()
    payload["request"]["date"] = str(day - dt.timedelta(days=3))
    payload["client"]["kind"] = changes.pop("kind", "particulier")
    payload["client"]["address"]["postal_code"] = changes.pop("postcode", "69003")
    payload["client"]["address"]["country"] = changes.pop("country", "FR")
    payload["site"] = changes.pop("site", None)
    for name in ("brand", "model", "installed_year"):
        if name in changes:
            payload["equipment"][name] = changes.pop(name)
    assert not changes, f"unknown changes {changes}"
    return InterventionReport.model_validate(payload)


def draft(base: dict[str, Any], **changes: Any) -> StatisticalDraft:
    return draft_record(new_report_id(), TEMPLATE, report_like(base, **changes))


def write(database: Database, drafts: Sequence[StatisticalDraft], k: int) -> int:
    with database.session() as session:
        return write_k_anonymous(session, drafts, k=k)


def classes_below(session: Session, k: int) -> list[tuple[Any, ...]]:
    """Every class (rows equal on all quasi-identifier columns) of fewer than ``k`` rows."""
    query = select(*QI_COLUMNS, func.count()).group_by(*QI_COLUMNS).having(func.count() < k)
    return [tuple(row) for row in session.execute(query)]


def stored(database: Database) -> list[QuasiIdentifiers]:
    with database.session() as session:
        return [QuasiIdentifiers(*row) for row in session.execute(select(*QI_COLUMNS))]


# --------------------------------------------------------------------------- what is kept


@pytest.mark.parametrize(
    ("minutes", "bucket"),
    [
        (0, "<30 min"),
        (29, "<30 min"),
        (30, "30-60 min"),
        (59, "30-60 min"),
        (60, "1-2 h"),
        (119, "1-2 h"),
        (120, "2-4 h"),
        (239, "2-4 h"),
        (240, ">4 h"),
        (600, ">4 h"),
    ],
)
def test_duration_is_bucketed(base_payload: dict[str, Any], minutes: int, bucket: str) -> None:
    assert draft(base_payload, minutes=minutes).values.duration == bucket


@pytest.mark.parametrize(
    ("postcode", "country", "area"),
    [
        ("69003", "FR", "69"),
        ("75001", "FR", "75"),
        ("20000", "FR", "20"),
        ("97110", "FR", "971"),
        ("98800", "FR", "988"),
        ("1000", "BE", SUPPRESSED),
        ("SW1A 1AA", "GB", SUPPRESSED),
        ("ABCDE", "FR", SUPPRESSED),
    ],
)
def test_area_is_the_departement(
    base_payload: dict[str, Any], postcode: str, country: str, area: str
) -> None:
    assert draft(base_payload, postcode=postcode, country=country).values.area == area


def test_the_site_address_wins_over_the_billing_address(base_payload: dict[str, Any]) -> None:
    site = {"address": {"street": "1 rue du Port", "postal_code": "13002", "city": "Marseille"}}
    assert draft(base_payload, postcode="69003", site=site).values.area == "13"


@pytest.mark.parametrize(
    ("year", "decade"), [(1958, "1950s"), (2010, "2010s"), (2019, "2010s"), (None, SUPPRESSED)]
)
def test_installation_year_is_kept_by_decade(
    base_payload: dict[str, Any], year: int | None, decade: str
) -> None:
    assert draft(base_payload, installed_year=year).values.installed_decade == decade


def test_brand_and_model_are_normalized(base_payload: dict[str, Any]) -> None:
    values = draft(base_payload, brand=" Saunier   duval", model="ThemaPlus  Condens F25").values
    assert (values.brand, values.model) == ("SAUNIER DUVAL", "THEMAPLUS CONDENS F25")


def test_each_step_generalizes_one_more_value_and_the_root_stays(base_payload: dict[str, Any]) -> None:
    levels = generalizations(draft(base_payload).values)
    assert len(levels) == len(GENERALIZATION) + 1
    assert levels[0].period == "2020-03"
    assert levels[1].period == "2020"
    for finer, coarser in itertools.pairwise(levels):
        changed = [n for n in QI_NAMES if getattr(finer, n) != getattr(coarser, n)]
        assert len(changed) <= 1
    root = levels[-1]
    assert (root.template_id, root.client_kind, root.equipment_category, root.period) == (
        TEMPLATE,
        "particulier",
        "climatisation",
        "2020",
    )
    assert all(getattr(root, n) == SUPPRESSED for n in QI_NAMES[4:])


# --------------------------------------------------------------------------- no link


def test_no_stored_value_names_the_report_or_its_client(database: Database) -> None:
    samples = [
        s
        for s in generate_samples(TemplateCatalog.load(), 60, seed=11, photo_size=(16, 16))
        if s.expected == "valid"
    ]
    reports = [
        (new_report_id(), s.template_id, InterventionReport.model_validate(s.payload)) for s in samples
    ]
    # k = 1: every record is written with all its detail, the most it could ever give away.
    assert write(database, [draft_record(*r) for r in reports], k=1) == len(reports)
    with database.engine.connect() as connection:
        result = connection.execute(text("SELECT * FROM statistical_records"))
        columns, rows = list(result.keys()), [tuple(str(v) for v in row) for row in result]
    # Every column is a quasi-identifier counted by k-anonymity, or the random id: a new
    # column must be one of them.
    assert sorted(columns) == sorted(["id", *QI_NAMES])
    assert len(rows) == len(reports)
    ids = [row[columns.index("id")] for row in rows]
    assert all(re.fullmatch(r"stat-[0-9a-f]{16}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    stored_text = "\n".join(" | ".join(row) for row in rows)
    for report_id, _template, report in reports:
        assert report_id not in stored_text
        assert report_id[3:] not in stored_text  # the ULID without its prefix
        assert report.submission_id not in stored_text
        for personal in (
            report.client.name,
            report.client.email,
            report.client.phone,
            report.client.address.street,
        ):
            assert personal is None or personal not in stored_text


def test_the_storage_order_is_not_the_order_of_the_batch(
    database: Database, base_payload: dict[str, Any]
) -> None:
    # The ledger appends the batch's certificates in order, in the same transaction: rows
    # stored in that order would pair with them. k = 1 and one brand each, to see the order.
    brands = [f"MARQUE {n:02d}" for n in range(40)]
    write(database, [draft(base_payload, brand=b) for b in brands], k=1)
    physical = "ctid" if database.dialect == "postgresql" else "id"  # SQLite: no rowid, the id is the key
    with database.engine.connect() as connection:
        order = [
            row[0]
            for row in connection.execute(text(f"SELECT brand FROM statistical_records ORDER BY {physical}"))
        ]
        if database.dialect == "sqlite":
            with pytest.raises(OperationalError, match="rowid"):
                connection.execute(text("SELECT rowid FROM statistical_records"))
    assert sorted(order) == brands
    assert order != brands


# --------------------------------------------------------------------------- k-anonymity


def test_distinct_brand_model_and_duration_are_generalized_until_k(
    database: Database, base_payload: dict[str, Any]
) -> None:
    drafts = [
        draft(base_payload, brand=f"Marque {n}", model=f"Modèle {n}", minutes=20 + 23 * n) for n in range(12)
    ]
    assert write(database, drafts, k=5) == 12
    with database.session() as session:
        assert classes_below(session, 5) == []
    assert {(r.brand, r.model) for r in stored(database)} == {(SUPPRESSED, SUPPRESSED)}


def test_a_unique_outlier_is_not_written(database: Database, base_payload: dict[str, Any]) -> None:
    crowd = [draft(base_payload) for _ in range(5)]
    outliers = [draft(base_payload, kind="professionnel"), draft(base_payload, day=dt.date(2021, 3, 10))]
    assert write(database, [*crowd, *outliers], k=5) == 5
    records = stored(database)
    assert len(records) == 5
    assert {(r.client_kind, r.period) for r in records} == {("particulier", "2020-03")}


def test_a_crowd_keeps_its_detail(database: Database, base_payload: dict[str, Any]) -> None:
    write(database, [draft(base_payload) for _ in range(5)], k=5)
    assert set(stored(database)) == {draft(base_payload).values}


def test_stored_records_count_only_for_the_values_they_hold(
    database: Database, base_payload: dict[str, Any]
) -> None:
    # Five brands: written with the brand (and what comes before it) suppressed.
    assert write(database, [draft(base_payload, brand=f"Marque {n}") for n in range(5)], k=5) == 5
    # "Marque 0" alone: the five stored records do not hold "MARQUE 0" any more, so they
    # cannot make a class of it; it joins them where they are.
    assert write(database, [draft(base_payload, brand="Marque 0")], k=5) == 1
    records = stored(database)
    assert len(set(records)) == 1
    assert records[0].brand == SUPPRESSED
    # Five identical reports keep every detail; a sixth like them joins their class.
    write(database, [draft(base_payload, brand="Marque X") for _ in range(5)], k=5)
    assert write(database, [draft(base_payload, brand="Marque X")], k=5) == 1
    assert Counter(stored(database))[draft(base_payload, brand="Marque X").values] == 6
    with database.session() as session:
        assert classes_below(session, 5) == []


def test_k_holds_over_the_whole_table_across_batches(database: Database) -> None:
    samples = [
        s
        for s in generate_samples(TemplateCatalog.load(), 300, seed=5, photo_size=(16, 16))
        if s.expected == "valid"
    ]
    drafts = [
        draft_record(new_report_id(), s.template_id, InterventionReport.model_validate(s.payload))
        for s in samples
    ]
    written = 0
    for start in range(0, len(drafts), 90):
        written += write(database, drafts[start : start + 90], k=5)
        with database.session() as session:
            assert classes_below(session, 5) == []
    assert 0 < written <= len(drafts)
    assert len(stored(database)) == written


def test_k_must_be_at_least_one(database: Database) -> None:
    with database.session() as session, pytest.raises(ValueError, match="k must be 1 or more"):
        write_k_anonymous(session, [], k=0)


# --------------------------------------------------------------------------- property


def _values() -> st.SearchStrategy[QuasiIdentifiers]:
    def build(template: str, **rest: str) -> QuasiIdentifiers:
        return QuasiIdentifiers(template_id=template, equipment_category=template.partition(".")[0], **rest)

    few = st.sampled_from
    return st.builds(
        build,
        template=few(["climatisation.mise_en_service", "chaudiere_gaz.entretien_annuel"]),
        client_kind=few(["particulier", "professionnel"]),
        period=few(["2020-01", "2020-02", "2021-06"]),
        outcome=few(["completed", "unfinished"]),
        brand=few(["ATLANTIC", "DAIKIN", "SAMSUNG"]),
        model=few(["A", "B", "C"]),
        installed_decade=few(["2000s", "2010s", SUPPRESSED]),
        duration=few(["<30 min", "1-2 h", ">4 h"]),
        area=few(["69", "75", "13"]),
        parts_used=few(["0", "1", "2+"]),
        checklist_anomalies=few(["0", "1"]),
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(st.lists(_values(), max_size=25), min_size=1, max_size=3),
    k=st.integers(min_value=1, max_value=6),
)
def test_every_class_holds_k_records_whatever_the_batches(
    database: Database, batches: list[list[QuasiIdentifiers]], k: int
) -> None:
    with database.session() as session:
        session.execute(delete(StatisticalRecord))
    before: Counter[QuasiIdentifiers] = Counter()
    for batch in batches:
        written = write(database, [StatisticalDraft(new_report_id(), v) for v in batch], k=k)
        after = Counter(stored(database))
        added = after - before
        assert written == added.total() <= len(batch)
        with database.session() as session:
            assert classes_below(session, k) == []
        # A record is one of its draft's levels, never a value no report of the batch had.
        assert set(added) <= {level for values in batch for level in generalizations(values)}
        # Drafts that form a class among themselves keep all their detail.
        for values, count in Counter(batch).items():
            if count >= k:
                assert added[values] >= count
        before = after
