"""Personal values in the many ways people write them, on sentences written for these tests.

None of these sentences comes from ``bench/pii_corpora``: each states one writing of a
value (an IBAN split across a line break, a phone with slashes…) on text of our own.
"""

from __future__ import annotations

import pytest

from anonymization.engine import PiiEngine


def found(engine: PiiEngine, text: str, entity_type: str) -> list[str]:
    return [text[e.start : e.end] for e in engine.detect(text) if e.type == entity_type]


@pytest.mark.parametrize(
    ("text", "iban"),
    [
        ("IBAN FR 76 3000 6000 0112 3456 7890 189 merci", "FR 76 3000 6000 0112 3456 7890 189"),
        ("IBAN FR76 3000 6000 0112\n3456 7890 189 pour le prélèvement", "FR76 3000 6000 0112\n3456 7890 189"),
        ("RIB : FR76  3000  6000  0112  3456  7890  189", "FR76  3000  6000  0112  3456  7890  189"),
        ("iban fr76.3000.6000.0112.3456.7890.189", "fr76.3000.6000.0112.3456.7890.189"),
        ("IBAN\nFR76 3000 6000 0112 3456 7890 189", "FR76 3000 6000 0112 3456 7890 189"),
        ("IBAN GB29 NWBK 6016 1331 9268 19 merci", "GB29 NWBK 6016 1331 9268 19"),
        ("iban fr76 3000 6000 0112 3456 7890 189 le client paie", "fr76 3000 6000 0112 3456 7890 189"),
        # mistyped: a digit missing, a digit too many — still the account after "iban"
        ("iban FR76 3000 6000 0112 3456 7890 18 (manque un chiffre)", "FR76 3000 6000 0112 3456 7890 18"),
        ("IBAN FR76 3000 6000 0112 3456 7890 1899 faux", "FR76 3000 6000 0112 3456 7890 1899"),
    ],
)
def test_an_iban_in_any_writing(pii_engine: PiiEngine, text: str, iban: str) -> None:
    assert found(pii_engine, text, "IBAN_CODE") == [iban]


@pytest.mark.parametrize(
    "text",
    ["chaudière de 12 ans, compte 3 ans", "le compte de 12 ans pour 3000 euros", "série DE12345678 modèle"],
)
def test_a_country_code_and_digits_are_not_an_iban(pii_engine: PiiEngine, text: str) -> None:
    assert found(pii_engine, text, "IBAN_CODE") == []


@pytest.mark.parametrize(
    ("text", "iban"),
    [
        (
            "IBAN mandat contrat : FR76 1111 2222 3333 4444 5555 666 titulaire",
            "FR76 1111 2222 3333 4444 5555 666",
        ),
        (
            "iban noté pour le trop perçu : FR12 1234 5000 0112 9876 5K04 321 M. Vigne",
            "FR12 1234 5000 0112 9876 5K04 321",
        ),
    ],
)
def test_a_mistyped_iban_after_iban_words(pii_engine: PiiEngine, text: str, iban: str) -> None:
    assert found(pii_engine, text, "IBAN_CODE") == [iban]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("tel 06/12/34/56/78 le soir", "06/12/34/56/78"),
        ("tel 06  12  34  56  78", "06  12  34  56  78"),
        ("joindre au 06 123 456 78", "06 123 456 78"),
        ("portable 061 234 5678 merci", "061 234 5678"),
        ("tel : 07 42 018 933 apres 18h", "07 42 018 933"),
        ("rappeler le 0644 718 255", "0644 718 255"),
        ("le numero 05, 09, 70, 71, 21 de la gardienne", "05, 09, 70, 71, 21"),
        ("tel 6 12 34 56 78", "6 12 34 56 78"),
        ("tel (+33) 6 12 34 56 78", "(+33) 6 12 34 56 78"),
        ("sa fille en Italie +39 333 123 4567", "+39 333 123 4567"),
        ("belle-soeur +32 471 12 34 56", "+32 471 12 34 56"),
        # a number followed on the next line by a word that is also a unit (A, V, W)
        ("FILS 0151349432\nA REPASSER", "0151349432"),
    ],
)
def test_a_phone_in_any_writing(pii_engine: PiiEngine, text: str, phone: str) -> None:
    assert found(pii_engine, text, "PHONE_NUMBER") == [phone]


@pytest.mark.parametrize(
    "text",
    [
        "S/N 0612 345 678 relevé sur la plaque",
        "le 06/12/2024 à 14h",
        "pression 1 234 567 Pa",
        "commande 06 123 456 78 livrée",
    ],
)
def test_numbers_that_are_not_phones(pii_engine: PiiEngine, text: str) -> None:
    assert found(pii_engine, text, "PHONE_NUMBER") == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("chez eux au 8 r des tilleuls, vannes / ballon ok", "8 r des tilleuls, vannes"),
        ("adr 14 av jean moulin 93200 st denis - portail", "14 av jean moulin 93200 st denis"),
        ("adresse 5 place du Marché, au 3ème, 56000 Vannes.", "5 place du Marché, au 3ème, 56000 Vannes"),
        ("adresse 9 rue Nationale, bloc B, 59000 Lille.", "9 rue Nationale, bloc B, 59000 Lille"),
        ("chez elle, 3 rue Haute, premier étage, Morlaix.", "3 rue Haute, premier étage, Morlaix"),
        ("au quarante-deux rue Victor Hugo, Quimper.", "quarante-deux rue Victor Hugo, Quimper"),
        (
            "adresse cent douze bis avenue de Bretagne 35000 Rennes",
            "cent douze bis avenue de Bretagne 35000 Rennes",
        ),
        (
            "au dix-sept rue des Forges, vingt-neuf mille deux cents Brest, voilà",
            "dix-sept rue des Forges, vingt-neuf mille deux cents Brest",
        ),
        (
            "adresse 4 allée des Pins, soixante-quinze mille Paris.",
            "4 allée des Pins, soixante-quinze mille Paris",
        ),
        ("c'est au quartier Saint-Roch, 34000 Montpellier.", "quartier Saint-Roch, 34000 Montpellier"),
    ],
)
def test_an_address_in_any_writing(pii_engine: PiiEngine, text: str, address: str) -> None:
    assert found(pii_engine, text, "ADDRESS") == [address]


@pytest.mark.parametrize(
    "text",
    [
        "vanne trois voies remplacée, deux fois",
        "il a fallu deux heures, mille mercis au client",
        "ballon au 3ème, au fond du couloir",
    ],
)
def test_numbers_in_words_are_not_addresses(pii_engine: PiiEngine, text: str) -> None:
    assert found(pii_engine, text, "ADDRESS") == []


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("PB ASCENSEUR SCHINDLOR MAXIVIA : CODE E41", "SCHINDLOR MAXIVIA"),
        ("Sur l'osmoseur (Aquaclair HX) code H.02 : cartouche changée", "Aquaclair HX"),
        ("Le poêle à granulés Flambor Club Nova était en défaut", "Flambor Club Nova"),
        ("chaudiere Thermia Duo en F28, relancée", "Thermia Duo"),
        ("extracteur Ventor Silence posé dans la salle de bain", "Ventor Silence"),
        ("interphone Parlexa Miro : combiné HS", "Parlexa Miro"),
        ("motorisation portail Ouvra Slide 400 réglée", "Ouvra Slide 400"),
    ],
)
def test_a_name_after_an_equipment_noun_is_equipment(pii_engine: PiiEngine, text: str, kept: str) -> None:
    start = text.index(kept)
    touched = [e for e in pii_engine.detect(text) if e.start < start + len(kept) and start < e.end]
    assert touched == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("chaudière de Mme Perrot en panne", "Perrot"),
        ("ballon chez M. Kerbrat, à changer", "Kerbrat"),
    ],
)
def test_a_person_beside_equipment_is_still_a_person(pii_engine: PiiEngine, text: str, name: str) -> None:
    assert found(pii_engine, text, "PERSON") == [name]


@pytest.mark.parametrize(
    ("text", "gps"),
    [
        ("pos n48.0712 e2.9431\nok", "n48.0712 e2.9431"),
        ("GPS: N44.1366 E5.3817 / portail", "N44.1366 E5.3817"),
        ("gps N 48.8566 E 2.3522 maison", "N 48.8566 E 2.3522"),
        ("POS 44 32.219N 3 18.761E - chemin", "44 32.219N 3 18.761E"),
        ("GPS: 45.764043 4.835659 (maison au fond)", "45.764043 4.835659"),
        ("coordonnées : lat 46.1582 lon -1.1531, maison", "lat 46.1582 lon -1.1531"),
    ],
)
def test_gps_in_any_writing(pii_engine: PiiEngine, text: str, gps: str) -> None:
    assert found(pii_engine, text, "GPS_COORDINATES") == [gps]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Alarme : taper 4417 en entrant.", ["4417"]),
        ("Digicode 7302 B, je répète, 7302 B. Ballon ok.", ["7302 B", "7302 B"]),
        ("boîte à clés, le code est 5127 dièse. RAS", ["5127 dièse"]),
        ("cadenas sur le portail, code 2-7-1-8. voir gardien", ["2-7-1-8"]),
        ("le code de la porte c'est 6650 A. Entretien fait.", ["6650 A"]),
        ("Digicode 3391, je répète, 3391.", ["3391", "3391"]),
    ],
)
def test_an_access_code_in_any_writing(pii_engine: PiiEngine, text: str, codes: list[str]) -> None:
    assert found(pii_engine, text, "ACCESS_CODE") == codes


@pytest.mark.parametrize(
    "text",
    ["Alarme : taper sur le bouton reset", "code erreur E5 puis F28", "digicode HS, porte ouverte A 14h"],
)
def test_words_near_a_door_are_not_codes(pii_engine: PiiEngine, text: str) -> None:
    assert found(pii_engine, text, "ACCESS_CODE") == []


@pytest.mark.parametrize(
    ("text", "plate"),
    [
        ("clio du voisin mendes kd-731-bh devant chez lui", "kd-731-bh"),
        ("POLO DU VOISIN RK125GV GAREE DEVANT LE PORTAIL", "RK125GV"),
        ("la 308 du fils dw 086 sl garee dans l'allee", "dw 086 sl"),
        ("golf du gendre 2194 etb 29 stationnee devant", "2194 etb 29"),
    ],
)
def test_a_plate_with_a_vehicle_word_after_it(pii_engine: PiiEngine, text: str, plate: str) -> None:
    assert found(pii_engine, text, "FR_LICENSE_PLATE") == [plate]


@pytest.mark.parametrize(
    "text",
    [
        "Syndic : Cabinet Horizon Gestion, SIRET 732 829 320 00074, gestionnaire Mme Perrot.",
        "agence immobilière du Port (siret 73282932000074) prévenue",
    ],
)
def test_the_siret_of_an_agency_or_syndic_is_business_data(pii_engine: PiiEngine, text: str) -> None:
    assert found(pii_engine, text, "FR_SIRET") == []


def test_the_siret_of_a_client_is_still_redacted(pii_engine: PiiEngine) -> None:
    text = "Facturation : Société Perrot, 3 rue Haute, 56000 Vannes. SIRET 732 829 320 00074."
    assert found(pii_engine, text, "FR_SIRET") == ["732 829 320 00074"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Client SAUTER Mireille, joignable le soir", "SAUTER Mireille"),
        ("fils Benyoub 0473166949 !!", "Benyoub"),
        ("la twingo du voisin Benyoub lk369br garee devant", "Benyoub"),
    ],
)
def test_a_name_before_a_phone_or_plate_is_not_a_model(pii_engine: PiiEngine, text: str, name: str) -> None:
    assert found(pii_engine, text, "PERSON") == [name]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("cli: awa traore / sur 12 rue haute", "awa traore"),
        ("interv mme yanis kerbrat le 06/02 - chaudiere", "yanis kerbrat"),
        ("rdv 15h ndeye sarr / 48 rue de la paix", "ndeye sarr"),
    ],
)
def test_a_header_or_civility_announces_a_lower_case_full_name(
    pii_engine: PiiEngine, text: str, name: str
) -> None:
    assert found(pii_engine, text, "PERSON") == [name]


def test_an_announced_name_does_not_take_the_verb_after_it(pii_engine: PiiEngine) -> None:
    assert found(pii_engine, "mme benali appelle demain matin", "PERSON") == ["benali"]


@pytest.mark.parametrize(
    "iban",
    ["FR33 2004 1000 QRST KWPH NPWX K42", "FR3320041000QRSTKWPHNPWXK42", "fr33 2004 1000 qrst kwph npwx k42"],
)
def test_a_valid_iban_with_many_letters(pii_engine: PiiEngine, iban: str) -> None:
    assert found(pii_engine, f"virement depuis {iban} reçu", "IBAN_CODE") == [iban]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("si absent, fils benyoub au 06 12 34 56 78", "benyoub"),
        ("cles chez la belle-soeur kerbrat", "kerbrat"),
        ("le gendre traore a ouvert", "traore"),
    ],
)
def test_a_relative_word_announces_a_lower_case_name(pii_engine: PiiEngine, text: str, name: str) -> None:
    assert found(pii_engine, text, "PERSON") == [name]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("INTERV MME KERBRAT LE JEUDI. 70 RUE DES ECOLES", "KERBRAT"),
        ("RDV MME LE GOFF LE MARDI 14H", "LE GOFF"),
    ],
)
def test_a_day_in_capitals_is_not_part_of_a_name(pii_engine: PiiEngine, text: str, name: str) -> None:
    assert found(pii_engine, text, "PERSON") == [name]
