#!/bin/sh
# Rebuild cocoon/tiny-stories-1m from nothing: corpus -> tokenizer -> training -> GGUF (+ sha256).
# Needs Debian packages: python3-torch sentencepiece python3-sentencepiece libopenblas0-pthread.
# Not run by CI. Takes ~15-25 min on one core. Usage: tools/model/build.sh [out-dir] (default /tmp/tiny-model)
set -eu
if [ "${1:-}" = "--help" ]; then
    sed -n '2,4p' "$0" | sed 's/^# //'
    echo "env: STEPS (1500), SEED (1234), STORIES (40000), OMP_NUM_THREADS (1; more threads were slower on 2 shared cores)"
    exit 0
fi
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-/tmp/tiny-model}
PY=/usr/bin/python3   # Debian's python, where python3-torch lives (a pyenv python would not see it)
mkdir -p "$OUT"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
"$PY" "$HERE/corpus.py" --out "$OUT/corpus.txt" --stories "${STORIES:-40000}" --seed "${SEED:-1234}"
"$HERE/tokenizer.sh" "$OUT/corpus.txt" "$OUT/tok"
"$PY" "$HERE/train.py" --corpus "$OUT/corpus.txt" --tokenizer "$OUT/tok.model" --out "$OUT/tiny-stories-1m.gguf" \
    --steps "${STEPS:-1500}" --seed "${SEED:-1234}" --checkpoint "$OUT/ckpt.pt" | tee "$OUT/train.log"
"$PY" "$HERE/reference.py" --tokenizer "$OUT/tok.model" --checkpoint "$OUT/ckpt.pt" --out "$OUT/reference.json"
sha256sum "$OUT/tiny-stories-1m.gguf"
echo "copy $OUT/tiny-stories-1m.gguf to node/inference/models/ and $OUT/reference.json to tests/node/inference/fixtures/"
