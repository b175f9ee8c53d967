"""Every French recognizer against accept and reject tables (no model needed)."""

from __future__ import annotations

import pytest

from anonymization.nlp import NerSpan
from anonymization.recognizers import (
    AccessCodeRecognizer,
    AddressRecognizer,
    CivilityNameRecognizer,
    CompanyNameRecognizer,
    CueNameRecognizer,
    DateOfBirthRecognizer,
    EmailRecognizer,
    FrenchRecognizer,
    IbanRecognizer,
    IpAddressRecognizer,
    LicensePlateRecognizer,
    NerRecognizer,
    NirRecognizer,
    PaymentCardRecognizer,
    PhoneRecognizer,
    SirenSiretRecognizer,
    SpokenNumberRecognizer,
    UpperCaseNameRecognizer,
    default_recognizers,
)


def found(recognizer: FrenchRecognizer, text: str) -> list[str]:
    return [text[e.start : e.end] for e in recognizer.find(text) if e.score >= 0.45]


def check(recognizer: FrenchRecognizer, text: str, expected: str | None) -> None:
    """``expected``: the one value that must be found, or ``None`` for nothing."""
    assert found(recognizer, text) == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NIR 1 85 05 78 006 084 91 pour le dossier", "1 85 05 78 006 084 91"),
        ("sécu : 185057800608491.", "185057800608491"),
        ("n° 2 69 05 2A 002 084 16", "2 69 05 2A 002 084 16"),
        ("NIR corse 269052B12345618", "269052B12345618"),
        ("1-85-05-78-006-084-91", "1-85-05-78-006-084-91"),
        # off-by-one key, no context word: the Carte Vitale layout still says what it is
        ("numéro 1 85 05 78 006 084 92 recopié", "1 85 05 78 006 084 92"),
        ("numéro 185057800608492 recopié", None),  # the same glued: any 15 digits
        ("série 285137502301203", None),  # month 13
        ("S/N 21184500100123456000612345N3", None),  # inside a serial
    ],
)
def test_nir_recognizer(text: str, expected: str | None) -> None:
    check(NirRecognizer(), text, expected)


def test_nir_with_bad_key_is_still_reported_after_its_context_word() -> None:
    [entity] = NirRecognizer().find("n° de sécurité sociale : 1 85 05 78 006 084 92")
    assert entity.type == "FR_NIR" and entity.score < 0.9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SIRET 732 829 320 00074 à reporter", "732 829 320 00074"),
        ("siret: 73282932000074", "73282932000074"),
        ("établissement 73282932000074 (facture)", "73282932000074"),
        ("SIREN 732829320", "732829320"),
        ("RCS Lyon B 732 829 320", "732 829 320"),
        ("le numéro 732 829 320 du client", "732 829 320"),  # grouped 3-3-3
        ("SIRET 73282932000075", "73282932000075"),  # bad Luhn, but its context says what it is
        ("commande 73282932000075 du 12/03", None),  # bad Luhn, no context
        ("compteur 732829320 relevé", None),  # bare 9 digits, no context
        ("réf. SD-73282932000074", None),
    ],
)
def test_siren_siret_recognizer(text: str, expected: str | None) -> None:
    check(SirenSiretRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IBAN FR76 3000 6000 0112 3456 7890 189 merci", "FR76 3000 6000 0112 3456 7890 189"),
        ("IBAN FR7630006000011234567890189.", "FR7630006000011234567890189"),
        ("rib fr76 3000 6000 0112 3456 7890 189", "fr76 3000 6000 0112 3456 7890 189"),
        ("compte DE89 3704 0044 0532 0130 00 pour", "DE89 3704 0044 0532 0130 00"),
        ("virement BE68539007547034", "BE68539007547034"),
        ("GB29 NWBK 6016 1331 9268 19 puis", "GB29 NWBK 6016 1331 9268 19"),
        # off by one, no context: grouped by four from the country code, still an IBAN
        ("FR76 3000 6000 0112 3456 7890 188 sans contexte", "FR76 3000 6000 0112 3456 7890 188"),
        ("DE89370400440532013001 sans contexte", None),  # off by one, glued, not French
        ("modèle PC12SQ, code DB12-34567A", None),
    ],
)
def test_iban_recognizer(text: str, expected: str | None) -> None:
    check(IbanRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("carte 4970 1012 3456 7893 acceptée", "4970 1012 3456 7893"),
        ("CB 4970-1012-3456-7893", "4970-1012-3456-7893"),
        ("n° 4970101234567893", "4970101234567893"),
        ("Amex 3782 822463 10005", "3782 822463 10005"),
        ("carte 4970 1012 3456 7894", "4970 1012 3456 7894"),  # Luhn off by one: a mistyped card is a card
        ("réglé par CB n° 5132 2567 7613 8224", "5132 2567 7613 8224"),  # fails Luhn, after "CB"
        ("compteur 4970 1012 3456 7894", None),  # fails Luhn, no card word: not reported
        ("série 7123456789012345", None),  # no card network starts with 7
        ("De Dietrich 1234-567-123456", None),  # serial grouping is not a card's
    ],
)
def test_payment_card_recognizer(text: str, expected: str | None) -> None:
    check(PaymentCardRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("au 06 12 34 56 78, merci", "06 12 34 56 78"),
        ("tél. 06.12.34.56.78", "06.12.34.56.78"),
        ("0612345678 le soir", "0612345678"),
        ("06-12-34-56-78", "06-12-34-56-78"),
        ("+33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("+33612345678", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33 (0)6 12 34 56 78"),
        ("0033 6 12 34 56 78", "0033 6 12 34 56 78"),
        ("fixe 01 45 67 89 10", "01 45 67 89 10"),
        ("portable 06\u00a012\u00a034\u00a056\u00a078", "06\u00a012\u00a034\u00a056\u00a078"),
        ("La Réunion +262 692 12 34 56", "+262 692 12 34 56"),
        # serial numbers, references and dates must not be phones
        ("réf. SD-0020135147", None),
        ("n° de série 8712345678", None),
        ("le 06/12/2024 à 10:30", None),
        ("le 12.03.2024", None),
        ("série 21184500100123456000612345N3", None),
        ("0612345678901 (13 chiffres)", None),
        ("+1 212 555 0100", "+1 212 555 0100"),  # foreign, written with its country code: still a phone
        ("version 06.12.34.56.78.90", None),
    ],
)
def test_phone_recognizer(text: str, expected: str | None) -> None:
    check(PhoneRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail : jean.dupont@orange.fr.", "jean.dupont@orange.fr"),
        ("contact@sarl-dubois-freres.fr", "contact@sarl-dubois-freres.fr"),
        ("j.dupont+pac@gmail.com", "j.dupont+pac@gmail.com"),
        ("jean.dupont (at) orange.fr", "jean.dupont (at) orange.fr"),
        ("jdupont[at]free.fr", "jdupont[at]free.fr"),
        ("typo jean@gmail.con", "jean@gmail.con"),  # unknown TLD: still an address
        ("pression@2,5", None),
        ("a@b", None),
        ("résistance 12@1.5", None),
    ],
)
def test_email_recognizer(text: str, expected: str | None) -> None:
    check(EmailRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("box en 192.168.1.45.", "192.168.1.45"),
        ("IP 10.0.0.2", "10.0.0.2"),
        ("IPv6 2a01:cb00:7a1:1f00::2", "2a01:cb00:7a1:1f00::2"),
        ("firmware v14.0.6.0", None),
        ("version logiciel 2.1.0.3", None),
        ("256.1.1.1", None),
        ("arrivée 10:30:00", None),
    ],
)
def test_ip_recognizer(text: str, expected: str | None) -> None:
    check(IpAddressRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("voiture GH-482-KP garée", "GH-482-KP"),
        ("plaque GH 482 KP", "GH 482 KP"),
        ("immatriculée GH482KP", "GH482KP"),
        ("vieille 4521 TZ 69 au garage", "4521 TZ 69"),
        ("véhicule 123 A 2A", "123 A 2A"),
        ("module GH482KP", None),  # glued, no vehicle word: a model code as likely
        ("SS-123-AB", "SS-123-AB"),  # never issued, but a plate's shape: mistyped, still a car
        ("IO-123-AB", "IO-123-AB"),  # I and O are not used: same
        ("vehicule qu 744 zj", "qu 744 zj"),  # lower case, spaced: needs the vehicle word
        ("io 123 ab", None),  # no vehicle word, no dashes
        ("SS123AB", None),
        ("différentiel 40 A 30 mA", None),  # a rating, not an FNI plate
        ("Interrupteur 25-A-30", None),
    ],
)
def test_license_plate_recognizer(text: str, expected: str | None) -> None:
    check(LicensePlateRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("au 12 rue des Lilas, merci", "12 rue des Lilas"),
        ("Maison au 48, rue Gimenez.", "48, rue Gimenez"),
        ("5 bis avenue du Général Leclerc", "5 bis avenue du Général Leclerc"),
        ("avenue du 8 Mai 1945 ;", "avenue du 8 Mai 1945"),
        ("habite rue Victor Hugo", "rue Victor Hugo"),
        ("75011 Paris", "75011 Paris"),
        ("F-69003 Lyon 3e", "F-69003 Lyon 3e"),
        ("13100 Aix-en-Provence", "13100 Aix-en-Provence"),
        ("code postal 33000", "33000"),
        ("mise en place du circulateur", None),
        ("vanne 3 voies", None),
        ("25000 Pa mesurés", None),
        ("Cerfa 15497 envoyée", None),
        ("au nom de Moulin. Compresseur", None),
    ],
)
def test_address_recognizer(text: str, expected: str | None) -> None:
    check(AddressRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Digicode 4521B, 3e étage", "4521B"),
        ("code portail : 1234", "1234"),
        ("boîte à clés à gauche de la porte, code 8956A.", "8956A"),
        ("Mot de passe Wi-Fi : Soleil2024!", "Soleil2024!"),
        ("mdp box: maison-bleue.", "maison-bleue"),
        ("la voisine a le code d'alarme (678608).", "678608"),
        ("code de la porte du local technique : 5979A", "5979A"),
        ("digi 4521 au portail", "4521"),
        ("code erreur E5", None),
        ("code U4 sur la PAC", None),
        ("code portail changé le 12/03/2024", None),
        ("code postal 75011", None),
    ],
)
def test_access_code_recognizer(text: str, expected: str | None) -> None:
    check(AccessCodeRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("née le 3 mars 1941", "3 mars 1941"),
        ("né(e) le 12/07/1958", "12/07/1958"),
        ("date de naissance du titulaire : 12.07.1958", "12.07.1958"),
        ("DDN 1958-07-12", "1958-07-12"),
        ("intervention le 12/07/2025", None),
        ("posée en 2012", None),
    ],
)
def test_date_of_birth_recognizer(text: str, expected: str | None) -> None:
    check(DateOfBirthRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rappeler Mme Leroy au", "Leroy"),
        ("voisin M. Martin, 12", "Martin"),
        ("Madame Jeanne DUPONT présente", "Jeanne DUPONT"),
        ("M. Jean-Pierre de La Fontaine", "Jean-Pierre de La Fontaine"),
        ("Monsieur LE ROUX", "LE ROUX"),
        ("M. Иван Петров", "Иван Петров"),
        ("Mme la directrice", None),
        ("M. et Mme", None),
    ],
)
def test_civility_name_recognizer(text: str, expected: str | None) -> None:
    check(CivilityNameRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("clés chez Dupont", "Dupont"),
        ("Contact sur place : Paul Girard.", "Paul Girard"),
        ("Interphone au nom de Legrand.", "Legrand"),
        ("voir Nadia à l'accueil", "Nadia"),
        ("voir le tableau", None),
        ("chez le voisin", None),
    ],
)
def test_cue_name_recognizer(text: str, expected: str | None) -> None:
    check(CueNameRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("DUPONT Jean, 4 impasse", "DUPONT Jean"), ("Aurore LEGROS", "Aurore LEGROS"), ("RAS Chaudière", None)],
)
def test_upper_case_name_recognizer(text: str, expected: str | None) -> None:
    check(UpperCaseNameRecognizer(), text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Client : Barbier et Fils, SIREN", "Barbier et Fils"),
        ("Colas Salmon SA signale", "Colas Salmon SA"),
        ("locaux de Société Hervé, Lyon", "Société Hervé"),
        ("Ets Girard :", "Ets Girard"),
        ("réglé en TTC", None),
    ],
)
def test_company_name_recognizer(text: str, expected: str | None) -> None:
    check(CompanyNameRecognizer(), text, expected)


def test_ner_recognizer_cleans_what_the_model_found() -> None:
    text = "Mme Leroy voit CO et Chaudière Saunier F25."
    spans = [NerSpan(0, 9, "PER"), NerSpan(15, 17, "LOC"), NerSpan(21, 42, "PER"), NerSpan(0, 3, "MISC")]
    assert [text[e.start : e.end] for e in NerRecognizer().find(text, spans)] == [
        "Leroy",
        "Saunier",
    ]
    assert NerRecognizer().find(text, None) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00\x07\x1b[31m",
        "é" * 10_000,
        "０６ １２ ３４ ５６ ７８",
        "\ud800 lone surrogate",
        "👍" * 50,
    ],
)
def test_no_recognizer_raises_on_odd_text(text: str) -> None:
    for recognizer in default_recognizers():
        for entity in recognizer.find(text):
            assert 0 <= entity.start < entity.end <= len(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rappeler au zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit merci",
         "zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit"),
        ("tel 06 douze 34 cinquante-six 78", "06 douze 34 cinquante-six 78"),
        ("zero un euh quarante-cinq soixante-sept quatre-vingt-neuf dix",
         "zero un euh quarante-cinq soixante-sept quatre-vingt-neuf dix"),
        ("digicode quatre cinq deux un au portail", "quatre cinq deux un"),
        ("vanne trois voies, deux fois", None),  # numbers in words, but no phone, NIR or code shape
        ("06 12 34 56 78", None),  # digits only: the phone recognizer's job
    ],
)  # fmt: skip
def test_spoken_number_recognizer(text: str, expected: str | None) -> None:
    check(SpokenNumberRecognizer(), text, expected)
