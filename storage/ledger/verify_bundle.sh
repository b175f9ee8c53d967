#!/usr/bin/env bash
# Checks this bundle with sha256sum and openssl only. Run it from the unzipped folder.
set -euo pipefail
ok=1
echo "1. files match the manifest"
python3 -c 'import json;[print(v+"  "+k) for k,v in json.load(open("manifest.json"))["files"].items()]' \
  | sha256sum --check --quiet && echo "   ok" || ok=0
echo "2. the checkpoint is signed by the ledger key"
openssl pkeyutl -verify -pubin -inkey ledger-public.pem -rawin -in checkpoint.body -sigfile checkpoint.sig || ok=0
hex2bin() { printf "$(echo "$1" | sed 's/../\\x&/g')"; }
h() { sha256sum | cut -d' ' -f1; }
root=$(sed -n 3p checkpoint.body | base64 -d | od -An -tx1 | tr -d ' \n')
echo "3. every entry is in the signed tree (root $root)"
for entry in entries/*.json; do
  index=$((10#$(basename "$entry" .json)))
  size=$(sed -n 2p checkpoint.body)
  node=$( { printf '\x00'; cat "$entry"; } | h )
  path=$(python3 -c "import json,sys;print(' '.join(next(p for p in json.load(open('proofs.json')) if p['file']=='$entry')['audit_path']))")
  # RFC 9162 section 2.1.3.2, with fn = index and sn = size - 1
  fn=$index; sn=$((size - 1))
  for sibling in $path; do
    if [ $sn -eq 0 ]; then node=invalid; break; fi
    if [ $((fn & 1)) -eq 1 ] || [ $fn -eq $sn ]; then
      node=$( { printf '\x01'; hex2bin "$sibling"; hex2bin "$node"; } | h )
      if [ $((fn & 1)) -eq 0 ]; then
        while [ $((fn & 1)) -eq 0 ] && [ $fn -ne 0 ]; do fn=$((fn >> 1)); sn=$((sn >> 1)); done
      fi
    else
      node=$( { printf '\x01'; hex2bin "$node"; hex2bin "$sibling"; } | h )
    fi
    fn=$((fn >> 1)); sn=$((sn >> 1))
  done
  if [ "$node" = "$root" ] && [ $sn -eq 0 ]; then echo "   ok  $entry"; else echo "   BAD $entry"; ok=0; fi
done
[ $ok -eq 1 ] && echo "bundle verified" || { echo "bundle FAILED verification"; exit 1; }
