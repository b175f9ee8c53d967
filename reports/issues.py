"""Structured problems found in a submission: field path, stable code, message.

A :class:`ReportIssue` never quotes a submitted personal value; it may quote the
template's own data (item ids, units, ranges) and technical values such as a
measurement. Each code has an English and a French message (`MESSAGES`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

__all__ = ["MESSAGES", "ReportIssue", "format_path", "issue", "issues_from_validation_error"]

MESSAGES: Mapping[str, tuple[str, str]] = {
    # capture
    "invalid_json": (
        "not valid JSON ({detail}); fix the syntax and resubmit",
        "JSON invalide ({detail}) ; corrigez la syntaxe et renvoyez",
    ),
    "not_utf8": (
        "not UTF-8 text (invalid byte at offset {offset}); save the file as UTF-8",
        "texte non UTF-8 (octet invalide à la position {offset}) ; enregistrez en UTF-8",
    ),
    "not_an_object": (
        "expected a JSON object describing one report",
        "un objet JSON décrivant un rapport est attendu",
    ),
    "json_too_deep": (
        "the JSON is nested more than {max_depth} levels deep; a report needs a few levels: "
        "send one report per file, as docs/report.schema.json describes",
        "le JSON est imbriqué sur plus de {max_depth} niveaux ; un rapport n'en demande que quelques-uns",
    ),
    "json_too_complex": (
        "the JSON holds {containers} lists or objects and {values} values, above the "
        "{max_containers} and {max_values} accepted; send one report per file",
        "le JSON contient {containers} listes ou objets et {values} valeurs, au-delà des "
        "{max_containers} et {max_values} acceptés ; un rapport par fichier",
    ),
    "duplicate_key": (
        "{key} is given twice in this object; keep one value and resubmit",
        "{key} figure deux fois dans cet objet ; n'en gardez qu'une valeur",
    ),
    "form_field_unknown": (
        "the form holds a filled field '{field}' that quitus forms do not have; its value "
        "would be kept outside the report: fill a blank form from `quitus forms blank` instead",
        "le formulaire contient un champ rempli '{field}' inconnu des formulaires quitus ; "
        "remplissez un formulaire vierge généré par quitus",
    ),
    "pdf_too_many_pages": (
        "the PDF has {pages} pages, above the {max_pages} a quitus form may have; send the filled form alone",
        "le PDF a {pages} pages, au-delà des {max_pages} d'un formulaire quitus ; "
        "envoyez le formulaire rempli seul",
    ),
    "pdf_too_many_attachments": (
        "the PDF has more than {max_count} attached files; attach only the photos",
        "le PDF a plus de {max_count} fichiers joints ; joignez uniquement les photos",
    ),
    "pdf_attachment_too_large": (
        "an attached file is larger than {max_bytes} once decompressed; attach photos of at most that size",
        "un fichier joint dépasse {max_bytes} une fois décompressé ; joignez des photos plus petites",
    ),
    "pdf_too_complex": (
        "the PDF needs more than quitus allows to read ({limit}); export the filled form "
        "again from the tablet, with smaller photos",
        "le PDF demande plus que quitus n'accorde pour le lire ({limit}) ; exportez à "
        "nouveau le formulaire rempli, avec des photos plus petites",
    ),
    "attachment_outside_folder": (
        "the referenced file is not inside the submission's folder (an absolute path, "
        "'..', or a link pointing out); put the photo next to the JSON file",
        "le fichier indiqué n'est pas dans le dossier de la soumission ; placez la photo à côté du JSON",
    ),
    "attachment_not_a_file": (
        "the referenced path is not a regular file (a folder, a device or a pipe); "
        "reference the photo file itself",
        "le chemin indiqué n'est pas un fichier ordinaire ; indiquez le fichier de la photo",
    ),
    "attachments_too_large": (
        "the files referenced by this submission hold more than {max_bytes} together "
        "(or are more than {max_count}); send fewer or smaller photos",
        "les fichiers de cette soumission dépassent {max_bytes} au total (ou sont plus de "
        "{max_count}) ; envoyez moins de photos, ou plus petites",
    ),
    "missing": ("required field is missing", "champ obligatoire manquant"),
    "extra_forbidden": (
        "unknown field; check the spelling against docs/report.schema.json",
        "champ inconnu ; vérifiez l'orthographe (docs/report.schema.json)",
    ),
    "invalid_value": ("{detail}", "valeur invalide : {detail}"),
    "submission_conflict": (
        "submission_id already used by report {report_id} with different content; "
        "send corrections with a new submission_id, or correct the rejected report",
        "submission_id déjà utilisé par le rapport {report_id} avec un autre contenu ; "
        "utilisez un nouveau submission_id",
    ),
    # template
    "unknown_template": (
        "no template for equipment category '{category}' and intervention type "
        "'{intervention_type}'; known: {known}",
        "aucun modèle pour la catégorie '{category}' et le type '{intervention_type}' ; "
        "modèles connus : {known}",
    ),
    "checklist_missing": (
        "required checklist item '{item}' ({label}) has no status",
        "le point de contrôle obligatoire « {label} » n'est pas renseigné",
    ),
    "checklist_unknown": (
        "checklist item '{item}' is not in template {template}",
        "le point de contrôle '{item}' n'existe pas dans le modèle {template}",
    ),
    "duplicate_entry": ("'{item}' is given more than once", "'{item}' est renseigné plusieurs fois"),
    "measurement_missing": (
        "required measurement '{item}' ({label}, in {unit}) is missing",
        "la mesure obligatoire « {label} » ({unit}) est manquante",
    ),
    "measurement_unknown": (
        "measurement '{item}' is not in template {template}",
        "la mesure '{item}' n'existe pas dans le modèle {template}",
    ),
    "measurement_wrong_unit": (
        "measurement '{item}' must be in {expected}, got {unit}",
        "la mesure « {label} » doit être en {expected} (reçu : {unit})",
    ),
    "measurement_out_of_range": (
        # No longer raised (a reading out of range is recorded and flagged): kept so that
        # reports rejected before issue 18 still read back with their messages.
        "measurement '{item}' = {value} {unit} is outside {low}..{high} {unit}",
        "la mesure « {label} » = {value} {unit} est hors plage ({low} à {high} {unit})",
    ),
    "template_broken": (
        "template {template} cannot be used: its file {file} has {count} problem(s) "
        "(`quitus templates list` shows them); the report is kept: send it again once the file is fixed",
        "le modèle {template} est inutilisable : son fichier {file} comporte {count} erreur(s) ; "
        "le rapport est conservé, renvoyez-le une fois le modèle corrigé",
    ),
    "threshold_consequence_missing": (
        "measurement '{item}' = {value} {unit} crosses the threshold {threshold} ({threshold_label}): "
        "checklist item '{required_item}' must be {missing}; record what was done and resubmit",
        "la mesure « {label} » = {value} {unit} franchit le seuil {threshold} ({threshold_label}) : "
        "le point de contrôle « {required_label} » doit être {missing_fr}",
    ),
    "technical_personal": (
        "{item} looks like it holds a {shape_en}: it is technical data, printed in the anonymized copy "
        "and kept in the equipment register; type the {what_en} only (the client's details go in the "
        "client fields) and resubmit",
        "le champ {item} semble contenir {shape_fr} : c'est une donnée technique, imprimée dans la copie "
        "anonymisée ; saisissez uniquement {what_fr} (les coordonnées du client vont dans les champs client)",
    ),
    "selection_missing": (
        "required choice '{item}' ({label}) is missing",
        "le choix obligatoire « {label} » est manquant",
    ),
    "selection_unknown": (
        "choice '{item}' is not in template {template}",
        "le choix '{item}' n'existe pas dans le modèle {template}",
    ),
    "selection_invalid": (
        "'{item}' must be one of: {choices}",
        "« {label} » doit valoir l'une de ces valeurs : {choices}",
    ),
    "photo_missing": (
        "template {template} needs at least {count} '{kind}' photo(s) ({label})",
        "le modèle exige au moins {count} photo(s) « {label} »",
    ),
    "signature_missing": (
        "the {who} signature is required for a completed intervention",
        "la signature {who_fr} est obligatoire pour une intervention terminée",
    ),
}


@dataclass(frozen=True)
class ReportIssue:
    """One problem found in a submission."""

    path: str
    """Field path such as ``measurements[2].unit``; empty for the whole submission."""
    code: str
    """Stable code (a key of :data:`MESSAGES` or a photo/capture code)."""
    message: str
    """English explanation, without any personal value."""
    message_fr: str = ""
    """French explanation for the web pages."""
    params: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "code": self.code, "message": self.message, "message_fr": self.message_fr}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReportIssue:
        return cls(
            path=data["path"],
            code=data["code"],
            message=data["message"],
            message_fr=data.get("message_fr", ""),
        )


def issue(path: str, code: str, **params: object) -> ReportIssue:
    """Build an issue from :data:`MESSAGES`; ``params`` must hold no personal data."""
    text = {k: str(v) for k, v in params.items()}
    english, french = MESSAGES[code]
    return ReportIssue(
        path=path,
        code=code,
        message=english.format_map(_Lenient(text)),
        message_fr=french.format_map(_Lenient(text)),
        params=text,
    )


class _Lenient(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return self.get("item", "?")


def format_path(loc: Sequence[int | str]) -> str:
    """``('photos', 2, 'image', 'file')`` → ``photos[2].image.file``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


UNKNOWN_ID = "(unknown id)"
"""What an issue says in place of a submitted id the template does not know (a checklist item,
a measurement, a choice): the id itself may be anything typed, a name or a phone included."""
UNKNOWN_FIELD = "(unknown field)"
"""What an issue says in place of a submitted key the schema does not know."""


def issues_from_validation_error(exc: ValidationError) -> list[ReportIssue]:
    """Translate pydantic's errors; inputs are never included (they may be personal)."""
    found: list[ReportIssue] = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        loc = [p for p in error["loc"] if not _is_union_branch(p)]
        kind = error["type"]
        if kind == "extra_forbidden" and loc:
            # A key the schema does not know is never quoted back: it may be personal data (a
            # client's name and phone typed where a field name goes).
            loc[-1] = UNKNOWN_FIELD
        # The keys of ``selections`` are submitted text too.
        loc = [UNKNOWN_ID if i and loc[i - 1] == "selections" else p for i, p in enumerate(loc)]
        path = format_path(loc)
        if kind in ("missing", "extra_forbidden"):
            found.append(issue(path, kind))
        else:
            found.append(issue(path, "invalid_value", detail=_clean(error["msg"])))
    return _unique(found)


def _is_union_branch(part: int | str) -> bool:
    # pydantic names union branches in locations ("function-after[...]", "str"): not field names
    return isinstance(part, str) and (part.startswith("function-") or part in {"str", "decimal", "int"})


def _clean(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _unique(items: Iterable[ReportIssue]) -> list[ReportIssue]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for item in items:
        key = (item.path, item.code, item.message)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
