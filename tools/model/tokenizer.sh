#!/bin/sh
# Trains the SentencePiece BPE tokenizer of cocoon/tiny-stories-1m (llama-style: identity normalisation,
# dummy prefix, byte fallback, digits split). Usage: tools/model/tokenizer.sh <corpus.txt> <out-prefix>
set -eu
if [ "${1:-}" = "--help" ] || [ $# -lt 2 ]; then
    echo "usage: tokenizer.sh <corpus.txt> <out-prefix>   (writes <out-prefix>.model and .vocab)"; exit 0
fi
CORPUS=$1; OUT=$2
# spm_train reads one sentence per line: feed it one document per line (newlines inside a document
# become byte-fallback tokens, as in llama's tokenizer).
LINES="$OUT.lines.txt"
awk 'BEGIN{RS="\n<\\|doc\\|>\n"} {gsub(/\n/," "); print}' "$CORPUS" > "$LINES"
spm_train --input="$LINES" --model_prefix="$OUT" --model_type=bpe --vocab_size=512 \
    --byte_fallback=true --character_coverage=1.0 --normalization_rule_name=identity \
    --remove_extra_whitespaces=false --add_dummy_prefix=true --split_digits=true \
    --user_defined_symbols='<|system|>,<|user|>,<|assistant|>,<|end|>,<think>,</think>' \
    --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 --max_sentence_length=8192 \
    --input_sentence_size=20000 --shuffle_input_sentence=false --num_threads=1 --minloglevel=1
rm -f "$LINES"
