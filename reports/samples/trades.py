"""French trade reference data for the sample generator: equipment, parts, faults, phrasings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from reports.templates import Template

# --------------------------------------------------------------------------- trade data


@dataclass(frozen=True)
class _Range:
    """Values a technician typically measures; clipped to the template's own range."""

    low: float
    high: float
    decimals: int = 1
    values: tuple[float, ...] = ()
    """When given, the value is one of these (cable sections, mostly-zero readings)."""


@dataclass(frozen=True)
class _Model:
    """An equipment model as found on site."""

    brand: str
    model: str
    serial: str | None
    """Serial number pattern: ``#`` a digit, ``@`` a capital letter."""
    part_ref: str
    """Pattern of the brand's part references."""
    years: tuple[int, int]
    """Range of installation years."""
    refrigerant: str | None = None
    fault_codes: Mapping[str, str] = field(default_factory=dict)
    """Fault kind (see :class:`_Fault`) → code shown by this model."""
    typical: Mapping[str, _Range] = field(default_factory=dict)
    """Measurements that differ from the trade's usual values for this model."""
    prefer: Mapping[str, str] = field(default_factory=dict)
    """Dropdown answers this model implies (e.g. a non-condensing boiler's flue)."""


@dataclass(frozen=True)
class _Part:
    label: str
    unit: str = "u"
    quantity: tuple[float, float] = (1, 1)
    """Range of the quantity used, by halves (metres of pipe); ``(1, 1)`` for one piece."""
    reference: str | None = None
    """Reference pattern of a supply that is not the equipment brand's own part."""


@dataclass(frozen=True)
class _Fault:
    """A heat-pump breakdown: what the client sees, what the technician finds."""

    kind: str
    cause: str
    """The ``cause_panne`` answer."""
    symptom: str
    diagnosis: str
    part: _Part | None


@dataclass(frozen=True)
class _Unfinished:
    reason: str
    notes: str
    orders_part: bool = False


@dataclass(frozen=True)
class _Trade:
    """Everything the generator knows about one equipment category."""

    models: tuple[_Model, ...]
    typical: Mapping[str, _Range]
    parts: tuple[_Part, ...]
    channels: tuple[tuple[str, int], ...]
    requests: tuple[str, ...]
    requests_pro: tuple[str, ...]
    observations: tuple[str, ...]
    unfinished: tuple[_Unfinished, ...]
    prefer: Mapping[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    prefer_if_anomaly: Mapping[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    faults: tuple[_Fault, ...] = ()
    certification: str | None = None
    tags: tuple[str, ...] = ()


_BOILER = _Trade(
    models=(
        _Model(
            "Saunier Duval",
            "ThemaPlus Condens F25",
            "21##4500100######0006######N#",
            "SD-00201#####",
            (2012, 2023),
        ),
        _Model(
            "Saunier Duval",
            "ThemaClassic C25E",
            "09##4500100######0006######N#",
            "SD-00201#####",
            (2004, 2014),
            typical={"rendement": _Range(86, 92), "temperature_fumees": _Range(105, 160, 0)},
            prefer={"type_conduit": "Cheminée (type B)"},
        ),
        _Model("Viessmann", "Vitodens 100-W B1HC 25 kW", "7###############", "7######", (2014, 2024)),
        _Model("Frisquet", "Hydroconfort Evolution 25 kW", "H##########", "F3AA4####", (2010, 2023)),
        _Model("De Dietrich", "Naneo EMC-M 24/28 MI", "####-###-######", "S10####", (2015, 2024)),
        _Model("ELM Leblanc", "Mégalis Condens GVAC 24-5M", "####-###-######-##", "87########", (2011, 2022)),
        _Model("Chaffoteaux", "Mira C Green 25", "#######@##", "65######", (2013, 2023)),
    ),
    typical={
        "co_ambiant": _Range(0, 3, 0, values=(0, 0, 0, 0, 1, 2)),
        "co_fumees": _Range(15, 160, 0),
        "rendement": _Range(96, 108),
        "temperature_fumees": _Range(38, 68, 0),
        "pression_circuit": _Range(1.0, 1.8),
    },
    parts=(
        _Part("Électrode d'allumage"),
        _Part("Joint de porte de brûleur"),
        _Part("Kit joints d'entretien"),
        _Part("Vase d'expansion 8 L"),
        _Part("Soupape de sécurité 3 bar"),
        _Part("Pressostat fumées"),
    ),
    channels=(("contrat", 50), ("telephone", 30), ("portail", 10), ("email", 10)),
    requests=(
        "Entretien annuel de la chaudière {brand} {model} prévu au contrat {contract}. "
        "Prévenir {civ_name} la veille au {phone}.",
        "Bonjour, je souhaiterais faire l'entretien de ma chaudière gaz ({brand}), la dernière visite date "
        "de l'an dernier. Vous pouvez me joindre au {phone} ou à {email}. {full_name}, {street}, "
        "{postal_code} {city}",
        "{civ_name} appelle pour l'entretien annuel : chaudière dans le cellier, le propriétaire veut "
        "l'attestation pour son assurance. Tél : {phone}",
        "Entretien chaudière + contrôle car la pression baisse souvent (sous 1 bar le matin). "
        "{first_name} {last_name} - {phone}",
        "Rdv entretien annuel chez {civ_name}, {street} {city}. Chaudière {brand} n° {serial} "
        "posée en {year}.",
    ),
    requests_pro=(
        "Entretien annuel de la chaudière {brand} {model} des locaux de {company_name}, {street} à {city}. "
        "Contact sur place : {contact} ({phone}).",
        "Contrat {contract} - {company_name} (SIRET {client_siret}) : entretien de la chaudière gaz de "
        "l'agence. Envoyer l'attestation à {email}.",
        "Demande de {contact} pour {company_name} : entretien chaudière {brand} avant l'hiver, accès par "
        "l'arrière-boutique. Joignable au {phone}.",
    ),
    observations=(
        "Chaudière {brand} {model} n° {serial}. CO ambiant {m_co_ambiant}, CO fumées {m_co_fumees}, "
        "rendement {m_rendement}. Attestation remise à {civ_name}.",
        "RAS sur la {brand} {model}. Pression remise à {m_pression_circuit}, T° fumées "
        "{m_temperature_fumees}. Attestation envoyée par mail à {email}.",
        "Entretien fait en présence de {civ_name}. Brûleur nettoyé, {part} remplacé (réf. {part_ref}). "
        "Rendement {m_rendement}, CO ambiant {m_co_ambiant}. Devis désembouage à envoyer, "
        "rappeler au {phone}.",
        "{anomaly} Chaudière posée en {year}, à surveiller. {civ_name} informé{e} ({phone}).",
        "Visite d'entretien OK. Mesures : CO {m_co_fumees}, rendement {m_rendement}, fumées "
        "{m_temperature_fumees}. Prochaine visite dans 12 mois.",
    ),
    unfinished=(
        _Unfinished(
            "Pièce à commander : {part} (réf. {part_ref}) hors stock.",
            "Poser {part} et finir l'entretien. Appeler {civ_name} au {phone} pour le rendez-vous.",
            orders_part=True,
        ),
        _Unfinished(
            "Accès au conduit de fumées impossible sans nacelle.",
            "Prévoir nacelle et deux techniciens ; {civ_name} prévient la copropriété.",
        ),
        _Unfinished(
            "Coupure gaz en cours dans la rue, mesures de combustion impossibles.",
            "Revenir faire l'analyse de combustion après rétablissement du gaz. Tél. {phone}.",
        ),
    ),
    prefer={
        "combustible": (("Gaz naturel", 85), ("Propane", 12), ("Butane", 3)),
        "etat_general": (("Bon", 80), ("Moyen", 20)),
        "type_conduit": (("Ventouse (type C)", 75), ("Cheminée (type B)", 20), ("VMC gaz", 5)),
    },
    prefer_if_anomaly={"etat_general": (("Moyen", 80), ("Mauvais — remplacement à prévoir", 20))},
    tags=("contrat_entretien", "attestation_envoyee"),
)

_HEAT_PUMP_FAULTS = (
    _Fault(
        "communication",
        "Carte électronique",
        "ne démarre plus",
        "Défaut de communication entre unités : carte de l'unité extérieure HS.",
        _Part("Carte électronique unité extérieure"),
    ),
    _Fault(
        "debit",
        "Circulateur",
        "se met en sécurité au bout de quelques minutes",
        "Débit d'eau insuffisant, circulateur grippé.",
        _Part("Circulateur"),
    ),
    _Fault(
        "encrassement",
        "Encrassement",
        "chauffe de moins en moins",
        "Filtre à tamis colmaté par des boues, nettoyé, débit rétabli à 18 L/min.",
        None,
    ),
    _Fault(
        "sonde",
        "Sonde défectueuse",
        "fait des arrêts-relances",
        "Sonde de départ hors tolérance (3,2 kΩ mesurés à 40 °C).",
        _Part("Sonde de température départ CTN"),
    ),
    _Fault(
        "fluide",
        "Manque de fluide / fuite",
        "souffle de l'air froid",
        "Basse pression faible et surchauffe élevée : fuite sur le raccord flare de la liaison gaz, refait.",
        None,
    ),
    _Fault(
        "alimentation",
        "Alimentation électrique",
        "s'éteint complètement",
        "Bornier d'alimentation de l'unité extérieure desserré et noirci, refait.",
        None,
    ),
    _Fault(
        "ventilateur",
        "Autre",
        "fait un bruit de claquement dehors",
        "Moteur du ventilateur de l'unité extérieure bloqué (roulement).",
        _Part("Moteur de ventilateur unité extérieure"),
    ),
)


def _fault_codes(codes: str) -> dict[str, str]:
    """Codes shown for each fault kind, in the order of :data:`_HEAT_PUMP_FAULTS`."""
    return dict(zip((fault.kind for fault in _HEAT_PUMP_FAULTS), codes.split(), strict=True))


_R290_PRESSURES = {"haute_pression": _Range(12, 19), "basse_pression": _Range(3, 6)}
_HEAT_PUMP = _Trade(
    models=(
        _Model(
            "Daikin",
            "Altherma 3 R EHBH08E6V",
            "J######",
            "#######",
            (2019, 2025),
            "R32",
            _fault_codes("U4 7H 7H H9 U0 U2 E7"),
        ),
        _Model(
            "Atlantic",
            "Alfea Extensa A.I. 8 R32",
            "####A#######",
            "0#####",
            (2018, 2025),
            "R32",
            _fault_codes("E5 E7 E7 E4 E15 E9 E29"),
        ),
        _Model(
            "Atlantic",
            "Alfea Excellia Duo A.I. 11",
            "####A#######",
            "0#####",
            (2012, 2018),
            "R410A",
            _fault_codes("E5 E7 E7 E4 E15 E9 E29"),
            typical={"haute_pression": _Range(22, 30)},
        ),
        _Model(
            "Mitsubishi Electric",
            "Ecodan PUZ-WM85VAA",
            "##U#####",
            "S70@#####",
            (2019, 2025),
            "R32",
            _fault_codes("E6 L9 L9 P1 U2 U9 U8"),
        ),
        _Model(
            "Panasonic",
            "Aquarea WH-MDC09J3E5",
            "####-######",
            "CWA##@####",
            (2020, 2025),
            "R32",
            _fault_codes("H90 H62 H62 H72 F91 H95 H98"),
        ),
        _Model(
            "Viessmann",
            "Vitocal 250-A AWO-E-AC 251.A10",
            "7###############",
            "7######",
            (2022, 2025),
            "R290",
            _fault_codes("F.1034 F.472 F.472 F.125 F.1155 F.1040 F.1069"),
            typical=_R290_PRESSURES,
        ),
    ),
    typical={
        "temperature_depart": _Range(30, 55),
        "temperature_retour": _Range(25, 50),
        "haute_pression": _Range(20, 32),
        "basse_pression": _Range(6, 10),
        "intensite_compresseur": _Range(3, 14),
    },
    parts=(
        _Part('Filtre à tamis 1"', reference="FT-26-###"),
        _Part("Purgeur automatique", reference="PA-38-###"),
        _Part("Vanne 3 voies"),
    ),
    channels=(("telephone", 70), ("portail", 15), ("email", 15)),
    requests=(
        "Plus de chauffage depuis ce matin, la pompe à chaleur affiche le code erreur {code}. C'est "
        "{civ_name}, {street} à {city}, tél. {phone}.",
        "Bonjour, notre PAC {brand} {model} {symptom} et affiche le code {code}. On a déjà coupé et remis le "
        "disjoncteur, sans résultat. Merci de me rappeler au {phone}. {full_name}",
        "Appel de {civ_name} ({phone}) : PAC en défaut {code}, {symptom}. L'eau chaude fonctionne encore.",
        "Panne PAC {brand}, code {code} qui revient après chaque réarmement. Maison au {street}, "
        "{postal_code} {city}. Mail : {email}",
    ),
    requests_pro=(
        "Panne de la PAC {brand} dans les bureaux de {company_name}, {street}, {city}. Défaut {code} "
        "affiché. Contact : {contact}, {phone}, {email}.",
        "{company_name} signale un défaut {code} sur la pompe à chaleur (n° {serial}) : elle {symptom}. "
        "Voir {contact} à l'accueil.",
    ),
    observations=(
        "Défaut {code} confirmé à l'arrivée. {fault} Départ {m_temperature_depart} / retour "
        "{m_temperature_retour} après remise en service. {civ_name} prévenu{e}.",
        "PAC {brand} {model} n° {serial} : {fault} {part} remplacé (réf. {part_ref}). HP {m_haute_pression}, "
        "BP {m_basse_pression}, intensité compresseur {m_intensite_compresseur}.",
        "{fault} Fluide {refrigerant}. Essai OK, plus de code {code}. Explications données à {civ_name}, "
        "facture à envoyer à {email}.",
        "Historique : code erreur {code} relevé {count} fois. {fault} T° départ {m_temperature_depart}. "
        "Rappeler {civ_name} au {phone} si le défaut revient.",
    ),
    unfinished=(
        _Unfinished(
            "Pièce à commander : {part} (réf. {part_ref}).",
            "Remplacement {part} dès réception, prévenir {civ_name} au {phone}.",
            orders_part=True,
        ),
        _Unfinished(
            "Accès impossible à l'unité extérieure (toiture, pas d'échelle adaptée).",
            "Prévoir nacelle. Clés chez le voisin, {other_civ}.",
        ),
        _Unfinished(
            "Diagnostic à compléter avec le support technique {brand}.",
            "Revenir avec le technicien {brand} ; le client a un chauffage d'appoint.",
        ),
    ),
    faults=_HEAT_PUMP_FAULTS,
    certification="Attestation d'aptitude fluides cat. I n° {number}",
    tags=("depannage", "urgence", "sous_garantie"),
)

_AIR_CONDITIONING = _Trade(
    models=(
        _Model(
            "Daikin",
            "Perfera FTXM35R / RXM35R",
            "E######",
            "#######",
            (2024, 2026),
            "R32",
            typical={"charge_totale": _Range(0.72, 0.8, 2)},
        ),
        _Model(
            "Mitsubishi Electric",
            "MSZ-LN35VG2 / MUZ-LN35VG2",
            "#######T",
            "E22@#####",
            (2024, 2026),
            "R32",
            typical={"charge_totale": _Range(0.95, 1.1, 2)},
        ),
        _Model(
            "Toshiba",
            "Seiya RAS-B13E2KVG-E",
            "########",
            "431S####",
            (2024, 2026),
            "R32",
            typical={"charge_totale": _Range(0.52, 0.6, 2)},
        ),
        _Model(
            "LG",
            "Standard Plus PC12SQ",
            "###K@@#####",
            "EBR########",
            (2024, 2026),
            "R32",
            typical={"charge_totale": _Range(0.65, 0.75, 2)},
        ),
        _Model(
            "Samsung",
            "WindFree Comfort AR12TXFCAWKNEU",
            "0@@@#@@N#######",
            "DB##-#####@",
            (2024, 2026),
            "R32",
            typical={"charge_totale": _Range(0.7, 0.85, 2)},
        ),
    ),
    typical={
        "quantite_chargee": _Range(0, 0, 2),
        "quantite_recuperee": _Range(0, 0, 2),
        "charge_totale": _Range(0.55, 1.2, 2),
        "temperature_soufflage": _Range(8, 14),
        "pression_vide": _Range(30, 250, 0),
    },
    parts=(
        _Part('Liaison frigorifique 1/4" - 3/8" isolée', "m", (3, 12), "LF-1438-##"),
        _Part("Goulotte 60x45", "m", (1, 4), "Legrand 0301##"),
        _Part("Pompe de relevage condensats Sauermann Si-30", reference="SI3000"),
        _Part("Support mural unité extérieure", reference="SM-450-##"),
    ),
    channels=(("email", 40), ("portail", 30), ("telephone", 20), ("sur_site", 10)),
    requests=(
        "Mise en service du split {brand} {model} posé dans la chambre de {civ_name}. Liaisons de "
        "{length} m, prévenir au {phone}.",
        "Suite au devis {quote} accepté par {civ_name}, mise en service de la clim {brand} {model}. "
        "Contact : {phone} / {email}.",
        "Bonjour, l'installateur a posé notre climatiseur {brand} le mois dernier mais il n'a pas été mis "
        "en service. {full_name}, {street}, {postal_code} {city}. Tél {phone}",
    ),
    requests_pro=(
        "Mise en service climatisation salle de réunion de {company_name}, unités {brand} {model}. "
        "Interlocuteur : {contact} ({phone}).",
        "{company_name} - devis {quote} : mise en service du split {brand} du local serveur. Facturation "
        "SIRET {client_siret}, mail {email}.",
    ),
    observations=(
        "Mise en service {brand} {model} n° {serial}. Vide à {m_pression_vide}, charge totale "
        "{m_charge_totale} de {refrigerant} dont {m_quantite_chargee} ajoutés. Soufflage "
        "{m_temperature_soufflage} en froid.",
        "Liaisons {length} m, vide {m_pression_vide} tenu 15 min. Soufflage {m_temperature_soufflage}. "
        "Notice remise à {civ_name}, fiche Cerfa 15497 envoyée à {email}.",
        "Installation propre. {anomaly} Télécommande réglée avec {civ_name} (tél. {phone}).",
        "Essais froid/chaud OK sur la {brand} {model}, {refrigerant}, charge {m_charge_totale}. "
        "{civ_name} satisfait{e}.",
    ),
    unfinished=(
        _Unfinished(
            "Pièce à commander : {part} (réf. {part_ref}) manquante à la livraison.",
            "Finir la mise en service à réception ; {civ_name} nous rappelle au {phone}.",
            orders_part=True,
        ),
        _Unfinished(
            "Alimentation de l'unité extérieure non raccordée par l'électricien.",
            "Mise en service à terminer après passage de l'électricien. Tél. {phone}.",
        ),
        _Unfinished(
            "Accès au local technique impossible (clés non disponibles).",
            "Récupérer les clés auprès de {other_civ} avant la prochaine visite.",
        ),
    ),
    prefer={
        "nature_intervention": (("Mise en service", 85), ("Assemblage de l'équipement", 15)),
        "resultat_controle_etancheite": (("Aucune fuite détectée", 1),),
        "detecteur_fuite": (
            ("Détecteur électronique", 60),
            ("Azote sous pression", 30),
            ("Produit moussant", 10),
        ),
    },
    prefer_if_anomaly={"resultat_controle_etancheite": (("Fuite détectée et réparée", 1),)},
    certification="Attestation d'aptitude fluides cat. I n° {number}",
    tags=("mise_en_service", "fiche_cerfa_15497"),
)

_SWITCHBOARD = _Trade(
    models=(
        _Model("Legrand", "XL³ 160 - 4 rangées", None, "Legrand 4#####", (2008, 2024)),
        _Model("Legrand", "Drivia 13 modules - 3 rangées", None, "Legrand 4#####", (2010, 2024)),
        _Model("Schneider Electric", "Resi9 XE 3 rangées 39 modules", None, "R9F1####", (2014, 2024)),
        _Model("Hager", "Gamma 13 - 4 rangées", None, "MFN7##", (2005, 2024)),
        _Model("ABB", "Mistral41F 3 rangées", None, "2CDS2#####R0###", (2012, 2024)),
    ),
    typical={
        "resistance_terre": _Range(8, 85, 0),
        "isolement": _Range(50, 999, 0),
        "temps_declenchement_ddr": _Range(12, 38, 0),
        "section_conducteur_principal": _Range(6, 16, 0, values=(6, 10, 10, 16)),
    },
    parts=(
        _Part("Interrupteur différentiel 40 A 30 mA type AC"),
        _Part("Disjoncteur 16 A courbe C"),
        _Part("Disjoncteur 20 A courbe C"),
        _Part("Peigne d'alimentation"),
    ),
    channels=(("telephone", 50), ("email", 30), ("portail", 20)),
    requests=(
        "Contrôle du tableau électrique avant mise en location du logement {street}, {postal_code} {city}. "
        "Propriétaire : {civ_name}, {phone}.",
        "Le différentiel saute dès que le lave-linge tourne, {civ_name} demande une vérification du "
        "tableau. Joignable au {phone}.",
        "Achat d'une maison ancienne, nous souhaitons faire vérifier le tableau {brand} avant travaux. "
        "{full_name} - {phone} - {email}",
    ),
    requests_pro=(
        "Contrôle annuel du tableau des locaux de {company_name} (SIRET {client_siret}). Contact : "
        "{contact}, {email}.",
        "Vérification du tableau {brand} {model} de la boutique {company_name} suite à des coupures. Voir "
        "{contact} au {phone}.",
    ),
    observations=(
        "Tableau {brand} {model}. Terre {m_resistance_terre}, isolement {m_isolement}, déclenchement DDR "
        "{m_temps_declenchement_ddr}. Rapport envoyé à {email}.",
        "{anomaly} Mesures : R terre {m_resistance_terre}, isolement {m_isolement}. {civ_name} informé{e}, "
        "devis de mise en conformité à suivre.",
        "Contrôle fait en présence de {civ_name}. Connexions resserrées, DDR testés "
        "({m_temps_declenchement_ddr}). Section PE {m_section_conducteur_principal}.",
    ),
    unfinished=(
        _Unfinished(
            "Pièce à commander : {part} (réf. {part_ref}).",
            "Remplacer {part} ; coupure générale de 30 min à prévoir avec {civ_name}.",
            orders_part=True,
        ),
        _Unfinished(
            "Coupure générale refusée (congélateur en charge), mesures d'isolement non faites.",
            "Revenir tôt le matin, accord de {civ_name} à confirmer au {phone}.",
        ),
    ),
    prefer={"regime_neutre": (("TT", 90), ("TN-S", 7), ("TN-C", 3)), "conclusion": (("Conforme", 1),)},
    prefer_if_anomaly={
        "conclusion": (
            ("Anomalies mineures", 60),
            ("Anomalies à corriger rapidement", 35),
            ("Danger grave et immédiat", 5),
        )
    },
    certification="Habilitation électrique BR-B2V n° {number}",
    tags=("controle_periodique", "avant_location"),
)

_ANY_EQUIPMENT = _Trade(
    models=(
        _Model("Atlantic", "Explorer V4 200 L", "####A#######", "0#####", (2012, 2025)),
        _Model("Thermor", "Aéromax 5 200 L", "T#########", "0#####", (2014, 2025)),
        _Model("Aldes", "EasyHOME PureAIR Compact", "A########", "11#######", (2015, 2025)),
    ),
    typical={},
    parts=(_Part("Kit de petites fournitures", reference="KPF-###"), _Part("Joint"), _Part("Fusible 3,15 A")),
    channels=(("telephone", 50), ("email", 30), ("portail", 20)),
    requests=(
        "Intervention « {title} » demandée par {civ_name} ({phone}), {street}, {postal_code} {city}.",
        "{civ_name} demande une intervention sur son équipement {brand} {model}. Joignable au {phone} ou à "
        "{email}.",
    ),
    requests_pro=(
        "Demande de {contact} pour {company_name} : {title} sur l'équipement {brand} {model}. Tél. {phone}.",
    ),
    observations=(
        "Intervention réalisée sur {brand} {model} n° {serial}. {anomaly} {civ_name} informé{e}.",
        "RAS. Équipement {brand} {model} en fonctionnement au départ. Compte rendu envoyé à {email}.",
        "Équipement {brand} {model} vérifié en présence de {civ_name}. Rappeler au {phone} si besoin.",
    ),
    unfinished=(
        _Unfinished(
            "Pièce à commander : {part} (réf. {part_ref}).",
            "Terminer l'intervention à réception de la pièce.",
            orders_part=True,
        ),
        _Unfinished("Accès impossible à l'équipement.", "Reprendre rendez-vous avec {civ_name} ({phone})."),
    ),
)

_TRADES: Mapping[tuple[str, str], _Trade] = {
    ("chaudiere_gaz", "entretien_annuel"): _BOILER,
    ("pompe_a_chaleur", "depannage"): _HEAT_PUMP,
    ("climatisation", "mise_en_service"): _AIR_CONDITIONING,
    ("tableau_electrique", "controle"): _SWITCHBOARD,
}
_ANY_OBSERVATIONS = (
    "Intervention sur {brand} {model} réalisée en présence de {civ_name}.",
    "{civ_name} informé{e} du déroulement de l'intervention, joignable au {phone} pour la suite.",
)
"""Observations any report can carry, whatever was measured."""


def _trade_for(template: Template) -> _Trade:
    """What the generator knows for ``template``: its own texts, or its category's equipment."""
    known = _TRADES.get(template.key)
    if known is not None:
        return known
    # Another template of a known category (say, a company's own boiler repair template):
    # the same equipment, with texts that do not assume the intervention type.
    relative = next((trade for (category, _), trade in _TRADES.items() if category == template.key[0]), None)
    if relative is None:
        return _ANY_EQUIPMENT
    return replace(
        _ANY_EQUIPMENT,
        models=relative.models,
        typical=relative.typical,
        parts=relative.parts,
        faults=relative.faults,
        certification=relative.certification,
    )


_KNOWN_REFERENCES: Mapping[tuple[str, str], str] = {
    ("Saunier Duval", "Électrode d'allumage"): "SD-0020135147",
    ("Legrand", "Interrupteur différentiel 40 A 30 mA type AC"): "Legrand 411617",
    ("Schneider Electric", "Interrupteur différentiel 40 A 30 mA type AC"): "R9ERC240",
    ("Schneider Electric", "Disjoncteur 16 A courbe C"): "R9F12616",
    ("Hager", "Disjoncteur 16 A courbe C"): "MFN716",
    ("Hager", "Disjoncteur 20 A courbe C"): "MFN720",
}
"""Real references of common parts; the others follow the brand's pattern."""

_ANOMALIES: Mapping[str, tuple[str, ...]] = {
    "nettoyage_corps_chauffe": ("Corps de chauffe très encrassé, nettoyage chimique à prévoir.",),
    "verification_organes_securite": ("Pressostat fumées à remplacer (déclenchements intempestifs).",),
    "controle_etancheite_gaz": ("Légère fuite au raccord du robinet de barrage, resserré, test OK.",),
    "verification_evacuation_fumees": (
        "Grille de ventilation haute obstruée par un meuble, à dégager.",
        "Terminal ventouse encrassé (nid d'oiseau), nettoyé.",
    ),
    "controle_vase_expansion": (
        "Vase d'expansion à 0,3 bar, regonflé à 1 bar. À surveiller.",
        "Membrane du vase percée, remplacement à prévoir.",
    ),
    "lecture_code_erreur": ("Code {code} mémorisé {count} fois dans l'historique.",),
    "controle_alimentation_electrique": ("Disjoncteur dédié PAC sous-dimensionné (16 A au lieu de 20 A).",),
    "controle_sondes": ("Sonde extérieure en plein soleil, à déplacer sur le mur nord.",),
    "controle_circulateur": ("Circulateur bruyant, débit faible (8 L/min).",),
    "controle_circuit_frigorifique": ("Traces d'huile sur le raccord flare de la liaison liquide.",),
    "nettoyage_evaporateur": ("Évaporateur colmaté par des feuilles, nettoyé au jet basse pression.",),
    "controle_etancheite": ("Micro-fuite sur raccord flare de l'unité intérieure, refait et retesté.",),
    "raccordement_condensats": ("Pente insuffisante de l'évacuation des condensats, goulotte reprise.",),
    "essai_froid_chaud": ("Mode chaud bruyant au démarrage (vibration du support), silentblocs ajoutés.",),
    "presence_ddr_30ma": ("Circuit prises de la cuisine protégé par un différentiel 300 mA seulement.",),
    "test_boutons_ddr": ("Le différentiel 40 A ne déclenche pas au bouton test, à remplacer.",),
    "serrage_connexions": ("Borne du disjoncteur du four desserrée, resserrée.",),
    "calibre_protections": ("Disjoncteur 32 A sur un circuit prises en 2,5 mm², à remplacer par un 20 A.",),
    "reperage_circuits": ("Étiquetage incomplet, repérage refait avec {civ_name}.",),
    "absence_echauffement": ("Traces de chauffe sur le bornier du chauffe-eau.",),
}
_ANY_ANOMALY = (
    "Anomalie constatée sur ce point, voir observations.",
    "Défaut relevé, à reprendre lors de la prochaine visite.",
    "Non conforme, {civ_name} informé{e}.",
)
_ACCESS_NOTES = (
    "Code portail {gate_code}, clés chez la gardienne {other_civ} ({other_phone}).",
    "Digicode {gate_code}, {floor}e étage {side}. Interphone au nom de {last_name}.",
    "Chaufferie au sous-sol, badge à demander à l'accueil à {other_civ}.",
    "Chien dans le jardin : appeler {civ_name} au {phone} en arrivant.",
    "Boîte à clés à gauche de la porte, code {gate_code}. Logement inoccupé, propriétaire joignable "
    "au {phone}.",
    "Se garer dans la cour, accès technique par la porte arrière. Demander {other_civ}, {other_phone}.",
)
_RESIDENCES = (
    "Les Tilleuls",
    "Le Clos des Vignes",
    "Les Érables",
    "Bellevue",
    "Le Parc Fleuri",
    "Les Cèdres",
)
_MAIL_DOMAINS = (
    "orange.fr",
    "gmail.com",
    "free.fr",
    "laposte.net",
    "sfr.fr",
    "hotmail.fr",
    "wanadoo.fr",
    "yahoo.fr",
)
_OTHER_PHOTOS = ("Plaque signalétique", "Vue d'ensemble de l'installation", "Pièce remplacée")
_UNKNOWN_TYPES = (
    "installation",
    "desembouage",
    "remplacement",
    "visite_technique",
    "depannage",
    "entretien_annuel",
    "mise_en_service",
    "controle",
)
_PHONES = (
    ("samsung", "SM-A546B", "A546BXXS8CXK2"),
    ("Apple", "iPhone 13", "17.5.1"),
    ("Xiaomi", "Redmi Note 12", "V14.0.6.0.TMTEUXM"),
    ("Google", "Pixel 7a", "AP2A.240905.003"),
    ("OnePlus", "CPH2449", "CPH2449_14.0.0.600(EX01)"),
)
_WRONG_UNITS: Mapping[str, tuple[str, Decimal, Decimal]] = {
    # template unit → (unit a technician may type instead, factor, offset)
    "°C": ("°F", Decimal("1.8"), Decimal(32)),
    "bar": ("kPa", Decimal(100), Decimal(0)),
    "kg": ("g", Decimal(1000), Decimal(0)),
    "Pa": ("mbar", Decimal("0.01"), Decimal(0)),
    "ms": ("s", Decimal("0.001"), Decimal(0)),
    "A": ("mA", Decimal(1000), Decimal(0)),
    "ppm": ("mg/m³", Decimal("1.25"), Decimal(0)),
    "%": ("% PCS", Decimal("0.9"), Decimal(0)),
    "Ω": ("kΩ", Decimal("0.001"), Decimal(0)),
    "MΩ": ("kΩ", Decimal(1000), Decimal(0)),
    "mm²": ("cm²", Decimal("0.01"), Decimal(0)),
}
