"""SMS / tablet style: what a technician types with a thumb between two jobs.

No accents, abbreviations (rdv, tel, cde, pb, ss, ac), all lower case or ALL CAPS,
line breaks and dash lists, typos in the words, phones glued together, emails with
(at), plates without dashes, codes after "digi". Names lean to the Paris, Lyon, Lille
and Marseille suburbs: Maghrebi, West African, Portuguese, Polish, and the commonest
French surnames, some of which are also car or shop brands.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable

from bench.pii_corpora._note import KEEP, Note, NoteBuilder, iban_fr, luhn_complete, nir_key

__all__ = ["CORPUS", "generate"]

CORPUS = "sms"

Slot = str | tuple[str | None, str]

_FIRST = [
    "Mohamed",
    "Yacine",
    "Nadia",
    "Samira",
    "Rachid",
    "Moussa",
    "Fatoumata",
    "Ibrahima",
    "Awa",
    "Joao",
    "Conceicao",
    "Manuel",
    "Piotr",
    "Katarzyna",
    "Tomasz",
    "Kevin",
    "Jessica",
    "Dylan",
    "Enzo",
    "Lea",
    "Lucas",
    "Chloe",
    "Manon",
    "Nathan",
    "Ines",
    "Sabrina",
    "Mickael",
    "Jordan",
    "Cindy",
    "Steven",
    "Oceane",
    "Bilal",
    "Sofiane",
    "Kenza",
    "Lina",
    "Aminata",
    "Seydou",
    "Oumar",
    "Mariana",
    "Tiago",
    "Ewa",
    "Marek",
    "Kamel",
    "Houria",
    "Djamel",
    "Sandrine",
    "Patrick",
    "Nathalie",
    "Stephane",
    "Amandine",
    "Jean-Marc",
    "Marie-Jo",
    "Abdel-Karim",
    "Anne-Marie",
    "Rose-Aimee",
]
_LAST = [
    "Benhamou",
    "Belkacem",
    "Mansouri",
    "Ait Ouali",
    "El Idrissi",
    "Zerrouki",
    "Bouaziz",
    "Hamidi",
    "Sow",
    "Camara",
    "Keita",
    "Cisse",
    "Ba",
    "Diop",
    "Toure",
    "Sylla",
    "Kone",
    "N'Diaye",
    "Da Silva",
    "Pereira",
    "Goncalves",
    "Lopes",
    "Teixeira",
    "Mendes",
    "Fernandes",
    "Do Nascimento",
    "Nowicki",
    "Lewandowski",
    "Zielinski",
    "Kaminski",
    "Wozniak",
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Durand",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Leroy",
    "Blanc",
    "Masson",
    "Mallet",
    "Lebon",
    "Loiseau",
    "Lenoir",
    "Bonnet",
    "Mouton",
    "Lapierre",
    "Leclerc",
    "Michelin",
    "Renault",
    "Peugeot",
    "Carrefour",
    "Darty",
    "Auchan",
    "Rousseau-Diallo",
    "Ben Said",
    "Le Coz",
    "Dos Santos",
]
_CARS = ["clio", "208", "c3", "twingo", "sandero", "golf", "kangoo", "partner", "berlingo", "zoe", "polo"]
_STREET = [
    "r des lilas",
    "rue jean jaures",
    "av de la republique",
    "bd anatole france",
    "rue du 8 mai 1945",
    "cite des 4000",
    "rue gabriel peri",
    "allee des acacias",
    "rue pierre semard",
    "av henri barbusse",
    "imp. des roses",
    "ch de la briqueterie",
    "rue de la paix",
    "av. paul vaillant couturier",
    "rue lenine",
    "bd de stalingrad",
    "rue marcel cachin",
    "pl du marche",
    "rue des ecoles",
]
_RES = [
    "res les pins",
    "cite du parc",
    "res. la source",
    "les tours aillaud",
    "res le floreal",
    "cite jardin",
]
_CITY = [
    ("13015", "marseille"),
    ("93300", "aubervilliers"),
    ("93200", "st denis"),
    ("69200", "venissieux"),
    ("59100", "roubaix"),
    ("59200", "tourcoing"),
    ("94000", "creteil"),
    ("95100", "argenteuil"),
    ("92000", "nanterre"),
    ("69100", "villeurbanne"),
    ("59000", "lille"),
    ("31200", "toulouse"),
    ("93100", "montreuil"),
    ("91000", "evry"),
    ("95200", "sarcelles"),
    ("13014", "marseille"),
    ("94200", "ivry"),
    ("93000", "bobigny"),
]
_MAIL = ["hotmail.fr", "gmail.com", "live.fr", "outlook.fr", "sfr.fr", "free.fr", "icloud.com", "yahoo.com"]
_GEAR = [
    "chaudiere saunier duval themafast",
    "chaudiere chaffoteaux pigma",
    "ballon ariston velis",
    "clim daikin ftxm35",
    "clim atlantic fujitsu asyg",
    "pac mitsubishi zubadan",
    "chaudiere elm leblanc",
    "vmc unelvent ozeo",
    "chauffe eau thermor aeromax 5",
    "chaudiere bosch condens 2500",
    "chaudiere vaillant ecotec plus",
    "clim toshiba seiya",
    "pac panasonic aquarea",
    "chaudiere nordika zen 25",
    "clim frigelux krio 9",
    "vmc ventiko duo",
    "ballon aquatherm optima 150",
    "interphone urmet miro",
    "porte garage somfy dexxo",
    "ascenseur kone monospace",
    "tableau hager",
]
_ERR = ["f28", "f22", "F29", "e133", "e04", "a1", "U4", "5H", "ER 10", "E6", "P4", "L5", "err 27", "f.75"]
_PIECES = [
    "electrode",
    "circulateur",
    "vase exp",
    "carte elec",
    "pressostat",
    "sonde ntc",
    "vanne 3v",
    "ventilo",
    "capa 35uf",
    "thermocouple",
    "filtre",
    "joint",
    "flexible",
    "relais",
]
_UNITS = ["{} bar", "{} bars", "{}°", "{}deg", "{}v", "{}A", "{} ppm", "{}mbar", "{}kg r32", "{} l/mn"]
_ROLE = ["le n2", "chef equipe", "le planning", "le sav", "dispatch", "le frigo", "magasin", "le bureau"]


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _style(rng: random.Random) -> Callable[[str], str]:
    mode = rng.random()
    if mode < 0.5:
        return lambda t: _plain(t).lower()
    if mode < 0.65:
        return lambda t: _plain(t).upper()
    return _plain


_WORD = re.compile(r"(?<![{\w])([a-z]{4,})(?![\w}])")


def _typos(rng: random.Random, template: str) -> str:
    """Swap, drop or double a letter in a few literal words (never inside a ``{slot}``)."""

    def damage(match: re.Match[str]) -> str:
        word = match.group(1)
        if rng.random() > 0.12:
            return word
        i = rng.randrange(1, len(word) - 1)
        kind = rng.randrange(3)
        if kind == 0:
            return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
        if kind == 1:
            return word[:i] + word[i + 1 :]
        return word[:i] + word[i] + word[i:]

    return _WORD.sub(damage, template)


def _person(rng: random.Random) -> tuple[str, str]:
    """(title as typed, name as typed)."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    title = rng.choice(["mme ", "mr ", "m. ", "mr. ", "madame ", "", "", "client ", "cliente "])
    form = rng.random()
    if form < 0.3:
        return title, last
    if form < 0.55:
        return title, f"{first} {last}"
    if form < 0.7:
        return "", first
    if form < 0.85:
        return title, f"{last} {first}"
    return title, last.upper()


def _tel(rng: random.Random) -> str:
    digits = rng.choice(["06", "07", "01", "09", "04"]) + "".join(str(rng.randint(0, 9)) for _ in range(8))
    style = rng.random()
    if style < 0.35:
        return digits
    if style < 0.55:
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style < 0.65:
        return ".".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style < 0.75:
        return "-".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style < 0.88:
        return "+33" + digits[1:]
    if style < 0.94:
        return f"{digits[:2]} {digits[2:4]} {digits[4:7]} {digits[7:]}"
    return "+33 " + digits[1] + " " + " ".join(digits[i : i + 2] for i in range(2, 10, 2))


def _mail(rng: random.Random, name: str) -> str:
    parts = _plain(name).lower().replace("'", "").split()
    local = rng.choice(
        [
            ".".join(parts),
            parts[-1] + str(rng.randint(1, 99)),
            parts[0][0] + parts[-1] if len(parts) > 1 else parts[0] + "_" + str(rng.randint(60, 99)),
            "_".join(parts) + str(rng.choice([93, 94, 13, 59, 69])),
        ]
    )
    domain = rng.choice(_MAIL)
    if rng.random() < 0.2:
        return f"{local}(at){domain}"
    if rng.random() < 0.1:
        return f"{local} @ {domain}"
    return f"{local}@{domain}"


def _adr(rng: random.Random) -> str:
    cp, city = rng.choice(_CITY)
    num = str(rng.randint(1, 220))
    if rng.random() < 0.15:
        num += rng.choice(["bis", " bis", "b", " ter"])
    base = f"{num} {rng.choice(_STREET)}"
    bits = []
    if rng.random() < 0.35:
        bits.append(rng.choice(["bat ", "bat. ", "bt ", "batiment "]) + rng.choice("ABCDEFGH"))
    if rng.random() < 0.25:
        bits.append(rng.choice(["esc ", "esc. ", "escalier "]) + str(rng.randint(1, 6)))
    if rng.random() < 0.35:
        bits.append(
            rng.choice(
                [
                    f"{rng.randint(1, 14)}eme",
                    f"{rng.randint(1, 14)}e etage",
                    f"etg {rng.randint(1, 14)}",
                    "rdc",
                ]
            )
        )
    if rng.random() < 0.2:
        bits.append(rng.choice(["apt ", "appt ", "porte "]) + str(rng.randint(1, 250)))
    if rng.random() < 0.25:
        bits.insert(0, rng.choice(_RES))
    sep = rng.choice([" ", ", ", " - "])
    where = sep.join([base, *bits])
    tail = rng.random()
    if tail < 0.6:
        return f"{where} {cp} {city}"
    if tail < 0.8:
        return f"{where}, {city}"
    return where


def _gps(rng: random.Random) -> str:
    lat, lon = rng.uniform(43.2, 50.7), rng.uniform(2.2, 5.5)
    style = rng.random()
    if style < 0.4:
        return f"{lat:.6f},{lon:.6f}"
    if style < 0.7:
        return f"{lat:.5f} {lon:.5f}".replace(".", ",")
    if style < 0.85:
        return f"N{lat:.4f} E{lon:.4f}"
    d1, m1 = int(lat), (lat - int(lat)) * 60
    d2, m2 = int(lon), (lon - int(lon)) * 60
    return f"{d1} {m1:.3f}N {d2} {m2:.3f}E"


def _plaque(rng: random.Random) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    a = "".join(rng.choice(letters) for _ in range(2))
    c = "".join(rng.choice(letters) for _ in range(2))
    n = f"{rng.randint(1, 999):03d}"
    style = rng.random()
    if style < 0.3:
        return f"{a}{n}{c}".lower()
    if style < 0.6:
        return f"{a}-{n}-{c}"
    if style < 0.8:
        return f"{a} {n} {c}"
    middle = "".join(rng.choice(letters) for _ in range(rng.choice([2, 3])))
    return f"{rng.randint(100, 9999)} {middle} {rng.choice(['93', '13', '59', '69', '2A', '75'])}"


def _cb(rng: random.Random) -> str:
    body = rng.choice(["4", "5", "4", "37"]) + "".join(str(rng.randint(0, 9)) for _ in range(14))
    body = body[:15]
    num = luhn_complete(body) if rng.random() < 0.5 else body + str(rng.randint(0, 9))
    style = rng.random()
    if style < 0.5:
        return num
    if style < 0.8:
        return " ".join(num[i : i + 4] for i in range(0, 16, 4))
    return "-".join(num[i : i + 4] for i in range(0, 16, 4))


def _iban(rng: random.Random) -> str:
    iban = iban_fr("".join(str(rng.randint(0, 9)) for _ in range(21)) + rng.choice(["12", "34", "89", "05"]))
    if rng.random() < 0.6:
        return iban
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _secu(rng: random.Random) -> str:
    head = rng.choice("12") + f"{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}"
    head += (
        rng.choice(["93", "13", "59", "69", "99", "2B", "94"])
        + f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    key = nir_key(head)
    if rng.random() < 0.7:
        return head + key
    return f"{head[0]} {head[1:3]} {head[3:5]} {head[5:7]} {head[7:10]} {head[10:13]} {key}"


def _mac(rng: random.Random) -> str:
    octets = [f"{rng.randint(0, 255):02x}" for _ in range(6)]
    style = rng.random()
    if style < 0.5:
        return ":".join(octets)
    if style < 0.75:
        return "-".join(octets).upper()
    if style < 0.9:
        return "".join(octets)
    return ".".join("".join(octets[i : i + 2]) for i in range(0, 6, 2))


def _ip(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.45:
        return f"192.168.{rng.choice([1, 0, 2, 100])}.{rng.randint(2, 254)}"
    if style < 0.6:
        return f"10.0.{rng.randint(0, 9)}.{rng.randint(2, 254)}"
    if style < 0.85:
        first = rng.choice([78, 88, 93, 80, 37])
        return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    groups = f"{rng.randint(0, 65535):x}:{rng.randint(0, 65535):x}"
    return f"2a01:cb{rng.randint(0, 99):02d}:{groups}::{rng.randint(1, 255):x}"


def _imei(rng: random.Random) -> str:
    num = luhn_complete(rng.choice(["35", "86", "99"]) + "".join(str(rng.randint(0, 9)) for _ in range(12)))
    if rng.random() < 0.3:
        return f"{num[:2]} {num[2:8]} {num[8:14]} {num[14]}"
    return num


def _digi(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.35:
        return f"{rng.randint(0, 9999):04d}"
    if style < 0.6:
        return f"{rng.randint(0, 9999):04d}{rng.choice('ABCD')}"
    if style < 0.75:
        return f"{rng.choice('AB')}{rng.randint(100, 9999)}"
    if style < 0.9:
        return f"{rng.randint(0, 9999):04d}#"
    return f"*{rng.randint(10, 99)}*{rng.randint(10, 99)}"


def _val(rng: random.Random) -> str:
    number = rng.choice([f"{rng.uniform(0.5, 2.5):.1f}", str(rng.randint(20, 75)), "230", "1,2", "0.8", "16"])
    return rng.choice(_UNITS).format(number)


def _time(rng: random.Random) -> str:
    hour = rng.randint(7, 19)
    return rng.choice([f"{hour}h", f"{hour}h{rng.choice(['00', '15', '30', '45'])}", f"{hour}:30"])


def _day(rng: random.Random) -> str:
    return rng.choice(
        [
            f"{rng.randint(1, 28)}/{rng.randint(1, 12)}",
            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(23, 25)}",
            rng.choice(["lundi", "mardi", "jeudi", "vendredi"]),
        ]
    )


def _ref(rng: random.Random) -> str:
    return rng.choice(
        [
            f"{rng.randint(1000000, 99999999)}",
            f"ref {rng.randint(100, 999)}{rng.choice('ABK')}{rng.randint(1000, 9999)}",
            f"S{rng.randint(1000000, 9999999)}",
            f"{rng.choice(['CE', 'JJ', 'PR'])}{rng.randint(10000, 99999)}",
        ]
    )


def _line(b: NoteBuilder, rng: random.Random, template: str, **slots: Slot) -> None:
    b.fmt(_typos(rng, template), **slots)


def _one(rng: random.Random, index: int, seed: int) -> Note:
    b = NoteBuilder(_style(rng))
    nl = rng.choice(["\n", "\n", " / ", " - ", ". "])
    bullet = rng.choice(["", "", "- ", "* ", "> "])
    title, client = _person(rng)
    lines: list[tuple[str, dict[str, Slot]]] = []
    head = rng.randrange(4)
    if head == 0:
        lines.append(("rdv {t} {ti}{c}", {"t": (KEEP, _time(rng)), "ti": title, "c": ("PERSON", client)}))
    elif head == 1:
        lines.append(
            ("interv {ti}{c} le {d}", {"ti": title, "c": ("PERSON", client), "d": (KEEP, _day(rng))})
        )
    elif head == 2:
        lines.append(("chez {ti}{c}", {"ti": title, "c": ("PERSON", client)}))
    else:
        lines.append(("cli: {c}", {"c": ("PERSON", client)}))
    adr_t = rng.choice(["adr: {a}", "{a}", "adresse {a}", "ad {a}", "sur {a}"])
    lines.append((adr_t, {"a": ("ADDRESS", _adr(rng))}))
    if rng.random() < 0.55:
        lines.append(
            (
                rng.choice(
                    [
                        "digi {k}",
                        "code porte {k}",
                        "digicode {k}",
                        "code {k} puis interphone",
                        "boite a cle code {k}",
                        "cle ds boite a cle {k}",
                        "alarme {k} a desactiver",
                        "portail {k}",
                    ]
                ),
                {"k": ("ACCESS_CODE", _digi(rng))},
            )
        )
    gear = rng.choice(_GEAR)
    diag = rng.randrange(4)
    if diag == 0:
        lines.append(
            (
                "{g} en {e}, {p} hs -> chgt fait",
                {"g": (KEEP, gear), "e": (KEEP, rng.choice(_ERR)), "p": rng.choice(_PIECES)},
            )
        )
    elif diag == 1:
        lines.append(
            (
                "pb {g} : code {e}, pression {v}",
                {
                    "g": (KEEP, gear),
                    "e": (KEEP, rng.choice(_ERR)),
                    "v": (
                        KEEP,
                        rng.choice(["{} bar", "{}b", "{} bars"]).format(
                            rng.choice(["0.4", "0,8", "1.2", "2"])
                        ),
                    ),
                },
            )
        )
    elif diag == 2:
        lines.append(
            (
                "entretien {g} ok, {v} / {v2}",
                {"g": (KEEP, gear), "v": (KEEP, _val(rng)), "v2": (KEEP, _val(rng))},
            )
        )
    else:
        lines.append(
            (
                "{g} sn {s} en panne, cde {p} {r} ac {ro}",
                {
                    "g": (KEEP, gear),
                    "s": (KEEP, _ref(rng)),
                    "p": rng.choice(_PIECES),
                    "r": (KEEP, _ref(rng)),
                    "ro": (KEEP, rng.choice(_ROLE)),
                },
            )
        )
    tel_t = rng.choice(
        ["tel {p}", "tel: {p}", "rappeler {p}", "joignable {p}", "{p}", "port {p}", "num {p} (repondeur)"]
    )
    lines.append((tel_t, {"p": ("PHONE", _tel(rng))}))
    pool = list(range(10))
    rng.shuffle(pool)
    for extra in pool[: rng.choice([1, 2, 2, 3, 4])]:
        if extra == 0:
            lines.append(
                (
                    rng.choice(["mail {m}", "veut facture par mail {m}", "envoyer devis a {m}"]),
                    {"m": ("EMAIL", _mail(rng, client))},
                )
            )
        elif extra == 1:
            lines.append(
                (rng.choice(["gps {g}", "maison au fond, gps: {g}", "pos {g}"]), {"g": ("GPS", _gps(rng))})
            )
        elif extra == 2:
            _, who = _person(rng)
            lines.append(
                (
                    "{c} du voisin {w} {pl} garee devant le portail",
                    {"c": rng.choice(_CARS), "w": ("PERSON", who), "pl": ("PLATE", _plaque(rng))},
                )
            )
        elif extra == 3:
            lines.append(
                (
                    rng.choice(["paye cb carte {c}", "reglement carte {c} ok", "carte {c} refusee"]),
                    {"c": ("CARD", _cb(rng))},
                )
            )
        elif extra == 4:
            lines.append(
                (rng.choice(["iban pr prelevement {i}", "rib: {i}", "iban {i}"]), {"i": ("IBAN", _iban(rng))})
            )
        elif extra == 5:
            lines.append(
                (
                    rng.choice(["n secu {n} pr dossier anah", "secu {n}", "num ss {n}"]),
                    {"n": ("NIR", _secu(rng))},
                )
            )
        elif extra == 6:
            lines.append(
                (
                    rng.choice(["box mac {m} ip {i}", "thermostat sur wifi, mac {m}, ip {i}"]),
                    {"m": ("MAC", _mac(rng)), "i": ("IP", _ip(rng))},
                )
            )
        elif extra == 7:
            lines.append(
                (
                    rng.choice(["imei transmetteur {i}", "module gsm imei {i}", "imei {i}"]),
                    {"i": ("IMEI", _imei(rng))},
                )
            )
        elif extra == 8:
            _, who = _person(rng)
            lines.append(
                (
                    rng.choice(["si absent voir {w} au {p}", "fils {w} {p}", "gardienne {w} tel {p}"]),
                    {"w": ("PERSON", who), "p": ("PHONE", _tel(rng))},
                )
            )
        else:
            lines.append(
                (
                    rng.choice(["voir {r} pr devis", "a repasser ac {r}", "prevenir {r}"]),
                    {"r": (KEEP, rng.choice(_ROLE))},
                )
            )
    for position, (template, slots) in enumerate(lines):
        if position:
            b.text(nl if nl != "\n" else "\n" + bullet)
        _line(b, rng, template, **slots)
    if rng.random() < 0.3:
        b.text(rng.choice(["\nok", " ++", "\nfin interv", " !!", "\ncli pas la, avis passage laisse"]))
    return b.build(f"{CORPUS}-s{seed}-{index:04d}", CORPUS)


def generate(n: int, seed: int) -> list[Note]:
    """``n`` SMS-style notes, always the same for the same ``seed``."""
    rng = random.Random(f"{CORPUS}/{seed}")
    return [_one(rng, index, seed) for index in range(n)]
