#!/usr/bin/env bash
# A day of operations, driven as a script drives quitus: every answer read with --json and jq,
# every step checked by its exit code (docs/cli-json.md). Run it in a fresh home:
#
#   bash docs/day-of-operations.sh [CAPTURES_FOLDER]
#
# CAPTURES_FOLDER holds report submissions (JSON files, filled PDF forms); without it, four
# realistic French sample reports are generated. Needs quitus and jq on PATH; QUITUS_HOME is
# a new temporary folder unless given (it must not exist yet, or be empty). Prints what each
# step did, then one JSON summary line on stdout.
set -euo pipefail

command -v jq >/dev/null || { echo "jq is needed (apt-get install jq)" >&2; exit 2; }
command -v quitus >/dev/null || { echo "quitus is needed on PATH (make install; . .venv/bin/activate)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export QUITUS_HOME="${QUITUS_HOME:-$work/home}"
if [ -e "$QUITUS_HOME" ] && [ -n "$(ls -A "$QUITUS_HOME")" ]; then
  echo "QUITUS_HOME=$QUITUS_HOME is not empty: this script starts a new home" >&2
  exit 2
fi
say() { printf '== %s\n' "$*" >&2; }

say "1. a new home in $QUITUS_HOME"
quitus init >&2

say "2. captures"
captures="${1:-}"
if [ -z "$captures" ]; then
  captures="$work/inbox"
  mkdir -p "$captures"
  # The Python that runs quitus generates the samples (reports.samples, as `quitus demo` does).
  python="$(dirname "$(command -v quitus)")/python"
  "$python" - "$captures" <<'PY'
import json, sys
from pathlib import Path
from reports.samples import generate_samples
from reports.templates import TemplateCatalog
samples = generate_samples(TemplateCatalog.load(), 4, seed=2026, invalid_share=0, unfinished_share=0,
                           photo_size=(160, 120))
for number, sample in enumerate(samples):
    Path(sys.argv[1], f"capture-{number}.json").write_text(json.dumps(sample.payload, ensure_ascii=False))
PY
fi
# One JSON line per input; exit code 1 when one was rejected (kept, with its errors).
ingested=$(quitus ingest --format jsonl "$captures")
mapfile -t ids < <(jq -r 'select(.report_id != null) | .report_id' <<<"$ingested")
echo "ingested ${#ids[@]} report(s)" >&2
[ "${#ids[@]}" -gt 0 ] || { echo "no report was captured" >&2; exit 1; }

say "3. intake: redact, render, seal, archive"
archived=$(quitus run intake --json | jq '.counts.archive')
echo "archived $archived report(s)" >&2
quitus reports list --json | jq -c '.counts' >&2

say "4. retention plan in ten years (a dry run: nothing changes)"
due=$(quitus retention plan --at "$(date -d '+10 years' +%F)" --json | jq '[.items[] | select(.status == "due")] | length')
echo "$due report(s) would be due then" >&2

say "5. a legal hold on ${ids[0]}"
quitus holds place --report "${ids[0]}" --reason "Litige client, dossier RG-2026-104" >&2
hold=$(quitus holds list --json | jq -r --arg id "${ids[0]}" '.holds[] | select(.active) | .id' | head -n 1)
[ -n "$hold" ] || { echo "the hold is not listed" >&2; exit 1; }
status=$(quitus retention plan --at 2100-01-01 --json |
  jq -r --arg id "${ids[0]}" '.items[] | select(.report_id == $id) | .status')
[ "$status" = "held" ] || { echo "${ids[0]} should be held, the plan says: $status" >&2; exit 1; }
echo "$hold keeps ${ids[0]}: the plan shows it held" >&2
run=$(quitus run retention --json)
jq -e '.counts.tampered == 0' <<<"$run" >/dev/null
echo "nightly retention run: $(jq -c '.counts' <<<"$run")" >&2

say "6. proof of handling for ${ids[0]}, checked offline against the pinned key"
fingerprint=$(quitus audit key | sed -n 's/^fingerprint .*: //p')
quitus proof export "${ids[0]}" --no-documents -o "$work/proof.zip" >&2
proof=$(quitus proof verify "$work/proof.zip" --fingerprint "$fingerprint" --json)
jq -e '.ok' <<<"$proof" >/dev/null
echo "bundle verified: $(jq '.entries' <<<"$proof") entries proven" >&2
ledger=$(quitus audit verify --json)
jq -e '.ok' <<<"$ledger" >/dev/null
echo "ledger verified: $(jq '.entries' <<<"$ledger") entries" >&2

jq -cn --argjson reports "${#ids[@]}" --argjson archived "$archived" --argjson due "$due" \
  --arg hold "$hold" --argjson proof "$proof" --argjson ledger "$ledger" \
  '{reports: $reports, archived: $archived, due_in_ten_years: $due, hold: $hold,
    proof_ok: $proof.ok, proof_entries: $proof.entries, ledger_ok: $ledger.ok, ledger_entries: $ledger.entries}'
