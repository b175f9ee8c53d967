"""Fresh held-out generator: French technician notes in styles the tuning corpora do not stress.

``generate(n, seed)`` returns ``n`` notes (``corpus == "gen_fresh"``), the same for the same
seed. Written independently of the detector (``anonymization/`` was never read) and of the
other generators: the name, street, city and equipment lists below are this file's own.

Styles, one per note (``STYLES``):

* ``dictated`` — voice-to-text: lower case, no punctuation, numbers in words (phones read
  in pairs or digit by digit, postcodes, street numbers, door codes), e-mails with
  ``arobase`` and ``point``, names spelled letter by letter after being said, plates read
  letter by letter, GPS read out;
* ``forwarded`` — a client e-mail or SMS pasted into the observations, with its headers
  (``De :``, ``Objet :``, ``Envoyé depuis…``) and a signature;
* ``checklist`` — bullet lists and check boxes (``- [x]``, ``•``, ``*``, ``☐``), label-value
  lines, sometimes ALL CAPS or without accents;
* ``neighbours`` — one visit touching several private persons (client, neighbour above,
  relative holding the keys), each with their own details;
* ``rental`` — tenant / landlord / syndic / agency situations, with the syndic's SIRET
  (a business identifier: ``KEEP``) and the tenant's bank details;
* ``round`` — a day's round in one note: three to five numbered stops, each a different
  client with time, name, address, phone or code and a one-line technical result.

Values: phones in every French writing (pairs with spaces, dots, dashes, slashes, glued,
``+33``, ``+33 (0)``, ``0033``, in words), Luhn-valid card numbers, IMEIs and SIRETs, mod-97
IBANs and NIRs (Corsica ``2A``/``2B`` included), and a few deliberately mistyped ones in
context (they keep their label). Dates of birth appear without a span (the label set has
no such category, and they must not be ``KEEP``).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from bench.pii_corpora._note import (
    KEEP,
    Note,
    NoteBuilder,
    check_note,
    grouped,
    iban_fr,
    luhn_complete,
    nir_key,
)

__all__ = ["CORPUS", "SEEDS", "STYLES", "generate", "self_check"]

CORPUS = "gen_fresh"
SEEDS: range = range(7000, 7005)
"""The seeds the evaluation uses by default (any seed is held out: this corpus is never tuned on)."""
STYLES: tuple[str, ...] = ("dictated", "forwarded", "checklist", "neighbours", "rental", "round")

# --- names (this file's own lists) -------------------------------------------------------------

# fmt: off
_FIRST_F = (
    "Solène", "Gwenaëlle", "Maëlys", "Bernadette", "Josiane", "Ghislaine", "Apolline", "Clémence",
    "Perrine", "Léontine", "Odile", "Nadège", "Laurence", "Sandrine", "Coralie", "Armelle", "Fatoumata",
    "Aminata", "Mariama", "Khadija", "Nour", "Samira", "Yasmina", "Houria", "Leïla", "Thi Hoa", "Lan",
    "Mai Anh", "Oksana", "Iryna", "Agnieszka", "Małgorzata", "Ioana", "Elif", "Aylin", "Priya",
    "Xiaoling", "Mei", "Joana", "Conceição", "Graziella", "Rosa", "Inès", "Marie-Claude", "Anne-Sophie",
    "Marie-Thérèse", "Rose", "Violette", "Prune", "Capucine", "Océane", "Margaux", "Séverine",
    "Lucienne", "Awa", "Binta", "Zineb", "Dounia", "Rokia",
)
# fmt: on
# fmt: off
_FIRST_M = (
    "Gaëtan", "Yannick", "Corentin", "Tanguy", "Lucien", "Marcel", "Gérard", "Thierry", "Régis",
    "Ludovic", "Bastien", "Anatole", "Hervé", "Fabrice", "Jean-Baptiste", "Jean-Marc", "Pierre-Yves",
    "Louis-Marie", "Mamadou", "Ousmane", "Ibrahima", "Moussa", "Cheikh", "Youssef", "Rachid", "Karim",
    "Nassim", "Bilal", "Tarik", "Hamid", "Quang", "Duc Minh", "Bogdan", "Piotr", "Dmitri", "Ionuț",
    "Mehmet", "Emre", "Sandeep", "Wei", "João", "Rui", "Vitor", "Salvatore", "Giovanni", "Kofi", "Ange",
    "Pierre", "Olivier", "Martin", "Vincent", "Laurent", "Florent", "Hugo", "Aurélien", "Sékou",
    "Lamine", "Anis",
)
# fmt: on
# fmt: off
_LAST = (
    # Brittany, Normandy, Picardy, Flanders, Lorraine, Savoy, the South-West
    "Le Gall", "Kerhervé", "Le Bihan", "Quéré", "Tanguy", "Le Roux", "Guégan", "Lecanu", "Hamel",
    "Letellier", "Delattre", "Boulogne", "Vandamme", "Verhaeghe", "Deconinck", "Thiriet", "Colin",
    "Pierson", "Favre", "Perrier", "Tournier", "Duclos", "Labat", "Etcheverry", "Larrieu",
    "Capdevielle", "Bergerot", "Mazet", "Chabert", "Roumégous", "Bacqué",
    # immigrant-origin families
    "Diallo", "Traoré", "Ndiaye", "Coulibaly", "Sow", "Ouédraogo", "Kamara", "Haddad", "Bensaïd",
    "Cherif", "Mansouri", "Belkacem", "Ait Ouali", "El Idrissi", "Ben Amor", "Kowalczyk", "Nowak",
    "Wiśniewski", "Ferreira", "Oliveira", "dos Santos", "da Costa", "Nguyen", "Tran", "Pham", "Yılmaz",
    "Demir", "Popescu", "Ivanova", "Rossi", "Esposito", "Fernández", "Zhang", "Chen", "Mendy", "Gomis",
    # particles and compounds
    "de Kerguelen", "du Plessis", "de la Roche", "d'Harcourt", "de Saint-Aubert", "Le Floch",
    "van der Berg", "Martin-Lavigne", "Roux-Combaluzier", "Dubois-Ferrière", "Lambert-Ndiaye",
    # surnames that are also common words
    "Poisson", "Boucher", "Meunier", "Chevalier", "Lapierre", "Carré", "Marchand", "Printemps",
    "Lenoir", "Blanc", "Loiseau", "Sergent", "Bonheur", "Lavigne", "Mouton",
    # surnames that are also heating / appliance brands (used as equipment too)
    "Godin", "Deville", "Leblanc", "Sauter", "Noirot", "Muller",
)
# fmt: on
_BRAND_SURNAMES = ("Godin", "Deville", "Leblanc", "Sauter", "Noirot", "Muller")

# --- places ------------------------------------------------------------------------------------

# fmt: off
_STREET_TYPES = (
    "rue", "avenue", "allée", "impasse", "chemin", "route", "boulevard", "place", "square", "cours",
    "quai", "ruelle", "sentier", "voie",
)
# fmt: on
# fmt: off
_STREET_NAMES = (
    "des Glycines", "du Moulin à Vent", "Jean Jaurès", "du Général Leclerc", "Pasteur", "Victor Hugo",
    "des Tanneurs", "de la Fontaine Saint-Martin", "du Stade", "des Cordiers", "Louise Michel",
    "Aristide Briand", "des Mésanges", "du Clos Fleuri", "des Vignes Hautes", "Simone Veil",
    "Camille Claudel", "des Écoles", "du Port", "du Lavoir", "de la Gare", "des Peupliers",
    "Charles de Gaulle", "Marcel Pagnol", "des Frères Lumière", "Gambetta", "du 8 Mai 1945",
    "du 11 Novembre", "de Verdun", "des Rosiers", "Paul Éluard", "de la Chênaie", "du Bois Joli",
    "Sadi Carnot", "des Capucins", "de la Croix Verte", "du Pré Botté", "des Sablons", "Édith Piaf",
    "du Maréchal Foch", "des Tilleuls", "de l'Abbaye",
)
# fmt: on
# fmt: off
_RESIDENCES = (
    "résidence Le Clos des Lilas", "résidence Les Terrasses du Parc", "résidence Bellevue",
    "résidence Les Érables", "résidence du Lac", "cité des Castors", "domaine de la Source",
    "résidence Les Jardins d'Arcadie", "résidence Le Belvédère",
)
# fmt: on
_LIEUX_DITS = ("La Croix Rouge", "Le Petit Bois", "Les Landes", "La Métairie", "Le Bourg", "Kerallan")
# fmt: off
_CITIES = (
    ("35000", "Rennes"), ("44300", "Nantes"), ("49100", "Angers"), ("37000", "Tours"),
    ("86000", "Poitiers"), ("87000", "Limoges"), ("63000", "Clermont-Ferrand"),
    ("42000", "Saint-Étienne"), ("38000", "Grenoble"), ("73000", "Chambéry"), ("74000", "Annecy"),
    ("21000", "Dijon"), ("25000", "Besançon"), ("51100", "Reims"), ("80000", "Amiens"),
    ("59000", "Lille"), ("62300", "Lens"), ("76600", "Le Havre"), ("14000", "Caen"), ("29200", "Brest"),
    ("56100", "Lorient"), ("22000", "Saint-Brieuc"), ("72000", "Le Mans"), ("45000", "Orléans"),
    ("18000", "Bourges"), ("03100", "Montluçon"), ("10000", "Troyes"), ("54000", "Nancy"),
    ("57000", "Metz"), ("67000", "Strasbourg"), ("68100", "Mulhouse"), ("69100", "Villeurbanne"),
    ("26000", "Valence"), ("84000", "Avignon"), ("83000", "Toulon"), ("06300", "Nice"),
    ("30000", "Nîmes"), ("34070", "Montpellier"), ("66000", "Perpignan"), ("31500", "Toulouse"),
    ("64100", "Bayonne"), ("33800", "Bordeaux"), ("17000", "La Rochelle"), ("20000", "Ajaccio"),
    ("20200", "Bastia"), ("97400", "Saint-Denis"), ("93200", "Saint-Denis"),
    ("94400", "Vitry-sur-Seine"), ("95100", "Argenteuil"), ("78000", "Versailles"), ("77100", "Meaux"),
    ("08000", "Charleville-Mézières"), ("88000", "Épinal"), ("05000", "Gap"), ("12000", "Rodez"),
    ("65000", "Tarbes"), ("47000", "Agen"), ("41000", "Blois"), ("53000", "Laval"),
    ("85000", "La Roche-sur-Yon"), ("79000", "Niort"),
)
# fmt: on

# --- equipment (KEEP) --------------------------------------------------------------------------

# fmt: off
_EQUIPMENT = (
    ("chaudière", "Chappée Naema 2 Micro 25"), ("chaudière", "Saunier Duval ThemaPlus Condens F25"),
    ("chaudière", "Elm Leblanc Mégalis Condens GVM C 24"),
    ("chaudière", "De Dietrich Naneo EMC-M 24/28"), ("chaudière", "Viessmann Vitodens 111-W"),
    ("chaudière", "Frisquet Prestige Condensation 32 kW"), ("chaudière", "Bosch Condens 5300i WT"),
    ("chaudière", "Vaillant ecoTEC plus VUW 246/5-5"), ("chaudière", "Ariston Alteas One Net 30"),
    ("chaudière", "Chaffoteaux Mira C Green 25"), ("chaudière", "Weishaupt WTC-GW 25-B"),
    ("chaudière", "Calidor Bora 28 HT"), ("PAC", "Atlantic Alféa Extensa AI 8"),
    ("PAC", "Daikin Altherma 3 R ERGA06DV"), ("PAC", "Mitsubishi Ecodan PUZ-WM85VAA"),
    ("PAC", "Hitachi Yutaki S Combi RWM-4.0NE"), ("PAC", "Panasonic Aquarea WH-MDC09J3E5"),
    ("PAC", "Toshiba Estia HWT-801XWHM3W"), ("PAC", "Thermalys Kestrel 12 Duo"),
    ("clim", "Daikin Perfera FTXM35R"), ("clim", "Kaltis Arctis 4.5"),
    ("ballon", "Thermor Aéromax 5 200 L"), ("ballon", "Aquavela Nimbus 150"),
    ("radiateur", "Noirot Calidou Smart 1000 W"), ("radiateur", "Sauter Guéridon 1500 W"),
    ("poêle", "Godin Eclipse 3174"), ("poêle", "Deville C07745"),
    ("circulateur", "Grundfos Alpha2 25-60"), ("circulateur", "Wilo Yonos Pico 25/1-6"),
    ("thermostat", "Delta Dore Tybox 5100"), ("thermostat", "Netatmo NTH01"),
    ("thermostat", "Honeywell Evohome ATP921R3052"), ("VMC", "Aldes EasyHome Hygro Premium"),
    ("VMC", "Fluvex Sirocco 9"), ("radiateur", "Muller Intuis Nirvana 1250 W"),
    ("chaudière", "Hydrelia Ondine C24"),
)
# fmt: on
_BOXES = ("Livebox 6", "Livebox 5", "Freebox Pop", "Freebox Delta", "Bbox Ultym", "SFR Box 8")
# fmt: off
_ALARMS = (
    "Somfy Home Alarm Advanced", "Ajax Hub 2 Plus", "Verisure Vbox", "Daitem SH320AX", "Voltara Zeph 3",
)
# fmt: on
# fmt: off
_ERRORS = (
    "F28", "F.29", "E133", "E10", "H.01.05", "A5 11", "L2", "défaut 610", "EA-04", "U4", "E7", "F75",
    "Er 03", "E9-02", "code 5P", "A11", "C0.43", "F.22", "E04", "défaut 08",
)
# fmt: on
# fmt: off
_PARTS = (
    "87167714690", "S1035800", "0020200569", "7824710", "JJD005682210", "SX5697710", "65104319",
    "S57230", "710047801", "95362450", "R101017", "0020118649", "5106170",
)
# fmt: on
# fmt: off
_MEASURES = (
    "1,4 bar", "0,9 bar", "1,8 bar", "62 °C", "48°C", "55 °C", "ΔT 5 K", "12,5 kW", "230 V", "18 A",
    "3 mA", "> 200 MΩ", "35 ppm", "CO 12 ppm", "12 l/min", "7,5 m", "28 bar", "9 bar", "-12 °C",
    "COP 4,2", "0,35 mbar", "20 mbar", "3,2 m³/h", "4,7 kΩ", "10 kΩ", "15 Pa",
)
# fmt: on
_REFRIGERANTS = ("R32", "R410A", "R290", "R134a", "R407C", "R454B")
_TIMES = ("8h", "8h30", "9h15", "10h", "11h45", "13h30", "14h", "14h30", "16h", "17h15", "9:45")
# fmt: off
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
    "novembre", "décembre",
)
# fmt: on
# fmt: off
_SYNDICS = (
    "Cabinet Arnoux Gestion", "Syndic des Remparts", "Immo-Gérance du Littoral",
    "Agence Centrale Habitat", "Foncière du Val", "Régie Saint-Clair",
)
# fmt: on
# fmt: off
_MAIL_HOSTS = (
    "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "gmail.com", "yahoo.fr",
    "hotmail.fr", "outlook.fr", "icloud.com", "neuf.fr", "bbox.fr",
)
# fmt: on

# --- numbers in words --------------------------------------------------------------------------

# fmt: off
_UNITS = (
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze",
    "douze", "treize", "quatorze", "quinze", "seize",
)
# fmt: on
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def words(number: int) -> str:
    """French words for 0–999 999 (traditional spelling, hyphens inside tens)."""
    if number < 17:
        return _UNITS[number]
    if number < 20:
        return "dix-" + _UNITS[number - 10]
    if number < 70:
        tens, unit = divmod(number, 10)
        if unit == 0:
            return _TENS[tens]
        return _TENS[tens] + (" et un" if unit == 1 else "-" + _UNITS[unit])
    if number < 80:
        return "soixante et onze" if number == 71 else "soixante-" + words(number - 60)
    if number < 100:
        if number == 80:
            return "quatre-vingts"
        return "quatre-vingt-" + words(number - 80)
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        head = "cent" if hundreds == 1 else _UNITS[hundreds] + " cent"
        if rest == 0:
            return head + ("s" if hundreds > 1 else "")
        return head + " " + words(rest)
    thousands, rest = divmod(number, 1000)
    head = "mille" if thousands == 1 else words(thousands) + " mille"
    return head if rest == 0 else head + " " + words(rest)


def digit_words(digits: str) -> str:
    return " ".join(_UNITS[int(d)] if d.isdigit() else d.lower() for d in digits)


# --- value makers ------------------------------------------------------------------------------


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass
class Person:
    first: str
    last: str
    female: bool

    def civility(self, rng: random.Random) -> str:
        if self.female:
            return rng.choice(("Mme ", "Madame ", "Mme ", "Mlle "))
        return rng.choice(("M. ", "Monsieur ", "Mr ", "M. "))


def _person(rng: random.Random, last: str | None = None, female: bool | None = None) -> Person:
    if female is None:
        female = rng.random() < 0.5
    first = rng.choice(_FIRST_F if female else _FIRST_M)
    return Person(first, last or rng.choice(_LAST), female)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def _phone_digits(rng: random.Random, mobile: bool | None = None) -> str:
    if mobile is None:
        mobile = rng.random() < 0.65
    prefix = rng.choice(("06", "07")) if mobile else rng.choice(("01", "02", "03", "04", "05", "09"))
    return prefix + _digits(rng, 8)


def phone(rng: random.Random, digits: str | None = None) -> str:
    d = digits or _phone_digits(rng)
    pairs = [d[i : i + 2] for i in range(0, 10, 2)]
    rest = d[1:]
    form = rng.randrange(12)
    if form == 0:
        return " ".join(pairs)
    if form == 1:
        return ".".join(pairs)
    if form == 2:
        return "-".join(pairs)
    if form == 3:
        return d
    if form == 4:
        return "+33 " + rest[0] + " " + " ".join(rest[i : i + 2] for i in range(1, 9, 2))
    if form == 5:
        return "+33" + rest
    if form == 6:
        return "+33 (0)" + rest[0] + " " + " ".join(rest[i : i + 2] for i in range(1, 9, 2))
    if form == 7:
        return "0033 " + rest[0] + " " + " ".join(rest[i : i + 2] for i in range(1, 9, 2))
    if form == 8:
        return "/".join(pairs)
    if form == 9:
        return d[:2] + " " + d[2:5] + " " + d[5:8] + " " + d[8:]
    if form == 10:
        return "+33." + rest[0] + "." + ".".join(rest[i : i + 2] for i in range(1, 9, 2))
    return " ".join(pairs[:2]) + pairs[2] + " " + "".join(pairs[3:])


def phone_words(rng: random.Random, digits: str | None = None) -> str:
    d = digits or _phone_digits(rng)
    if rng.random() < 0.4:
        return digit_words(d)
    out = []
    for i in range(0, 10, 2):
        pair = d[i : i + 2]
        out.append(digit_words(pair) if pair[0] == "0" else words(int(pair)))
    return " ".join(out)


def _ascii_login(text: str) -> str:
    return "".join(c for c in _strip_accents(text).lower() if c.isalnum() or c in "-")


def email_parts(rng: random.Random, p: Person) -> tuple[str, str, str]:
    first = _ascii_login(p.first.split()[0])
    last = _ascii_login(p.last.replace("'", "").replace(" ", ""))
    form = rng.randrange(6)
    if form == 0:
        user = f"{first}.{last}"
    elif form == 1:
        user = f"{first[0]}{last}{rng.randrange(10, 99)}"
    elif form == 2:
        user = f"{last}.{first}"
    elif form == 3:
        user = f"{first}_{last}"
    elif form == 4:
        user = f"{first}{rng.randrange(1950, 2005)}"
    else:
        user = f"{last}-{first[0]}"
    host = rng.choice(_MAIL_HOSTS)
    return user, host.split(".")[0], host.split(".")[1]


def email(rng: random.Random, p: Person) -> str:
    user, host, tld = email_parts(rng, p)
    form = rng.randrange(7)
    if form == 4:
        return f"{user}(at){host}.{tld}"
    if form == 5:
        return f"{user} @ {host}.{tld}"
    if form == 6:
        return f"{user}[at]{host}.{tld}"
    return f"{user}@{host}.{tld}"


def email_spoken(rng: random.Random, p: Person) -> str:
    user, host, tld = email_parts(rng, p)
    spoken_user = user.replace(".", " point ").replace("_", " tiret du bas ").replace("-", " tiret ")
    at = rng.choice(("arobase", "arobase", "at"))
    return f"{spoken_user} {at} {host} point {tld}"


@dataclass
class Address:
    number: int
    suffix: str
    street: str
    complement: str
    postcode: str
    city: str

    def written(self, rng: random.Random, with_city: bool = True) -> str:
        num = f"{self.number}{self.suffix}" if rng.random() < 0.5 else f"{self.number} {self.suffix}".rstrip()
        parts = []
        if self.complement and rng.random() < 0.5:
            parts.append(self.complement + ", ")
            parts.append(f"{num} {self.street}")
        else:
            parts.append(f"{num} {self.street}")
            if self.complement:
                parts.append(rng.choice((", ", " ", " - ")) + self.complement)
        if with_city:
            parts.append(rng.choice((" ", ", ", " - ")) + f"{self.postcode} {self.city}")
        return "".join(parts)

    def spoken(self, rng: random.Random, with_city: bool = True) -> str:
        out = [words(self.number)]
        if self.suffix:
            out.append(self.suffix)
        out.append(self.street)
        if self.complement:
            out.append(self.complement.replace(",", "").replace(".", ""))
        if with_city:
            pc = self.postcode
            if rng.random() < 0.5 and pc.endswith("000") and pc[0] != "0":
                out.append(words(int(pc[:2])) + " mille")
            else:
                out.append(digit_words(pc))
            out.append(self.city)
        return " ".join(out).lower()


def _complement(rng: random.Random) -> str:
    bits = []
    if rng.random() < 0.4:
        bits.append(rng.choice(("bât. ", "bâtiment ", "bat ", "Bât ")) + rng.choice("ABCDEFG"))
    if rng.random() < 0.3:
        bits.append(rng.choice(("esc. ", "escalier ")) + rng.choice(("1", "2", "3", "B", "C")))
    if rng.random() < 0.45:
        floor = rng.randrange(1, 12)
        bits.append(
            rng.choice((f"{floor}e étage", f"{floor}ème ét.", f"étage {floor}")) if floor > 1 else "1er étage"
        )
    if rng.random() < 0.45:
        bits.append(
            rng.choice(("appt ", "apt ", "appartement ", "logement ", "porte ")) + str(rng.randrange(1, 140))
        )
    if rng.random() < 0.2:
        bits.append(rng.choice(_RESIDENCES))
    return ", ".join(bits)


def address(rng: random.Random) -> Address:
    postcode, city = rng.choice(_CITIES)
    if rng.random() < 0.08:
        # rural: lieu-dit as the street
        return Address(rng.randrange(1, 30), "", "lieu-dit " + rng.choice(_LIEUX_DITS), "", postcode, city)
    suffix = rng.choice(("", "", "", "", "bis", "ter", "B", "A"))
    street = f"{rng.choice(_STREET_TYPES)} {rng.choice(_STREET_NAMES)}"
    return Address(rng.randrange(1, 240), suffix, street, _complement(rng), postcode, city)


def card(rng: random.Random, valid: bool = True) -> str:
    prefix = rng.choice(("4970", "4974", "5131", "5412", "4561", "2221", "5300"))
    number = luhn_complete(prefix + _digits(rng, 11))
    if not valid:
        number = number[:-1] + str((int(number[-1]) + rng.randrange(1, 10)) % 10)
    form = rng.randrange(4)
    if form == 0:
        return number
    return grouped(number, 4, (" ", "-", " ")[form - 1])


def iban(rng: random.Random, valid: bool = True) -> str:
    bank = rng.choice(("30004", "30002", "20041", "10278", "16006", "30003", "18206", "14505"))
    bban = bank + _digits(rng, 5) + _digits(rng, 11) + _digits(rng, 2)
    value = iban_fr(bban)
    if not valid:
        key = int(value[2:4])
        value = value[:2] + f"{(key + rng.randrange(1, 90)) % 97 + 2:02d}" + value[4:]
        if value == iban_fr(bban):  # pragma: no cover - the shift above never lands on the key
            value = value[:2] + "00" + value[4:]
    return grouped(value, 4) if rng.random() < 0.7 else value


def nir(rng: random.Random, p: Person, valid: bool = True) -> tuple[str, str]:
    """A NIR and the date of birth it encodes (``dd/mm/yyyy``)."""
    sex = "2" if p.female else "1"
    year = rng.randrange(1938, 2004)
    month = rng.randrange(1, 13)
    dept = rng.choice(("2A", "2B", "75", "35", "29", "69", "13", "59", "93", "44", "31", "99"))
    commune = f"{rng.randrange(1, 990):03d}"
    order = f"{rng.randrange(1, 999):03d}"
    first13 = f"{sex}{year % 100:02d}{month:02d}{dept}{commune}{order}"
    key = nir_key(first13)
    if not valid:
        key = f"{(int(key) + rng.randrange(1, 96)) % 97 + 1:02d}"
        if key == nir_key(first13):
            key = "00"
    born = f"{rng.randrange(1, 29):02d}/{month:02d}/{year}"
    form = rng.randrange(3)
    if form == 0:
        return f"{sex} {year % 100:02d} {month:02d} {dept} {commune} {order} {key}", born
    if form == 1:
        return first13 + key, born
    return f"{first13} {key}", born


def imei(rng: random.Random, valid: bool = True) -> str:
    number = luhn_complete(rng.choice(("35", "86", "01", "49")) + _digits(rng, 12))
    if not valid:
        number = number[:-1] + str((int(number[-1]) + rng.randrange(1, 10)) % 10)
    form = rng.randrange(3)
    if form == 0:
        return number
    sep = " " if form == 1 else "-"
    return sep.join((number[:2], number[2:8], number[8:14], number[14]))


def mac(rng: random.Random) -> str:
    octets = [rng.randrange(256) for _ in range(6)]
    octets[0] &= 0xFC
    hexa = "".join(f"{o:02x}" for o in octets)
    form = rng.randrange(5)
    if form == 0:
        return ":".join(hexa[i : i + 2] for i in range(0, 12, 2)).upper()
    if form == 1:
        return ":".join(hexa[i : i + 2] for i in range(0, 12, 2))
    if form == 2:
        return "-".join(hexa[i : i + 2] for i in range(0, 12, 2)).upper()
    if form == 3:
        return ".".join(hexa[i : i + 4] for i in range(0, 12, 4))
    return hexa.upper()


def ip(rng: random.Random) -> str:
    form = rng.randrange(5)
    if form <= 2:
        first = rng.choice((78, 80, 82, 86, 88, 90, 92, 109, 176, 185, 212, 217, 37, 77))
        return f"{first}.{rng.randrange(1, 255)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    if form == 3:
        return f"192.168.{rng.choice((0, 1, 1, 10, 100))}.{rng.randrange(2, 254)}"
    groups = [rng.choice(("2a01", "2001", "2a02")), f"{rng.randrange(0x1000, 0xFFFF):x}"]
    groups += [f"{rng.randrange(0, 0xFFFF):x}" for _ in range(2)]
    if rng.random() < 0.5:
        return ":".join(groups) + "::" + f"{rng.randrange(1, 0xFFFF):x}"
    return ":".join(groups + [f"{rng.randrange(0, 0xFFFF):x}" for _ in range(4)])


def gps(rng: random.Random) -> str:
    lat = rng.uniform(42.4, 51.0)
    lon = rng.uniform(-4.6, 7.8)
    form = rng.randrange(5)
    if form == 0:
        return f"{lat:.5f}, {lon:.5f}"
    if form == 1:
        return f"{lat:.6f},{lon:.6f}"
    if form == 2:
        return f"{lat:.4f}".replace(".", ",") + " / " + f"{lon:.4f}".replace(".", ",")
    if form == 3:
        ew = "E" if lon >= 0 else "W"
        return f"N{lat:.5f} {ew}{abs(lon):.5f}"

    def dms(value: float) -> str:
        value = abs(value)
        d = int(value)
        m = int((value - d) * 60)
        s = (value - d - m / 60) * 3600
        return f"{d}°{m:02d}'{s:04.1f}\""

    return f"{dms(lat)}N {dms(lon)}{'E' if lon >= 0 else 'O'}"


def gps_spoken(rng: random.Random) -> str:
    """Both coordinates read out: whole degrees in words, the decimals digit by digit."""

    def say(value: float) -> str:
        text = f"{abs(value):.4f}"
        whole, decimals = text.split(".")
        return ("moins " if value < 0 else "") + words(int(whole)) + " virgule " + digit_words(decimals)

    lat = rng.uniform(42.4, 51.0)
    lon = rng.uniform(-4.6, 7.8)
    return f"{say(lat)} {rng.choice(('', 'et ', 'longitude '))}{say(lon)}".replace("  ", " ")


_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"


def plate(rng: random.Random) -> str:
    if rng.random() < 0.2:
        letters = "".join(rng.choice(_PLATE_LETTERS) for _ in range(rng.choice((2, 3))))
        return f"{rng.randrange(10, 9999)} {letters} {rng.choice(('29', '35', '56', '75', '13', '69', '2A'))}"
    a = "".join(rng.choice(_PLATE_LETTERS) for _ in range(2))
    b = "".join(rng.choice(_PLATE_LETTERS) for _ in range(2))
    n = f"{rng.randrange(1, 1000):03d}"
    form = rng.randrange(5)
    if form <= 1:
        return f"{a}-{n}-{b}"
    if form == 2:
        return f"{a} {n} {b}"
    if form == 3:
        return f"{a}{n}{b}".lower()
    return f"{a}-{n}-{b}".lower()


def access_code(rng: random.Random) -> str:
    form = rng.randrange(6)
    if form == 0:
        return _digits(rng, 4)
    if form == 1:
        return _digits(rng, 4) + rng.choice("ABC")
    if form == 2:
        return rng.choice("ABCD") + _digits(rng, 4)
    if form == 3:
        return _digits(rng, 4) + "#"
    if form == 4:
        return "-".join(_digits(rng, 4))
    return _digits(rng, 6)


def siret(rng: random.Random, valid: bool = True) -> str:
    siren = luhn_complete(_digits(rng, 8))
    number = luhn_complete(siren + _digits(rng, 4))
    if not valid:
        number = number[:-1] + str((int(number[-1]) + rng.randrange(1, 10)) % 10)
    if rng.random() < 0.6:
        return f"{number[:3]} {number[3:6]} {number[6:9]} {number[9:]}"
    return number


def serial(rng: random.Random) -> str:
    form = rng.randrange(4)
    if form == 0:
        return _digits(rng, 14)
    if form == 1:
        return f"{_digits(rng, 4)}{rng.choice('ABCX')}-{_digits(rng, 6)}"
    if form == 2:
        return f"{_digits(rng, 10)}-{_digits(rng, 4)}-{_digits(rng, 6)}"
    return f"PL{_digits(rng, 10)}"


def a_date(rng: random.Random) -> str:
    day = rng.randrange(1, 29)
    month = rng.randrange(1, 13)
    form = rng.randrange(3)
    if form == 0:
        return f"{day:02d}/{month:02d}/{rng.choice((2024, 2025, 2026))}"
    if form == 1:
        return f"{day} {_MONTHS[month - 1]}"
    return f"{day:02d}/{month:02d}"


# --- note assembly -----------------------------------------------------------------------------


class _Note:
    """One note being written: a builder plus the household it is about."""

    def __init__(self, rng: random.Random, style: Callable[[str], str] | None = None) -> None:
        self.rng = rng
        self.b = NoteBuilder(style)
        self.client = _person(rng)

    def t(self, text: str) -> None:
        self.b.text(text)

    def s(self, label: str, value: str) -> None:
        self.b.span(label, value)

    def name(self, p: Person, form: int | None = None) -> None:
        """A reference to ``p``: the civility (if any) outside the span."""
        rng = self.rng
        form = rng.randrange(7) if form is None else form
        if form == 0:
            self.t(p.civility(rng))
            self.s("PERSON", p.last)
        elif form == 1:
            self.t(p.civility(rng))
            self.s("PERSON", f"{p.first} {p.last}")
        elif form == 2:
            self.s("PERSON", f"{p.first} {p.last.upper()}")
        elif form == 3:
            self.t(p.civility(rng))
            self.s("PERSON", p.last.upper())
        elif form == 4:
            self.s("PERSON", f"{p.last.upper()} {p.first}")
        elif form == 5:
            self.s("PERSON", p.first)
        else:
            self.t(rng.choice(("M. et Mme ", "les ", "famille ", "chez les ")))
            self.s("PERSON", p.last)

    def keep(self, value: str) -> None:
        self.s(KEEP, value)

    def equipment(self) -> tuple[str, str]:
        kind, model = self.rng.choice(_EQUIPMENT)
        if self.rng.random() < 0.12:
            brand = self.rng.choice(_BRAND_SURNAMES)
            kind, model = {
                "Godin": ("poêle", "Godin Eclipse 3174"),
                "Deville": ("poêle", "Deville C07745"),
                "Leblanc": ("chaudière", "Elm Leblanc Mégalis Condens GVM C 24"),
                "Sauter": ("radiateur", "Sauter Guéridon 1500 W"),
                "Noirot": ("radiateur", "Noirot Calidou Smart 1000 W"),
                "Muller": ("radiateur", "Muller Intuis Nirvana 1250 W"),
            }[brand]
        return kind, model

    def tech_block(self, spoken: bool = False) -> None:
        """Technical content to keep: equipment, code, measures, parts, serial, refrigerant."""
        rng = self.rng
        kind, model = self.equipment()
        self.t(rng.choice((f"{kind} ", f"{kind} ", f"sur {kind} ", f"{kind} en place ")))
        self.keep(model)
        sep = " " if spoken else rng.choice((", ", ". ", " - ", " : "))
        if rng.random() < 0.75:
            error = rng.choice(_ERRORS)
            if error.startswith(("défaut", "code")):
                self.t(sep + rng.choice(("en ", "affiche ", "")))
            else:
                self.t(sep + rng.choice(("en défaut ", "affiche ", "code erreur ", "erreur ", "défaut ")))
            self.keep(error)
        if rng.random() < 0.7:
            measure = rng.choice(_MEASURES)
            prefixes = (
                ("pression ", "mesuré ", "relevé ")
                if "bar" in measure
                else ("mesuré ", "relevé ", "on a ", "")
            )
            self.t(sep + rng.choice(prefixes))
            self.keep(measure)
            if rng.random() < 0.5:
                self.t(rng.choice((" puis ", " et ")) if spoken else rng.choice((" puis ", " et ", " / ")))
                self.keep(rng.choice(_MEASURES))
        if kind in ("PAC", "clim") and rng.random() < 0.8:
            self.t(sep + rng.choice(("fluide ", "charge ", "complément ")))
            self.keep(rng.choice(_REFRIGERANTS))
            if rng.random() < 0.6:
                self.t(" ")
                self.keep(f"{rng.randrange(1, 4)},{rng.randrange(10, 99)} kg")
        if rng.random() < 0.6:
            self.t(sep + rng.choice(("n° série ", "S/N ", "SN ", "num serie ", "série ")))
            # now and then a serial that reads like a phone number: still technical
            self.keep("0" + _digits(rng, 9) if rng.random() < 0.1 else serial(rng))
        if rng.random() < 0.12:
            self.t(sep + rng.choice(("firmware ", "version logiciel ", "maj soft ")))
            version = ".".join(str(rng.randrange(0, 13)) for _ in range(3)) + f".{rng.randrange(1, 250)}"
            self.keep(version if spoken or rng.random() < 0.5 else "v" + version)
        if rng.random() < 0.6:
            self.t(sep + rng.choice(("pièce ", "réf. ", "ref ", "commandé ", "remplacé carte réf ")))
            self.keep(rng.choice(_PARTS))
        if rng.random() < 0.5:
            self.t(sep + rng.choice(("repasser le ", "RDV ", "prochain passage ", "passé le ")))
            self.keep(a_date(rng))
            if rng.random() < 0.6:
                self.t(rng.choice((" à ", " vers ", " ")))
                self.keep(rng.choice(_TIMES))


def _pick_valid(rng: random.Random) -> bool:
    return rng.random() > 0.15


# --- the styles ---------------------------------------------------------------------------------


def _dictated(rng: random.Random) -> _Note:
    n = _Note(rng, str.lower)
    c = n.client
    n.t(rng.choice(("note vocale ", "dictée ", "", "alors ", "ok donc ")))
    n.t(rng.choice(("intervention chez ", "passage chez ", "client ", "je suis chez ")))
    n.t("madame " if c.female else "monsieur ")
    n.s("PERSON", c.last)
    if rng.random() < 0.5:
        n.t(" je vous épelle ")
        n.s("PERSON", " ".join(ch for ch in _strip_accents(c.last) if ch.isalpha()))
    addr = address(rng)
    n.t(rng.choice((" au ", " adresse ", " domicilié ")))
    n.s("ADDRESS", addr.spoken(rng))
    n.t(rng.choice((" téléphone ", " son portable ", " numéro ", " tel ")))
    n.s("PHONE", phone_words(rng))
    if rng.random() < 0.3:
        n.t(" ou le fixe ")
        n.s("PHONE", phone_words(rng, _phone_digits(rng, mobile=False)))
    if rng.random() < 0.7:
        n.t(rng.choice((" mail ", " son adresse mail ", " email ")))
        n.s("EMAIL", email_spoken(rng, c))
    if rng.random() < 0.6:
        n.t(rng.choice((" code porte ", " digicode ", " code du portail ", " code boîte à clés ")))
        n.s("ACCESS_CODE", digit_words(access_code(rng).replace("-", "").replace("#", "")))
        if rng.random() < 0.3:
            n.t(" dièse")
    n.t(" ")
    n.tech_block(spoken=True)
    extra = rng.randrange(6)
    if extra == 0:
        n.t(" le fils ")
        son = _person(rng, c.last if rng.random() < 0.5 else None, female=False)
        n.s("PERSON", son.first)
        n.t(" a les clés il est joignable au ")
        n.s("PHONE", phone_words(rng))
    elif extra == 1:
        n.t(" le véhicule du client bloque l'accès plaque ")
        value = plate(rng)
        if rng.random() < 0.5 and value.count("-") == 2:
            # read out letter by letter, the digits as a number or one by one
            left, middle, right = value.lower().split("-")
            number = words(int(middle)) if rng.random() < 0.5 else digit_words(middle)
            value = f"{' '.join(left)} {number} {' '.join(right)}"
        n.s("PLATE", value.lower())
    elif extra == 2:
        n.t(" position gps ")
        n.s("GPS", gps_spoken(rng))
    elif extra == 3:
        n.t(" il paye par carte numéro ")
        n.s("CARD", card(rng, _pick_valid(rng)))
        n.t(rng.choice((" expiration fin ", " valable jusqu'en ")) + _MONTHS[rng.randrange(12)])
    elif extra == 4:
        n.t(" pour le prélèvement son iban ")
        n.s("IBAN", iban(rng, _pick_valid(rng)))
    else:
        n.t(" numéro de sécu ")
        value, born = nir(rng, c, _pick_valid(rng))
        n.s("NIR", value)
        n.t(f" née le {born}" if c.female else f" né le {born}")
    n.t(rng.choice((" fin de note", " voilà", "", " terminé")))
    return n


def _forwarded(rng: random.Random) -> _Note:
    n = _Note(rng)
    c = n.client
    mail = email(rng, c)
    if rng.random() < 0.6:
        n.t(rng.choice(("Obs : mail client ci-dessous\n", "Copie du mail reçu :\n", "")))
        n.t("---------- Message transféré ----------\nDe : ")
        n.s("PERSON", f"{c.first} {c.last}")
        n.t(" <")
        n.s("EMAIL", mail.replace(" @ ", "@"))
        n.t(f">\nDate : {rng.choice(('lun.', 'mar.', 'mer.', 'jeu.', 'ven.'))} ")
        n.keep(a_date(rng))
        n.t("\nObjet : " + rng.choice(("RE: intervention", "Panne chauffage", "rdv entretien", "Fwd: devis")))
        n.t("\n\nBonjour,\n")
    else:
        n.t(rng.choice(("SMS reçu du client (", "Texto de la cliente, ", "msg transféré depuis le ")))
        n.s("PHONE", phone(rng))
        n.t(") :\n« " if rng.random() < 0.5 else ') :\n"')
        n.t("Bonjour c'est ")
        n.name(c, rng.choice((1, 2, 5)))
        n.t(". ")
    kind, model = n.equipment()
    n.t(f"Ma {kind} " if kind in ("chaudière", "PAC", "clim", "VMC") else f"Mon {kind} ")
    n.keep(model)
    n.t(
        rng.choice(
            (" est encore en panne, elle affiche ", " affiche depuis ce matin ", " clignote avec le code ")
        )
    )
    n.keep(rng.choice(_ERRORS))
    n.t(". ")
    addr = address(rng)
    n.t(rng.choice(("Je vous rappelle l'adresse : ", "Nous habitons au ", "Adresse : ")))
    n.s("ADDRESS", addr.written(rng))
    n.t(rng.choice((". ", ".\n")))
    if rng.random() < 0.15:
        n.t("Le GPS ne trouve jamais la maison, voici la position : ")
        n.s("GPS", gps(rng))
        n.t(". ")
    if rng.random() < 0.7:
        n.t(rng.choice(("Le code de l'immeuble est ", "Digicode ", "Pour entrer : code ")))
        n.s("ACCESS_CODE", access_code(rng))
        n.t(". ")
    if rng.random() < 0.5:
        n.t("Si je ne réponds pas appelez mon mari ")
        other = _person(rng, c.last, female=False)
        n.s("PERSON", other.first)
        n.t(" au ")
        n.s("PHONE", phone(rng))
        n.t(". ")
    if rng.random() < 0.5:
        n.t("Pour le paiement vous pouvez prélever sur ")
        if rng.random() < 0.5:
            n.t("mon IBAN ")
            n.s("IBAN", iban(rng, _pick_valid(rng)))
        else:
            n.t("ma carte ")
            n.s("CARD", card(rng, _pick_valid(rng)))
            n.t(f" exp {rng.randrange(1, 13):02d}/{rng.randrange(26, 31)}")
        n.t(". ")
    if rng.random() < 0.3:
        n.t("Pour le dossier de la prime, mon numéro de sécurité sociale : ")
        value, born = nir(rng, c, _pick_valid(rng))
        n.s("NIR", value)
        n.t(f" (née le {born}). " if c.female else f" (né le {born}). ")
    if rng.random() < 0.3:
        n.t("Le numéro de la centrale d'alarme (IMEI ")
        n.s("IMEI", imei(rng, _pick_valid(rng)))
        n.t(") est sur l'étiquette. ")
    n.t("\nCordialement,\n")
    n.s("PERSON", rng.choice((c.first, f"{c.first} {c.last}", f"{c.first[0]}. {c.last}")))
    if rng.random() < 0.5:
        n.t("\n")
        n.s("PHONE", phone(rng))
    if rng.random() < 0.4:
        n.t("\nEnvoyé depuis mon iPhone" if rng.random() < 0.5 else "\nEnvoyé de mon Galaxy")
    n.t("\n\nCompte rendu tech : ")
    n.tech_block()
    return n


def _checklist(rng: random.Random) -> _Note:
    style_pick = rng.randrange(3)
    style: Callable[[str], str] | None = (None, str.upper, _strip_accents)[style_pick]
    n = _Note(rng, style)
    c = n.client
    bullet = rng.choice(("- ", "• ", "* ", "- [x] ", "☐ ", "> "))
    n.t(rng.choice(("CHECKLIST VISITE\n", "Fiche d'intervention\n", "A faire / fait :\n", "")))
    n.t(bullet + rng.choice(("Client : ", "Nom : ", "Occupant : ")))
    n.name(c, rng.choice((0, 1, 2, 3, 4)))
    n.t("\n" + bullet + rng.choice(("Adresse : ", "Adr : ", "Lieu : ")))
    n.s("ADDRESS", address(rng).written(rng))
    n.t("\n" + bullet + rng.choice(("Tél : ", "Tel : ", "Port. : ", "Mobile : ")))
    n.s("PHONE", phone(rng))
    if rng.random() < 0.5:
        n.t(" / ")
        n.s("PHONE", phone(rng))
    if rng.random() < 0.6:
        n.t("\n" + bullet + "Mail : ")
        n.s("EMAIL", email(rng, c))
    if rng.random() < 0.7:
        n.t("\n" + bullet + rng.choice(("Code porte : ", "Digicode : ", "Code portail : ", "Alarme : code ")))
        n.s("ACCESS_CODE", access_code(rng))
    n.t("\n" + bullet + "Matériel : ")
    kind, model = n.equipment()
    n.t(kind + " ")
    n.keep(model)
    n.t("\n" + bullet + "Défaut constaté : ")
    n.keep(rng.choice(_ERRORS))
    n.t("\n" + bullet + "Mesures : ")
    n.keep(rng.choice(_MEASURES))
    n.t(" / ")
    n.keep(rng.choice(_MEASURES))
    if rng.random() < 0.7:
        n.t("\n" + bullet + "Pièce : ")
        n.keep(rng.choice(_PARTS))
    if rng.random() < 0.5:
        n.t("\n" + bullet + rng.choice(("Box : ", "Routeur : ")))
        n.keep(rng.choice(_BOXES))
        n.t(" MAC ")
        n.s("MAC", mac(rng))
        n.t(rng.choice((" IP ", " - IP publique ", " ip ")))
        n.s("IP", ip(rng))
    if rng.random() < 0.5:
        n.t("\n" + bullet + "Transmetteur ")
        n.keep(rng.choice(_ALARMS))
        n.t(" IMEI ")
        n.s("IMEI", imei(rng, _pick_valid(rng)))
    if rng.random() < 0.35:
        n.t("\n" + bullet + "Véhicule client : ")
        n.s("PLATE", plate(rng))
    if rng.random() < 0.3:
        n.t("\n" + bullet + "GPS : ")
        n.s("GPS", gps(rng))
    if rng.random() < 0.3:
        n.t("\n" + bullet + "Règlement CB : ")
        valid = _pick_valid(rng)
        n.s("CARD", card(rng, valid))
        if not valid:
            n.t(" (refusée, numéro mal saisi ?)")
    if rng.random() < 0.25:
        n.t("\n" + bullet + rng.choice(("N° sécu (dossier CEE) : ", "NIR bénéficiaire : ")))
        value, born = nir(rng, c, _pick_valid(rng))
        n.s("NIR", value)
        n.t(f" - né(e) le {born}")
    if rng.random() < 0.2:
        n.t("\n" + bullet + rng.choice(("RIB prélèvement contrat : ", "IBAN : ")))
        n.s("IBAN", iban(rng, _pick_valid(rng)))
    if rng.random() < 0.5:
        n.t("\n" + bullet + "RDV suivant : ")
        n.keep(a_date(rng))
    else:
        n.t("\n" + bullet + rng.choice(("Signature client : OK", "Terminé", "Client satisfait")))
    return n


def _neighbours(rng: random.Random) -> _Note:
    n = _Note(rng, _strip_accents if rng.random() < 0.3 else None)
    c = n.client
    upstairs = _person(rng)
    n.t(rng.choice(("Dégât des eaux chez ", "Fuite signalée par ", "Appel de ")))
    n.name(c)
    n.t(", ")
    n.s("ADDRESS", address(rng).written(rng))
    n.t(rng.choice((". L'eau vient de chez la voisine du dessus, ", ". Provenance : appart du dessus, ")))
    n.name(upstairs, rng.choice((0, 1, 3)))
    paren = rng.random() < 0.5
    n.t(" (" if paren else ", ")
    n.s("PHONE", phone(rng))
    n.t(") " if paren else ", ")
    role = rng.randrange(3)
    n.t(("absente, clés chez sa fille ", "jamais là, c'est sa sœur ", "injoignable, le gardien ")[role])
    helper = _person(rng, female=role < 2)
    n.name(helper, rng.choice((1, 2, 5)))
    n.t(" qui a ouvert")
    if rng.random() < 0.6:
        n.t(" (code boîte à clés ")
        n.s("ACCESS_CODE", access_code(rng))
        n.t(")")
    n.t(". ")
    n.tech_block()
    n.t(". ")
    if rng.random() < 0.5:
        third = _person(rng)
        n.t(rng.choice(("Le voisin de palier ", "Au RDC, ", "Le voisin d'en face ")))
        n.name(third)
        n.t(rng.choice((" se plaint aussi, ", " a aussi des traces, ")))
        n.t("rappeler au ")
        n.s("PHONE", phone(rng))
        if rng.random() < 0.4:
            n.t(" ou par mail ")
            n.s("EMAIL", email(rng, third))
        n.t(". ")
    if rng.random() < 0.4:
        n.t(rng.choice(("Voiture garée devant le garage : ", "Camionnette du voisin qui gêne, immat ")))
        n.s("PLATE", plate(rng))
        n.t(". ")
    if rng.random() < 0.2:
        n.t("Franchise remboursée au voisin par virement sur ")
        n.s("IBAN", iban(rng, _pick_valid(rng)))
        n.t(". ")
    if rng.random() < 0.3:
        n.t("Maison isolée au fond du chemin, coordonnées ")
        n.s("GPS", gps(rng))
        n.t(". ")
    if rng.random() < 0.3:
        n.t("Caméra de ")
        n.name(upstairs, 5)
        n.t(" sur le même réseau, adresse MAC ")
        n.s("MAC", mac(rng))
        if rng.random() < 0.5:
            n.t(", IP ")
            n.s("IP", ip(rng))
        n.t(". ")
    if rng.random() < 0.2:
        n.t("Le détecteur de fuite relié à l'alarme des voisins (transmetteur IMEI ")
        n.s("IMEI", imei(rng, _pick_valid(rng)))
        n.t(") a sonné. ")
    n.t(rng.choice(("Constat amiable à faire entre ", "Les deux parties prévenues : ", "Devis pour ")))
    n.name(c, rng.choice((0, 3)))
    n.t(" et ")
    n.name(upstairs, rng.choice((0, 3)))
    n.t(".")
    return n


def _rental(rng: random.Random) -> _Note:
    n = _Note(rng)
    tenant = n.client
    landlord = _person(rng)
    syndic = rng.choice(_SYNDICS)
    manager = _person(rng)
    n.t(rng.choice(("Locataire : ", "Occupant (locataire) : ", "Loc. ")))
    n.name(tenant, rng.choice((0, 1, 2, 4)))
    n.t(rng.choice((" - ", ", ", "\n")))
    n.s("ADDRESS", address(rng).written(rng))
    n.t(rng.choice((" - tél ", ", joignable au ", "\ntel loc: ")))
    n.s("PHONE", phone(rng))
    n.t(rng.choice(("\nPropriétaire : ", ". Propriétaire bailleur ", "\nProprio : ")))
    n.name(landlord, rng.choice((0, 1, 2, 3)))
    if rng.random() < 0.6:
        n.t(", habite ")
        n.s("ADDRESS", address(rng).written(rng))
    if rng.random() < 0.6:
        n.t(rng.choice((", mail ", " / ")))
        n.s("EMAIL", email(rng, landlord))
    n.t(rng.choice(("\nSyndic : ", ". Syndic de copro : ", "\nGestionnaire : ")))
    n.t(syndic)
    if rng.random() < 0.8:
        n.t(rng.choice((" (SIRET ", ", SIRET ", " siret ")))
        valid = _pick_valid(rng)
        n.keep(siret(rng, valid))
        n.t(")" if valid else " - à vérifier, le n° ne passe pas)")
    n.t(rng.choice((", suivi par ", ", interlocutrice ", ", contact ")))
    n.name(manager, rng.choice((1, 2, 5)))
    if rng.random() < 0.5:
        n.t(" ligne directe ")
        n.s("PHONE", phone(rng, _phone_digits(rng, mobile=False)))
    n.t(".\n")
    n.tech_block()
    n.t(".\n")
    pay = rng.randrange(4)
    if pay == 0:
        n.t("Facture au propriétaire, RIB fourni : ")
        n.s("IBAN", iban(rng, _pick_valid(rng)))
        n.t(".")
    elif pay == 1:
        n.t("Acompte réglé par le locataire CB n° ")
        n.s("CARD", card(rng, _pick_valid(rng)))
        n.t(".")
    elif pay == 2:
        n.t("Dossier aide (MaPrimeRénov) : n° sécu du propriétaire ")
        valid = _pick_valid(rng)
        value, born = nir(rng, landlord, valid)
        n.s("NIR", value)
        n.t(f", né(e) le {born}")
        n.t("." if valid else " (clé fausse, redemander la carte vitale).")
    else:
        n.t("Prise en charge syndic, bon de commande ")
        n.keep(f"BC-{rng.randrange(2024, 2027)}-{rng.randrange(100, 9999):04d}")
        n.t(".")
    if rng.random() < 0.55:
        n.t(" Box du locataire ")
        n.keep(rng.choice(_BOXES))
        n.t(rng.choice((", IP ", " ip: ")))
        n.s("IP", ip(rng))
        if rng.random() < 0.5:
            n.t(", MAC ")
            n.s("MAC", mac(rng))
        n.t(".")
    if rng.random() < 0.3:
        n.t(" Télésurveillance ")
        n.keep(rng.choice(_ALARMS))
        n.t(", IMEI transmetteur ")
        n.s("IMEI", imei(rng, _pick_valid(rng)))
        n.t(", code alarme ")
        n.s("ACCESS_CODE", access_code(rng))
        n.t(".")
    if rng.random() < 0.3:
        n.t(" Parking : véhicule ")
        n.s("PLATE", plate(rng))
        n.t(" du propriétaire à déplacer.")
    if rng.random() < 0.25:
        n.t(" Coordonnées GPS du pavillon : ")
        n.s("GPS", gps(rng))
        n.t(".")
    return n


def _round(rng: random.Random) -> _Note:
    n = _Note(rng, _strip_accents if rng.random() < 0.4 else None)
    n.t(rng.choice(("Tournée du ", "Planning ", "Journée ", "RECAP ")))
    n.keep(a_date(rng))
    n.t(rng.choice((" :\n", "\n", " -\n")))
    hours = sorted(rng.sample(range(8, 18), rng.randrange(3, 6)))
    for index, hour in enumerate(hours, start=1):
        client = n.client if index == 1 else _person(rng)
        n.t(rng.choice((f"{index}. ", f"{index}) ", "- ", f"#{index} ")))
        n.keep(f"{hour}h" + rng.choice(("", "00", "30", "15")))
        n.t(rng.choice((" ", " - ", " : ")))
        n.name(client, rng.choice((0, 1, 2, 3, 4, 6)))
        n.t(rng.choice((", ", " - ", " / ")))
        n.s("ADDRESS", address(rng).written(rng, with_city=rng.random() < 0.7))
        detail = rng.randrange(5)
        if detail <= 1:
            n.t(rng.choice((", tel ", " - ", ", ")))
            n.s("PHONE", phone(rng))
        elif detail == 2:
            n.t(rng.choice((", code ", ", digi ", ", portail ")))
            n.s("ACCESS_CODE", access_code(rng))
        elif detail == 3:
            n.t(", voiture devant : ")
            n.s("PLATE", plate(rng))
        else:
            pick = rng.randrange(4)
            if pick == 0:
                n.t(", réglé CB ")
                n.s("CARD", card(rng, _pick_valid(rng)))
            elif pick == 1:
                n.t(", RIB pour le contrat ")
                n.s("IBAN", iban(rng, _pick_valid(rng)))
            elif pick == 2:
                n.t(", dossier prime NIR ")
                n.s("NIR", nir(rng, client, _pick_valid(rng))[0])
            else:
                n.t(", box MAC ")
                n.s("MAC", mac(rng))
        n.t(rng.choice((" => ", " : ", ". ")))
        kind, model = n.equipment()
        n.t(kind + " ")
        n.keep(model)
        outcome = rng.randrange(4)
        if outcome == 0:
            n.t(" OK")
        elif outcome == 1:
            n.t(rng.choice((" en ", " défaut ", " code ")))
            n.keep(rng.choice(_ERRORS))
            n.t(", pièce ")
            n.keep(rng.choice(_PARTS))
            n.t(" à commander")
        elif outcome == 2:
            if rng.random() < 0.5:
                n.t(" client absent, avis laissé")
            else:
                n.t(", ")
                n.keep(rng.choice(_MEASURES))
        else:
            n.t(", clés chez ")
            keeper = _person(rng)
            n.name(keeper, rng.choice((0, 1, 5)))
            n.t(" (voisine)" if keeper.female else " (voisin)")
        n.t("\n")
    if rng.random() < 0.4:
        n.t("km : ")
        n.keep(f"{rng.randrange(40, 260)} km")
    else:
        n.t(rng.choice(("Fin de tournée", "RAS")))
    return n


_MAKERS: dict[str, Callable[[random.Random], _Note]] = {
    "dictated": _dictated,
    "forwarded": _forwarded,
    "checklist": _checklist,
    "neighbours": _neighbours,
    "rental": _rental,
    "round": _round,
}


def generate(n: int, seed: int) -> list[Note]:
    """``n`` notes, the same ones for the same ``seed``; ids ``fresh-s<seed>-<index>``."""
    rng = random.Random(f"{CORPUS}/{seed}")
    notes: list[Note] = []
    seen: set[str] = set()
    while len(notes) < n:
        style = STYLES[len(notes) % len(STYLES)] if rng.random() < 0.6 else rng.choice(STYLES)
        built = _MAKERS[style](rng)
        note = built.b.build(f"fresh-s{seed}-{len(notes):04d}", CORPUS)
        if note["text"] in seen:
            continue
        self_check([note])  # every offset is checked as the note is made, not only in the tests
        seen.add(note["text"])
        notes.append(note)
    return notes


def self_check(notes: list[Note]) -> None:
    """Raise if any span does not read exactly as its value (or overlaps, or has blanks)."""
    for note in notes:
        for span in note["spans"]:
            if note["text"][span["start"] : span["end"]] != span["value"]:
                raise ValueError(f"{note['id']}: span {span['label']} does not read as its value")
        problems = check_note(note)
        if problems:
            raise ValueError("; ".join(problems))


if __name__ == "__main__":
    from collections import Counter

    sample = generate(200, SEEDS[0])
    self_check(sample)
    print(Counter(span["label"] for note in sample for span in note["spans"]))
