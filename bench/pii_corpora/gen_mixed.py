"""Dictated notes: voice memos transcribed, then patched by hand on the tablet.

Registers change inside one note (spoken fillers, then a terse reading table), numbers
come as words, as digits or half and half ("zéro six 12 34 cinquante-six 78"), emails
are spelled ("point", "arobase"), readings sit in pipe or tab tables. Names lean to
the South (Occitan, Basque, Catalan, Corsican), Vietnamese and Lusophone families,
compound surnames, and surnames that are also boiler or appliance brands.
"""

from __future__ import annotations

import random

from bench.pii_corpora._note import KEEP, Note, NoteBuilder, iban_fr, luhn_complete, nir_key

__all__ = ["CORPUS", "generate", "in_words"]

CORPUS = "mixed"

_GIVEN = [
    "Minh",
    "Hoa",
    "Thanh",
    "Linh",
    "Ange-Marie",
    "Paul-Antoine",
    "Jean-Baptiste",
    "Marie-Ange",
    "Dumè",
    "Orsu",
    "Pascaline",
    "Jordi",
    "Montserrat",
    "Estelle",
    "Fabien",
    "Aurore",
    "Bastien",
    "Capucine",
    "Honorine",
    "Ludivine",
    "Wojciech",
    "Halina",
    "Youssouf",
    "Mariam",
    "Adama",
    "Kadiatou",
    "Rui",
    "Filipa",
    "Eduardo",
    "Iñaki",
    "Maddi",
    "Peio",
    "Txomin",
    "Mathilde",
    "Baptiste",
    "Séverine",
    "Jean-Michel",
    "Marie-Christine",
    "Lucienne",
    "Firmin",
    "Prosper",
    "Noëlle",
    "Anaïs",
    "Cyprien",
    "Tuan",
    "Huong",
    "Phuong",
    "Ghjuvanni",
    "Letizia",
    "Mireille",
    "Olivier",
    "Léonie",
]
_FAMILY = [
    "Nguyen Van",
    "Tran",
    "Pham",
    "Hoang",
    "Vo",
    "Dang",
    "Truong",
    "Le",
    "Santucci",
    "Albertini",
    "Orsini",
    "Mattei",
    "Ceccaldi",
    "Luciani",
    "Pietri",
    "Filippi",
    "Pujol",
    "Delmas",
    "Capdevielle",
    "Lacoste",
    "Bordes",
    "Esquerré",
    "Cazeneuve",
    "Etcheverry",
    "Irigoyen",
    "Puig",
    "Vidal",
    "Martin-Lopez",
    "Dupuis-Morvan",
    "Lemaire-Benoît",
    "Garcia-Fabre",
    "de Bonneville",
    "du Roure",
    "de la Croix",
    "d'Espinassous",
    "Frisquet",
    "Chappée",
    "Bosch",
    "Thomson",
    "Brandt",
    "Rosières",
    "Sauter",
    "Carrier",
    "Vaillant",
    "Lenoir",
    "Coulibaly",
    "Ouédraogo",
    "Dembélé",
    "Sissoko",
    "Oliveira",
    "Costa",
    "Rocha",
    "Szymański",
    "Dąbrowski",
    "Mazur",
    "Bertrand",
    "Girard",
    "Bonnafous",
]
_VOIES = [
    "rue Alsace-Lorraine",
    "avenue de Grande-Bretagne",
    "rue du Taur",
    "cours Napoléon",
    "boulevard Paoli",
    "rue Fesch",
    "chemin de la Plaine",
    "avenue Jean Médecin",
    "rue de la Loge",
    "route de Narbonne",
    "allée des Platanes",
    "rue des Cordeliers",
    "impasse du Moulin à Vent",
    "chemin des Vignes",
    "rue Sainte-Catherine",
    "place du Capitole",
    "avenue du 11 Novembre",
    "rue Pasteur",
    "traverse des Oliviers",
    "montée Saint-Jean",
    "carrer del Mig",
    "rue Mirabeau",
]
_RESIDENCES = [
    "résidence Le Mistral",
    "résidence A Ghjacciola",
    "les Jardins de l'Hers",
    "résidence Ostal",
    "le Hameau des Cigales",
]
_LIEUX = [
    "lieu-dit Las Bordes",
    "lieu-dit Fontcaude",
    "hameau de Castelbon",
    "quartier Saint-Pancrace",
    "domaine de la Bastide",
]
_TOWNS = [
    (20000, "Ajaccio"),
    (20200, "Bastia"),
    (31500, "Toulouse"),
    (34000, "Montpellier"),
    (30000, "Nîmes"),
    (66000, "Perpignan"),
    (64000, "Pau"),
    (65000, "Tarbes"),
    (81000, "Albi"),
    (12000, "Rodez"),
    (20137, "Porto-Vecchio"),
    (34500, "Béziers"),
    (11000, "Carcassonne"),
    (32000, "Auch"),
    (64100, "Bayonne"),
    (82000, "Montauban"),
    (46000, "Cahors"),
]
_DOMAINS = [
    ("gmail", "com"),
    ("orange", "fr"),
    ("free", "fr"),
    ("laposte", "net"),
    ("neuf", "fr"),
    ("proton", "me"),
]
_KIT = [
    ("la chaudière", "Chappée Initia Plus"),
    ("la chaudière", "Frisquet Prestige Condensation"),
    ("la chaudière", "Bosch Condens 5300i"),
    ("la PAC air-eau", "Airwell Wellea"),
    ("la PAC", "Hitachi Yutaki S"),
    ("la clim gainable", "Toshiba Super Digital Inverter"),
    ("la chaudière", "Ferroli Bluehelix"),
    ("le ballon", "Atlantic Calypso"),
    ("la chaudière", "Solarys Terra 28"),
    ("la PAC", "Ventelia Hydra 8"),
    ("la clim", "Frimatik Siroco 25"),
    ("la chaudière", "Hydra Duo"),
    ("la chaudière", "Naema 2 Micro"),
    ("le poêle à granulés", "MCZ Club Comfort"),
    ("le poêle", "Palazzetti Ecofire"),
    ("l'ascenseur", "Thyssen Synergy"),
    ("l'adoucisseur", "Culligan HE"),
    ("la chaudière", "Vaillant ecoTEC pure"),
    ("la VMC", "Helios KWL EC 300"),
    ("la PAC", "Carrier Aquasnap"),
    ("la chaudière", "Brötje WBS 22"),
    ("le ballon", "Calorea Sirius 300"),
]
_CODES = ["F.28", "F28", "E110", "E133", "H.01", "S.53", "A02", "Er 05", "F.22", "C7", "E9", "P8", "3E"]

_UNITS = [
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
]
_TENS = {20: "vingt", 30: "trente", 40: "quarante", 50: "cinquante", 60: "soixante"}


def in_words(n: int) -> str:
    """French words for 0 ≤ n < 100 000 (1990 spelling, hyphens everywhere but 'et un')."""
    if n < 17:
        return _UNITS[n]
    if n < 20:
        return "dix-" + _UNITS[n - 10]
    if n < 70:
        tens, unit = divmod(n, 10)
        word = _TENS[tens * 10]
        if unit == 0:
            return word
        return f"{word} et un" if unit == 1 else f"{word}-{_UNITS[unit]}"
    if n < 80:
        return "soixante et onze" if n == 71 else "soixante-" + in_words(n - 60)
    if n < 100:
        return "quatre-vingts" if n == 80 else "quatre-vingt-" + in_words(n - 80)
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "cent" if hundreds == 1 else f"{_UNITS[hundreds]} cent" + ("s" if rest == 0 else "")
        return head if rest == 0 else f"{head} {in_words(rest)}"
    thousands, rest = divmod(n, 1000)
    head = "mille" if thousands == 1 else f"{in_words(thousands)} mille"
    return head if rest == 0 else f"{head} {in_words(rest)}"


def _who(rng: random.Random) -> tuple[str, str]:
    given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
    if family == "Nguyen Van" and rng.random() < 0.5:
        family = "Nguyen"
    form = rng.random()
    title = rng.choice(["madame ", "monsieur ", "Mme ", "M. ", "Mr ", "", "la dame, ", "le monsieur, "])
    if form < 0.35:
        return title, f"{given} {family}"
    if form < 0.6:
        return title, family
    if form < 0.75:
        return "", given
    if form < 0.9:
        return title, f"{family.upper()} {given}"
    return title, f"{given.lower()} {family.lower()}"


def _num_spoken(rng: random.Random, digits: str) -> str:
    """A phone number read out pair by pair, each pair in words or in digits."""
    pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
    mode = rng.random()
    out = []
    for index, pair in enumerate(pairs):
        if mode < 0.35:
            out.append(pair)
        elif index == 0 or mode > 0.7:
            out.append(("zéro " + _UNITS[int(pair[1])]) if pair[0] == "0" else in_words(int(pair)))
        else:
            out.append(pair if rng.random() < 0.5 else in_words(int(pair)))
    sep = rng.choice([" ", ", ", " ", "-"])
    return sep.join(out)


def _phone(rng: random.Random) -> str:
    digits = rng.choice(["06", "07", "04", "05", "09"]) + "".join(str(rng.randint(0, 9)) for _ in range(8))
    style = rng.random()
    if style < 0.4:
        return _num_spoken(rng, digits)
    if style < 0.7:
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style < 0.85:
        return f"+33 {digits[1]} {digits[2:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}"
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"


def _mail(rng: random.Random, name: str) -> str:
    local = name.lower().replace("'", "").replace("-", "").split()
    for a, b in (
        ("é", "e"),
        ("è", "e"),
        ("ï", "i"),
        ("ñ", "n"),
        ("ë", "e"),
        ("ą", "a"),
        ("ń", "n"),
        ("ö", "o"),
    ):
        local = [w.replace(a, b) for w in local]
    user = (
        local[0]
        if len(local) == 1
        else rng.choice([".".join(local), local[0][0] + local[-1], "_".join(local)])
    )
    if rng.random() < 0.3:
        user += str(rng.randint(1, 99))
    domain, tld = rng.choice(_DOMAINS)
    if rng.random() < 0.45:
        spoken = user.replace(".", " point ").replace("_", " tiret du bas ")
        return f"{spoken} arobase {domain} point {tld}"
    return f"{user}@{domain}.{tld}"


def _where(rng: random.Random) -> str:
    cp, town = rng.choice(_TOWNS)
    if rng.random() < 0.15:
        return f"{rng.choice(_LIEUX)}, {cp} {town}"
    n = rng.randint(1, 160)
    spoken = rng.random() < 0.35
    number = in_words(n) if spoken else str(n)
    if rng.random() < 0.15:
        number += " bis"
    street = f"{number} {rng.choice(_VOIES)}"
    pieces = [street]
    if rng.random() < 0.3:
        floor = rng.randint(1, 8)
        pieces.append(
            rng.choice(["premier étage"])
            if floor == 1 and spoken
            else rng.choice([f"{floor}e étage", f"étage {floor}", f"au {floor}ème"])
        )
    if rng.random() < 0.2:
        pieces.append(rng.choice(["bâtiment ", "bloc ", "entrée "]) + rng.choice("ABCD"))
    if rng.random() < 0.2:
        pieces.insert(0, rng.choice(_RESIDENCES))
    tail = f"{in_words(cp) if spoken and rng.random() < 0.5 else cp} {town}"
    return ", ".join(pieces) + (" " if rng.random() < 0.3 else ", ") + tail


def _gps(rng: random.Random) -> str:
    lat, lon = rng.uniform(41.4, 44.9), rng.uniform(-1.6, 9.5)
    if rng.random() < 0.5:
        return f"{lat:.5f}".replace(".", ",") + " / " + f"{lon:.5f}".replace(".", ",")
    d1, r1 = int(lat), (lat - int(lat)) * 60
    d2, r2 = int(abs(lon)), (abs(lon) - int(abs(lon))) * 60
    ew = "E" if lon >= 0 else "O"
    return f"{d1}° {int(r1)}' {int((r1 % 1) * 60)}'' N, {d2}° {int(r2)}' {int((r2 % 1) * 60)}'' {ew}"


def _plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTVWXYZ"
    n = rng.randint(1, 999)
    left, right = "".join(rng.sample(letters, 2)), "".join(rng.sample(letters, 2))
    style = rng.random()
    if style < 0.5:
        return f"{left}-{n:03d}-{right}"
    if style < 0.7:
        return f"{left} {n:03d} {right}"
    if style < 0.85:
        return f"{' '.join(left)}, {in_words(n)}, {' '.join(right)}"
    return f"{rng.randint(100, 999)} {''.join(rng.sample(letters, 3))} 2A"


def _card(rng: random.Random) -> str:
    digits = "4" + "".join(str(rng.randint(0, 9)) for _ in range(14))
    full = luhn_complete(digits) if rng.random() < 0.5 else digits + str(rng.randint(0, 9))
    return " ".join(full[i : i + 4] for i in range(0, 16, 4))


def _iban(rng: random.Random) -> str:
    iban = iban_fr(
        rng.choice(["10278", "13335", "17807", "30003"]) + "".join(str(rng.randint(0, 9)) for _ in range(18))
    )
    if rng.random() < 0.06:
        return iban[:4] + iban[4:].replace("0", "O", 1)  # read back by a voice engine
    if rng.random() < 0.3:
        return iban
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _nir(rng: random.Random) -> str:
    head = (
        rng.choice("12")
        + f"{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}"
        + rng.choice(["2A", "2B", "31", "64", "34", "99"])
    )
    head += f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    key = nir_key(head)
    if rng.random() < 0.4:
        return f"{head[0]}.{head[1:3]}.{head[3:5]}.{head[5:7]}.{head[7:10]}.{head[10:13]} clé {key}"
    return f"{head[0]} {head[1:3]} {head[3:5]} {head[5:7]} {head[7:10]} {head[10:13]} {key}"


def _mac(rng: random.Random) -> str:
    return ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6))


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"192.168.{rng.choice([1, 1, 0, 50])}.{rng.randint(2, 254)}"
    first = rng.choice([2, 77, 81, 86, 109])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _imei(rng: random.Random) -> str:
    full = luhn_complete(rng.choice(["35", "86", "01"]) + "".join(str(rng.randint(0, 9)) for _ in range(12)))
    return full if rng.random() < 0.6 else f"{full[:8]}-{full[8:14]}-{full[14]}"


def _code(rng: random.Random) -> str:
    n = rng.randint(0, 9999)
    style = rng.random()
    if style < 0.35:
        return f"{n:04d}"
    if style < 0.6:
        return " ".join(_UNITS[int(c)] for c in f"{n:04d}")
    if style < 0.8:
        return f"{in_words(n // 100)} {in_words(n % 100)}"
    return f"{n:04d} {rng.choice(['A', 'B', 'dièse', 'étoile'])}"


def _reading_table(b: NoteBuilder, rng: random.Random) -> None:
    rows = [
        ("Pression circuit", lambda: f"{rng.uniform(0.4, 2.3):.1f} bar".replace(".", ",")),
        ("T° départ", lambda: f"{rng.randint(35, 75)} °C"),
        ("T° retour", lambda: f"{rng.randint(25, 60)} °C"),
        ("CO ambiant", lambda: f"{rng.randint(0, 30)} ppm"),
        ("CO2 fumées", lambda: f"{rng.uniform(7.5, 10.5):.1f} %".replace(".", ",")),
        ("Tension", lambda: f"{rng.randint(225, 236)} V"),
        ("Intensité compresseur", lambda: f"{rng.uniform(2, 12):.1f} A"),
        ("HP / BP", lambda: f"{rng.randint(18, 32)} / {rng.randint(6, 11)} bar"),
        ("Débit", lambda: f"{rng.randint(8, 20)} l/min"),
        ("Charge R32", lambda: f"{rng.uniform(0.6, 2.4):.2f} kg"),
    ]
    chosen = rng.sample(rows, rng.randint(2, 5))
    sep = rng.choice([" | ", "\t", " : "])
    b.text("\n" + rng.choice(["Relevés", "Mesures", "RELEVÉS", "relevés avant/après"]) + "\n")
    for label, value in chosen:
        b.text(label + sep)
        b.span(KEEP, value())
        if rng.random() < 0.4:
            b.text(sep)
            b.span(KEEP, value())
        b.text("\n")


def _one(rng: random.Random, index: int, seed: int) -> Note:
    b = NoteBuilder()
    title, client = _who(rng)
    kind, model = rng.choice(_KIT)
    opener = rng.randrange(4)
    if opener == 0:
        b.fmt(
            "Alors, intervention chez {ti}{c}, au {a}. ",
            ti=title,
            c=("PERSON", client),
            a=("ADDRESS", _where(rng)),
        )
    elif opener == 1:
        b.fmt(
            "Note vocale {t}. Client {c}, euh, adresse {a}, voilà. ",
            t=(KEEP, f"{rng.randint(7, 18)} h {rng.choice(['', '15', '30', '45'])}".strip()),
            c=("PERSON", client),
            a=("ADDRESS", _where(rng)),
        )
    elif opener == 2:
        b.fmt(
            "Bon. On est passés ce matin chez {ti}{c} ({a}). ",
            ti=title,
            c=("PERSON", client),
            a=("ADDRESS", _where(rng)),
        )
    else:
        b.fmt("{a} — {ti}{c}. ", a=("ADDRESS", _where(rng)), ti=title, c=("PERSON", client))
    if rng.random() < 0.5:
        b.fmt(
            rng.choice(
                [
                    "Le code de la porte c'est {k}. ",
                    "Digicode {k}, je répète, {k}. ",
                    "Pour rentrer, boîte à clés, le code est {k}. ",
                    "Alarme : taper {k} en arrivant sinon ça sonne. ",
                ]
            ),
            k=("ACCESS_CODE", _code(rng)),
        )
    diag = rng.randrange(3)
    if diag == 0:
        b.fmt(
            "{K} {m} était en défaut {e}, virgule, on a purgé et relancé. ",
            K=kind[0].upper() + kind[1:],
            m=(KEEP, model),
            e=(KEEP, rng.choice(_CODES)),
        )
    elif diag == 1:
        b.fmt(
            "Entretien de {k}, modèle {m}, numéro de série {s}, rien à signaler, point. ",
            k=kind,
            m=(KEEP, model),
            s=(KEEP, f"{rng.randint(1000, 9999)}-{rng.randint(100000, 999999)}-{rng.randint(10, 99)}"),
        )
    else:
        b.fmt(
            "Sur {k} ({m}) code {e} : pièce {r} commandée, à reposer {d}. ",
            k=kind,
            m=(KEEP, model),
            e=(KEEP, rng.choice(_CODES)),
            r=(KEEP, f"{rng.choice(['SX', 'R', '0020', 'JJ'])}{rng.randint(10000, 999999)}"),
            d=(
                KEEP,
                rng.choice(
                    ["mardi prochain", "le 14", f"le {rng.randint(1, 28)}/{rng.randint(1, 12)}", "semaine 12"]
                ),
            ),
        )
    if rng.random() < 0.6:
        _reading_table(b, rng)
    b.fmt(
        rng.choice(
            [
                "Son numéro, c'est le {p}. ",
                "Rappeler au {p} avant de passer. ",
                "Tél. {p}. ",
                "Elle m'a donné son portable : {p}. ",
                "Portable de la fille : {p}. ",
            ]
        ),
        p=("PHONE", _phone(rng)),
    )
    extras = list(range(10))
    rng.shuffle(extras)
    for extra in extras[: rng.choice([1, 2, 3, 3, 4])]:
        if extra == 0:
            b.fmt("Mail pour la facture : {m}. ", m=("EMAIL", _mail(rng, client)))
        elif extra == 1:
            b.fmt(
                rng.choice(["Coordonnées du mas : {g}. ", "La maison est au bout de la piste, GPS {g}. "]),
                g=("GPS", _gps(rng)),
            )
        elif extra == 2:
            _, other = _who(rng)
            b.fmt(
                "Le voisin, {w}, avait garé sa voiture, immatriculée {pl}, devant le portail. ",
                w=("PERSON", other),
                pl=("PLATE", _plate(rng)),
            )
        elif extra == 3:
            b.fmt("Il a payé par carte, numéro {c}. ", c=("CARD", _card(rng)))
        elif extra == 4:
            b.fmt("Pour le prélèvement, IBAN {i}. ", i=("IBAN", _iban(rng)))
        elif extra == 5:
            b.fmt("Numéro de sécu pour le dossier MaPrimeRénov' : {n}. ", n=("NIR", _nir(rng)))
        elif extra == 6:
            b.fmt(
                "\nBox\tMAC {m}\tIP {i}\n",
                m=("MAC", _mac(rng)),
                i=("IP", _ip(rng)),
            )
        elif extra == 7:
            b.fmt("Le module 4G du transmetteur, IMEI {i}, a été remplacé. ", i=("IMEI", _imei(rng)))
        elif extra == 8:
            _, other = _who(rng)
            b.fmt(
                "Contact sur place | {w} | {p}\n",
                w=("PERSON", other),
                p=("PHONE", _phone(rng)),
            )
        else:
            b.fmt(
                "À voir avec {r}, le devis part {d}. ",
                r=(
                    KEEP,
                    rng.choice(
                        ["le responsable technique", "la coordinatrice planning", "le frigoriste", "l'agence"]
                    ),
                ),
                d=(KEEP, rng.choice(["demain", "lundi", "sous huit jours"])),
            )
    if rng.random() < 0.3:
        b.text(rng.choice(["Fin de la note.", "Voilà, c'est tout.", "RAS sinon.", "Merci, à plus."]))
    note = b.build(f"{CORPUS}-s{seed}-{index:04d}", CORPUS)
    note["text"] = note["text"].rstrip(" \n")  # spans never end on a blank, so none is cut
    return note


def generate(n: int, seed: int) -> list[Note]:
    """``n`` dictated notes, always the same for the same ``seed``."""
    rng = random.Random(f"{CORPUS}#{seed}")
    return [_one(rng, index, seed) for index in range(n)]
