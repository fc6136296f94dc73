# Shared helpers for scripts/*.sh. Source it; do not run it.
# Conventions: silent when nothing needs doing, one `say` line per action taken,
# `die` with a clear message on failure. Only loopback addresses are ever used.

# Logs and data of the services we start (git-ignored): <repo>/.services unless overridden.
GOSHIFT_STATE_DIR="${GOSHIFT_STATE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.services}"
_APT_UPDATED=0

# say MSG...: print one action line.
say() { printf 'goshift: %s\n' "$*"; }

# die MSG...: print an error to stderr and exit 1.
die() { printf 'goshift: ERROR: %s\n' "$*" >&2; exit 1; }

# as_root CMD...: run CMD as root (directly when already root, else through sudo).
as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# have CMD: true when CMD is on PATH (or is an executable path).
have() { command -v "$1" >/dev/null 2>&1; }

# apt_install PKG...: install Debian packages quietly; `apt-get update` runs at most once per script run.
apt_install() {
  have apt-get || die "apt-get not found; install $* by hand"
  local log="$GOSHIFT_STATE_DIR/apt.log"
  mkdir -p "$GOSHIFT_STATE_DIR"
  if [[ $_APT_UPDATED -eq 0 ]]; then
    say "apt-get update"
    as_root apt-get update >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get update failed (log: $log)"; }
    _APT_UPDATED=1
  fi
  say "installing $* (apt)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "apt-get install $* failed (log: $log)"; }
}

# wait_until SECONDS CMD...: poll CMD every 0.5 s until it succeeds; return 1 after SECONDS.
wait_until() {
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || return 1
    sleep 0.5
  done
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
