#!/usr/bin/env bash
# Checks a quitus consistency proof with bash, coreutils and openssl alone: the two checkpoints
# are signed by the pinned ledger key, and the ledger that signed the new one still begins with
# the entries the old one signed (RFC 9162 section 2.1.4.2).
#
#   bash verify-consistency.sh --fingerprint <ledger key fingerprint> [--kept <checkpoint you kept>]
#                              [--witness-pem <the witness's public key>]
#
# The fingerprint is the SHA-256 of the ledger key's DER SubjectPublicKeyInfo, as the company
# publishes it (`quitus audit key`); never take it from this folder. With --kept, the proof must
# start from the checkpoint you kept (checkpoint.txt of an earlier proof bundle, ...). With
# --witness-pem (witness-public.pem, from the witness's operator), the new checkpoint must carry a
# valid cosignature/v1 of that witness.
# Exit 0: verified; 1: it does not verify; 2: wrong usage.
set -euo pipefail
export LC_ALL=C

usage() {
  echo "usage: bash verify-consistency.sh --fingerprint <sha256 hex> [--kept <checkpoint.txt>] [--witness-pem <pem>]" >&2
  exit 2
}
fingerprint="" kept="" witness_pem=""
while [ $# -gt 0 ]; do
  case "$1" in
    --fingerprint) [ $# -ge 2 ] || usage; fingerprint=$2; shift 2 ;;
    --kept) [ $# -ge 2 ] || usage; kept=$(realpath "$2"); shift 2 ;;
    --witness-pem) [ $# -ge 2 ] || usage; witness_pem=$(realpath "$2"); shift 2 ;;
    *) usage ;;
  esac
done
fingerprint=$(printf '%s' "${fingerprint% -}" | tr -d ': \n' | tr 'A-F' 'a-f')
if ! [[ $fingerprint =~ ^[0-9a-f]{64}$ ]]; then
  echo "pin the ledger key: --fingerprint <64 hex digits>, as the company publishes it" >&2
  echo "(the SHA-256 of its DER SubjectPublicKeyInfo; never the one of the key in this folder)" >&2
  exit 2
fi
cd "$(dirname "$0")"
for file in ledger-public.pem old-checkpoint.txt old-checkpoint.body old-checkpoint.sig checkpoint.txt \
    checkpoint.body checkpoint.sig proof.txt; do
  [ -f "$file" ] || { echo "$file is missing: run this script in the folder of the proof" >&2; exit 1; }
done

ok=1
fail() { echo "   FAILED: $*"; ok=0; }
hex2bin() { local out="" i; for ((i = 0; i < ${#1}; i += 2)); do out+="\\x${1:i:2}"; done; printf "$out"; }
tohex() { od -An -v -tx1 | tr -d ' \n'; }
node() { { printf '\x01'; hex2bin "$1"; hex2bin "$2"; } | sha256sum | cut -d' ' -f1; }
dash=$'\xe2\x80\x94 ' # U+2014 and a space: how a signature line starts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "1. ledger-public.pem is the pinned key"
actual=$(openssl pkey -pubin -in ledger-public.pem -outform DER | sha256sum | cut -d' ' -f1)
if [ "$actual" = "$fingerprint" ]; then echo "   ok  $actual"; else fail "its fingerprint is $actual"; fi
openssl pkey -pubin -in ledger-public.pem -outform DER | tail -c 32 > "$work/public.raw"

# The note's text (up to its empty line) and its signature lines; the ledger's line is the one
# whose key id is SHA-256(key name, 0x0A, 0x01, public key)[:4] for the name it carries.
check_note() {
  local what=$1 body="" line name blob id sig found=0 reading=body
  while IFS= read -r line || [ -n "$line" ]; do
    if [ $reading = body ]; then
      if [ -z "$line" ]; then reading=signatures; else body+="$line"$'\n'; fi
      continue
    fi
    [ "${line:0:${#dash}}" = "$dash" ] || { fail "$what.txt: '${line:0:40}' is not a signature line"; return; }
    name=${line:${#dash}}; name=${name%% *}; blob=${line##* }
    id=$({ printf '%s\n\x01' "$name"; cat "$work/public.raw"; } | sha256sum | cut -c1-8)
    [ "$(printf '%s' "$blob" | base64 -d 2>/dev/null | head -c 4 | tohex)" = "$id" ] || continue
    printf '%s' "$blob" | base64 -d | tail -c +5 > "$work/$what.sig"
    found=1
  done < "$what.txt"
  printf '%s' "$body" > "$work/$what.body"
  [ $found = 1 ] || { fail "$what.txt carries no signature by the pinned key"; return; }
  cmp -s "$work/$what.body" "$what.body" || fail "$what.body is not the text of $what.txt"
  cmp -s "$work/$what.sig" "$what.sig" || fail "$what.sig is not the ledger's signature in $what.txt"
  if openssl pkeyutl -verify -pubin -inkey ledger-public.pem -rawin -in "$work/$what.body" \
      -sigfile "$work/$what.sig" > /dev/null 2>&1; then
    echo "   ok  $what.txt: signed by the pinned key"
  else
    fail "$what.txt: the signature does not verify (the checkpoint was altered, or another key signed it)"
  fi
}
echo "2. both checkpoints are signed by it"
check_note old-checkpoint
check_note checkpoint

field() { head -n "$2" "$work/$1.body" | tail -n 1; }
old_size=$(field old-checkpoint 2) new_size=$(field checkpoint 2)
old_root=$(field old-checkpoint 3 | base64 -d 2>/dev/null | tohex || true)
new_root=$(field checkpoint 3 | base64 -d 2>/dev/null | tohex || true)
size_pattern='^(0|[1-9][0-9]{0,17})$'
[[ $old_size =~ $size_pattern && $new_size =~ $size_pattern ]] || { fail "a tree size is not a decimal"; old_size=0 new_size=0; }
[ ${#old_root} = 64 ] && [ ${#new_root} = 64 ] || fail "a root hash is not 32 bytes of base64"
[ "$(field old-checkpoint 1)" = "$(field checkpoint 1)" ] || fail "the two checkpoints are of different logs"

echo "3. proof.txt goes from the old checkpoint to the new one"
path=()
{
  IFS=' ' read -r proof_old proof_new || true
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ $line =~ ^[0-9a-f]{64}$ ]]; then path+=("$line"); else fail "proof.txt: '${line:0:70}' is not a hash"; fi
  done
} < proof.txt
if [ "${proof_old:-}" = "$old_size" ] && [ "${proof_new:-}" = "$new_size" ]; then
  echo "   ok  from $old_size to $new_size entries, ${#path[@]} hashes"
else
  fail "proof.txt says '${proof_old:-} ${proof_new:-}', the checkpoints $old_size and $new_size"
fi

if [ -n "$kept" ]; then
  echo "4. the proof starts from the checkpoint you kept"
  kept_body=""
  while IFS= read -r line && [ -n "$line" ]; do kept_body+="$line"$'\n'; done < "$kept"
  printf '%s' "$kept_body" > "$work/kept.body"
  if cmp -s "$work/kept.body" "$work/old-checkpoint.body"; then echo "   ok"; else fail "old-checkpoint.txt is not the checkpoint you kept"; fi
else
  echo "4. (no --kept: the proof starts from old-checkpoint.txt; compare it with the checkpoint you kept)"
fi

echo "5. consistent (RFC 9162 section 2.1.4.2)"
consistent() {
  local m=$1 n=$2 fn sn fr sr c i
  if [ "$m" -gt "$n" ]; then echo "the old tree is larger than the new one"; return 1; fi
  if [ "$m" -eq "$n" ]; then
    [ ${#path[@]} -eq 0 ] && [ "$old_root" = "$new_root" ] && return 0
    echo "two different trees of $m entries"; return 1
  fi
  if [ "$m" -eq 0 ]; then # every tree extends the empty one, whose root is SHA-256 of nothing
    [ ${#path[@]} -eq 0 ] && [ "$old_root" = "$(printf '' | sha256sum | cut -d' ' -f1)" ] && return 0
    echo "an empty old tree takes no proof"; return 1
  fi
  [ ${#path[@]} -gt 0 ] || { echo "the proof is empty"; return 1; }
  local proof=("${path[@]}")
  if [ $((m & (m - 1))) -eq 0 ]; then proof=("$old_root" "${proof[@]}"); fi
  fn=$((m - 1)) sn=$((n - 1))
  while [ $((fn & 1)) -eq 1 ]; do fn=$((fn >> 1)) sn=$((sn >> 1)); done
  fr=${proof[0]} sr=${proof[0]}
  for ((i = 1; i < ${#proof[@]}; i++)); do
    c=${proof[i]}
    if [ "$sn" -eq 0 ]; then echo "the proof is too long"; return 1; fi
    if [ $((fn & 1)) -eq 1 ] || [ "$fn" -eq "$sn" ]; then
      fr=$(node "$c" "$fr") sr=$(node "$c" "$sr")
      if [ $((fn & 1)) -eq 0 ]; then
        while [ $((fn & 1)) -eq 0 ] && [ "$fn" -ne 0 ]; do fn=$((fn >> 1)) sn=$((sn >> 1)); done
      fi
    else
      sr=$(node "$sr" "$c")
    fi
    fn=$((fn >> 1)) sn=$((sn >> 1))
  done
  [ "$fr" = "$old_root" ] && [ "$sr" = "$new_root" ] && [ "$sn" -eq 0 ] && return 0
  echo "the tree of $n entries does not begin with the $m entries signed before"; return 1
}
if why=$(consistent "$old_size" "$new_size"); then
  echo "   ok  the $new_size entries begin with the $old_size signed before"
else
  fail "NOT consistent: $why — the ledger was rewritten (forked), or truncated and grown again"
fi

if [ -n "$witness_pem" ]; then
  # cosignature/v1 (C2SP tlog-cosignature): key id SHA-256(name, 0x0A, 0x04, key)[:4], then an
  # 8-byte big-endian time, then the Ed25519 signature of "cosignature/v1\ntime <t>\n" + the text.
  echo "6. checkpoint.txt is cosigned by the witness of $(basename "$witness_pem")"
  openssl pkey -pubin -in "$witness_pem" -outform DER | tail -c 32 > "$work/witness.raw"
  cosigned=0
  while IFS= read -r line || [ -n "$line" ]; do
    [ "${line:0:${#dash}}" = "$dash" ] || continue
    name=${line:${#dash}}; name=${name%% *}; blob=${line##* }
    id=$({ printf '%s\n\x04' "$name"; cat "$work/witness.raw"; } | sha256sum | cut -c1-8)
    printf '%s' "$blob" | base64 -d > "$work/cosignature" 2>/dev/null || continue
    [ "$(head -c 4 "$work/cosignature" | tohex)" = "$id" ] || continue
    [ "$(wc -c < "$work/cosignature")" -eq 76 ] || { fail "the cosignature by $name is not 76 bytes"; continue; }
    time=$(tail -c +5 "$work/cosignature" | head -c 8 | od -An -tu8 --endian=big | tr -d ' ')
    tail -c +13 "$work/cosignature" > "$work/cosignature.sig"
    { printf 'cosignature/v1\ntime %s\n' "$time"; cat "$work/checkpoint.body"; } > "$work/cosigned.msg"
    if openssl pkeyutl -verify -pubin -inkey "$witness_pem" -rawin -in "$work/cosigned.msg" \
        -sigfile "$work/cosignature.sig" > /dev/null 2>&1; then
      echo "   ok  cosigned by $name at $(date -u -d "@$time" '+%Y-%m-%d %H:%M:%S UTC')"
      cosigned=1
    else
      fail "the cosignature by $name does not verify"
    fi
  done < checkpoint.txt
  [ $cosigned = 1 ] || fail "checkpoint.txt carries no valid cosignature by this witness"
fi

if [ $ok -eq 1 ]; then echo "consistency proof verified"; else echo "consistency proof FAILED verification"; exit 1; fi
