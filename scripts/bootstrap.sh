# Sourced by demo.sh and test.sh: makes .venv/ with forum-mirror installed (and test tools).
# Usage: bootstrap_venv [extra]   e.g. bootstrap_venv test
# Each step prints one line; what its tools say goes to .venv/bootstrap.log (this run's).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BOOTSTRAP_LOG=".venv/bootstrap.log"
mkdir -p .venv
: >"$BOOTSTRAP_LOG"

# step "what it does" COMMAND...: one line on screen, the command's output in the log; a
# failure names the log, shows its end and stops the script.
step() {
    local what="$1"
    shift
    printf '%s ... ' "$what"
    printf '\n== %s: %s\n' "$what" "$*" >>"$BOOTSTRAP_LOG"
    if "$@" >>"$BOOTSTRAP_LOG" 2>&1; then
        echo "done"
    else
        echo "failed; the full log is $BOOTSTRAP_LOG, which ends:"
        tail -n 15 "$BOOTSTRAP_LOG" | sed 's/^/    /'
        exit 1
    fi
}

bootstrap_venv() {
    local extra="${1:-}"
    local python="${PYTHON:-python3}"
    if [ ! -x .venv/bin/pip ]; then  # a venv made without ensurepip has python, no pip
        step "creating .venv with $python" "$python" -m venv .venv
    fi
    local spec="."
    [ -n "$extra" ] && spec=".[$extra]"
    # Re-install only when pyproject.toml changed since the last install.
    local stamp=".venv/.installed-$extra"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        step "upgrading pip in .venv" .venv/bin/python -m pip install --upgrade pip
        step "installing forum-mirror${extra:+[$extra]} and its dependencies into .venv" \
            .venv/bin/python -m pip install -e "$spec"
        touch "$stamp"
    fi
}

# axe-core (the accessibility test) from npm, per package-lock.json; Debian's node if missing.
bootstrap_node() {
    if ! command -v npm >/dev/null 2>&1; then
        step "installing Debian's nodejs and npm" apt_install nodejs npm
    fi
    # Re-install only when the lock file changed since the last install.
    local stamp="node_modules/.installed"
    if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
        step "installing axe-core from npm" npm ci --no-audit --no-fund --loglevel=error
        touch "$stamp"
    fi
}

apt_install() {
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    # `&&`: run as a step's condition, set -e does not stop a failed update here.
    $sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$@"
}

# Debian's packages the browser and queue tests need (never a browser download).
install_debian_packages() {
    local missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    [ -d /usr/share/fonts/truetype/noto ] || missing+=(fonts-noto-core)
    # The queue tests start their own throwaway redis-server (never the system service).
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    [ ${#missing[@]} -eq 0 ] && return 0
    step "installing Debian's ${missing[*]}" apt_install "${missing[@]}"
}
