"""A second fresh held-out generator (``gen_fresh2``): six office registers, overseas names.

**Held out.** Whoever works on the detector does not open this file, prints none of its
notes and none of the values the detector misses on them (see ``split.py`` and README.md).

Written by an engineer who read only ``_note.py``, ``split.py``, ``__main__.py``, the README
and ``tests/bench_corpora/``: not the detector, its tests, ``pii_eval.py`` nor the other
generators and hand-written notes. Every word list below was written for this file.

Registers, one per note (``REGISTERS``):

* ``call_log`` — a planning assistant's call log: timed entries (``appel de Mme X à 9h12``),
  callback numbers, what the caller wants, who to send the technician to;
* ``quote`` — a quote or invoice fragment pasted into the notes: issuer block with the
  company's SIRET, client block, priced lines, VAT (8,5 % overseas), payment details;
* ``handover`` — a note from one technician to another (``pour Karim : chez les …``);
* ``franglais`` — a note half in English, or machine-translated from English or French;
* ``spreadsheet`` — a table copied from a spreadsheet as semicolon CSV (a round, or an
  inventory of connected devices with MAC, IP and IMEI columns);
* ``dispute`` — a complaint or dispute follow-up with several third parties (bailiff,
  insurer's expert, neighbour, landlord, lawyer).

Names come from Breton, Occitan and Alsatian rare surnames, the Caribbean, Réunion, Mayotte,
French Guiana and New Caledonia (Kanak and Wallisian names), Armenian, Ukrainian, Lebanese,
Tamil and Comorian names, and surnames that are heating brands. Addresses are mostly in
overseas departments (streets, ``lieu-dit``, residences, ``lotissement``, ``case``).
Technicians' own first names (``pour Karim``) carry no span: they are the company's staff.
Policy and claim numbers and dates of birth carry no span either (no label for them).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from bench.pii_corpora._note import Note, NoteBuilder, check_note, grouped, iban_fr, luhn_complete, nir_key

__all__ = ["CORPUS", "MISTYPE_RATE", "REGISTERS", "SEEDS", "generate", "self_check"]

CORPUS = "gen_fresh2"
SEEDS = range(8000, 8005)
"""The default evaluation seeds (every seed of this generator is held out)."""
MISTYPE_RATE = 0.15
"""Share of cards, IBANs, NIRs, IMEIs and SIRETs written with one wrong digit (label kept)."""
REGISTERS = ("call_log", "quote", "handover", "franglais", "spreadsheet", "dispute")

# --- names ---------------------------------------------------------------------------------------
# origin: (female first names, male first names, surnames)
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "breton": (
        ("Maela", "Gwenola", "Soazig", "Katell", "Nolwenn", "Enora", "Rozenn", "Anna-Vari"),
        ("Yannig", "Loeiz", "Tangi", "Goulven", "Ewen", "Per-Yann", "Herve", "Malo"),
        ("Kerdoncuff", "Le Guennec", "Quéméner", "Kervella", "Le Scouarnec", "Gourvennec",
         "Jaouen", "Kerhervé", "Mevel", "Bozec", "Cozic", "Guivarc'h", "Penven", "Le Bihan",
         "de Kergorlay", "du Couëdic", "Le Gall-Derrien"),
    ),
    "occitan": (
        ("Aurèla", "Mireille", "Clarmonda", "Fabiola", "Magali", "Roseline"),
        ("Peire", "Jòrdi", "Bernat", "Guilhem", "Estève", "Joan-Loís"),
        ("Cabanel", "Delpech", "Fabrègue", "Estrade", "Lafargue", "Vidalenc", "Castanier",
         "Roumiguière", "Malaterre", "Fournié", "de Solages", "Puech-Sabatier", "Carrère"),
    ),
    "alsacien": (
        ("Odile", "Adélaïde", "Materne", "Léonie", "Richarde", "Marie-Odile"),
        ("Aloyse", "Théobald", "Fridolin", "Florent", "Lucien", "Jean-Materne"),
        ("Heintz", "Schaller", "Wiedemann", "Ostermann", "Grussenmeyer", "Zimmerlé",
         "Kleinclaus", "Haegelé", "Scheidecker", "Ehrhart", "Wurtz", "Baumgartner"),
    ),
    "antillais": (
        ("Rosemonde", "Ketty", "Mylène", "Marie-Line", "Josépha", "Firmine", "Lucette"),
        ("Jocelyn", "Dieudonné", "Fritz", "Ruddy", "Wilfried", "Max-Henri", "Eddy"),
        ("Bellance", "Clairville", "Déglas", "Pancrate", "Zébina", "Tertulien", "Marie-Sainte",
         "Calixte", "Boucaud", "Sainte-Rose", "Nicolo", "Lubin", "Jean-Louis", "Numa"),
    ),
    "reunionnais": (
        ("Marie-Josée", "Ginette", "Clency", "Ange-Marie", "Jessica", "Rosaire", "Annick"),
        ("Jean-Hugues", "Judex", "Gilbert", "Willy", "Mickaël", "Jean-Bernard", "Expédit"),
        ("Hoarau", "Payet", "Grondin", "Técher", "Nativel", "Lauret", "Turpin", "Sautron",
         "Dijoux", "Ethève", "Fontaine", "Maillot", "Rivière", "Boyer-Hoarau"),
    ),
    "tamoul": (
        ("Kavitha", "Anbarasi", "Meena", "Tharani", "Lakshmi", "Sarojini", "Vanessa"),
        ("Prakash", "Senthil", "Vijay", "Kumaran", "Rajen", "Sivanandan", "Jean-Marc"),
        ("Ramassamy", "Soupramanien", "Kandasamy", "Virapoulé", "Moutoussamy", "Arumugam",
         "Sivakumar", "Thangaraj", "Selvarajah", "Pillai", "Moutien", "Vaïtilingom"),
    ),
    "comorien": (
        ("Fatima", "Zaharia", "Mariama", "Roukia", "Echati", "Faïza", "Anziza"),
        ("Anfane", "Ousseni", "Chamsidine", "Nassur", "Faïd", "Abdou", "Ahmed-Ali"),
        ("Ahamada", "Said Ali", "Soilihi", "Ahmed Combo", "Mohamed Toybou", "Anli", "Bacar",
         "Boinali", "Attoumani", "Madi", "Moussa Mdahoma", "Saindou"),
    ),
    "caledonien": (
        ("Hnalaine", "Marie-Pierre", "Malia", "Wassissi", "Sylvie", "Atelea", "Hélène"),
        ("Sylvestre", "Énock", "Petelo", "Soane", "Jean-Marie", "Wahéo", "Daniel"),
        ("Wamytan", "Gowe", "Kasarhérou", "Néaoutyine", "Wakoumé", "Poigoune", "Hnawia",
         "Ounou", "Tein", "Lauhea", "Tufele", "Taufana", "Mulikihaamea"),
    ),
    "armenien": (
        ("Anahit", "Lusine", "Siranouche", "Araxie", "Nairi", "Marie-Anahit"),
        ("Tigran", "Sevan", "Aram", "Nareg", "Vahé", "Krikor"),
        ("Kasparian", "Ohanessian", "Vartanian", "Hovsepian", "Mardirossian", "Papazian",
         "Terzian", "Ghazarian", "Der Sarkissian", "Boyadjian", "Karapetyan", "Der Agopian"),
    ),
    "ukrainien": (
        ("Oksana", "Olena", "Iryna", "Halyna", "Yulia", "Svitlana", "Anna-Mariia"),
        ("Taras", "Bohdan", "Mykola", "Dmytro", "Oleksandr", "Yurii"),
        ("Kovalenko", "Shevchuk", "Bondarenko", "Tkachenko", "Melnyk", "Hrytsenko",
         "Lysenko", "Boiko", "Savchuk", "Kravchuk", "Ostapenko", "Pylypenko", "Yaremchuk"),
    ),
    "libanais": (
        ("Rania", "Nada", "Joumana", "Maya", "Layal", "Rita", "Marie-Thérèse"),
        ("Georges", "Elie", "Rami", "Ziad", "Fadi", "Charbel", "Jean-Pierre"),
        ("Haddad", "Khoury", "Nassar", "Aoun", "Sfeir", "Boutros", "Abi Nader",
         "Abou Jaoudé", "Chamoun", "Karam", "Tabet", "Rizk", "El Khoury", "El Hage"),
    ),
    "marque": (
        ("Brigitte", "Chantal", "Corinne", "Sandrine", "Véronique"),
        ("Patrice", "Thierry", "Régis", "Laurent", "Didier"),
        ("Zehnder", "Weishaupt", "Riello", "Ferroli", "Beretta", "Chaffoteaux", "Dietrich",
         "Duval", "Viessmann", "Buderus"),
    ),
}  # fmt: skip
_ORIGIN_WEIGHTS = {
    "breton": 8, "occitan": 6, "alsacien": 6, "antillais": 12, "reunionnais": 14, "tamoul": 8,
    "comorien": 9, "caledonien": 9, "armenien": 8, "ukrainien": 8, "libanais": 8, "marque": 5,
}  # fmt: skip
_BRAND_SURNAMES = frozenset(_NAMES["marque"][2])

_TECHNICIANS = ("Karim", "Steeve", "Johan", "Mathéo", "Nathan", "Kévin", "Loïc", "Dylan", "Anthony")

# --- places --------------------------------------------------------------------------------------
# region: (streets, lieux-dits, (postcode, city), residences, GPS box lat/lon, phone writer)
_STREETS: dict[str, tuple[str, ...]] = {
    "reunion": ("chemin des Letchis", "rue Juliette-Dodu", "impasse des Vacoas", "allée des Filaos",
                "chemin Summer", "route Hubert-Delisle", "chemin Bœuf-Mort", "rue Sarda-Garriga",
                "ruelle des Goyaviers", "chemin Ligne-Paradis", "sentier des Tamarins",
                "rue du Père-Favron", "chemin Bras-de-Pontho"),
    "antilles": ("rue Victor-Hugues", "chemin de Morne-Rouge", "rue Lardenoy", "route de la Pointe",
                 "rue Frébault", "allée des Balisiers", "chemin de Bois-Rouge", "rue Schœlcher",
                 "impasse des Raisiniers", "route de Dothémare", "rue Gambetta"),
    "guyane": ("rue Lallouette", "avenue Léopold-Héder", "chemin de la Levée", "route de Baduel",
               "rue Madame-Payé", "allée des Wapas", "chemin Constant-Chlore"),
    "mayotte": ("rue Mahabou", "rue du Stade", "chemin Mgombani", "rue Mbonimou", "impasse Boboka",
                "route nationale 1", "rue de la Mosquée", "chemin de Cavani"),
    "caledonie": ("rue Jules-Garnier", "rue de Sébastopol", "rue Higginson", "rue Édouard-Unger",
                  "promenade Roger-Laroque", "rue Taragnat", "avenue du Maréchal-Foch",
                  "rue Bichat", "route de la Baie-des-Dames"),
    "bretagne": ("hent Penn ar Roz", "straed ar Vilin", "rue de Kerfeunteun", "impasse Ker Anna",
                 "chemin de Traon Nevez", "rue Park an Ilis", "venelle du Goasmeur"),
    "occitanie": ("carrièra de la Font", "camin de Sant Jaume", "rue des Pénitents-Bleus",
                  "chemin de la Salvetat", "rue del Castèl", "impasse du Pech"),
    "alsace": ("rue des Tonneliers", "rue du Vignoble", "rue de la Dîme", "chemin du Hohrain",
               "rue des Cigognes", "Kirchgasse", "rue du Schlossberg"),
}  # fmt: skip
_LIEUX_DITS: dict[str, tuple[str, ...]] = {
    "reunion": ("Grand-Coude", "Bois-de-Nèfles", "Trois-Mares", "Ravine-des-Cabris", "Bras-Sec",
                "Piton-Hyacinthe", "Mare-Longue", "Ilet-à-Cordes"),
    "antilles": ("Morne-Pavillon", "Fond-Saint-Denis", "Grand-Camp", "Pérou", "Belle-Plaine",
                 "Morne-à-l'Eau-Haut", "Cocoyer"),
    "guyane": ("Crique-Fouillée", "Sablance", "Bourda", "Montabo"),
    "mayotte": ("Mtsapéré", "Kawéni", "Tsoundzou II", "Passamaïnty", "Cavani Sud"),
    "caledonie": ("tribu de Saint-Louis", "Koutio", "Tina-sur-Mer", "Yahoué", "Plum"),
    "bretagne": ("Kerlosquet", "Penhoat", "Goarem Vraz", "Kervéguen", "Lannuzel"),
    "occitanie": ("La Borie Haute", "Las Combes", "Le Mas del Puech", "Pech Redon"),
    "alsace": ("Sandgrube", "Hinterfeld", "Langacker", "Bruderberg"),
}  # fmt: skip
_CITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "reunion": (("97410", "Saint-Pierre"), ("97430", "Le Tampon"), ("97460", "Saint-Paul"),
                ("97400", "Saint-Denis"), ("97470", "Saint-Benoît"), ("97412", "Bras-Panon"),
                ("97440", "Saint-André"), ("97480", "Saint-Joseph"), ("97414", "Entre-Deux"),
                ("97425", "Les Avirons"), ("97429", "Petite-Île")),
    "antilles": (("97110", "Pointe-à-Pitre"), ("97122", "Baie-Mahault"), ("97190", "Le Gosier"),
                 ("97160", "Le Moule"), ("97200", "Fort-de-France"), ("97232", "Le Lamentin"),
                 ("97233", "Schœlcher"), ("97215", "Rivière-Salée"), ("97229", "Les Trois-Îlets")),
    "guyane": (("97300", "Cayenne"), ("97310", "Kourou"), ("97351", "Matoury"),
               ("97354", "Remire-Montjoly")),
    "mayotte": (("97600", "Mamoudzou"), ("97615", "Pamandzi"), ("97620", "Chirongui"),
                ("97680", "Tsingoni"), ("97660", "Dembéni")),
    "caledonie": (("98800", "Nouméa"), ("98890", "Païta"), ("98809", "Mont-Dore"),
                  ("98835", "Dumbéa"), ("98860", "Koné")),
    "bretagne": (("29870", "Landéda"), ("29690", "Huelgoat"), ("22310", "Plestin-les-Grèves"),
                 ("29260", "Lesneven"), ("56340", "Carnac"), ("29770", "Plogoff")),
    "occitanie": (("12800", "Naucelle"), ("81140", "Castelnau-de-Montmiral"), ("46100", "Figeac"),
                  ("31560", "Nailloux"), ("09200", "Saint-Girons")),
    "alsace": (("67140", "Barr"), ("68340", "Riquewihr"), ("67600", "Sélestat"),
               ("68750", "Bergheim"), ("67210", "Obernai"), ("68230", "Turckheim")),
}  # fmt: skip
_RESIDENCES = ("Les Flamboyants", "Ti Kaz Soleil", "Les Badamiers", "Le Corail", "Les Alizés",
               "Bougainvilliers", "Ker Heol", "Les Jacarandas", "Le Lagon Bleu", "Ylang-Ylang",
               "Les Manguiers", "Océane", "Cap Caraïbes")  # fmt: skip
_BUILDINGS = ("A", "B", "C", "D", "E", "Ylang", "Vanille", "Corail", "2", "4")
_GPS_BOX: dict[str, tuple[float, float, float, float]] = {
    "reunion": (-21.35, -20.90, 55.25, 55.78),
    "antilles": (14.45, 16.45, -61.75, -60.85),
    "guyane": (4.80, 5.25, -52.70, -52.25),
    "mayotte": (-12.95, -12.65, 45.05, 45.28),
    "caledonie": (-22.35, -20.95, 164.85, 166.95),
    "bretagne": (47.55, 48.72, -4.75, -2.95),
    "occitanie": (43.00, 44.60, 1.05, 2.55),
    "alsace": (47.95, 48.60, 7.25, 7.75),
}
_REGION_ORIGINS: dict[str, tuple[str, ...]] = {
    "reunion": ("reunionnais", "reunionnais", "tamoul", "comorien"),
    "antilles": ("antillais", "antillais", "libanais"),
    "guyane": ("antillais", "libanais", "ukrainien"),
    "mayotte": ("comorien", "comorien", "reunionnais"),
    "caledonie": ("caledonien", "caledonien", "breton"),
    "bretagne": ("breton", "breton", "armenien", "ukrainien"),
    "occitanie": ("occitan", "armenien", "libanais"),
    "alsace": ("alsacien", "ukrainien", "marque"),
}
_REGION_WEIGHTS = {
    "reunion": 22, "antilles": 16, "guyane": 7, "mayotte": 12, "caledonie": 13,
    "bretagne": 11, "occitanie": 9, "alsace": 10,
}  # fmt: skip
_MAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "reunion": ("orange.re", "zeop.re", "gmail.com", "outlook.fr"),
    "antilles": ("wanadoo.fr", "orange.fr", "gmail.com", "hotmail.fr"),
    "guyane": ("orange.fr", "yahoo.fr", "gmail.com"),
    "mayotte": ("gmail.com", "yahoo.fr", "outlook.com"),
    "caledonie": ("lagoon.nc", "canl.nc", "mls.nc", "gmail.com"),
    "bretagne": ("free.fr", "laposte.net", "orange.fr", "sfr.fr"),
    "occitanie": ("laposte.net", "free.fr", "gmail.com"),
    "alsace": ("estvideo.fr", "orange.fr", "gmx.fr", "web.de"),
}

# --- equipment -----------------------------------------------------------------------------------
# (brand, models): invented brands, and a few real brand names with invented models.
_EQUIPMENT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Alizéa", ("Split 9000", "Duo 12i", "Mural 2.6", "Tiana Mono 8")),
    ("Tropikair", ("XR-12", "XR-18 Inverter", "Kréol Silence", "Cassette K4")),
    ("Kalvéo", ("HT-9", "HT-14 Bizone", "Solène 300", "Maëlys Eco 24")),
    ("Aquavéa", ("Lagon 300", "Lagon Duo 200", "Thermosol 150")),
    ("Brumisol", ("Kréol 3.5", "Félicie 2 Compact", "Vapor 40")),
    ("Nordhal", ("Vega 24C", "Vega Condens 30", "Astrid 18")),
    ("Frimatic", ("OX-200", "OX-350 Pro", "Glacia 2")),
    ("Hélianthe", ("CESI 300", "Thermo 200L", "Soléane 2")),
    ("Karbel", ("Astra 3", "Astra Duo", "Mistral 11")),
    ("Vortek", ("MiniSplit 2.6", "Cyclone 9K", "VRX-35")),
    ("Daikin", ("Kanaloa 35", "Perfera Moana 25")),
    ("Atlantic", ("Odyssée Kaz 250", "Zénéo Tropic 200")),
    ("Zehnder", ("Comfoair Q-Tropic", "Charleston Ti 1200")),
    ("Ferroli", ("Bluehelix Kaz 25", "Divatop Mini 24")),
)
_DEVICES = ("box Internet", "thermostat connecté", "passerelle Wi-Fi de la PAC", "box domotique",
            "module Wi-Fi clim", "répéteur Wi-Fi")  # fmt: skip
_GSM_DEVICES = ("transmetteur GSM de l'alarme", "module 4G de la PAC", "télésurveillance GSM",
                "boîtier télérelève", "transmetteur d'alarme")  # fmt: skip
_ERRORS = ("E-147", "F28", "H05", "Er 3", "A6", "P4", "U4", "EC 11", "L5-02", "E1-03", "F.75", "dF 21")
_PROBLEMS = ("ne refroidit plus", "goutte sur le carrelage", "disjoncte au démarrage",
             "fait un bruit de claquement", "affiche un défaut", "n'a plus d'eau chaude",
             "le ventilo extérieur ne tourne pas", "sent le brûlé", "la télécommande ne répond plus",
             "pression qui chute", "fuite au groupe de sécurité")  # fmt: skip
_COMPANY = ("Kaz Froid Services SARL", "Techno-Clim Océan Indien", "Caraïbes Énergie Maintenance",
            "Lagon Thermique SAS", "Armor Chauffage Services", "Calor'Est Maintenance")  # fmt: skip
_BAILIFF_FIRMS = ("SCP Océan Justice", "Étude Sud Commissaires", "SELARL Alizés Huissiers",
                  "Étude du Lagon", "SCP Hautes-Terres Constats")  # fmt: skip
_INSURERS = ("Mutuelle Océane", "Assurances du Lagon", "AXÉLIA Habitat", "Prévoyance Créole",
             "La Tutélaire Antilles")  # fmt: skip

# --- small helpers -------------------------------------------------------------------------------


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _lower_plain(text: str) -> str:
    return _strip_accents(text).lower()


def _upper(text: str) -> str:
    return text.upper()


@dataclass(frozen=True)
class _Person:
    first: str
    last: str
    female: bool
    """Drives the civility only."""

    def civility(self, rng: random.Random, english: bool = False) -> str:
        if english:
            return rng.choice(("Mrs", "Mrs.", "Ms")) if self.female else rng.choice(("Mr", "Mr."))
        if self.female:
            return rng.choice(("Mme", "Mme", "Madame", "Mme.", "Mlle"))
        return rng.choice(("M.", "M.", "Monsieur", "Mr"))

    def name(self, rng: random.Random, form: str | None = None) -> str:
        """One writing of the name (the civility is written outside the span)."""
        form = form or rng.choice(("full", "full", "admin", "admin", "last", "initial", "caps", "lower"))
        if form == "full":
            return f"{self.first} {self.last}"
        if form == "admin":
            return f"{self.last.upper()} {self.first}"
        if form == "last":
            return self.last
        if form == "initial":
            return f"{self.first[0]}. {self.last}"
        if form == "caps":
            return f"{self.first} {self.last}".upper()
        if form == "lower":
            return f"{self.first} {self.last}".lower()
        if form == "first":
            return self.first
        if form == "lastcaps":
            return self.last.upper()
        raise ValueError(f"unknown name form {form!r}")


class _Draw:
    """Draws one note's values: names, contact details, identifiers, equipment."""

    def __init__(self, rng: random.Random, region: str) -> None:
        self.rng = rng
        self.region = region
        self.mistyped = 0

    # persons
    def person(self, origin: str | None = None) -> _Person:
        rng = self.rng
        if origin is None:
            if rng.random() < 0.55:
                origin = rng.choice(_REGION_ORIGINS[self.region])
            else:
                origin = rng.choices(list(_ORIGIN_WEIGHTS), weights=list(_ORIGIN_WEIGHTS.values()))[0]
        women, men, surnames = _NAMES[origin]
        female = rng.random() < 0.55
        return _Person(rng.choice(women if female else men), rng.choice(surnames), female)

    def relative(self, of: _Person) -> _Person:
        """Same family name, another first name."""
        rng = self.rng
        origin = next(o for o, (_, _, surnames) in _NAMES.items() if of.last in surnames)
        women, men, _ = _NAMES[origin]
        female = rng.random() < 0.5
        return _Person(rng.choice(women if female else men), of.last, female)

    # contact
    def phone(self, region: str | None = None) -> str:
        rng = self.rng
        region = region or (self.region if rng.random() < 0.75 else "metro")
        if region == "caledonie":
            digits = rng.choice("2479") + "".join(rng.choice("0123456789") for _ in range(5))
            pairs = grouped(digits, 2)
            return rng.choice((pairs, pairs.replace(" ", "."), f"+687 {pairs}", f"(687) {digits}", digits))
        overseas = {
            "reunion": ("262", "0262", ("0692", "0693")),
            "mayotte": ("262", "0269", ("0639",)),
            "antilles": ("590", "0590", ("0690", "0696")),
            "guyane": ("594", "0594", ("0694",)),
        }
        if region in overseas:
            country, landline, mobiles = overseas[region]
            if region == "antilles" and rng.random() < 0.5:
                country, landline = "596", "0596"
            prefix = rng.choice((*mobiles, landline))
            rest = "".join(rng.choice("0123456789") for _ in range(6))
            national = prefix + rest
            forms = (
                f"{prefix} {grouped(rest, 2)}",
                grouped(national, 2),
                grouped(national, 2, "."),
                national,
                f"+{country} {prefix[1:]} {grouped(rest, 2)}",
                f"+{country}{national[1:]}",
                f"00{country} {prefix[1:]} {grouped(rest, 2)}",
                f"({country}) {national}",
            )
            return rng.choice(forms)
        first = rng.choice(("06", "07", "06", "02", "03", "05", "09"))
        national = first + "".join(rng.choice("0123456789") for _ in range(8))
        forms = (
            grouped(national, 2),
            grouped(national, 2, "."),
            grouped(national, 2, "-"),
            national,
            f"+33 {national[1]} {grouped(national[2:], 2)}",
            f"+33 (0){national[1]} {grouped(national[2:], 2)}",
            f"0033{national[1:]}",
            f"+33{national[1:]}",
        )
        return rng.choice(forms)

    def email(self, person: _Person, english: bool = False) -> str:
        rng = self.rng

        def plain(text: str) -> str:
            return _strip_accents(text).lower().replace(" ", "").replace("'", "")

        first, last = plain(person.first), plain(person.last)
        local = rng.choice(
            (
                f"{first}.{last}",
                f"{first[0]}{last}",
                f"{last}{rng.randint(1, 99)}",
                f"{first}{rng.randint(60, 99)}",
                f"{first}-{last}",
                f"{last}.{first[0]}",
                f"{first}_{last}{rng.choice(('974', '976', '972', '971', '988', ''))}",
            )
        )
        domain = rng.choice(_MAIL_DOMAINS[self.region])
        name, _, tld = domain.rpartition(".")
        forms = [f"{local}@{domain}", f"{local}@{domain}", f"{local} @ {domain}", f"{local}(at){domain}"]
        forms += [f"{local}@{domain}".upper()] if rng.random() < 0.2 else []
        if english:
            forms += [f"{local} at {name} dot {tld}", f"{local}[at]{name}[dot]{tld}"]
        else:
            forms += [f"{local} arobase {name} point {tld}", f"{local}[at]{domain}"]
        return rng.choice(forms)

    def address(self, full: bool = True) -> str:
        rng = self.rng
        region = self.region
        street = rng.choice(_STREETS[region])
        postcode, city = rng.choice(_CITIES[region])
        number = str(rng.choice((rng.randint(1, 40), rng.randint(1, 180), rng.randint(2, 12))))
        number += rng.choice(("", "", "", "", " bis", " ter", "B", " A"))
        lieu = rng.choice(_LIEUX_DITS[region])
        kind = rng.random()
        if region == "mayotte" and kind < 0.35:
            core = f"{street}, {lieu}"  # Mayotte: often a street and a village, no number
        elif kind < 0.2:
            core = f"lieu-dit {lieu}" if not lieu.startswith("tribu") else lieu
            if rng.random() < 0.5:
                core = f"{number} {street}, {core}"
        elif kind < 0.4:
            core = (
                f"Rés. {rng.choice(_RESIDENCES)}, bât. {rng.choice(_BUILDINGS)}, "
                f"appt {rng.randint(1, 48)}, {number} {street}"
            )
        elif kind < 0.55:
            core = (
                f"{number} {street}, {rng.choice(('esc.', 'escalier'))} {rng.randint(1, 4)}, "
                + rng.choice(("1er étage", "2e étage", "3e", "4e étage", "RDC", "5e ét."))
            )
        elif kind < 0.68:
            core = f"lot. {rng.choice(_RESIDENCES)}, {number} {street}"
        elif kind < 0.76 and region in ("caledonie", "mayotte", "reunion"):
            core = f"case {rng.randint(1, 90)}, {street}"
        else:
            core = f"{number} {street}"
        if not full:
            return core
        city_text = city.upper() if rng.random() < 0.3 else city
        return rng.choice((f"{core}, {postcode} {city_text}", f"{core} {postcode} {city_text}"))

    def gps(self) -> str:
        rng = self.rng
        lat_lo, lat_hi, lon_lo, lon_hi = _GPS_BOX[self.region]
        lat, lon = rng.uniform(lat_lo, lat_hi), rng.uniform(lon_lo, lon_hi)
        form = rng.randrange(6)
        if form == 0:
            return f"{lat:.5f}, {lon:.5f}"
        if form == 1:
            return f"{lat:.4f} {lon:.4f}".replace(".", ",")
        if form == 2:
            return f"{lat:.6f},{lon:.6f}"

        def dms(value: float, pos: str, neg: str) -> str:
            sign = pos if value >= 0 else neg
            value = abs(value)
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            seconds = (value - degrees - minutes / 60) * 3600
            return f"{degrees}°{minutes:02d}'{seconds:04.1f}\"{sign}"

        if form == 3:
            return f"{dms(lat, 'N', 'S')} {dms(lon, 'E', 'W')}"
        if form == 4:
            ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
            return f"{ns} {abs(lat):.5f}° {ew} {abs(lon):.5f}°"
        return f"{lat:.5f} / {lon:.5f}"

    # identifiers
    def _mistype(self, digits: str, positions: range) -> tuple[str, bool]:
        rng = self.rng
        if rng.random() >= MISTYPE_RATE:
            return digits, False
        position = rng.choice([p for p in positions if digits[p].isdigit()])
        wrong = rng.choice([d for d in "0123456789" if d != digits[position]])
        self.mistyped += 1
        return digits[:position] + wrong + digits[position + 1 :], True

    def plate(self) -> str:
        rng = self.rng
        issued = "ABCDEFGHJKLMNPQRSTVWXYZ"
        if rng.random() < 0.2:
            # FNI, also with the three-digit department of an overseas one
            dept = rng.choice(("974", "976", "971", "972", "973", "29", "67", "12", "2A"))
            letters = "".join(rng.choice(issued) for _ in range(rng.choice((2, 3))))
            value = f"{rng.randint(1, 9999)} {letters} {dept}"
            return value.lower() if rng.random() < 0.2 else value
        if rng.random() < 0.22:
            pairs = [rng.choice(("OU", "SS", "WW", "IO", "UI", "QO")), rng.choice(("SS", "OI", "UU", "KO"))]
            rng.shuffle(pairs)
            left, right = pairs
        else:
            left = "".join(rng.choice(issued) for _ in range(2))
            right = "".join(rng.choice(issued) for _ in range(2))
        number = f"{rng.randint(1, 999):03d}"
        forms = (f"{left}-{number}-{right}", f"{left}-{number}-{right}", f"{left} {number} {right}",
                 f"{left}{number}{right}", f"{left}-{number}-{right}".lower())  # fmt: skip
        return rng.choice(forms)

    def card(self) -> tuple[str, bool]:
        rng = self.rng
        body = rng.choice(("4970", "4974", "5132", "5355", "4035", "4561")) + "".join(
            rng.choice("0123456789") for _ in range(11)
        )
        digits, wrong = self._mistype(luhn_complete(body), range(16))
        form = rng.randrange(4)
        value = (grouped(digits, 4), grouped(digits, 4, "-"), digits, grouped(digits, 4))[form]
        return value, wrong

    def iban(self) -> tuple[str, bool]:
        rng = self.rng
        bban = "".join(rng.choice("0123456789") for _ in range(23))
        value, wrong = self._mistype(iban_fr(bban), range(4, 27))
        form = rng.randrange(3)
        if form == 0:
            return grouped(value, 4), wrong
        if form == 1:
            return value, wrong
        return grouped(value, 4).lower() if rng.random() < 0.3 else grouped(value, 4), wrong

    def nir(self, person: _Person | None = None) -> tuple[str, bool]:
        rng = self.rng
        sex = "2" if person is not None and person.female else rng.choice("12")
        year = f"{rng.randint(40, 99):02d}"
        month = f"{rng.randint(1, 12):02d}"
        place = rng.random()
        if place < 0.35:
            dept, commune = "97", rng.choice(("411", "416", "422", "101", "209", "611", "302"))
        elif place < 0.55:
            dept, commune = "99", rng.choice(("205", "252", "155", "397", "235", "351"))  # born abroad
        elif place < 0.65:
            dept, commune = rng.choice(("2A", "2B")), f"{rng.randint(1, 366):03d}"
        else:
            dept, commune = (
                rng.choice(("29", "22", "56", "12", "46", "67", "68", "31")),
                f"{rng.randint(1, 300):03d}",
            )
        order = f"{rng.randint(1, 999):03d}"
        body = sex + year + month + dept + commune + order
        whole, wrong = self._mistype(body + nir_key(body), range(15))
        parts = (whole[0], whole[1:3], whole[3:5], whole[5:7], whole[7:10], whole[10:13], whole[13:])
        form = rng.randrange(3)
        if form == 0:
            return " ".join(parts), wrong
        if form == 1:
            return whole, wrong
        return f"{whole[:13]} {whole[13:]}", wrong

    def mac(self) -> str:
        rng = self.rng
        octets = [f"{rng.randrange(256):02x}" for _ in range(6)]
        form = rng.randrange(5)
        if form == 0:
            return ":".join(octets)
        if form == 1:
            return ":".join(octets).upper()
        if form == 2:
            return "-".join(octets).upper()
        if form == 3:
            joined = "".join(octets)
            return ".".join(joined[i : i + 4] for i in range(0, 12, 4))
        return "".join(octets).upper()

    def ip(self) -> str:
        rng = self.rng
        form = rng.randrange(6)
        if form == 0:
            return f"192.168.{rng.choice((0, 1, 1, 10, 100))}.{rng.randint(2, 254)}"
        if form == 1:
            return f"10.{rng.randint(0, 20)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
        if form == 2:
            first = rng.choice((82, 90, 102, 154, 197, 203))
            return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if form == 3:
            groups = [f"{rng.randrange(65536):x}" for _ in range(4)]
            return f"2a01:{rng.choice(('cb1d', 'e0a', '4f8'))}:{':'.join(groups)}::{rng.randrange(65536):x}"
        if form == 4:
            groups = [f"{rng.randrange(65536):04x}" for _ in range(6)]
            return "2001:0db8:" + ":".join(groups)
        return f"fe80::{rng.randrange(65536):x}:{rng.randrange(65536):x}"

    def imei(self) -> tuple[str, bool]:
        rng = self.rng
        tac = rng.choice(("35209900", "86472105", "35693803", "01326300", "35886710"))
        body = tac + "".join(rng.choice("0123456789") for _ in range(6))
        digits, wrong = self._mistype(luhn_complete(body), range(15))
        form = rng.randrange(4)
        value = (digits, f"{digits[:2]} {digits[2:8]} {digits[8:14]} {digits[14]}",
                 f"{digits[:8]}-{digits[8:14]}-{digits[14]}", digits)[form]  # fmt: skip
        return value, wrong

    def code(self) -> str:
        rng = self.rng
        form = rng.randrange(5)
        if form == 0:
            return f"{rng.randint(0, 9999):04d}"
        if form == 1:
            return f"{rng.choice('ABCD')}{rng.randint(100, 9999)}"
        if form == 2:
            return f"{rng.randint(1000, 9999)}{rng.choice('ABXY')}"
        if form == 3:
            return f"{rng.randint(100000, 999999)}"
        return f"{rng.randint(10, 99)} {rng.randint(10, 99)}"

    def siret(self) -> str:
        rng = self.rng
        siren = luhn_complete("".join(rng.choice("0123456789") for _ in range(8)))
        digits, _ = self._mistype(luhn_complete(siren + f"{rng.randint(1, 99):04d}"), range(14))
        return rng.choice((f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}", digits))

    # technical values (KEEP)
    def equipment(self) -> str:
        brand, models = self.rng.choice(_EQUIPMENT)
        return f"{brand} {self.rng.choice(models)}"

    def error(self) -> str:
        return self.rng.choice(_ERRORS)

    def serial(self) -> str:
        rng = self.rng
        letters = "ABCDEFGHJKLMNPRSTXZ"

        def pick(count: int) -> str:
            return "".join(rng.choice(letters) for _ in range(count))

        form = rng.randrange(4)
        if form == 0:
            return f"{rng.randint(20, 26)}{rng.randint(1, 52):02d}-{pick(2)}-{rng.randint(0, 99999):05d}"
        if form == 1:
            return f"{rng.randint(1, 9)}{pick(2)}{rng.randint(10000, 99999)}{pick(2)}"
        if form == 2:
            return f"{pick(2)}{rng.randint(20, 26)}{rng.choice('ABC')}{rng.randint(100000, 999999)}"
        return "".join(rng.choice("0123456789") for _ in range(12))

    def part(self) -> str:
        rng = self.rng
        form = rng.randrange(3)
        if form == 0:
            return f"{rng.randint(10, 99)}{rng.randint(0, 99999999):08d}"
        if form == 1:
            return f"PCB-{rng.choice(('AZ', 'KX', 'TR', 'HL'))}-{rng.randint(1000, 9999)}"
        return f"{rng.randint(100, 999)}.{rng.randint(100, 999)}.{rng.randint(10, 99)}"

    def measure(self) -> str:
        rng = self.rng
        return rng.choice(
            (
                f"{rng.randint(8, 25) / 10:.1f} bar".replace(".", ","),
                f"{rng.randint(7, 65)} °C",
                f"{rng.randint(20, 160) / 10:.1f} kW".replace(".", ","),
                f"{rng.choice((230, 231, 228, 400))} V",
                f"{rng.choice((10, 16, 20, 32))} A",
                f"R32 {rng.randint(40, 180) / 100:.2f} kg".replace(".", ","),
                f"R410A {rng.randint(60, 250) / 100:.2f} kg".replace(".", ","),
                f"{rng.randint(28, 62)} dB",
                f"{rng.randint(50, 300)} L",
                f"ΔT {rng.randint(3, 12)} K",
            )
        )

    def date(self) -> str:
        rng = self.rng
        day, month = rng.randint(1, 28), rng.randint(1, 12)
        months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                  "octobre", "novembre", "décembre")  # fmt: skip
        return rng.choice(
            (
                f"{day:02d}/{month:02d}/2026",
                f"{day:02d}/{month:02d}/26",
                f"{day} {months[month - 1]}",
                f"2026-{month:02d}-{day:02d}",
                f"{day:02d}.{month:02d}.2026",
            )
        )

    def time(self) -> str:
        rng = self.rng
        hour, minute = rng.randint(7, 19), rng.choice((0, 5, 12, 15, 20, 30, 40, 45, 52))
        short = f"{hour}h" if minute == 0 else f"{hour}h{minute:02d}"
        return rng.choice((f"{hour}h{minute:02d}", f"{hour:02d}:{minute:02d}", short))

    def charge(self) -> str:
        rng = self.rng
        fluid = rng.choice(("R32", "R410A", "R290", "R134a"))
        return f"{fluid} {rng.randint(30, 250) / 100:.2f} kg".replace(".", ",")

    def amount(self, cents: int, currency: str) -> str:
        """``cents`` written the French way (``1 245,50 €``), with this quote's currency mark."""
        euros = f"{cents // 100:,}".replace(",", " ")
        return f"{euros},{cents % 100:02d}{currency}"


# --- the six registers ---------------------------------------------------------------------------

_Writer = Callable[[NoteBuilder, _Draw], None]


def _checked_remark(rng: random.Random, wrong: bool) -> str:
    """Sometimes a remark after a mistyped number (and sometimes after a good one)."""
    if (wrong and rng.random() < 0.45) or rng.random() < 0.05:
        return rng.choice((" (un chiffre douteux)", " (refusé par le TPE, à revérifier)", " (?)",
                           " — dicté au tel, pas sûr", " (recopié à la main)"))  # fmt: skip
    return ""


def _call_log(b: NoteBuilder, d: _Draw) -> None:
    rng = d.rng
    b.text(rng.choice(("Journal d'appels", "JOURNAL STANDARD", "Appels du jour", "Permanence tel.",
                       "Main courante accueil")))  # fmt: skip
    b.text(f" — {rng.choice(('lundi', 'mardi', 'jeudi', 'vendredi'))} ")
    b.span("KEEP", d.date()).text("\n")
    for _ in range(rng.randint(2, 4)):
        caller = d.person()
        kind = rng.randrange(4)
        b.text(rng.choice(("• ", "- ", "")))
        if kind == 0:
            b.text("appel de ").text(caller.civility(rng) + " ").span("PERSON", caller.name(rng))
            b.text(" à ").span("KEEP", d.time())
        elif kind == 1:
            b.span("KEEP", d.time()).text(" — ").span("PERSON", caller.name(rng, "admin"))
            b.text(rng.choice((" a appelé", " (appel entrant)", " a laissé un message")))
        elif kind == 2:
            b.text("msg répondeur ").span("KEEP", d.time()).text(" : ")
            b.span("PERSON", caller.name(rng, rng.choice(("first", "full", "lower"))))
            b.text(rng.choice((" (ne dit pas son nom de famille)", ", voix âgée", "")))
        else:
            relative = d.relative(caller)
            b.text("appel ").span("KEEP", d.time()).text(" de ")
            b.span("PERSON", relative.name(rng, "first"))
            b.text(", la fille de " if relative.female else rng.choice((", le fils de ", ", le neveu de ")))
            b.text(caller.civility(rng) + " ").span(
                "PERSON", caller.name(rng, rng.choice(("last", "lastcaps")))
            )
        b.text(" : ").span("KEEP", d.equipment()).text(" " + rng.choice(_PROBLEMS))
        if rng.random() < 0.5:
            b.text(", code ").span("KEEP", d.error())
        b.text(". ")
        b.text(rng.choice(("Rappeler au ", "Rappeler au ", "Joignable au ", "Rappel souhaité au ")))
        b.span("PHONE", d.phone())
        if rng.random() < 0.4:
            b.text(rng.choice((" après ", " avant ", " pas avant "))).span("KEEP", d.time())
        if rng.random() < 0.3:
            b.text(rng.choice((" ou sur le fixe ", " sinon le ", " / "))).span("PHONE", d.phone())
        b.text(". ")
        if rng.random() < 0.7:
            b.text(rng.choice(("Intervention au ", "Adresse : ", "Habite ", "Chantier : ")))
            b.span("ADDRESS", d.address(full=rng.random() < 0.75)).text(". ")
        if rng.random() < 0.45:
            b.text(rng.choice(("Code portail ", "Digicode ", "Code barrière ", "Boîte à clés code ")))
            b.span("ACCESS_CODE", d.code()).text(". ")
        if rng.random() < 0.35:
            b.text(rng.choice(("Envoyer le devis à ", "Confirmation par mail : ", "Mail : ")))
            b.span("EMAIL", d.email(caller)).text(". ")
        _extra(b, d, rng.choice((0, 0, 1, 1, 2)), caller)
        b.text("\n")
    b.text(rng.choice(("À planifier.", "Transmis au planning.", "Voir avec le chef d'équipe.", "")))


def _quote(b: NoteBuilder, d: _Draw) -> None:
    rng = d.rng
    client = d.person()
    invoice = rng.random() < 0.5
    number = f"{'FA' if invoice else 'DV'}-2026-{rng.randint(1, 2999):05d}"
    b.text(rng.choice(("--- copié du logiciel de devis ---\n", "[collé depuis le PDF]\n", "")))
    b.text(("FACTURE" if invoice else "DEVIS") + " N° ").span("KEEP", number).text(" du ")
    b.span("KEEP", d.date()).text("\n")
    b.text(f"{rng.choice(_COMPANY)} — SIRET ").span("KEEP", d.siret()).text("\n")
    b.text(rng.choice(("Client : ", "Destinataire : ", "CLIENT\n", "Facturé à : ")))
    if rng.random() < 0.7:
        b.text(client.civility(rng) + " ")
    b.span("PERSON", client.name(rng, rng.choice(("admin", "full", "caps")))).text("\n")
    address = d.address()
    if rng.random() < 0.5 and ", " in address:
        first, _, rest = address.rpartition(", ")
        b.span("ADDRESS", f"{first}\n{rest}").text("\n")
    else:
        b.span("ADDRESS", address).text("\n")
    b.text(rng.choice(("Tél. ", "Tel : ", "Portable : "))).span("PHONE", d.phone())
    if rng.random() < 0.7:
        b.text(rng.choice((" — Courriel : ", " | mail : ", "\nEmail : "))).span("EMAIL", d.email(client))
    b.text("\n")
    if rng.random() < 0.3:
        b.text("Lieu d'intervention (si différent) : ").span("ADDRESS", d.address()).text("\n")
    b.text(rng.choice(("Désignation ; Qté ; PU HT ; Total HT\n", "Réf.   Désignation      Qté   Montant\n",
                       "Détail :\n")))  # fmt: skip
    currency = rng.choice((" €", "€", " EUR", ""))
    total = 0
    for _ in range(rng.randint(2, 4)):
        line = rng.randrange(4)
        if line == 0:
            b.text("Fourniture ").span("KEEP", d.equipment()).text(" ")
            unit = rng.randint(400, 4200) * 100
        elif line == 1:
            b.text("Carte électronique réf. ").span("KEEP", d.part()).text(" ")
            unit = rng.randint(9000, 69000) + rng.choice((0, 50, 90))
        elif line == 2:
            b.text("Recharge fluide ").span("KEEP", d.charge()).text(" ")
            unit = rng.randint(60, 300) * 100
        else:
            b.text(rng.choice(("Main d'œuvre (h) ", "Déplacement zone 2 ", "Forfait mise en service ")))
            unit = rng.choice((4500, 5200, 5800, 6500, 8900))
        quantity = rng.randint(1, 3)
        total += quantity * unit
        b.text(f"x{quantity}  ").span("KEEP", d.amount(unit, currency)).text("  ")
        b.span("KEEP", d.amount(quantity * unit, currency)).text("\n")
    vat_text, vat_rate = rng.choice(
        (("8,5 %", 85), ("8,5%", 85), ("2,1 %", 21), ("10 %", 100), ("20 %", 200))
    )
    vat = total * vat_rate // 1000
    b.text("Total HT ").span("KEEP", d.amount(total, currency)).text(f" — TVA {vat_text} ")
    b.span("KEEP", d.amount(vat, currency)).text(" — Total TTC ").span(
        "KEEP", d.amount(total + vat, currency)
    )
    b.text("\n")
    pay = rng.randrange(4)
    if pay == 0:
        card, wrong = d.card()
        b.text("Règlement CB n° ").span("CARD", card).text(_checked_remark(rng, wrong))
        b.text(f", exp. {rng.randint(1, 12):02d}/{rng.randint(26, 30)}\n")
    elif pay == 1:
        iban, wrong = d.iban()
        b.text("Prélèvement sur IBAN ").span("IBAN", iban).text(_checked_remark(rng, wrong) + "\n")
    elif pay == 2:
        nir, wrong = d.nir(client)
        b.text("Dossier aide (n° sécu du bénéficiaire) : ").span("NIR", nir)
        b.text(_checked_remark(rng, wrong) + "\n")
    else:
        b.text("Payé en espèces.\n")
    if rng.random() < 0.4:
        b.text(rng.choice(("Note tech : ", "Obs. : "))).span("KEEP", d.equipment()).text(" n° série ")
        b.span("KEEP", d.serial()).text(", défaut ").span("KEEP", d.error()).text("\n")
    _extra(b, d, rng.choice((0, 1, 1, 2)), client)


def _handover(b: NoteBuilder, d: _Draw) -> None:
    rng = d.rng
    client = d.person()
    tech = rng.choice(_TECHNICIANS)
    b.text(rng.choice((f"Pour {tech} : ", f"@{tech} ", f"{tech.upper()} — ", f"Passation pour {tech}\n")))
    b.text(rng.choice(("demain ", "lundi ", "ce matin ", "")))
    plural = rng.random() < 0.5
    if plural:
        b.text("chez les ").span("PERSON", client.last if rng.random() < 0.8 else client.last.upper())
    else:
        b.text("chez ").text(client.civility(rng) + " ").span("PERSON", client.name(rng))
    b.text(", ").span("ADDRESS", d.address(full=rng.random() < 0.6)).text(". ")
    if rng.random() < 0.6:
        b.text(rng.choice(("Portail : ", "Code d'entrée ", "Le code c'est le ", "Digicode "))).span(
            "ACCESS_CODE", d.code()
        )
        b.text(". ")
    if rng.random() < 0.65:
        helper = d.relative(client) if rng.random() < 0.5 else d.person()
        if helper.female:
            role = rng.choice(("la fille", "la voisine", "la gardienne", "la tante", "la belle-sœur"))
        else:
            role = rng.choice(("le fils", "le voisin", "le gardien", "l'oncle", "le beau-frère"))
        b.text(f"C'est {role}, ").span(
            "PERSON", helper.name(rng, rng.choice(("first", "first", "full", "lower")))
        )
        b.text(rng.choice((", qui ouvre", ", qui a les clés", " qui sera là")))
        if rng.random() < 0.5:
            b.text(" à partir de ").span("KEEP", d.time())
        b.text(". Son num : ").span("PHONE", d.phone()).text(". ")
    elif rng.random() < 0.4:
        helper = d.relative(client)
        b.text("Demander ").span("PERSON", helper.name(rng, "first")).text(" sur place, tel ")
        b.span("PHONE", d.phone()).text(". ")
    else:
        b.text("Tel client ").span("PHONE", d.phone()).text(". ")
    b.text("La ").span("KEEP", d.equipment()).text(" " + rng.choice(_PROBLEMS) + ", elle affiche ")
    b.span("KEEP", d.error()).text(". ")
    b.text(rng.choice(("J'ai mesuré ", "Relevé : ", "J'avais "))).span("KEEP", d.measure()).text(" et ")
    b.span("KEEP", d.measure()).text(". ")
    b.text(rng.choice(("Prends la carte réf. ", "La pièce est arrivée : réf. ", "Commande faite, réf. ")))
    b.span("KEEP", d.part()).text(". ")
    if rng.random() < 0.4:
        b.text(
            rng.choice(
                ("Attention au chien. ", "Se garer devant, pas chez le voisin. ", "Enlever les chaussures. ")
            )
        )
    if rng.random() < 0.35:
        plate = d.plate()
        before, after = rng.choice(
            (("Sa voiture (", ") bloque l'accès."), ("Ne pas bloquer la voiture ", " du voisin."),
             ("Le 4x4 garé devant, ", ", c'est le sien."))
        )  # fmt: skip
        b.text(before).span("PLATE", plate).text(after + " ")
    _extra(b, d, rng.choice((0, 1, 1, 2)), client)
    b.text(rng.choice(("Merci !", "Bon courage.", "Bisous à l'équipe", "++", "")))


def _franglais(b: NoteBuilder, d: _Draw) -> None:
    rng = d.rng
    client = d.person()
    if rng.random() < 0.5:
        # a note written half in English
        b.text(rng.choice(("Customer ", "Client ", "Caller: ")) + client.civility(rng, english=True) + " ")
        b.span("PERSON", client.name(rng, rng.choice(("full", "last", "caps")))).text(" called at ")
        b.span("KEEP", d.time()).text(". The ").span("KEEP", d.equipment())
        b.text(rng.choice((" is showing error ", " keeps displaying ", " shows code "))).span(
            "KEEP", d.error()
        )
        b.text(rng.choice((", elle dit que ", ", apparently ", " — she says "))).text(
            rng.choice(("ça fait trois jours", "the last technician didn't fix it", "c'est la deuxième fois"))
        )
        b.text(". Phone: ").span("PHONE", d.phone()).text(", email ").span(
            "EMAIL", d.email(client, english=True)
        )
        b.text(". Address: ").span("ADDRESS", d.address()).text(". ")
        if rng.random() < 0.6:
            b.text("Gate code ").span("ACCESS_CODE", d.code()).text(rng.choice((", ", ". ")))
        b.text("Appointment confirmed ").span("KEEP", d.date()).text(" at ").span("KEEP", d.time()).text(". ")
        if rng.random() < 0.5:
            other = d.person()
            b.text("If nobody, ask the neighbour ").span(
                "PERSON", other.name(rng, rng.choice(("full", "first")))
            )
            b.text(" (").span("PHONE", d.phone()).text("). ")
    else:
        # machine-translated French, word for word
        b.text(rng.choice(("[Traduit de l'anglais] ", "Traduction auto : ", "(translated) ")))
        b.text("Le client ").text(client.civility(rng) + " ").span("PERSON", client.name(rng))
        b.text(rng.choice((" a dit que la unité extérieure est faire le bruit",
                           " est appelé pour dire que le eau chaude est pas venu",
                           " a rapporté que le machine est arrêter de travailler")))  # fmt: skip
        b.text(" depuis ").span("KEEP", d.date()).text(". Le modèle est ").span("KEEP", d.equipment())
        b.text(", le série numéro ").span("KEEP", d.serial()).text(". ")
        b.text("Il vit à ").span("ADDRESS", d.address()).text(rng.choice((". ", ", et ")))
        b.text("son téléphone mobile est ").span("PHONE", d.phone()).text(". ")
        if rng.random() < 0.6:
            b.text("Le courrier électronique est ").span(
                "EMAIL", d.email(client, english=rng.random() < 0.5)
            ).text(". ")
        if rng.random() < 0.5:
            b.text("Le code de la porte est ").span("ACCESS_CODE", d.code()).text(". ")
        if rng.random() < 0.5:
            wife = d.relative(client)
            b.text("Sa épouse ").span("PERSON", wife.name(rng, "first")).text(" sera présent. ")
    _extra(b, d, rng.choice((1, 1, 2)), client, english=True)


def _csv_field(value: str) -> str:
    return f'"{value}"' if ";" in value or "\n" in value else value


def _spreadsheet(b: NoteBuilder, d: _Draw) -> None:
    rng = d.rng
    if rng.random() < 0.6:
        b.text(rng.choice(("Tournée (copié d'Excel) :\n", "export planning.csv\n", "")))
        b.text("date;heure;client;adresse;tel;materiel;code;remarque\n")
        for _ in range(rng.randint(3, 6)):
            client = d.person()
            b.span("KEEP", d.date()).text(";").span("KEEP", d.time()).text(";")
            b.span(
                "PERSON", client.name(rng, rng.choice(("admin", "admin", "caps", "full", "lastcaps")))
            ).text(";")
            address = d.address()
            quoted = rng.random() < 0.3
            b.text('"' if quoted else "").span("ADDRESS", address).text('"' if quoted else "").text(";")
            b.span("PHONE", d.phone()).text(";")
            b.span("KEEP", d.equipment()).text(";")
            if rng.random() < 0.6:
                b.span("ACCESS_CODE", d.code())
            b.text(";")
            remark = rng.randrange(5)
            if remark == 0:
                b.text("défaut ").span("KEEP", d.error())
            elif remark == 1:
                b.text("mail ").span("EMAIL", d.email(client))
            elif remark == 2:
                b.text("voir ").span("PERSON", d.person().name(rng, "first")).text(" (voisine)")
            elif remark == 3:
                b.span("KEEP", d.measure())
            b.text("\n")
    else:
        b.text(rng.choice(("Inventaire objets connectés :\n", "Parc équipements client (tableur)\n", "")))
        owner = d.person()
        b.text("client;").span("PERSON", owner.name(rng, rng.choice(("admin", "caps")))).text(";;;\n")
        b.text("adresse;").span("ADDRESS", d.address()).text(";;;\n")
        b.text("equipement;mac;ip;imei;num serie\n")
        for _ in range(rng.randint(2, 4)):
            if rng.random() < 0.5:
                b.text(rng.choice(_DEVICES) + ";").span("MAC", d.mac()).text(";").span("IP", d.ip()).text(
                    ";;"
                )
            else:
                imei, wrong = d.imei()
                b.text(rng.choice(_GSM_DEVICES) + ";;;").span("IMEI", imei).text(
                    ";" if not wrong else " (?);"
                )
            b.span("KEEP", d.serial()).text("\n")
        if rng.random() < 0.5:
            b.text("contact;").span("PHONE", d.phone()).text(";").span("EMAIL", d.email(owner)).text(";;\n")
        if rng.random() < 0.4:
            b.text("gps;").span("GPS", d.gps()).text(";;;\n")
        if rng.random() < 0.4:
            b.text("alarme;code ").span("ACCESS_CODE", d.code()).text(";;;\n")


def _dispute(b: NoteBuilder, d: _Draw) -> None:
    rng = d.rng
    client = d.person()
    neighbour = d.person()
    bailiff = d.person()
    expert = d.person()
    b.text(rng.choice(("Suivi litige — dossier ", "RÉCLAMATION n° ", "Contentieux ")))
    b.span("KEEP", f"{rng.randint(2024, 2026)}-{rng.randint(1, 999):03d}").text(" — ")
    b.text(client.civility(rng) + " ").span(
        "PERSON", client.name(rng, rng.choice(("last", "admin", "lastcaps")))
    )
    b.text(" / voisine " if neighbour.female else " / voisin ").text(neighbour.civility(rng) + " ").span(
        "PERSON", neighbour.name(rng, "last")
    ).text("\n")
    b.span("KEEP", d.date()).text(" : ")
    b.text(rng.choice(("le voisin du dessous se plaint d'une infiltration depuis la ",
                       "le voisin dit que l'unité extérieure de la ",
                       "dégât des eaux chez le voisin, en cause la ")))  # fmt: skip
    b.span("KEEP", d.equipment()).text(" posée le ").span("KEEP", d.date()).text(". ")
    b.text("Adresse du sinistre : ").span("ADDRESS", d.address()).text(".\n")
    b.span("KEEP", d.date()).text(" : constat d'huissier, Maître ").span(
        "PERSON", bailiff.name(rng, rng.choice(("full", "last", "initial")))
    )
    b.text(f" ({rng.choice(_BAILIFF_FIRMS)}, SIRET ").span("KEEP", d.siret()).text(")")
    if rng.random() < 0.5:
        b.text(", étude joignable au ").span("PHONE", d.phone())
    b.text(".\n")
    b.text(
        f"Assurance {rng.choice(_INSURERS)}, sinistre n° {rng.randint(10, 99)}-{rng.randint(100000, 999999)}"
    )
    b.text(", expert mandaté : ").text(expert.civility(rng) + " ").span("PERSON", expert.name(rng))
    b.text(rng.choice((", passage prévu le ", ", RDV contradictoire le "))).span("KEEP", d.date()).text(".\n")
    if rng.random() < 0.6:
        b.text("La voisine (" if neighbour.female else "Le voisin (").span("PHONE", d.phone())
        b.text(") demande à être rappelé" + ("e" if neighbour.female else ""))
        if rng.random() < 0.5:
            b.text(" ou par mail ").span("EMAIL", d.email(neighbour))
        b.text(". Elle habite " if neighbour.female else ". Il habite ").span(
            "ADDRESS", d.address(full=rng.random() < 0.5)
        ).text(".\n")
    if rng.random() < 0.5:
        landlord = d.person()
        b.text("Propriétaire du logement : ").span(
            "PERSON", landlord.name(rng, rng.choice(("caps", "admin", "full")))
        )
        b.text(", qui habite ").span("ADDRESS", d.address()).text(".\n")
    if rng.random() < 0.4:
        lawyer = d.person()
        b.text("Avocat de la partie adverse : Me ").span(
            "PERSON", lawyer.name(rng, rng.choice(("full", "last")))
        )
        b.text(".\n")
    b.text("Mesures : ").span("KEEP", d.measure()).text(", ").span("KEEP", d.measure()).text(". ")
    b.text("Défaut relevé : ").span("KEEP", d.error()).text(".\n")
    if rng.random() < 0.5:
        iban, wrong = d.iban()
        b.text("Remboursement franchise sur l'IBAN du client : ").span("IBAN", iban)
        b.text(_checked_remark(rng, wrong) + ".\n")
    if rng.random() < 0.3:
        plate = d.plate()
        b.text("Le voisin se gare sur la servitude (véhicule ").span("PLATE", plate).text(
            "), photo jointe.\n"
        )
    _extra(b, d, rng.choice((1, 1, 2)), client)
    b.text(rng.choice(("Prochaine étape : ", "Relance : ", "À faire : ")))
    b.text(rng.choice(("courrier AR au voisin.", "attendre le rapport d'expertise.", "rappeler la cliente.",
                       "transmettre au service juridique.")))  # fmt: skip


def _extra(b: NoteBuilder, d: _Draw, count: int, person: _Person, english: bool = False) -> None:
    """``count`` more lines with one of the rarer values (card, IBAN, NIR, GPS, plate, MAC, IP, IMEI)."""
    rng = d.rng
    for _ in range(count):
        kind = rng.randrange(8)
        if kind == 0:
            card, wrong = d.card()
            b.text(
                "Payment by card "
                if english
                else rng.choice(("Paiement CB au tel : ", "Carte du client ", "CB "))
            )
            b.span("CARD", card).text(_checked_remark(rng, wrong) + ". ")
        elif kind == 1:
            iban, wrong = d.iban()
            b.text("Bank details (RIB): " if english else rng.choice(("RIB pour l'acompte : ", "IBAN ")))
            b.span("IBAN", iban).text(_checked_remark(rng, wrong) + ". ")
        elif kind == 2:
            nir, wrong = d.nir(person)
            b.text(
                "Social security no. " if english else rng.choice(("N° sécu pour le dossier ANAH : ", "NIR "))
            )
            b.span("NIR", nir).text(_checked_remark(rng, wrong) + ". ")
        elif kind == 3:
            b.text(
                "GPS (house): "
                if english
                else rng.choice(("Position de la case : ", "GPS maison ", "Coordonnées : "))
            )
            b.span("GPS", d.gps()).text(". ")
        elif kind == 4:
            b.text("Car plate " if english else rng.choice(("Véhicule à laisser passer : ", "Plaque ")))
            b.span("PLATE", d.plate()).text(". ")
        elif kind == 5:
            b.text(rng.choice(_DEVICES) + rng.choice((" MAC ", " adresse MAC ", " (mac) "))).span(
                "MAC", d.mac()
            )
            b.text(". ")
        elif kind == 6:
            b.text(rng.choice(("IP de la box ", "accès distant ", "IP fixe "))).span("IP", d.ip()).text(". ")
        else:
            imei, wrong = d.imei()
            b.text(rng.choice(_GSM_DEVICES) + " IMEI ").span("IMEI", imei).text(
                _checked_remark(rng, wrong) + ". "
            )


_WRITERS: dict[str, _Writer] = {
    "call_log": _call_log,
    "quote": _quote,
    "handover": _handover,
    "franglais": _franglais,
    "spreadsheet": _spreadsheet,
    "dispute": _dispute,
}


def generate(n: int, seed: int) -> list[Note]:
    """``n`` notes for ``seed``: the same seed gives the same notes, and a prefix does not depend on ``n``."""
    notes: list[Note] = []
    for index in range(n):
        rng = random.Random(f"{CORPUS}:{seed}:{index}")
        region = rng.choices(list(_REGION_WEIGHTS), weights=list(_REGION_WEIGHTS.values()))[0]
        register = REGISTERS[(index + seed) % len(REGISTERS)] if rng.random() < 0.5 else rng.choice(REGISTERS)
        style: Callable[[str], str] | None = None
        typed_fast = rng.random()
        if register == "handover" and typed_fast < 0.33:
            style = _lower_plain  # typed quickly on a phone: no accents, lower case
        elif register in ("call_log", "handover") and typed_fast > 0.9:
            style = _upper  # caps lock on
        builder = NoteBuilder(style)
        _WRITERS[register](builder, _Draw(rng, region))
        note = builder.build(f"fresh2-s{seed}-{index:04d}", CORPUS)
        problems = check_note(note)
        if problems:
            raise AssertionError(f"gen_fresh2 wrote a malformed note: {problems[0]}")
        notes.append(note)
    return notes


def self_check(notes: list[Note]) -> None:
    """Raise on the first malformed note (offsets, overlaps, blanks around a value)."""
    for note in notes:
        problems = check_note(note)
        if problems:
            raise ValueError(problems[0])
