"""Evaluation corpora for the French PII redaction: three generators and hand-written notes.

See README.md in this folder, and ``split`` for what may be tuned on (only ``gen_formal``
seeds 0–99) and what is held out (everything else).
"""

from bench.pii_corpora._note import KEEP, LABELS, PII_LABELS, Note, Span, check_note

__all__ = ["KEEP", "LABELS", "PII_LABELS", "Note", "Span", "check_note"]
