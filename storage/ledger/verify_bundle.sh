#!/usr/bin/env bash
# verify.sh FINGERPRINT: checks this proof bundle (format quitus-proof-bundle/2) with bash,
# coreutils (sha256sum, base64, od, sort, ...), sed, grep, find and openssl; nothing else.
# Run it from the folder the bundle was unzipped into (a fresh one: every file counts).
# FINGERPRINT is the SHA-256 of the ledger key, as the company publishes it.
set -u
export LC_ALL=C

if [ $# -eq 2 ] && [ "$1" = --fingerprint ]; then shift; fi
if [ $# -ne 1 ]; then
  cat >&2 <<'USAGE'
usage: bash verify.sh FINGERPRINT   (or: bash verify.sh --fingerprint FINGERPRINT)

FINGERPRINT pins the company's ledger key: nothing in this bundle is trusted before it.
Get it from the company through another channel than this bundle (contract annex, DPO
register, their intranet); they print it with `quitus audit key`. To compare, the
fingerprint of the key this bundle carries is:

    openssl pkey -pubin -in ledger-public.pem -outform DER | sha256sum
USAGE
  exit 2
fi
pin=$(printf '%s' "$1" | tr 'A-F' 'a-f' | tr -d ':')
if ! [[ $pin =~ ^[0-9a-f]{64}$ ]]; then
  echo "FINGERPRINT must be 64 hex digits (the SHA-256 of the key's DER SubjectPublicKeyInfo)" >&2
  exit 2
fi

ok=1
bad() { echo "   BAD $*"; ok=0; }
fatal() { echo "   BAD $*"; echo "bundle FAILED verification"; exit 1; }
sha() { sha256sum | cut -d' ' -f1; }
hex() { od -An -v -tx1 | tr -d ' \n'; }
hex2bin() { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }
ends_in_newline() { [ -s "$1" ] && [ "$(tail -c1 "$1" | hex)" = 0a ]; }
# The value of a top-level or details field of an entry (values hold no quote or comma).
field() { printf '%s' "$2" | sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
number() { printf '%s' "$2" | sed -n "s/.*\"$1\":\\([0-9][0-9]*\\)[,}].*/\\1/p"; }
list() { printf '%s' "$2" | sed -n "s/.*\"$1\":\\[\\([^]]*\\)\\].*/\\1/p" | tr ',' '\n' | sed 's/^"//; s/"$//'; }

echo "1. every file is accounted for"
if [ -n "$(find . -mindepth 1 ! -type d ! -type f)" ]; then fatal "links or special files in the folder"; fi
if [ -n "$(find . -type f -name "$(printf '*\n*')")" ]; then fatal "a file name holds a newline"; fi
files=$(find . -type f | sed 's|^\./||' | sort)
while IFS= read -r f; do
  case "$f" in
    proofs.txt|checkpoint.txt|checkpoint.body|checkpoint.sig|ledger.vkey|ledger-public.pem|SHA256SUMS) ;;
    verify.sh|VERIFY.md) ;;
    documents/rapport-scelle.pdf|documents/rapport-anonymise.pdf) ;;
    documents/disposition.json|documents/certificat-disposition.pdf) ;;
    *) [[ $f =~ ^entries/[0-9]{12}\.json$ || $f =~ ^policies/[A-Za-z0-9][A-Za-z0-9._-]{0,79}$ ]] \
         || bad "$f: a file the format does not have (added to the bundle?)" ;;
  esac
done <<< "$files"
for f in proofs.txt checkpoint.txt checkpoint.body checkpoint.sig ledger.vkey ledger-public.pem SHA256SUMS; do
  [ -f "$f" ] || fatal "$f is missing"
done
if grep -qvE '^[0-9a-f]{64}  [^ ]+$' SHA256SUMS || ! ends_in_newline SHA256SUMS; then
  fatal "SHA256SUMS: a line is not '<sha256 hex>  <path>'"
fi
listed=$(sed 's/^[0-9a-f]*  //' SHA256SUMS | sort)
[ -z "$(printf '%s\n' "$listed" | uniq -d)" ] || bad "SHA256SUMS lists a file twice"
present=$(printf '%s\n' "$files" | grep -vx SHA256SUMS)
for f in $(comm -23 <(printf '%s\n' "$present") <(printf '%s\n' "$listed" | sort -u)); do bad "$f: not in SHA256SUMS"; done
for f in $(comm -13 <(printf '%s\n' "$present") <(printf '%s\n' "$listed" | sort -u)); do bad "$f: listed in SHA256SUMS but missing"; done
[ $ok -eq 1 ] || fatal "the files are not those SHA256SUMS lists"
sha256sum --check --quiet --strict SHA256SUMS || fatal "files modified (their SHA-256 is not in SHA256SUMS)"
echo "   ok  $(printf '%s\n' "$present" | wc -l) files, each with its SHA-256 in SHA256SUMS"

echo "2. the bundle's key is the pinned key"
for f in checkpoint.txt checkpoint.body checkpoint.sig ledger.vkey ledger-public.pem; do
  [ "$(wc -c < "$f")" -le 65536 ] || fatal "$f is too large"
done
der=$(openssl pkey -pubin -in ledger-public.pem -outform DER 2>/dev/null | hex)
[ "$(openssl pkey -pubin -in ledger-public.pem 2>/dev/null)" = "$(cat ledger-public.pem)" ] \
  || fatal "ledger-public.pem is not one public key in PEM"
[ ${#der} -eq 88 ] && [ "${der:0:24}" = 302a300506032b6570032100 ] || fatal "ledger-public.pem is not an Ed25519 key"
fingerprint=$(hex2bin "$der" | sha)
[ "$fingerprint" = "$pin" ] || fatal "the bundle's key (fingerprint $fingerprint) is not the pinned key"
public=${der:24}
vkey=$(cat ledger.vkey)
[ "$(wc -l < ledger.vkey)" -eq 1 ] && ends_in_newline ledger.vkey || fatal "ledger.vkey is not one line"
[[ $vkey =~ ^([^+[:space:][:cntrl:]]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]{44})$ ]] || fatal "ledger.vkey is not <name>+<key id>+<key>"
name=${BASH_REMATCH[1]}
keyid=${BASH_REMATCH[2]}
[ "$(printf '%s' "${BASH_REMATCH[3]}" | base64 -d 2>/dev/null | hex)" = "01$public" ] \
  || fatal "ledger.vkey and ledger-public.pem are not the same key"
[ "$( { printf '%s\n' "$name"; hex2bin "01$public"; } | sha | cut -c1-8)" = "$keyid" ] \
  || fatal "ledger.vkey: its key id does not match its name and key"
echo "   ok  $name (fingerprint $fingerprint)"

echo "3. the checkpoint is signed by the ledger key"
ends_in_newline checkpoint.txt || fatal "checkpoint.txt does not end in a newline"
[ "$(sed -n '/^$/q;p' checkpoint.txt | sha)" = "$(sha < checkpoint.body)" ] || bad "checkpoint.body is not the text of checkpoint.txt"
[ "$(wc -l < checkpoint.body)" -eq 3 ] && ends_in_newline checkpoint.body || fatal "checkpoint.body is not three lines"
origin=$(sed -n 1p checkpoint.body)
size=$(sed -n 2p checkpoint.body)
root_b64=$(sed -n 3p checkpoint.body)
[ "$origin" = "$name" ] || bad "the checkpoint's origin is not the key's name $name"
[[ $size =~ ^(0|[1-9][0-9]{0,17})$ ]] || fatal "the checkpoint's tree size is not a decimal number"
[[ $root_b64 =~ ^[A-Za-z0-9+/]{43}=$ ]] || fatal "the checkpoint's root hash is not base64 of 32 bytes"
root=$(printf '%s' "$root_b64" | base64 -d | hex)
signatures=$(sed '1,/^$/d' checkpoint.txt)
[ -n "$signatures" ] || fatal "checkpoint.txt carries no signature"
mine=0
while IFS= read -r line; do
  [[ $line =~ ^—\ [^\ +]+\ [A-Za-z0-9+/]+=*$ ]] || fatal "checkpoint.txt: a malformed signature line"
  case "$line" in
    "— $name "*)
      mine=$((mine + 1))
      blob=${line#"— $name "}
      [[ $blob =~ ^[A-Za-z0-9+/]{91}=$ ]] || fatal "the ledger's signature line does not hold a key id and a signature"
      signature=$(printf '%s' "$blob" | base64 -d | hex) ;;
  esac
done <<< "$signatures"
[ $mine -eq 1 ] || fatal "checkpoint.txt carries $mine signature lines of $name, expected one"
[ "${signature:0:8}" = "$keyid" ] || fatal "the ledger's signature line carries another key id"
[ "$(hex < checkpoint.sig)" = "${signature:8}" ] || bad "checkpoint.sig is not the ledger's signature in checkpoint.txt"
openssl pkeyutl -verify -pubin -inkey ledger-public.pem -rawin -in checkpoint.body -sigfile checkpoint.sig > /dev/null 2>&1 \
  || fatal "the checkpoint's signature does not verify"
[ $ok -eq 1 ] && echo "   ok  $size entries, root $root"

echo "4. every entry is in the signed tree"
entries=$(printf '%s\n' "$files" | grep -E '^entries/[0-9]{12}\.json$')
[ -n "$entries" ] || fatal "the bundle holds no entry"
ends_in_newline proofs.txt || fatal "proofs.txt does not end in a newline"
if grep -qvE '^entries/[0-9]{12}\.json (0|[1-9][0-9]*) (0|[1-9][0-9]*)( [0-9a-f]{64}){0,63}$' proofs.txt; then
  fatal "proofs.txt: a line is not '<file> <leaf index> <tree size> <hashes...>'"
fi
[ "$(cut -d' ' -f1 proofs.txt | sort)" = "$entries" ] || fatal "proofs.txt does not hold exactly one proof per entry file"
declare -A leaf
while read -r file index tree path; do
  [ "$((10#$(basename "$file" .json)))" = "$index" ] || { bad "$file: its proof is for leaf $index"; continue; }
  [ "$tree" = "$size" ] || { bad "$file: its proof is for a tree of $tree entries, not $size"; continue; }
  [ "$index" -lt "$size" ] || { bad "$file: leaf $index is not in a tree of $size"; continue; }
  node=$( { printf '\x00'; cat "$file"; } | sha )
  leaf[$file]=$node
  # RFC 9162 section 2.1.3.2, with fn = index and sn = size - 1
  fn=$index; sn=$((size - 1))
  for sibling in $path; do
    if [ $sn -eq 0 ]; then node=invalid; break; fi
    if [ $((fn & 1)) -eq 1 ] || [ $fn -eq $sn ]; then
      node=$( { printf '\x01'; hex2bin "$sibling"; hex2bin "$node"; } | sha )
      while [ $((fn & 1)) -eq 0 ] && [ $fn -ne 0 ]; do fn=$((fn >> 1)); sn=$((sn >> 1)); done
    else
      node=$( { printf '\x01'; hex2bin "$node"; hex2bin "$sibling"; } | sha )
    fi
    fn=$((fn >> 1)); sn=$((sn >> 1))
  done
  if [ "$node" = "$root" ] && [ $sn -eq 0 ]; then echo "   ok  $file"; else bad "$file: NOT included in the signed tree"; fi
done < proofs.txt

echo "5. every entry belongs to the report, the export entry closes the history"
export_file=$(printf '%s\n' "$entries" | tail -n 1)
last=$(cat "$export_file")
report=$(field report "$last")
[ "$(field step "$last")" = proof.export ] && [ -n "$report" ] || fatal "the last entry is not the export (proof.export) of a report"
placed=" "
count=0
history=""
seals=""; redacted=""; certificates=""; certificate_pdfs=""
for file in $entries; do
  [ "$(wc -c < "$file")" -le 65536 ] && [ "$(wc -l < "$file")" -eq 0 ] || { bad "$file: not one canonical entry"; continue; }
  entry=$(cat "$file")
  # The top-level fields, once the nested objects (artifacts, details) are emptied.
  [[ $entry =~ ^\{.*\}$ ]] || { bad "$file: not a JSON object"; continue; }
  top=${entry#\{}; top=$(printf '%s' "${top%\}}" | sed 's/{[^{}]*}/{}/g')
  if printf '%s\n' "$top" | tr ',' '\n' | grep -qvE '^"[a-z]+":("[^"]*"|0|[1-9][0-9]*|\{\})$' \
     || ! printf '%s\n' "$top" | tr ',' '\n' | cut -d'"' -f2 | sort -C -u; then
    bad "$file: not an entry in canonical JSON"; continue
  fi
  seq=$(number seq "{$top}")
  [ "$seq" = "$((10#$(basename "$file" .json)))" ] || { bad "$file: holds entry $seq"; continue; }
  step=$(field step "{$top}")
  of=$(field report "{$top}")
  if [ "$file" != "$export_file" ]; then
    count=$((count + 1))
    history+="${leaf[$file]:-missing}"$'\n'
  fi
  case "$step" in
    hold.place|hold.release)
      if printf '%s' "{$top}" | grep -q '"report":'; then bad "$file: a hold entry about a report"; continue; fi
      hold=$(field hold "$entry")
      if [ "$step" = hold.place ]; then
        placed+="$hold "
        if printf '%s' "$entry" | grep -q '"scope":"reports"' && ! list report_ids "$entry" | grep -qxF "$report"; then
          bad "$file: a hold on other reports, not on $report"
        fi
      elif [[ $placed != *" $hold "* ]]; then
        bad "$file: the release of a hold the bundle does not place"
      fi
      continue ;;
  esac
  [ "$of" = "$report" ] || { bad "$file: a $step entry of ${of:-no report}, not of report $report"; continue; }
  case "$step" in
    seal) seals+=" $(field pdf_full_sha256 "$entry") "; redacted+=" $(field pdf_redacted_sha256 "$entry") " ;;
    dispose|shred) certificates+=" $(field certificate_sha256 "$entry") " ;;
    certify) certificate_pdfs+=" $(field certificate_pdf_sha256 "$entry") " ;;
  esac
done
[ "$(field format "$last")" = quitus-proof-bundle/2 ] || bad "the export is not of format quitus-proof-bundle/2"
[ "$(number history_count "$last")" = "$count" ] \
  || bad "the export recorded a history of $(number history_count "$last") entries, the bundle holds $count"
[ "$(printf '%s' "$history" | sha)" = "$(field history_sha256 "$last")" ] \
  || bad "the history is not the one the export recorded (history_sha256)"
recorded=$(list files "$last" | sort)
actual=$(printf '%s\n' "$files" | grep -E '^(documents/|policies/|verify\.sh$|VERIFY\.md$)' | while IFS= read -r f; do
  printf '%s:%s\n' "$f" "$(sha < "$f")"; done | sort)
[ "$recorded" = "$actual" ] || bad "the files are not those the export recorded (documents, policies, verify.sh, VERIFY.md)"
[ $ok -eq 1 ] && echo "   ok  $export_file records $count entries of $report and $(printf '%s\n' "$actual" | wc -l) files"

echo "6. each document is the one the ledger recorded"
document() {  # file, recorded digests, what recorded them
  [ -f "$1" ] || return 0
  if [[ $2 == *" $(sha < "$1") "* ]]; then echo "   ok  $1 ($3)"; else bad "$1: not the document $3 recorded"; fi
}
document documents/rapport-scelle.pdf "$seals" "the seal entry (pdf_full_sha256)"
document documents/rapport-anonymise.pdf "$redacted" "the seal entry (pdf_redacted_sha256)"
document documents/disposition.json "$certificates" "the dispose or shred entry (certificate_sha256)"
document documents/certificat-disposition.pdf "$certificate_pdfs" "the certify entry (certificate_pdf_sha256)"

if [ $ok -eq 1 ]; then echo "bundle verified"; else echo "bundle FAILED verification"; exit 1; fi
