"""Name and place sources of the training generator: Faker ``fr_FR`` plus regional lists written here.

Nothing here comes from a corpus of ``bench/pii_corpora``: the family and first names are
Faker's French lists and the regional names below, written for this generator (Breton,
Basque, Corsican, Occitan, Alsatian, West Indian, North African, Portuguese, Italian,
Polish, Vietnamese…). Every name falls in one *pool*, ``train`` or ``validation``, by a
stable hash, so that the validation notes carry names the model never saw.
"""

from __future__ import annotations

import hashlib
from typing import Final, Literal

from faker.providers.address.fr_FR import Provider as _Address
from faker.providers.person.fr_FR import Provider as _Person

__all__ = ["BRANDS_AND_MODELS", "Pool", "cities", "family_names", "first_names", "street_names"]

Pool = Literal["train", "validation"]

REGIONAL_FAMILY_NAMES: Final = (
    "Le Goff", "Le Gall", "Le Bihan", "Le Floch", "Le Roux", "Le Guen", "Le Borgne", "Kerbrat",
    "Quéméner", "Tanguy", "Guivarc'h", "Le Meur", "Morvan", "Le Corre", "Jaouen", "Riou", "Le Dantec",
    "Kervella", "Pennec", "Le Bris", "Cloarec", "Prigent", "Le Saux", "Nédélec", "Abgrall",
    "Etcheverry", "Etchegaray", "Iriart", "Larralde", "Elissalde", "Harriet", "Ospital", "Goyhenetche",
    "Mendiboure", "Arrieta", "Bidegain", "Irigoyen",
    "Santoni", "Casanova", "Luciani", "Peretti", "Ottaviani", "Paoli", "Filippi", "Colonna",
    "Mattei", "Albertini", "Versini", "Giudicelli",
    "Vidal", "Roumieu", "Castanier", "Fabre", "Azéma", "Bousquet", "Cabanel", "Séguier", "Teissier",
    "Pujol", "Estève", "Combes", "Malaterre",
    "Schneider", "Muller", "Meyer", "Weber", "Klein", "Schmitt", "Hoffmann", "Wagner", "Fuchs",
    "Ehrhart", "Gsell", "Hummel", "Kieffer", "Zimmermann", "Stoeckel", "Baumgartner",
    "Jean-Baptiste", "Saint-Louis", "Lubin", "Maurice", "Hoarau", "Payet", "Grondin", "Fontaine",
    "Célestine", "Jean-Charles", "Nelson", "Sainte-Rose", "Boyer", "Rivière",
    "Benali", "Haddad", "Bouzid", "Cherif", "Belkacem", "Mansouri", "Amrani", "Benyahia",
    "El Idrissi", "Ait Ali", "Ben Said", "Khelifi", "Ouali", "Zeroual",
    "Da Silva", "Dos Santos", "Pereira", "Ferreira", "Rodrigues", "Gonçalves", "Carvalho",
    "De Oliveira", "Teixeira", "Fernandes", "Lopes", "Martins",
    "Rossi", "Esposito", "Russo", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "De Luca",
    "Kowalski", "Nowak", "Wiśniewski", "Lewandowski", "Kaminski", "Zielinski",
    "Nguyen", "Tran", "Pham", "Le Van", "Hoang", "Vo", "Dang",
    "de La Fontaine", "du Pont", "de Villiers", "de Saint-Exupéry", "Le Bon", "La Rocca",
    "Van den Berg", "Van Hove", "O'Neill", "Mac Gregor", "Dubois-Martin", "Leroy-Beaulieu",
    "Carrier", "Sauter", "Bosch", "Thomson", "Renault", "Peugeot", "Michelin", "Legrand",
)  # fmt: skip
REGIONAL_FIRST_NAMES: Final = (
    "Yann", "Gwenaëlle", "Maël", "Nolwenn", "Erwan", "Tangi", "Soizic", "Goulven", "Ronan", "Annaïg",
    "Iñaki", "Maite", "Ander", "Peio", "Xabi", "Ainhoa", "Battittu", "Ghjuvanni", "Santu", "Letizia",
    "Orsu", "Pascale-Marie", "Jean-Pierre", "Marie-Claude", "Anne-Sophie", "Jean-Baptiste",
    "Marie-Thérèse", "Paul-Antoine", "Pierre-Yves", "Jean-Luc", "Hans", "Fritz", "Odile", "Aloïse",
    "Lucie", "Ginette", "Fatima", "Karim", "Mohamed", "Yasmina", "Rachid", "Nadia", "Samir", "Leïla",
    "Youssef", "Amina", "Mamadou", "Aminata", "Moussa", "Fatoumata", "Joao", "Manuel", "Conceição",
    "Ana", "Giuseppe", "Giulia", "Marco", "Katarzyna", "Piotr", "Agnieszka", "Thi Lan", "Minh", "Duc",
    "Ludovic", "Steeve", "Jordan", "Kevin", "Cindy", "Jessica", "Dylan", "Enzo", "Kylian", "Lorenzo",
)  # fmt: skip
REGIONAL_STREET_NAMES: Final = (
    "de Kerjean", "de Kervéguen", "Hent Meur", "du Menez", "de Pen ar Creac'h", "des Korrigans",
    "Bidartea", "d'Arcangues", "Etxeberria", "du Fort", "Paoli", "Fesch", "du Cours Napoléon",
    "des Cigales", "de la Garrigue", "Frédéric Mistral", "del Mig", "des Oliviers", "du Rhin",
    "des Vosges", "de la Cathédrale", "Gutenberg", "Victor Schœlcher", "des Flamboyants",
    "Félix Éboué", "de la Canne", "Gabriel Péri", "Jean Jaurès", "Paul Vaillant-Couturier",
    "du 8 Mai 1945", "du 11 Novembre", "de la Libération", "des Lilas", "des Écoles", "du Moulin",
    "de l'Église", "des Tilleuls", "Pasteur", "Victor Hugo", "du Général de Gaulle", "Émile Zola",
)  # fmt: skip
REGIONAL_CITIES: Final = (
    ("29200", "Brest"), ("22560", "Trébeurden"), ("56000", "Vannes"), ("64200", "Biarritz"),
    ("64500", "Saint-Jean-de-Luz"), ("20000", "Ajaccio"), ("20200", "Bastia"), ("34000", "Montpellier"),
    ("30000", "Nîmes"), ("31000", "Toulouse"), ("67000", "Strasbourg"), ("68100", "Mulhouse"),
    ("97200", "Fort-de-France"), ("97110", "Pointe-à-Pitre"), ("97400", "Saint-Denis"),
    ("69003", "Lyon"), ("13008", "Marseille"), ("75011", "Paris"), ("93100", "Montreuil"),
    ("94000", "Créteil"), ("59000", "Lille"), ("44000", "Nantes"), ("33000", "Bordeaux"),
    ("21000", "Dijon"), ("87000", "Limoges"), ("63000", "Clermont-Ferrand"), ("38000", "Grenoble"),
    ("06000", "Nice"), ("45000", "Orléans"), ("37000", "Tours"), ("80000", "Amiens"),
)  # fmt: skip
BRANDS_AND_MODELS: Final = (
    "Saunier Duval ThemaPlus", "Saunier Duval Isotwin", "Viessmann Vitodens 100-W", "Viessmann Vitocal 200",
    "Daikin FTXM25", "Daikin Altherma 3", "Atlantic Alfea Extensa", "Atlantic Naia 2", "De Dietrich MCR 24",
    "Frisquet Hydromotrix", "Frisquet Prestige", "Chaffoteaux Mira C Green", "elm leblanc Megalis",
    "Vaillant ecoTEC plus", "Vaillant aroTHERM", "Bosch Condens 2300", "Mitsubishi MSZ-HR35",
    "Toshiba Seiya", "Panasonic Etherea", "Hitachi Yutaki", "Buderus Logamax", "Ariston Clas One",
    "Riello Residence", "Weishaupt WTC", "Cuenod C.24", "Somfy Oximo", "Hager TJA450", "Legrand Mosaic",
    "Urmet Miro", "Comelit Mini", "Aldes EasyHome", "Thermor Duralis", "Grundfos Alpha2", "Wilo Yonos",
    "Stiebel Eltron WPL", "Nibe F2040", "Rinnai Infinity", "Chappée Luna", "Oertli OSC", "Palazzetti Ecofire",
    "MCZ Club", "Edilkamin Cherie", "Hydra Duo", "Naema 2 Micro", "Culligan HE", "Lennox Xion",
    "Carrier 38HDR", "Sauter Guelma", "Schneider Resi9", "Delta Dore Tybox", "Netatmo Thermostat",
)  # fmt: skip


def _pool(value: str) -> Pool:
    digest = hashlib.sha256(value.casefold().encode()).digest()
    return "validation" if digest[0] % 5 == 0 else "train"


def _in(values: tuple[str, ...], pool: Pool) -> tuple[str, ...]:
    return tuple(sorted({v for v in values if _pool(v) == pool}))


def family_names(pool: Pool) -> tuple[str, ...]:
    """Family names of ``pool``: Faker ``fr_FR`` and the regional list."""
    return _in((*_Person.last_names, *REGIONAL_FAMILY_NAMES), pool)


def first_names(pool: Pool) -> tuple[str, ...]:
    """First names of ``pool``: Faker ``fr_FR`` (both sexes) and the regional list."""
    return _in((*_Person.first_names_male, *_Person.first_names_female, *REGIONAL_FIRST_NAMES), pool)


def street_names(pool: Pool) -> tuple[str, ...]:
    """Street names (without their type) of ``pool``: family names as streets and the regional list."""
    return _in((*REGIONAL_STREET_NAMES, *(f"{n}" for n in _Person.last_names[:150])), pool)


def cities(pool: Pool) -> tuple[tuple[str, str], ...]:
    """``(postcode, city)`` pairs of ``pool``: the regional list and Faker-made towns."""
    made = tuple(
        (f"{10 + i * 7 % 85:02d}{i * 37 % 1000:03d}", f"{n}{s}")
        for i, (n, s) in enumerate(
            (n, s) for n in _Person.last_names[150:260] for s in _Address.city_suffixes[:2]
        )
    )
    return tuple(sorted({c for c in (*REGIONAL_CITIES, *made) if _pool(c[1]) == pool}))
