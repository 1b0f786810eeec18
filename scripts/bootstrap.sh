# Sourced by demo.sh and test.sh: makes .venv/ with forum-mirror installed (and test tools).
# Usage: bootstrap_venv [extra]   e.g. bootstrap_venv test
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bootstrap_venv() {
    local extra="${1:-}"
    local python="${PYTHON:-python3}"
    if [ ! -x .venv/bin/python ]; then
        "$python" -m venv .venv
    fi
    local spec="."
    [ -n "$extra" ] && spec=".[$extra]"
    # Re-install only when pyproject.toml changed since the last install.
    local stamp=".venv/.installed-$extra"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -e "$spec"
        touch "$stamp"
    fi
}

# axe-core (the accessibility test) from npm, per package-lock.json; Debian's node if missing.
bootstrap_node() {
    if ! command -v npm >/dev/null 2>&1; then
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
    fi
    # Re-install only when the lock file changed since the last install.
    local stamp="node_modules/.installed"
    if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
        npm ci --no-audit --no-fund --loglevel=error
        touch "$stamp"
    fi
}

# Debian's packages the browser tests need (never a browser download).
install_debian_packages() {
    local missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    [ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
