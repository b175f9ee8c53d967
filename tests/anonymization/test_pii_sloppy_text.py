"""Detections on dictated and hastily typed notes, each stated as a general rule.

The sentences are written for these tests (names, domains and numbers of our own); none
comes from ``bench/pii_corpora``.
"""

from __future__ import annotations

import pytest

from anonymization.engine import PiiEngine


def found(engine: PiiEngine, text: str, entity_type: str) -> list[str]:
    return [text[e.start : e.end] for e in engine.detect(text) if e.type == entity_type]


def covered(engine: PiiEngine, text: str, value: str) -> bool:
    """Whether every non-blank character of ``value`` (first occurrence) is inside some detection."""
    start = text.index(value)
    spans = [(e.start, e.end) for e in engine.detect(text)]
    return all(
        any(a <= i < b for a, b in spans) for i in range(start, start + len(value)) if not text[i].isspace()
    )


@pytest.mark.parametrize(
    ("text", "email"),
    [
        # spoken separators in the local part: underscore and hyphen said aloud
        (
            "son adresse c'est gaston tiret du bas berthier arobase exemple point org voila",
            "gaston tiret du bas berthier arobase exemple point org",
        ),
        (
            "ecrire a l tiret bas morin42 arobase domaine point fr",
            "l tiret bas morin42 arobase domaine point fr",
        ),
        (
            "mail: anne tiret kervella arobase fai tiret ouest point bzh",
            "anne tiret kervella arobase fai tiret ouest point bzh",
        ),
        (
            "repondre a paul underscore roche arrobase site point net",
            "paul underscore roche arrobase site point net",
        ),
        # written separators typed with a space on each side
        ("il tape son mail : roche . paul @ domaine . fr (il insiste)", "roche . paul @ domaine . fr"),
    ],
)
def test_dictated_and_spaced_emails(pii_engine: PiiEngine, text: str, email: str) -> None:
    assert found(pii_engine, text, "EMAIL_ADDRESS") == [email]


def test_a_sentence_end_is_not_part_of_an_email(pii_engine: PiiEngine) -> None:
    text = "Vu avec lui. paul.roche@domaine.fr pour la facture."
    assert found(pii_engine, text, "EMAIL_ADDRESS") == ["paul.roche@domaine.fr"]


@pytest.mark.parametrize(
    "text",
    [
        "Facture par MAIL PAUL.ROCHE@DOMAINE.FR merci",
        "envoyer par mail paul.roche@domaine.fr",
        "Contact, mail : paul.roche@domaine.fr",
    ],
)
def test_the_word_mail_before_an_email_is_not_a_street(pii_engine: PiiEngine, text: str) -> None:
    assert found(pii_engine, text, "ADDRESS") == []


def test_a_mail_with_a_number_is_still_a_street(pii_engine: PiiEngine) -> None:
    assert found(pii_engine, "Client au 4 mail des Tilleuls depuis lundi.", "ADDRESS") == [
        "4 mail des Tilleuls"
    ]


@pytest.mark.parametrize(
    ("text", "card"),
    [
        # Luhn holds, four groups of four: a card whatever network prefix it starts with
        ("Paiement accepte 5877-4097-1253-5451 ok", "5877-4097-1253-5451"),
        ("note 8800 0000 0000 0005 pour la suite", "8800 0000 0000 0005"),
        # the card word mistyped (a letter dropped, doubled or two swapped)
        ("CARRTE 4128 1803 8320 9081 REFUSEE", "4128 1803 8320 9081"),
        ("cate 5140 1062 8032 9328 refusee", "5140 1062 8032 9328"),
        ("crate 3789 8227 2380 7482 refusee", "3789 8227 2380 7482"),
    ],
)
def test_payment_cards_in_sloppy_text(pii_engine: PiiEngine, text: str, card: str) -> None:
    assert found(pii_engine, text, "CREDIT_CARD") == [card]


def test_a_checksum_valid_iban_after_a_reference_marker_and_a_full_stop(pii_engine: PiiEngine) -> None:
    iban = "FR76 3000 6000 0112 3456 7890 189"
    text = f"VOIR LE DEVIS. IBAN {iban}"
    assert found(pii_engine, text, "IBAN_CODE") == [iban]


def test_a_serial_number_after_its_marker_is_still_kept(pii_engine: PiiEngine) -> None:
    assert found(pii_engine, "N° de série 4970 1012 3456 7893 relevé.", "CREDIT_CARD") == []


@pytest.mark.parametrize(
    ("text", "nir"),
    [
        # the key introduced by the word "clé", dotted groups (dictated and typed back)
        ("secu du client: 1.84.05.29.019.123 clé 42, a verifier", "1.84.05.29.019.123 clé 42"),
        # the Carte Vitale grouping, key mistyped, no context word in reach
        (
            "pour le dossier de l'aide du departement, renseigner : 2 63 11 2B 031 456 10",
            "2 63 11 2B 031 456 10",
        ),
    ],
)
def test_social_security_numbers_in_other_layouts(pii_engine: PiiEngine, text: str, nir: str) -> None:
    assert found(pii_engine, text, "FR_NIR") == [nir]


@pytest.mark.parametrize(
    ("text", "iban"),
    [
        # mod 97 fails, but the layout is an IBAN's: the country code, then groups of four
        (
            "remboursement sur le compte indique par la cliente : FR12 3000 4000 5000 6000 7000 891.",
            "FR12 3000 4000 5000 6000 7000 891",
        ),
        ("Mme X passe au prelevement : FR1230004000500060007000891 (banque)", "FR1230004000500060007000891"),
    ],
)
def test_an_iban_with_a_mistyped_key_keeps_its_layout(pii_engine: PiiEngine, text: str, iban: str) -> None:
    assert found(pii_engine, text, "IBAN_CODE") == [iban]


def test_a_card_word_a_little_further_back(pii_engine: PiiEngine) -> None:
    text = "Carte bancaire refusée 3 fois de suite (4012 3456 7890 1234), elle paiera par virement."
    assert found(pii_engine, text, "CREDIT_CARD") == ["4012 3456 7890 1234"]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        # complements typed short: "etg 4", "7eme", "bt C", "res <name>", lower case throughout
        (
            "rdv au 14 rue des tanneurs bt c 7eme 21000 dijon demain",
            "14 rue des tanneurs bt c 7eme 21000 dijon",
        ),
        ("ADR: 40 RUE DES TANNEURS, ETG 4 - CHAUDIERE OK", "40 RUE DES TANNEURS, ETG 4"),
        (
            "visite au 8 allee des cormiers, res les glycines, bat 2 pr la vmc",
            "8 allee des cormiers, res les glycines, bat 2",
        ),
        # "r" for rue, only with a number before it
        (
            "client au 5 r des tanneurs - cite des fleurs - 3e etage 21000 dijon",
            "5 r des tanneurs - cite des fleurs - 3e etage 21000 dijon",
        ),
        # the city after a comma, in any case, even after the complements
        ("au 14 rue des tanneurs, dijon. chaudiere ok", "14 rue des tanneurs, dijon"),
        (
            "AU 14 RUE DES TANNEURS, 3E ETAGE, PORTE 31, DIJON",
            "14 RUE DES TANNEURS, 3E ETAGE, PORTE 31, DIJON",
        ),
        ("au 14 rue des tanneurs, st apollinaire\nvmc hs", "14 rue des tanneurs, st apollinaire"),
    ],
)
def test_addresses_typed_on_a_phone(pii_engine: PiiEngine, text: str, address: str) -> None:
    assert found(pii_engine, text, "ADDRESS") == [address]


@pytest.mark.parametrize(
    "text",
    [
        "remplacer la r 12 du tableau",  # "r" without a number before it is no street
        "pose au 2e, pas de souci",  # a floor alone locates nobody
    ],
)
def test_short_forms_alone_are_not_addresses(pii_engine: PiiEngine, text: str) -> None:
    assert found(pii_engine, text, "ADDRESS") == []


def test_a_word_after_the_street_comma_that_is_no_city_stays(pii_engine: PiiEngine) -> None:
    text = "au 14 rue des tanneurs, chaudiere en panne."
    assert found(pii_engine, text, "ADDRESS") == ["14 rue des tanneurs"]


def test_a_model_with_a_lone_r_is_no_street(pii_engine: PiiEngine) -> None:
    assert found(pii_engine, "PAC Daikin Altherma 3 R EHBH08E6V posée.", "ADDRESS") == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # the door word then the code, without the word "code" between them
        ("cles ds boite a cle 4417# derriere le pot", "4417#"),
        ("PORTAIL 5093B / CHAUFFE-EAU OK", "5093B"),
        ("alarme *41*90 a couper en arrivant", "*41*90"),
        ("appeler avant, code 7021A puis interphone", "7021A"),
        # the door word mistyped
        ("esc. 2, portial 6612, puis 3e", "6612"),
        ("alamre 3390 a desactiver", "3390"),
    ],
)
def test_door_codes_without_their_usual_words(pii_engine: PiiEngine, text: str, code: str) -> None:
    assert code in found(pii_engine, text, "ACCESS_CODE")


@pytest.mark.parametrize(
    "text", ["chaudiere en defaut, code E133 affiche", "code F28 apres purge", "alarme 3 sur la PAC"]
)
def test_error_codes_are_not_door_codes(pii_engine: PiiEngine, text: str) -> None:
    assert found(pii_engine, text, "ACCESS_CODE") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # the person the note is about, after the header words of a note typed on a phone
        ("cli: kerbrat\nsur 4 rue des tanneurs", "kerbrat"),
        ("CLI: KERBRAT ODILE - ADRESSE 4 RUE DES TANNEURS", "KERBRAT ODILE"),
        ("interv guivarch le 03/04/25 pour vmc", "guivarch"),
        ("INTERV GUIVARCH LE 03/04/25", "GUIVARCH"),
        ("rdv 14h30 guivarch - 4 rue des tanneurs", "guivarch"),
        ("cles laissees au viosin kerbrat", "kerbrat"),
    ],
)
def test_names_after_the_header_words_of_a_note(pii_engine: PiiEngine, text: str, name: str) -> None:
    assert name in found(pii_engine, text, "PERSON")


@pytest.mark.parametrize(
    "text", ["cli: absent, repasser jeudi", "interv chaudiere ok le 03/04/25", "rdv 14h30 pour entretien"]
)
def test_header_words_before_ordinary_words_name_nobody(pii_engine: PiiEngine, text: str) -> None:
    assert found(pii_engine, text, "PERSON") == []


@pytest.mark.parametrize("day", ["lundi", "mercredi", "jeudi", "vendredi", "septembre"])
def test_a_day_or_month_after_a_name_is_not_part_of_it(pii_engine: PiiEngine, day: str) -> None:
    assert found(pii_engine, f"interv kerbrat le {day} matin", "PERSON") == ["kerbrat"]


@pytest.mark.parametrize(
    "text",
    ["Le client signale un bruit.", "Intervention réalisée ce matin.", "La cliente souhaite un devis."],
)
def test_a_verb_after_client_or_intervention_is_no_name(pii_engine: PiiEngine, text: str) -> None:
    assert found(pii_engine, text, "PERSON") == []
