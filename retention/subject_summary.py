"""``resume.html``: the access answer in French, for the person to read.

Built from the same dictionary as ``subject.json`` (:func:`retention.subjects.export_subject`),
so the two cannot disagree. The page is self-contained — its style inline, no script, no
image, no link to load — so that it opens offline and tells no server it was read. Every
value is escaped. It is a page of plain sentences, not a rendering of the report
(``reports/`` owns the PDF).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from reports.mail import french_long_date

__all__ = ["summary_html"]

_ACTIONS = {
    "anonymize": "anonymisé : vos données personnelles en sont retirées pour de bon",
    "delete": "supprimé",
    "review": "réexaminé par un responsable, qui décide de sa suppression ou de sa conservation",
}
_ROLES = {
    "client": "client",
    "technician": "technicien",
    "client_signer": "signataire pour le client",
    "technician_signer": "signataire pour l'entreprise",
}
_TERMS = {"email": "adresse e-mail", "phone": "numéro de téléphone", "name": "nom"}
_CAPTURE = {"json": "saisie informatique", "pdf_form": "formulaire PDF"}
_CHANNELS = {
    "telephone": "par téléphone",
    "email": "par e-mail",
    "portail": "par le portail client",
    "sur_site": "sur place",
    "contrat": "dans le cadre de votre contrat d'entretien",
}
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1rem; margin-bottom: .25rem; }
table { border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: .15rem .75rem .15rem 0; }
th { font-weight: 600; white-space: nowrap; }
.note { color: #555; font-size: .9rem; }
"""


def summary_html(answer: Mapping[str, Any]) -> str:
    """The page, from the ``subject.json`` dictionary."""
    request = answer["request"]
    reports = answer["reports"]
    exported = dt.datetime.fromisoformat(answer["exported_at"]).date()
    found_by = ", ".join(_TERMS.get(t, t) for t in request["found_by"]) or "—"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Vos données personnelles</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Vos données personnelles</h1>",
        f"<p>Réponse à votre demande d'accès (RGPD, article 15), n° {_e(request['id'])}, "
        f"établie le {french_long_date(exported)}. Vous avez été recherché(e) par : {_e(found_by)}.</p>",
    ]
    if not reports:
        parts.append(
            "<p>Aucun rapport d'intervention ne vous concerne : nous ne détenons pas de données "
            "à votre sujet "
            "dans ces rapports.</p>"
        )
    else:
        parts.append(
            f"<p>{len(reports)} rapport(s) d'intervention vous concernent. Les données d'autres "
            "personnes citées "
            "dans les textes libres sont masquées (par exemple <code>&lt;PERSONNE_1&gt;</code>). Le fichier "
            "<code>subject.json</code>, joint, contient les mêmes informations dans un format lisible par "
            "machine (droit à la portabilité, article 20).</p>"
        )
    parts += [_report_section(report) for report in reports]
    parts.append("<h2>Vos droits</h2><ul>")
    parts += [
        f"<li><strong>{_e(r['label'])}</strong> ({_e(r['article'])}) : {_e(r['text'])}</li>"
        for r in answer["rights"]
    ]
    parts.append(
        "</ul><p>Pour exercer ces droits, adressez-vous à l'entreprise qui a réalisé l'intervention, en "
        f"rappelant le n° de demande {_e(request['id'])}.</p></body></html>"
    )
    return "\n".join(parts) + "\n"


def _report_section(report: Mapping[str, Any]) -> str:
    content = report.get("content")
    source = report.get("source") or {}
    day = source.get("intervention_date")
    title = f"Rapport {_e(report.get('number') or report['report_id'])}"
    if day:
        title += f" — intervention du {french_long_date(dt.date.fromisoformat(day))}"
    parts = [f"<section><h2>{title}</h2>"]
    if report.get("restricted"):
        parts.append("<p>L'accès à ce rapport est limité : il n'est plus utilisé, seulement conservé.</p>")
    if content is None:
        parts.append("<p>Ce document reçu n'a pas pu être lu ; il est conservé sous forme chiffrée.</p>")
    else:
        roles = ", ".join(_ROLES.get(r, r) for r in report.get("your_role", [])) or "personne citée"
        parts.append(
            f"<p>Vous y figurez comme : {_e(roles)}. Entreprise : {_e(source.get('company', ''))}.</p>"
        )
        parts.append("<h3>Les données du rapport</h3>" + _data_table(content))
    parts.append(_purposes(report))
    parts.append(_retention(report.get("retention")))
    parts.append(_recipients(report.get("recipients", [])))
    if source:
        capture = _CAPTURE.get(source.get("capture", ""), source.get("capture", ""))
        channel = _CHANNELS.get(source.get("request_channel", ""), "")
        received = dt.datetime.fromisoformat(source["received_at"]).date()
        parts.append(
            "<h3>D'où elles viennent</h3>"
            f"<p>Votre demande d'intervention a été reçue {_e(channel)}. Le rapport a été établi par le "
            f"technicien (identifiant {_e(source.get('technician_id', ''))}) lors de l'intervention, puis "
            f"transmis par {_e(capture)} le {french_long_date(received)}.</p>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _data_table(content: Mapping[str, Any]) -> str:
    client = content.get("client") or {}
    address = client.get("address") or {}
    site = content.get("site") or {}
    request = content.get("request") or {}
    equipment = content.get("equipment") or {}
    outcome = content.get("outcome") or {}
    rows: list[tuple[str, Any]] = [
        ("Nom", client.get("name")),
        ("Société", client.get("company_name")),
        ("Adresse", " ".join(str(address.get(k) or "") for k in ("street", "postal_code", "city")).strip()),
        ("Téléphone", client.get("phone")),
        ("E-mail", client.get("email")),
        ("Lieu d'intervention", site.get("name")),
        ("Accès au site", site.get("access_notes")),
        ("Demande", request.get("description")),
        ("Équipement", " ".join(str(equipment.get(k) or "") for k in ("brand", "model")).strip()),
        ("Type d'intervention", content.get("intervention_type")),
        ("Technicien", (content.get("technician") or {}).get("name")),
        ("Observations", content.get("observations")),
        ("Issue", outcome.get("status")),
        ("Motif", outcome.get("reason")),
    ]
    rows += [
        ("Commentaire", item.get("comment")) for item in content.get("checklist", []) if item.get("comment")
    ]
    rows += [
        ("Légende de photo", photo.get("caption"))
        for photo in content.get("photos", [])
        if photo.get("caption")
    ]
    cells = [f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>" for label, value in rows if value]
    return "<table>" + "".join(cells) + "</table>"


def _purposes(report: Mapping[str, Any]) -> str:
    legal = report.get("legal_basis") or {}
    parts = ["<h3>Pourquoi nous les traitons</h3><ul>"]
    parts += [f"<li>{_e(p)}</li>" for p in report.get("purposes", [])]
    parts.append("</ul><p>Base légale :</p><ul>")
    parts += [f"<li>{_e(b)}</li>" for b in legal.get("lawful_basis", [])]
    for policy in legal.get("policies", []):
        references = "; ".join(policy.get("references", []))
        parts.append(
            f"<li>{_e(policy['title'])} : {_e(policy['text'])}"
            + (f' <span class="note">({_e(references)})</span>' if references else "")
            + "</li>"
        )
    parts.append("</ul>")
    return "".join(parts)


def _retention(retention: Mapping[str, Any] | None) -> str:
    head = "<h3>Combien de temps nous les conservons</h3>"
    if retention is None:
        return head + "<p>Aucune règle ne s'applique plus à ce rapport.</p>"
    sentences = []
    action = _ACTIONS.get(retention.get("action") or "", "")
    due = retention.get("due")
    if due and action:
        sentences.append(f"Le rapport est conservé jusqu'au {_day(due)}, puis {action}.")
    elif action:
        sentences.append(
            f"Le rapport sera {action} ; la date dépend d'un événement qui n'a pas encore eu lieu."
        )
    else:
        sentences.append("Aucune durée de conservation n'est encore fixée pour ce rapport.")
    if retention.get("obligation_until"):
        sentences.append(
            f"La loi impose de le conserver jusqu'au {_day(retention['obligation_until'])} : une demande "
            "d'effacement en limite l'accès jusque-là."
        )
    if retention.get("restricted_from"):
        sentences.append(
            f"À partir du {_day(retention['restricted_from'])}, il est archivé : son accès est limité."
        )
    if retention.get("holds"):
        sentences.append(
            "Une mesure de conservation pour motif légal (contentieux, enquête) le couvre : rien n'en est "
            "supprimé tant qu'elle dure."
        )
    if retention.get("awaiting_review"):
        sentences.append("Il attend la décision d'un responsable sur sa conservation.")
    return head + "<p>" + " ".join(_e(s) for s in sentences) + "</p>"


def _recipients(recipients: Sequence[Mapping[str, Any]]) -> str:
    head = "<h3>À qui elles ont été communiquées</h3>"
    if not recipients:
        return head + "<p>À personne en dehors de l'entreprise et de ses techniciens.</p>"
    items = []
    for r in recipients:
        sent = r.get("sent_at")
        when = f" le {french_long_date(dt.datetime.fromisoformat(sent).date())}" if sent else ""
        to = f" à {r['address']}" if r.get("address") else " au client"
        items.append(f"<li>{_e(r.get('what', 'le rapport'))}, envoyé par e-mail{_e(to)}{_e(when)}</li>")
    return head + "<ul>" + "".join(items) + "</ul>"


def _day(iso: str) -> str:
    return french_long_date(dt.date.fromisoformat(iso))


def _e(value: Any) -> str:
    return escape(str(value), quote=False)  # text only: the page sets no attribute from data
