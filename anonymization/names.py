"""First names people in France carry, to recognize a name in any case (``jean dupont``, ``JEAN DUPONT``).

The list comes from Faker's person providers for the languages most spoken in France
and its neighbours (French, Breton and Alsatian first names are in ``fr_*`` and
``de_DE``; Portuguese, Spanish, Italian, Polish, Romanian, Turkish, Arabic, Vietnamese,
Dutch and English ones in theirs) — a source written by other people for another
purpose, never the evaluation corpora's lists. French common words that are also first
names (``pierre``, ``rose``, ``claire``…) and stop words are left out: a first name alone
is only a hint, which the recognizers combine with a civility, a cue or a surname.
"""

from __future__ import annotations

import importlib
import threading
from typing import Final

from anonymization.text import fold

__all__ = ["COMMON_WORDS", "STOP_WORDS", "is_first_name", "known_first_names"]

_LOCALES: Final = (
    "fr_FR", "fr_BE", "fr_CH", "fr_CA", "de_DE", "nl_NL", "it_IT", "es_ES", "pt_PT", "pt_BR",
    "pl_PL", "ro_RO", "tr_TR", "ar_AA", "vi_VN", "en_US", "en_GB",
)  # fmt: skip
COMMON_WORDS: Final = frozenset(
    {
        "pierre", "rose", "claire", "marine", "france", "olive", "ange", "reine", "noel", "aime", "constant",
        "modeste", "victoire", "aurore", "fortune", "prosper", "justice", "esperance", "merci",
        "blanche", "violette", "capucine", "jade", "ambre", "perle", "fleur", "colombe", "sage", "prudence",
        "petit", "marchand", "leger", "germain", "roux", "blanc", "brun", "noir", "clement",
        "bas", "aura", "can", "will", "may", "page", "long", "young", "mark", "grant", "hope", "joy", "ray",
        "art", "bill", "dean", "gene", "guy", "rich", "sky", "star", "sun", "ali", "don", "eric", "mars",
        "avril", "juin", "juillet", "lundi", "mardi", "samedi", "dimanche", "carte", "porte", "cave",
        "eau", "gaz", "air", "sol", "mur", "tube", "vase", "lot", "nord", "sud", "est", "ouest", "bac",
        "ras", "pac", "vmc", "tel", "box", "boite", "alarme", "joint", "filtre", "purge", "pompe",
        "sonde", "vanne", "relais", "moteur", "compteur", "ballon", "cumulus", "radiateur", "tableau",
        "garage", "jardin", "cour", "salle", "cuisine", "chambre", "bureau", "local", "voisin", "voisine",
        "client", "cliente", "dossier", "contrat", "devis", "facture", "remise", "visite", "passage",
        "rapport", "appel", "message", "retour", "demain", "hier", "matin", "soir", "midi", "nuit",
        "semaine", "mois", "annee", "jour", "heure", "minute", "rien", "tout", "tous", "bien", "mal",
        "bon", "bonne", "bonjour", "cordialement", "urgent", "note", "info", "ok", "oui", "non", "pas",
        "plus", "moins", "tres", "trop", "peu", "ici", "la", "le", "les", "un", "une", "des", "du", "de",
        "angle", "mercredi", "jeudi", "vendredi", "janvier", "fevrier", "mai", "aout", "septembre",
        "octobre", "novembre", "decembre",
    }
)  # fmt: skip
"""Folded first names that are also ordinary French (or note) words: never a first name on their own."""


def _stop_words() -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS as SPACY_STOP_WORDS  # noqa: PLC0415

    return frozenset(fold(w) for w in SPACY_STOP_WORDS)


STOP_WORDS: Final = _stop_words()
"""French stop words (spaCy's list), folded: never a name."""

_lock = threading.Lock()
_names: frozenset[str] | None = None


def known_first_names() -> frozenset[str]:
    """The folded first names (loaded once per process from Faker's providers)."""
    global _names  # noqa: PLW0603 -- a process-wide cache, filled once under the lock
    with _lock:
        if _names is None:
            found: set[str] = set()
            for locale in _LOCALES:
                try:
                    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
                except (ImportError, AttributeError):
                    continue
                for attribute in ("first_names_male", "first_names_female", "first_names"):
                    values = getattr(provider, attribute, ())
                    found.update(str(v) for v in values)  # dicts (weighted lists) iterate their keys
            stop = STOP_WORDS
            folded = {fold(name) for name in found}
            _names = frozenset(
                n for n in folded if len(n) >= 3 and n.isalpha() and n not in stop and n not in COMMON_WORDS
            )
    return _names


def is_first_name(word: str) -> bool:
    """Whether ``word`` (any case, with or without accents) is a known first name; hyphenated ones too."""
    folded = fold(word)
    names = known_first_names()
    if folded in names:
        return True
    parts = folded.split("-")
    return len(parts) > 1 and all(p in names for p in parts)
