#!/usr/bin/env bash
# One prepared training run for a lent GPU machine (see README, "Training on a GPU").
# Here:   python -m policy.pack ... --out data/train ; copy the validation pack to data/val2020/val.npz;
#         pip download sgfmill, numba and llvmlite into .whl (the device image lacks them; numba compiles the
#         tactical reader of the go-40 planes; llvmlite is about 40 MB of the 64 MiB carry), then call the device tool with
#         carry ["data", ".whl"] and command "bash scripts/gpu_train.sh".
# There:  trains with bf16 autocast and channels-last (COMPILE=--compile adds torch.compile) for TIME_BUDGET seconds,
#         the learning-rate decay included, and leaves the model, its log and curves in $OUT.
# FEATURES (default go-40): the loader processes compute the go-40 planes at about 3,400 positions/s a core (the
#         reader compiled by numba on the first batch of each process), so 14 of them should feed roughly the
#         42,000 positions/s an H200 trains the 10x96 network at (not measured there); FEATURES=go-27 trains on the old planes.
# On a CPU (to test the script): DEVICE=cpu STEPS=4 BLOCKS=1 FILTERS=8 BATCH=16 WORKERS=0 WARMUP=2 OUT=/tmp/o bash scripts/gpu_train.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT to the folder that comes back}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site:$PWD
else
    export PYTHONPATH=$PWD
fi
export PYTHONUNBUFFERED=1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv || true
python3 -m policy.train \
    --train "${TRAIN:-data/train/train.npz}" --val "${VAL:-data/val2020/val.npz}" \
    --out "$OUT/run" --export "$OUT/model.pt" \
    --device "${DEVICE:-cuda}" --features "${FEATURES:-go-40}" --blocks "${BLOCKS:-10}" --filters "${FILTERS:-96}" \
    --batch-size "${BATCH:-1024}" --per-game "${PER_GAME:-8}" --steps "${STEPS:-60000}" \
    --time-budget "${TIME_BUDGET:-450}" --lr "${LR:-2e-3}" --schedule wsd --decay-fraction 0.25 \
    --warmup "${WARMUP:-200}" --value-weight "${VALUE_WEIGHT:-0.5}" \
    --workers "${WORKERS:-14}" --eval-every "${EVAL_EVERY:-1000}" --eval-positions 8192 \
    --checkpoint-every 1000 --no-progress ${INIT:+--init "$INIT"} ${COMPILE:-} 2>&1 | tee "$OUT/train.log"
cp "$OUT/run/metrics.csv" "$OUT/run/curves.png" "$OUT/" 2>/dev/null || true
