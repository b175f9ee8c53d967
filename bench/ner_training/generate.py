"""A generator of sloppy French technician notes annotated with PERSON, ADDRESS and ACCESS_CODE.

Equipment brands and models are marked ``KEEP`` (technical content that must survive), so
that the bench's damage figure can be read on these notes too.

Written for training the NER component (``anonymization/models/quitus_ner_fr``), apart
from the bench corpora: its own sentence shapes, registers and name sources
(:mod:`bench.ner_training.names`). A note is built from pieces, each piece plain text or
a labelled value; a *register* (SMS, capitals, lower case, no accents, lists, CSV lines,
call logs, quotes) then rewrites the whole note one character for one character, so the
spans' offsets stay right whatever the writing.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from typing import Final

from bench.ner_training.names import BRANDS_AND_MODELS, Pool, cities, family_names, first_names, street_names
from bench.pii_corpora._note import Note, Span

__all__ = ["LABELS", "generate"]

LABELS: Final = ("PERSON", "ADDRESS", "ACCESS_CODE")

Piece = tuple[str, str | None]

CIVILITIES: Final = ("M.", "Mr", "Mme", "Mme.", "Madame", "Monsieur", "Mlle", "mr", "mme", "Mr.", "Me")
STREET_TYPES: Final = (
    "rue", "r.", "avenue", "av.", "av", "bd", "boulevard", "impasse", "imp.", "chemin", "ch.", "allée",
    "all.", "place", "pl.", "route", "rte", "quai", "cours", "square", "sq.", "passage", "traverse",
    "résidence", "lotissement", "cité", "hameau", "voie", "montée", "sentier",
)  # fmt: skip
COMPLEMENTS: Final = (
    "bât. B", "bat C", "esc. 3", "escalier 2", "4e étage", "3ème étage", "rdc", "apt 12", "appt 34",
    "porte 5", "2eme", "bâtiment A2", "entrée 2", "résidence Les Tilleuls", "rés. du Parc",
    "lieu-dit Kerhuel", "lieu dit La Croix", "hameau des Granges", "étage 6", "logement 14",
)  # fmt: skip
DOOR_WORDS: Final = (
    "code porte", "digicode", "code portail", "code d'entrée", "code immeuble", "code alarme", "digi",
    "code", "code interphone", "code boîte à clés", "boite a cle code", "code garage", "cde porte",
    "code accès", "badge + code", "alarme : taper", "portail", "code bat",
)  # fmt: skip
NAME_CUES: Final = (
    "chez", "client", "cliente", "contact", "voir avec", "demander", "rappeler", "appeler",
    "rdv avec", "propriétaire", "locataire", "voisin", "voisine", "gardien", "gardienne", "fils",
    "fille", "épouse", "mari", "tél de", "signé", "technicien remplacé par", "a joindre", "vu avec",
    "clé chez", "accompagné de", "réf. client", "pour", "de la part de",
)  # fmt: skip
FAULTS: Final = (
    "en défaut F28", "ne démarre plus", "fuite au raccord", "pression à 0.8 bar", "code erreur E133",
    "bruit au démarrage", "entretien annuel ok", "carte électronique HS", "sonde ext à changer",
    "plus d'eau chaude", "disjoncte", "manque de gaz R32", "ventilo bloqué", "purge faite",
    "thermocouple changé", "mise en service faite", "relancée ok", "à revoir", "débit 12 l/min",
    "affiche code 133", "code défaut 28", "code erreur 610 au redémarrage", "en code 04",
    "différentiel 30 mA",
    "réf pièce S5702300 commandée", "disjoncteur 20 A", "code panne 51 puis reset", "erreur 9 sur la carte",
    "fusible 5 A changé", "code F.75", "affiche 112 en boucle", "programme 3 remis", "consigne 21 °C",
)  # fmt: skip
EQUIPMENT: Final = (
    "chaudière", "chaudiere", "PAC", "clim", "ballon", "poêle", "VMC", "interphone", "volet",
    "adoucisseur", "chauffe-eau", "pompe", "thermostat", "brûleur", "split",
)  # fmt: skip
FILLERS: Final = (
    "RAS", "ok", "à prévoir", "devis envoyé", "pièce commandée", "retour prévu semaine pro",
    "facture à envoyer", "client satisfait", "pas de réponse", "attente pièce", "voir photo",
    "repasser jeudi", "intervention 1h30", "déplacement facturé", "garantie ok", "merci",
)  # fmt: skip


class _Sources:
    def __init__(self, pool: Pool) -> None:
        self.families = family_names(pool)
        self.firsts = first_names(pool)
        self.streets = street_names(pool)
        self.cities = cities(pool)


def _person(rng: random.Random, src: _Sources) -> list[Piece]:
    """A person written one of many ways; the civility, when there is one, stays outside the span."""
    first, family = rng.choice(src.firsts), rng.choice(src.families)
    if rng.random() < 0.1:
        family = f"{family}-{rng.choice(src.families)}"
    shape = rng.random()
    if shape < 0.25:
        value = f"{first} {family}"
    elif shape < 0.4:
        value = f"{family.upper()} {first}"
    elif shape < 0.55:
        value = family
    elif shape < 0.7:
        value = first
    elif shape < 0.8:
        value = f"{first[0]}. {family}"
    elif shape < 0.9:
        value = f"{family} {first}"
    else:
        value = f"{first} {family}".lower()
    case = rng.random()
    if case < 0.15:
        value = value.upper()
    elif case < 0.3:
        value = value.lower()
    pieces: list[Piece] = []
    if rng.random() < 0.35:
        pieces.append((rng.choice(CIVILITIES) + " ", None))
    elif rng.random() < 0.08:
        return [("les ", None), (family, "PERSON")]
    pieces.append((value, "PERSON"))
    return pieces


def _address(rng: random.Random, src: _Sources) -> list[Piece]:
    number = str(rng.randint(1, 240))
    if rng.random() < 0.15:
        number += rng.choice((" bis", "bis", " ter", "B", " b"))
    street = f"{number} {rng.choice(STREET_TYPES)} {rng.choice(src.streets)}"
    if rng.random() < 0.1:
        street = f"{rng.choice(STREET_TYPES)} {rng.choice(src.streets)}"
    parts = [street]
    if rng.random() < 0.35:
        parts.append(rng.choice(COMPLEMENTS))
    if rng.random() < 0.7:
        postcode, city = rng.choice(src.cities)
        parts.append(f"{postcode} {city}" if rng.random() < 0.8 else city)
    separator = rng.choice((", ", " ", " - ", ", ", " / "))
    return [(separator.join(parts), "ADDRESS")]


def _access_code(rng: random.Random) -> list[Piece]:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.choice((4, 4, 4, 5, 6, 3))))
    shape = rng.random()
    if shape < 0.2:
        value = digits + rng.choice("ABCDEFX")
    elif shape < 0.3:
        value = digits + "#"
    elif shape < 0.4:
        value = rng.choice("ABCDE") + digits
    elif shape < 0.45:
        value = "-".join(digits)
    elif shape < 0.5:
        value = f"{digits} puis {''.join(rng.choice('0123456789') for _ in range(4))}"
    else:
        value = digits
    joiner = rng.choice((" ", " : ", ": ", " ", " = ", " "))
    return [(rng.choice(DOOR_WORDS) + joiner, None), (value, "ACCESS_CODE")]


def _technical(rng: random.Random) -> list[Piece]:
    """Equipment and what was done: the brand and model are ``KEEP`` (never trained on as a label)."""
    equipment = f"{rng.choice(EQUIPMENT)} " if rng.random() < 0.5 else ""
    if rng.random() < 0.15:  # "3 splits Daikin…": a count before the equipment is not a street number
        equipment = (
            f"{rng.randint(2, 6)} {rng.choice(('splits', 'unités', 'radiateurs', 'volets', 'têtes'))} "
        )
    return [(equipment, None), (rng.choice(BRANDS_AND_MODELS), "KEEP"), (f" {rng.choice(FAULTS)}", None)]


def _phone(rng: random.Random) -> str:
    digits = "0" + rng.choice("67123459") + "".join(rng.choice("0123456789") for _ in range(8))
    return rng.choice(
        (
            digits,
            " ".join(digits[i : i + 2] for i in range(0, 10, 2)),
            ".".join(digits[i : i + 2] for i in range(0, 10, 2)),
        )
    )


def _clauses(rng: random.Random, src: _Sources) -> list[list[Piece]]:
    """The clauses of one note, in a random order: people, places, codes, the work done."""
    clauses: list[list[Piece]] = []
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        cue = rng.random()
        person = _person(rng, src)
        if cue < 0.55:
            clauses.append([(rng.choice(NAME_CUES) + " ", None), *person])
        elif cue < 0.7:
            clauses.append(
                [
                    *person,
                    (
                        rng.choice(
                            (
                                " absent",
                                " présent",
                                " a signé",
                                " ok pour devis",
                                " rappelle",
                                " sur place",
                                " joignable au " + _phone(rng),
                            )
                        ),
                        None,
                    ),
                ]
            )
        elif cue < 0.8:
            clauses.append([("tel ", None), *person, (" " + _phone(rng), None)])
        elif cue < 0.9:
            clauses.append(
                [("vu ", None), *person, (rng.choice((" ce matin", " hier", " sur place", "")), None)]
            )
        else:
            clauses.append(person)
    if rng.random() < 0.75:
        cue = rng.choice(
            ("", "adresse ", "adr: ", "au ", "sur ", "lieu : ", "intervention ", "chantier ", "à ")
        )
        clauses.append([(cue, None), *_address(rng, src)])
    if rng.random() < 0.6:
        clauses.append(_access_code(rng))
    for _ in range(rng.choice((1, 1, 2, 3))):
        clauses.append(_technical(rng))
    if rng.random() < 0.5:
        clauses.append([(rng.choice(FILLERS), None)])
    if rng.random() < 0.2:
        clauses.append([(f"rappeler au {_phone(rng)}", None)])
    rng.shuffle(clauses)
    return clauses


def _joined(clauses: list[list[Piece]], separator: str) -> list[Piece]:
    pieces: list[Piece] = []
    for index, clause in enumerate(clauses):
        if index:
            pieces.append((separator, None))
        pieces.extend(clause)
    return pieces


def _layout(rng: random.Random, src: _Sources) -> list[Piece]:
    """The clauses laid out as a note, a list, a CSV line, a call log or a quoted message."""
    clauses = _clauses(rng, src)
    layout = rng.random()
    if layout < 0.35:
        return _joined(clauses, rng.choice((". ", ", ", " ", " - ", " / ", ". ", "; ", "\n")))
    if layout < 0.5:
        return [("", None), *_joined([[("- ", None), *c] for c in clauses], "\n")]
    if layout < 0.62:
        header = rng.choice(("nom;adresse;code;obs", "NOM,ADRESSE,CODE", "client | adresse | remarque"))
        separator = header[3] if header[3] in ";," else " | "
        return [(header + "\n", None), *_joined(clauses, separator)]
    if layout < 0.75:
        hour = f"{rng.randint(7, 19):02d}h{rng.randint(0, 59):02d}"
        caller = _person(rng, src)
        return [(f"{hour} appel de ", None), *caller, (" : ", None), *_joined(clauses, ", ")]
    if layout < 0.85:
        who = _person(rng, src)
        return [
            *who,
            (rng.choice((" a dit : « ", ' dit "', " : ")), None),
            *_joined(clauses, " "),
            (rng.choice((" »", '"', "")), None),
        ]
    opener = rng.choice(
        ("Bonjour, ", "Intervention du jour. ", "RAPPORT: ", "Note tech : ", "Suite appel, ", "")
    )
    return [(opener, None), *_joined(clauses, rng.choice((". ", ", ")))]


def _no_accents(text: str) -> str:
    return "".join(
        unicodedata.normalize("NFD", c)[0] if len(unicodedata.normalize("NFD", c)[0]) == 1 else c
        for c in text
    )


def _one_for_one(rewrite: Callable[[str], str]) -> Callable[[str], str]:
    """``rewrite`` applied character by character where it keeps the length (offsets stay right)."""
    return lambda text: "".join(r if len(r := rewrite(c)) == 1 else c for c in text)


REGISTERS: Final[tuple[tuple[float, Callable[[str], str]], ...]] = (
    (0.35, lambda t: t),
    (0.15, _one_for_one(str.upper)),
    (0.15, _one_for_one(str.lower)),
    (0.15, _no_accents),
    (0.2, lambda t: _one_for_one(str.lower)(_no_accents(t))),
)


def generate(n: int, seed: int, pool: Pool = "train") -> list[Note]:
    """``n`` annotated notes; the same ``(n, seed, pool)`` always gives the same notes."""
    rng = random.Random(seed)
    src = _Sources(pool)
    notes: list[Note] = []
    weights = [w for w, _ in REGISTERS]
    for number in range(n):
        pieces = _layout(rng, src)
        register = rng.choices([r for _, r in REGISTERS], weights)[0]
        text, spans, position = "", [], 0
        for piece, label in pieces:
            if label is not None:
                spans.append(Span(start=position, end=position + len(piece), label=label, value=""))
            text += piece
            position += len(piece)
        text = register(text)
        for span in spans:
            span["value"] = text[span["start"] : span["end"]]
        notes.append(Note(id=f"ner-{pool}-{seed}-{number}", text=text, spans=spans, corpus=f"ner_{pool}"))
    return notes
