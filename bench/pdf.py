"""Report PDF throughput: render (reportlab) and seal (pyHanko), on one core.

Reports are generated samples whose photos and signatures went through
``sanitize_image`` and are given as blobs, as they are after capture. Baseline,
measured in the same run on the same reports: the render alone. The seal's share is
what the electronic seal costs on top of it. The latency of one 2-photo report,
rendered then sealed, is the figure the issue asks to keep well under 100 ms.

    .venv/bin/python bench/pdf.py [--reports 100] [--key-type rsa|ec] [--quick]
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pypdf import PdfReader

from reports.capture.photos import sanitize_image
from reports.pdf import create_company_ca, load_seal, render_report, seal_pdf, verify_sealed_pdf
from reports.samples import generate_samples
from reports.schema import Company, InterventionReport
from reports.templates import Template, TemplateCatalog


@dataclass
class Job:
    report: InterventionReport
    template: Template
    images: dict[str, bytes]
    report_id: str


def as_captured(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The payload with every image sanitized and replaced by a blob id, and the blobs."""
    images: dict[str, bytes] = {}

    def store(attachment: dict[str, str], path: str) -> dict[str, str]:
        blob_id = f"blob-{len(images)}"
        images[blob_id] = sanitize_image(base64.b64decode(attachment["content_base64"]), path=path).content
        return {"blob_id": blob_id}

    payload = dict(payload)
    payload["photos"] = [
        {**photo, "image": store(photo["image"], f"photos[{i}]")} for i, photo in enumerate(payload["photos"])
    ]
    for key in ("client_signature", "technician_signature"):
        if key in payload:
            payload[key] = {**payload[key], "image": store(payload[key]["image"], key)}
    return payload, images


def jobs(catalog: TemplateCatalog, count: int) -> list[Job]:
    prepared: list[Job] = []
    for index, sample in enumerate(generate_samples(catalog, count, seed=11)):
        payload, images = as_captured(sample.payload)
        try:
            report = InterventionReport.model_validate(payload)
        except ValidationError:
            continue
        template = catalog.for_report(*report.template_key)
        if template is not None:
            prepared.append(Job(report, template, images, f"RI-2025-{index:06d}"))
    return prepared


def render(job: Job, company: Company) -> bytes:
    return render_report(
        job.report, job.template, report_id=job.report_id, images=job.images, company=company
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--reports", type=int, default=100, help="generated reports (some invalid ones are skipped)"
    )
    parser.add_argument(
        "--key-type", choices=("rsa", "ec"), default="rsa", help="seal key: RSA 3072 or P-256"
    )
    parser.add_argument("--repeat", type=int, default=30, help="runs of the 2-photo latency measure")
    parser.add_argument("--quick", action="store_true", help="smoke test: 16 reports, 10 latency runs")
    args = parser.parse_args()
    if args.quick:
        args.reports, args.repeat = 16, 10

    catalog = TemplateCatalog.load()
    work = jobs(catalog, args.reports)
    company = Company(name="Thermi'Clim Services", siret="91417776100170")
    with tempfile.TemporaryDirectory() as folder:
        create_company_ca(Path(folder) / "seal", company.name, key_type=args.key_type)
        seal = load_seal(Path(folder) / "seal")
        ca_pem = (Path(folder) / "seal" / "ca.pem").read_bytes()

    render(work[0], company)  # fonts loaded and first-use caches warm, as in a running service
    print(f"{len(work)} reports, seal key {args.key_type.upper()}, one process, one thread")
    print("  (CPU = this process's CPU time, unaffected by other load; wall = elapsed time)")

    with Clock() as baseline_clock:
        baseline = [render(job, company) for job in work]
    pages = sum(len(PdfReader(io.BytesIO(pdf)).pages) for pdf in baseline)

    render_clock, seal_clock = Clock(), Clock()
    sealed: list[bytes] = []
    for job in work:
        with render_clock:
            pdf = render(job, company)
        with seal_clock:
            sealed.append(seal_pdf(pdf, seal))
    both_cpu, both_wall = render_clock.cpu + seal_clock.cpu, render_clock.wall + seal_clock.wall

    with Clock() as verify_clock:
        verified = sum(verify_sealed_pdf(pdf, [ca_pem]).ok for pdf in sealed)

    count = len(work)
    row(
        "baseline: render only",
        f"{count / baseline_clock.cpu:6.1f} reports/s  {pages / baseline_clock.cpu:6.1f} pages/s",
    )
    row("render + seal", f"{count / both_cpu:6.1f} reports/s  {pages / both_cpu:6.1f} pages/s")
    row(
        "  share in reportlab (render)",
        f"{render_clock.cpu / both_cpu:6.1%}   {1000 * render_clock.cpu / count:5.1f} ms/report",
    )
    row(
        "  share in pyHanko (seal)",
        f"{seal_clock.cpu / both_cpu:6.1%}   {1000 * seal_clock.cpu / count:5.1f} ms/report",
    )
    row("render + seal, wall clock", f"{count / both_wall:6.1f} reports/s")
    row("verify", f"{count / verify_clock.cpu:6.1f} reports/s  ({verified}/{count} verified ok)")
    row("pages per report", f"{pages / count:6.2f}")

    two_photos = next(job for job in work if len(job.report.photos) == 2)
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(args.repeat):
        with Clock() as clock:
            seal_pdf(render(two_photos, company), seal)
        cpu.append(1000 * clock.cpu)
        wall.append(1000 * clock.wall)
    row(
        "2-photo report, render + seal",
        f"median {statistics.median(cpu):.1f} ms CPU, {statistics.median(wall):.1f} ms wall "
        f"(best {min(cpu):.1f}, worst {max(cpu):.1f} ms CPU; {args.repeat} runs; target < 100 ms)",
    )


class Clock:
    """Adds up CPU and wall time over each ``with`` block."""

    def __init__(self) -> None:
        self.cpu = self.wall = 0.0

    def __enter__(self) -> Clock:
        self._cpu, self._wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.cpu += time.process_time() - self._cpu
        self.wall += time.perf_counter() - self._wall


def row(label: str, figures: str) -> None:
    print(f"  {label:<32} {figures}")


if __name__ == "__main__":
    main()
