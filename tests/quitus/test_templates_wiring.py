"""A broken template file does not stop the retention policies that cover its reports (issue 18)."""

from __future__ import annotations

from pathlib import Path

from quitus.settings import Settings
from quitus.wiring import initialize, open_app

VMC_POLICY = """\
id: acme.vmc
title: Rapports VMC
legal_basis:
  text: Preuve de l'entretien.
  references: [Arrêté du 24 mars 1982]
scope:
  equipment_categories: [vmc]
trigger:
  kind: intervention_date
duration: P5Y
action: delete
"""


def test_a_broken_template_leaves_the_policies_that_cover_it_loadable(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    initialize(settings)
    settings.template_dir.mkdir(parents=True, exist_ok=True)
    (settings.template_dir / "vmc.entretien.yaml").write_text(
        "id: vmc.entretien\ntitle: [\n", encoding="utf-8"
    )
    settings.resolved_policy_dir.mkdir(parents=True, exist_ok=True)
    (settings.resolved_policy_dir / "acme-vmc.yaml").write_text(VMC_POLICY, encoding="utf-8")
    app = open_app(settings)
    try:
        assert [b.template_id for b in app.catalog.broken] == ["vmc.entretien"]
        assert ("vmc", "entretien") in app.catalog.kinds
        assert "acme.vmc" in {p.policy.id for p in app.policies()}
    finally:
        app.close()
