"""Detections the independent corpora asked for, checked on sentences written for these tests.

None of these sentences comes from ``bench/pii_corpora``: they state the behaviour
(an address with its complements, a name in capitals…) on text of our own.
"""

from __future__ import annotations

import pytest

from anonymization.engine import PiiEngine


def found(engine: PiiEngine, text: str, entity_type: str) -> list[str]:
    return [text[e.start : e.end] for e in engine.detect(text) if e.type == entity_type]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (
            "Chantier : 7 rue des Saules, bât. C, esc. 4, 3e étage, 35000 Rennes. RAS.",
            "7 rue des Saules, bât. C, esc. 4, 3e étage, 35000 Rennes",
        ),
        (
            "Rendez-vous Bâtiment B, 2ème étage, 18 avenue Foch, 54000 Nancy, à 9 h.",
            "Bâtiment B, 2ème étage, 18 avenue Foch, 54000 Nancy",
        ),
        (
            "Livraison résidence Les Mimosas, 4 allée du Port, 13002 Marseille.",
            "résidence Les Mimosas, 4 allée du Port, 13002 Marseille",
        ),
        (
            "Client au 15 ter rue de l'Église, appartement 12, 44000 Nantes.",
            "15 ter rue de l'Église, appartement 12, 44000 Nantes",
        ),
        ("Client au 3 quai du Château d'Eau, 69001 Lyon.", "3 quai du Château d'Eau, 69001 Lyon"),
    ],
)
def test_an_address_takes_its_complements(pii_engine: PiiEngine, text: str, address: str) -> None:
    assert found(pii_engine, text, "ADDRESS") == [address]


def test_a_complement_alone_is_not_an_address(pii_engine: PiiEngine) -> None:
    assert found(pii_engine, "Ballon installé au 2e étage, bât. B, près de la chaufferie.", "ADDRESS") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("rdv pris avec jean dupont pour jeudi", "jean dupont"),
        ("RAPPELER JEAN DUPONT AVANT DE PASSER", "JEAN DUPONT"),
        ("passer voir mme benali apres 17h", "benali"),
        ("demander lucie sur place", "lucie"),
        ("Sur place, demander Lucie à l'accueil.", "Lucie"),
        ("cles chez mr et mme da silva au rdc", "da silva"),
        ("Le locataire, T. Morvan, est absent.", "T. Morvan"),
        ("Contact : Monsieur H. de Saint-Exupéry.", "H. de Saint-Exupéry"),
        ("Occupant : DE KERGUELEN Annick, joignable le soir.", "DE KERGUELEN Annick"),
        ("Clés chez Mme le Bris, la voisine.", "le Bris"),
        ("Facture à Mme d'Ormesson.", "d'Ormesson"),
        ("Visite chez les Kerjean, pas de chien.", "Kerjean"),
        ("La voiture de Tanguy gêne l'accès.", "Tanguy"),
        ("Le voisin, de Kerhervé, garde les clés.", "de Kerhervé"),
        ("Client : Madame Q. des Aulnaies.", "Q. des Aulnaies"),
        ("Le propriétaire, LEGRAND Sébastien, signe le devis.", "LEGRAND Sébastien"),
        ("Relevé fait chez les Bosch, au fond de l'impasse.", "Bosch"),
    ],
)
def test_names_in_any_case_with_their_particles(pii_engine: PiiEngine, text: str, name: str) -> None:
    assert name in found(pii_engine, text, "PERSON")


@pytest.mark.parametrize(
    "text",
    [
        "Mme Leroy appelle : pas d'eau chaude.",  # a capitalized name, then a verb
        "pression ok, purge faite, rose des vents sur le toit",  # a first name that is a common word
        "demain matin passage pour la chaudiere",
    ],
)
def test_case_free_names_stop_at_ordinary_words(pii_engine: PiiEngine, text: str) -> None:
    names = found(pii_engine, text, "PERSON")
    assert all(" " not in n for n in names) and "rose" not in names and "appelle" not in " ".join(names)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Révision de l'ascenseur Lumex Nova3 ce matin.", "Lumex Nova3"),
        ("Remplacement sur la chaudière Brennor Kalix (défaut F12).", "Brennor Kalix"),
        ("Equipement Solvane Kriva Duo 18 en défaut.", "Solvane Kriva Duo 18"),
        ("Contrôle Vortec HydroLine 300 effectué.", "Vortec HydroLine 300"),
        ("Code défaut Err 503 affiché.", "Err 503"),
    ],
)
def test_unseen_brand_and_model_survive(pii_engine: PiiEngine, text: str, kept: str) -> None:
    start = text.index(kept)
    assert not [e for e in pii_engine.detect(text) if e.overlaps(start, start + len(kept))]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Le locataire Julien Morel 3e étage a les clés.", "Julien Morel"),  # a first name: a person
        ("Prévenir M. Brennor 2 jours avant.", "Brennor"),  # a civility: a person
        ("Clés chez Patrick Schneider, le voisin.", "Patrick Schneider"),  # a brand, with a first name
    ],
)
def test_the_model_shape_does_not_hide_a_person(pii_engine: PiiEngine, text: str, name: str) -> None:
    assert name in " ".join(found(pii_engine, text, "PERSON"))


@pytest.mark.parametrize(
    ("text", "entity_type", "value"),
    [
        ("rdv au 12 rue des lilas 35000 rennes demain", "ADDRESS", "12 rue des lilas 35000 rennes"),
        ("cles chez benali au rdc", "PERSON", "benali"),
        ("mail jean.dupont @ orange.fr merci", "EMAIL_ADDRESS", "jean.dupont @ orange.fr"),
        (
            "ecrire a jean point dupont arobase orange point fr",
            "EMAIL_ADDRESS",
            "jean point dupont arobase orange point fr",
        ),
        ("voiture garee devant: ab123cd", "FR_LICENSE_PLATE", "ab123cd"),
        ("position gps lat 48.1234 long -4.5678", "GPS_COORDINATES", "lat 48.1234 long -4.5678"),
    ],
)
def test_text_typed_on_a_phone(pii_engine: PiiEngine, text: str, entity_type: str, value: str) -> None:
    assert value in found(pii_engine, text, entity_type)
