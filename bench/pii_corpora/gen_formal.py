"""Back-office French: the register of an assistant who re-types the technician's report.

Full sentences, civilities spelled out, addresses with every complement (bis, bâtiment,
escalier, étage, résidence, lieu-dit), phones in the national or international format,
equipment named with brand and range. Names lean to Brittany, Alsace and the INSEE
frequency list, with particles and surnames that are also brands or common words.
"""

from __future__ import annotations

import random

from bench.pii_corpora._note import KEEP, Note, NoteBuilder, iban_fr, luhn_complete, nir_key

__all__ = ["CORPUS", "generate"]

CORPUS = "formal"

_FEMALE = [
    "Odile",
    "Bernadette",
    "Marie-Thérèse",
    "Gwenaëlle",
    "Maëlys",
    "Anne-Sophie",
    "Sylvie",
    "Pascale",
    "Frédérique",
    "Joëlle",
    "Ghislaine",
    "Solène",
    "Nolwenn",
    "Armelle",
    "Maiwenn",
    "Soizic",
    "Annick",
    "Odette",
    "Huguette",
    "Claudine",
    "Marie-Laure",
    "Édith",
    "Christiane",
    "Brigitte",
    "Véronique",
    "Aïssata",
    "Fatima-Zahra",
    "Agnieszka",
    "Thi Lan",
    "Rosário",
    "Liliane",
    "Élisabeth",
    "Clémence",
    "Margaux",
    "Hélène",
    "Ségolène",
    "Apolline",
    "Suzel",
    "Odile-Marie",
    "Anne-Gaëlle",
]
_MALE = [
    "Jean-Claude",
    "Yannick",
    "Loïc",
    "Hervé",
    "Thierry",
    "Dominique",
    "Rémi",
    "Étienne",
    "Christophe",
    "Aurélien",
    "Erwan",
    "Mathis",
    "Gaël",
    "Ronan",
    "Goulven",
    "Tugdual",
    "Fañch",
    "Joseph",
    "Bernard",
    "Gérard",
    "Jean-Yves",
    "Pierre-Henri",
    "Xavier",
    "Benoît",
    "François-Xavier",
    "Théophile",
    "Mamadou",
    "Karim",
    "Joaquim",
    "Zbigniew",
    "Quang",
    "Florent",
    "Marc-Antoine",
    "Guillaume",
    "Ambroise",
    "Charles-Édouard",
    "Hubert",
    "Gildas",
    "Alain",
    "Didier",
]
_SURNAMES = [
    "Lefèvre",
    "Garnier",
    "Rousseau",
    "Mercier",
    "Faure",
    "Chevalier",
    "Gauthier",
    "Perrin",
    "Morel",
    "Lemoine",
    "Le Guennec",
    "Kerbrat",
    "Le Bihan",
    "Quéméner",
    "Tanguy",
    "Le Gall",
    "Riou",
    "Guivarc'h",
    "Le Floch",
    "Caradec",
    "Morvan",
    "Le Roux",
    "Jaouen",
    "Cloarec",
    "Kervella",
    "Le Meur",
    "Abgrall",
    "Schmitt",
    "Muller",
    "Wagner",
    "Meyer",
    "Hoffmann",
    "Kieffer",
    "Ehrhart",
    "Zimmermann",
    "Stoeffler",
    "Bader",
    "Schaeffer",
    "Roth",
    "Ott",
    "Boulanger",
    "Petit",
    "Legrand",
    "Schneider",
    "Meunier",
    "Charpentier",
    "Marchand",
    "Berger",
    "Lacroix",
    "Fontaine",
    "Benali",
    "Haddad",
    "Ferreira",
    "Nguyen",
    "Kowalski",
    "Diallo",
    "Santoni",
    "Castanier",
    "Dumont-Kerjean",
    "Lemaire-Hascoët",
]
_PARTICLES = [
    "de La Villemarqué",
    "du Guesclin",
    "d'Aubigny",
    "de Lestang",
    "des Rochettes",
    "de Kersauson",
    "du Plessis-Mornay",
    "de Saint-Aubin",
    "de la Motte",
    "le Hir",
]
_STREET_TYPES = [
    ("rue", "rue"),
    ("avenue", "avenue"),
    ("boulevard", "boulevard"),
    ("allée", "allée"),
    ("impasse", "impasse"),
    ("chemin", "chemin"),
    ("place", "place"),
    ("quai", "quai"),
    ("route", "route"),
    ("square", "square"),
    ("venelle", "venelle"),
    ("cours", "cours"),
]
_STREETS = [
    "de Siam",
    "des Tilleuls",
    "Jean Jaurès",
    "du Général Leclerc",
    "de la Liberté",
    "Victor Hugo",
    "des Glénan",
    "de Kerinou",
    "du Château d'Eau",
    "des Hortensias",
    "Saint-Martin",
    "de la Gare",
    "du Vieux Marché",
    "des Tanneurs",
    "de l'Abbé Pierre",
    "Louise Michel",
    "de Kervéguen",
    "des Bouchers",
    "du Maréchal Foch",
    "de la Krutenau",
    "des Pêcheurs",
    "Anne de Bretagne",
    "du Docteur Schweitzer",
    "de la Forêt-Noire",
    "des Vosges",
    "du Rhin",
    "Brizeux",
    "Théodore Botrel",
]
_RESIDENCES = [
    "Les Mimosas",
    "Le Clos des Chênes",
    "Les Terrasses de l'Odet",
    "Ker Avel",
    "Les Jardins d'Alsace",
    "Le Parc Saint-Exupéry",
    "Les Hauts de Kerlédan",
    "Résidence du Lac",
]
_LIEUX_DITS = ["Kerascoët", "Penhoat", "Le Guernic", "Kerhuel", "Lann Vihan", "Stang Vihan", "Le Bois Joli"]
_CITIES = [
    ("29200", "Brest"),
    ("29000", "Quimper"),
    ("67000", "Strasbourg"),
    ("68000", "Colmar"),
    ("35000", "Rennes"),
    ("56000", "Vannes"),
    ("56100", "Lorient"),
    ("68100", "Mulhouse"),
    ("67500", "Haguenau"),
    ("29600", "Morlaix"),
    ("22300", "Lannion"),
    ("54000", "Nancy"),
    ("57000", "Metz"),
    ("22000", "Saint-Brieuc"),
    ("69003", "Lyon"),
    ("75011", "Paris"),
    ("78000", "Versailles"),
    ("29120", "Pont-l'Abbé"),
    ("67600", "Sélestat"),
    ("29890", "Plounéour-Brignogan-Plages"),
]
_EMAIL_DOMAINS = [
    "orange.fr",
    "wanadoo.fr",
    "laposte.net",
    "free.fr",
    "gmail.com",
    "sfr.fr",
    "bbox.fr",
    "yahoo.fr",
]

_EQUIPMENT = [
    ("la chaudière", "Saunier Duval ThemaPlus Condens"),
    ("la chaudière", "De Dietrich Naneo"),
    ("la pompe à chaleur", "Atlantic Alféa Extensa Duo"),
    ("la chaudière", "Viessmann Vitodens 100-W"),
    ("la pompe à chaleur", "Daikin Altherma 3 R"),
    ("la chaudière", "Thermaflux Orion 24"),
    ("la chaudière", "Calorys Duo Silence"),
    ("le climatiseur", "Aquavent Nimbus 12"),
    ("la chaudière fioul", "Kessler Vapora TX-3"),
    ("le ballon thermodynamique", "Boréalis Compact 9"),
    ("l'ascenseur", "Otis Gen2"),
    ("l'ascenseur", "Schindler 3300"),
    ("l'ascenseur", "Kone MonoSpace 500"),
    ("le tableau électrique", "Schneider Resi9"),
    ("le tableau électrique", "Legrand DX3"),
    ("le chauffe-eau", "Thermor Duralis"),
    ("le chauffe-eau", "Hydrovia Pro 200L"),
    ("la chaudière", "Frisquet Hydromotrix"),
    ("la chaudière", "Elm Leblanc Mégalis"),
    ("la VMC", "Aldes EasyHome Hygro"),
    ("le climatiseur", "Mitsubishi MSZ-LN35"),
    ("la pompe à chaleur", "Valtherm Ardent 11"),
    ("la chaudière", "Oertli Kérona"),
]
_ERRORS = ["F28", "F29", "F75", "E133", "E04", "A5", "EA", "U4", "L2", "5H", "E9-07", "C6", "Err 610"]
_PARTS = [
    "de la vanne trois voies",
    "du circulateur",
    "de l'électrode d'allumage",
    "du vase d'expansion",
    "de la carte électronique",
    "du capteur de pression",
    "du joint de brûleur",
    "de la sonde extérieure",
    "du contacteur",
    "du disjoncteur différentiel",
    "du filtre à tamis",
    "du ventilateur d'extraction",
]
_MEASURES = [
    "{p} bar",
    "{t} °C",
    "CO {c} ppm",
    "{v} V",
    "{a} A",
    "{d} l/min",
    "{g} mbar",
    "{r} %",
]
_ROLES = [
    "le technicien N2",
    "le responsable d'agence",
    "le chef d'équipe",
    "le service après-vente",
    "notre frigoriste",
    "le conducteur de travaux",
    "le planificateur",
]


def _name(rng: random.Random) -> tuple[str, str, str, str]:
    """(civility, full name as written, gender, family name)."""
    female = rng.random() < 0.5
    first = rng.choice(_FEMALE if female else _MALE)
    last = rng.choice(_PARTICLES) if rng.random() < 0.15 else rng.choice(_SURNAMES)
    civ = rng.choice(["Madame", "Mme"] if female else ["Monsieur", "M."])
    form = rng.random()
    if form < 0.35:
        written = f"{first} {last}"
    elif form < 0.55:
        written = last
    elif form < 0.75:
        written = f"{first} {last.upper()}"
    elif form < 0.9:
        written = f"{last.upper()} {first}"
    else:
        written = f"{first[0]}. {last}"
    return civ, written, "f" if female else "m", last


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(["06", "07", "02", "03", "09", "01", "04"])
    rest = [f"{rng.randint(0, 99):02d}" for _ in range(4)]
    style = rng.random()
    if style < 0.4:
        return " ".join([prefix, *rest])
    if style < 0.6:
        return ".".join([prefix, *rest])
    if style < 0.8:
        return "+33 " + prefix[1] + " " + " ".join(rest)
    if style < 0.9:
        return "+33 (0)" + prefix[1] + " " + " ".join(rest)
    return "0033 " + prefix[1] + " " + " ".join(rest)


def _email(rng: random.Random, written: str) -> str:
    tokens = [t for t in written.replace(".", "").replace("'", "").split() if t]
    base = ".".join(tokens).lower()
    for a, b in (("é", "e"), ("è", "e"), ("ë", "e"), ("ï", "i"), ("ç", "c"), ("â", "a"), ("ñ", "n")):
        base = base.replace(a, b)
    if rng.random() < 0.3:
        base = f"{base}{rng.randint(1, 99)}"
    return f"{base}@{rng.choice(_EMAIL_DOMAINS)}"


def _address(rng: random.Random) -> str:
    cp, city = rng.choice(_CITIES)
    if rng.random() < 0.12:
        return f"lieu-dit {rng.choice(_LIEUX_DITS)}, {cp} {city}"
    number = str(rng.randint(1, 148))
    if rng.random() < 0.2:
        number += " " + rng.choice(["bis", "ter", "B"])
    street = f"{number} {rng.choice(_STREET_TYPES)[0]} {rng.choice(_STREETS)}"
    complements = []
    if rng.random() < 0.3:
        complements.append(rng.choice(["bâtiment", "bât.", "Bât"]) + " " + rng.choice("ABCDEF"))
    if rng.random() < 0.25:
        complements.append(rng.choice(["escalier", "esc."]) + " " + str(rng.randint(1, 4)))
    if rng.random() < 0.3:
        floor = rng.randint(1, 9)
        complements.append(rng.choice([f"{floor}e étage", f"{floor}ème étage", f"{floor}ᵉ étage"]))
    if rng.random() < 0.2:
        complements.append(f"appartement {rng.randint(1, 120)}")
    if rng.random() < 0.25:
        complements.insert(0, f"résidence {rng.choice(_RESIDENCES)}")
    if complements and rng.random() < 0.5:
        return ", ".join([*complements, street]) + f", {cp} {city}"
    return ", ".join([street, *complements]) + f", {cp} {city}"


def _measure(rng: random.Random) -> str:
    template = rng.choice(_MEASURES)
    return template.format(
        p=f"{rng.uniform(0.8, 2.2):.1f}".replace(".", ","),
        t=rng.randint(35, 80),
        c=rng.randint(0, 60),
        v=rng.choice([230, 231, 228, 400]),
        a=rng.choice([10, 16, 20, 32]),
        d=rng.randint(6, 18),
        g=rng.choice([20, 21, 25, 37]),
        r=rng.randint(88, 109),
    )


def _date(rng: random.Random) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice([2023, 2024, 2025])
    months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    if rng.random() < 0.5:
        return f"{day:02d}/{month:02d}/{year}"
    return f"{day} {months[month - 1]} {year}"


def _time(rng: random.Random) -> str:
    hour, minute = rng.randint(7, 18), rng.choice([0, 15, 30, 45])
    return rng.choice([f"{hour}h{minute:02d}", f"{hour}:{minute:02d}", f"{hour} h {minute:02d}"])


def _serial(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return "".join(str(rng.randint(0, 9)) for _ in range(rng.choice([14, 17, 20])))
    if kind < 0.7:
        return f"{rng.choice(['ZB', 'VX', 'SD', 'KT'])}{rng.randint(1000, 9999)}-{rng.randint(0, 999999):06d}"
    return f"{rng.randint(10, 99)}{rng.choice(['W', 'K', 'M'])}{rng.randint(10000000, 99999999)}"


def _plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPQRSTVWXYZ"
    odd = "IOUQ"
    if rng.random() < 0.2:
        middle = "".join(rng.choice(letters) for _ in range(rng.choice([2, 3])))
        return f"{rng.randint(10, 9999)} {middle} {rng.randint(1, 95):02d}"
    pool = letters + odd if rng.random() < 0.3 else letters
    left = "".join(rng.choice(pool) for _ in range(2))
    right = "".join(rng.choice(pool) for _ in range(2))
    if rng.random() < 0.1:
        left = rng.choice(["SS", "WW", "OO", "QU"])
    sep = rng.choice(["-", "-", " "])
    return f"{left}{sep}{rng.randint(1, 999):03d}{sep}{right}"


def _card(rng: random.Random) -> str:
    start = rng.choice(["4970", "4974", "5132", "5341", "4561"])
    body = start + "".join(str(rng.randint(0, 9)) for _ in range(11))
    number = luhn_complete(body) if rng.random() < 0.6 else body + str(rng.randint(0, 9))
    return " ".join(number[i : i + 4] for i in range(0, 16, 4))


def _iban(rng: random.Random) -> str:
    bban = "".join(str(rng.randint(0, 9)) for _ in range(23))
    iban = iban_fr(bban)
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _nir(rng: random.Random) -> str:
    sex = rng.choice("12")
    year = f"{rng.randint(30, 99):02d}"
    month = f"{rng.randint(1, 12):02d}"
    dept = rng.choice(["29", "67", "68", "35", "56", "2A", "75", "99"])
    commune = f"{rng.randint(1, 990):03d}"
    order = f"{rng.randint(1, 999):03d}"
    first13 = sex + year + month + dept + commune + order
    key = nir_key(first13)
    if rng.random() < 0.5:
        return f"{sex} {year} {month} {dept} {commune} {order} {key}"
    return first13 + key


def _mac(rng: random.Random) -> str:
    octets = [f"{rng.randint(0, 255):02X}" for _ in range(6)]
    return (":" if rng.random() < 0.7 else "-").join(octets)


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"192.168.{rng.choice([0, 1, 1, 10])}.{rng.randint(2, 254)}"
    first = rng.choice([86, 90, 92, 109, 176, 82])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _imei(rng: random.Random) -> str:
    body = rng.choice(["35", "86", "01", "49"]) + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return luhn_complete(body)


def _gps(rng: random.Random) -> str:
    lat = rng.uniform(47.2, 48.9)
    lon = rng.uniform(-4.8, -1.5) if rng.random() < 0.6 else rng.uniform(6.8, 7.9)
    if rng.random() < 0.6:
        return f"{lat:.5f}, {lon:.5f}"

    def dms(value: float, pos: str, neg: str) -> str:
        hemi = pos if value >= 0 else neg
        value = abs(value)
        deg = int(value)
        minutes = int((value - deg) * 60)
        seconds = (value - deg - minutes / 60) * 3600
        return f"{deg}°{minutes:02d}'{seconds:04.1f}\"{hemi}"

    return f"{dms(lat, 'N', 'S')} {dms(lon, 'E', 'O' if rng.random() < 0.5 else 'W')}"


def _code(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return f"{rng.randint(0, 9999):04d}"
    if kind < 0.7:
        return f"{rng.choice('ABC')}{rng.randint(0, 9999):04d}"
    if kind < 0.85:
        return f"{rng.randint(0, 9999):04d}{rng.choice('AB#')}"
    return f"{rng.randint(100000, 999999)}"


def _one(rng: random.Random, index: int, seed: int) -> Note:
    b = NoteBuilder()
    civ, client, gender, last = _name(rng)
    kind, model = rng.choice(_EQUIPMENT)
    address = _address(rng)
    cliente = "la cliente" if gender == "f" else "le client"
    # --- opening
    opening = rng.randrange(4)
    if opening == 0:
        b.fmt(
            "Intervention réalisée le {d} à {t} au domicile de {civ} {n}, {a}.",
            d=(KEEP, _date(rng)),
            t=(KEEP, _time(rng)),
            civ=civ,
            n=("PERSON", client),
            a=("ADDRESS", address),
        )
    elif opening == 1:
        b.fmt(
            "Compte rendu d'intervention du {d}. Client : {civ} {n}. Adresse du chantier : {a}.",
            d=(KEEP, _date(rng)),
            civ=civ,
            n=("PERSON", client),
            a=("ADDRESS", address),
        )
    elif opening == 2:
        b.fmt(
            "Suite à l'appel de {civ} {n}, nous nous sommes rendus au {a} le {d}.",
            civ=civ,
            n=("PERSON", client),
            a=("ADDRESS", address),
            d=(KEEP, _date(rng)),
        )
    else:
        b.fmt(
            "Visite d'entretien chez les {f}, {a}, le {d} à partir de {t}.",
            f=("PERSON", last),
            a=("ADDRESS", address),
            d=(KEEP, _date(rng)),
            t=(KEEP, _time(rng)),
        )
    b.text(" ")
    # --- access
    if rng.random() < 0.6:
        access = rng.randrange(4)
        if access == 0:
            b.fmt("Accès à l'immeuble par le digicode {c}, puis interphone.", c=("ACCESS_CODE", _code(rng)))
        elif access == 1:
            b.fmt(
                "Les clés sont déposées dans la boîte à clés située près du portail (code {c}).",
                c=("ACCESS_CODE", _code(rng)),
            )
        elif access == 2:
            neighbour = _name(rng)[1]
            b.fmt(
                "En l'absence de l'occupant, la clé a été remise par la voisine, Mme {v}, qui dispose du code"
                " d'alarme ({c}).",
                v=("PERSON", neighbour),
                c=("ACCESS_CODE", _code(rng)),
            )
        else:
            b.fmt(
                "Code du portail : {c} ; code de la porte du local technique : {c2}.",
                c=("ACCESS_CODE", _code(rng)),
                c2=("ACCESS_CODE", _code(rng)),
            )
        b.text(" ")
    # --- equipment and diagnosis
    diag = rng.randrange(3)
    if diag == 0:
        b.fmt(
            "Entretien annuel de {k} {m} (n° de série {s}). La pression du circuit était de {p} ;"
            " taux de CO mesuré : {co}.",
            k=kind,
            m=(KEEP, model),
            s=(KEEP, _serial(rng)),
            p=(KEEP, f"{rng.uniform(0.8, 2.2):.1f} bar".replace(".", ",")),
            co=(KEEP, f"{rng.randint(0, 60)} ppm"),
        )
    elif diag == 1:
        b.fmt(
            "{C} signale une mise en sécurité répétée de son équipement {m} ; le code défaut {e}"
            " s'affiche à l'écran. Après contrôle, remplacement {part} (réf. {r}).",
            C=cliente.capitalize(),
            m=(KEEP, model),
            e=(KEEP, rng.choice(_ERRORS)),
            part=rng.choice(_PARTS),
            r=(KEEP, f"{rng.choice(['0020', '8716', 'S10', '7100'])}{rng.randint(100000, 999999)}"),
        )
    else:
        b.fmt(
            "Dépannage de {k} de marque {m}, en panne depuis le {d}. Défaut {e} relevé, valeur mesurée {v}.",
            k=kind,
            m=(KEEP, model),
            d=(KEEP, _date(rng)),
            e=(KEEP, rng.choice(_ERRORS)),
            v=(KEEP, _measure(rng)),
        )
    b.text(" ")
    # --- contacts
    contact = rng.randrange(4)
    if contact == 0:
        b.fmt(
            "{C} souhaite être recontacté(e) au {ph} ou par courriel à l'adresse {em}.",
            C=cliente.capitalize(),
            ph=("PHONE", _phone(rng)),
            em=("EMAIL", _email(rng, client)),
        )
    elif contact == 1:
        b.fmt("Téléphone de l'occupant : {ph}.", ph=("PHONE", _phone(rng)))
    elif contact == 2:
        tenant, owner = _name(rng)[1], _name(rng)[1]
        b.fmt(
            "Le logement est occupé par un locataire, {t}, joignable au {ph} ; le propriétaire, {o},"
            " reçoit la facture à {em}.",
            t=("PERSON", tenant),
            ph=("PHONE", _phone(rng)),
            o=("PERSON", owner),
            em=("EMAIL", _email(rng, owner)),
        )
    else:
        b.fmt(
            "Coordonnées transmises par {r} : {ph} (fixe) et {ph2} (portable).",
            r=(KEEP, rng.choice(_ROLES)),
            ph=("PHONE", _phone(rng)),
            ph2=("PHONE", _phone(rng)),
        )
    # --- extras: the rarer identifiers
    extras = [e for e in range(9) if rng.random() < 0.22]
    for extra in extras:
        b.text(" ")
        if extra == 0:
            b.fmt(
                "Maison isolée, difficile à trouver : coordonnées GPS {g}.",
                g=("GPS", _gps(rng)),
            )
        elif extra == 1:
            neighbour = _name(rng)[1]
            b.fmt(
                "Le véhicule de {n}, immatriculé {pl}, stationnait devant l'accès au garage.",
                n=("PERSON", neighbour),
                pl=("PLATE", _plate(rng)),
            )
        elif extra == 2:
            b.fmt(
                "Règlement effectué par carte bancaire n° {c}, expirant fin {d}.",
                c=("CARD", _card(rng)),
                d=(KEEP, f"{rng.randint(1, 12):02d}/{rng.randint(26, 30)}"),
            )
        elif extra == 3:
            b.fmt(
                "{C} opte pour le prélèvement mensuel ; IBAN communiqué : {i}.",
                C=cliente.capitalize(),
                i=("IBAN", _iban(rng)),
            )
        elif extra == 4:
            b.fmt(
                "Pour le dossier d'aide à la rénovation, numéro de sécurité sociale du demandeur : {n}.",
                n=("NIR", _nir(rng)),
            )
        elif extra == 5:
            b.fmt(
                "Le thermostat connecté a été appairé à la box du client (adresse MAC {m}, adresse IP {ip}).",
                m=("MAC", _mac(rng)),
                ip=("IP", _ip(rng)),
            )
        elif extra == 6:
            b.fmt(
                "Le transmetteur GSM de la téléassistance a été contrôlé (IMEI {i}) ;"
                " appel test vers le {p}.",
                i=("IMEI", _imei(rng)),
                p=("PHONE", _phone(rng)),
            )
        elif extra == 7:
            child = _name(rng)[1]
            b.fmt(
                "En cas d'absence, contacter {k}, fils/fille de l'occupant, au {p}.",
                k=("PERSON", child),
                p=("PHONE", _phone(rng)),
            )
        else:
            b.fmt(
                "Le disjoncteur {m} a été réarmé ; mesure d'isolement {v}.",
                m=(KEEP, rng.choice(["Schneider iC60N", "Legrand DX3 30 mA", "Hager MFN716"])),
                v=(KEEP, f"{rng.randint(50, 500)} MΩ"),
            )
    # --- closing
    b.text(" ")
    closing = rng.randrange(3)
    if closing == 0:
        b.fmt("Une nouvelle visite sera programmée par {r}.", r=(KEEP, rng.choice(_ROLES)))
    elif closing == 1:
        b.fmt("Rapport signé par {c} {n} à {t}.", c=civ, n=("PERSON", client), t=(KEEP, _time(rng)))
    else:
        b.text("Installation laissée en fonctionnement.")
    return b.build(f"{CORPUS}-s{seed}-{index:04d}", CORPUS)


def generate(n: int, seed: int) -> list[Note]:
    """``n`` back-office notes, always the same for the same ``seed``."""
    rng = random.Random(f"{CORPUS}:{seed}")
    return [_one(rng, index, seed) for index in range(n)]
