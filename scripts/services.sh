#!/usr/bin/env bash
# Make sure the local services goshift needs answer on loopback. Idempotent: silent when all is
# well, one line per action taken. Installs missing servers from Debian packages (apt) and starts
# them in the background (start-stop-daemon / --daemonize; no systemd needed).
#
#   scripts/services.sh                 # all services
#   scripts/services.sh mariadb redis   # only these
#
# Adding a service = one `ensure_<name>` function + its name in ALL_SERVICES.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ALL_SERVICES=(mariadb redis)
MARIADB_PORT="${MARIADB_PORT:-3306}"
# Only for a non-system MariaDB instance (e.g. testing this script): its socket and option file.
MARIADB_SOCKET="${MARIADB_SOCKET:-}"
MARIADB_CNF="${MARIADB_CNF:-}"
REDIS_PORT="${REDIS_PORT:-6379}"

# ---------------------------------------------------------------- MariaDB: root, empty password, TCP

# mariadb_alive: the server answers on 127.0.0.1 (an "access denied" still counts as answering).
mariadb_alive() {
  mariadb-admin --no-defaults --protocol=tcp -h127.0.0.1 -P"$MARIADB_PORT" -uroot --connect-timeout=2 ping
}

# mariadb_tcp USER ARGS...: run the client over TCP as USER with an empty password (no option files).
mariadb_tcp() {
  local user=$1; shift
  mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$MARIADB_PORT" -u"$user" --connect-timeout=2 -N -B "$@"
}

# mariadb_sock ARGS...: run the client as root through the unix socket (unix_socket auth as OS root).
mariadb_sock() { as_root mariadb ${MARIADB_SOCKET:+--socket="$MARIADB_SOCKET"} -uroot -N -B "$@"; }

# mariadb_start: create /run/mysqld, initialise an empty datadir, start mariadbd and wait for it.
mariadb_start() {
  local log="$GOSHIFT_STATE_DIR/mariadbd.log" datadir
  local cnf=() match=(--exec /usr/sbin/mariadbd)
  [[ -z $MARIADB_CNF ]] || cnf=(--defaults-file="$MARIADB_CNF")
  datadir=$(my_print_defaults "${cnf[@]}" mysqld | sed -n 's/^--datadir=//p' | tail -n1)
  datadir=${datadir:-/var/lib/mysql}
  # A non-system instance is told apart from the system one by its pid file.
  [[ -z $MARIADB_CNF ]] || match+=(--pidfile "$(my_print_defaults "${cnf[@]}" mysqld | sed -n 's/^--pid-file=//p' | tail -n1)")
  mkdir -p "$GOSHIFT_STATE_DIR"
  if [[ ! -d /run/mysqld || $(stat -c %U /run/mysqld) != mysql ]]; then
    say "creating /run/mysqld (owner mysql)"
    as_root install -d -o mysql -g mysql /run/mysqld
  fi
  if [[ ! -d $datadir/mysql ]]; then
    say "initialising MariaDB datadir $datadir (mariadb-install-db)"
    as_root mariadb-install-db "${cnf[@]}" --user=mysql --datadir="$datadir" --skip-test-db >"$log" 2>&1 \
      || { tail -n 20 "$log" >&2; die "mariadb-install-db failed (log: $log)"; }
  fi
  if as_root start-stop-daemon --status "${match[@]}"; then
    say "mariadbd is running but not answering on 127.0.0.1:$MARIADB_PORT yet; waiting"
  else
    say "starting mariadbd (log: $log)"
    as_root start-stop-daemon --start --oknodo --quiet --background --output "$log" \
      "${match[@]}" -- "${cnf[@]}" --user=mysql
  fi
  wait_until 60 mariadb_alive \
    || die "MariaDB did not answer on 127.0.0.1:$MARIADB_PORT within 60 s (see $log and the log-error file from /etc/mysql)"
}

# mariadb_fix_tcp_login USER: through the socket, let USER log in over TCP with an empty password.
# Only called when that login fails. Keeps unix_socket; never overwrites a real password.
mariadb_fix_tcp_login() {
  local user=$1 has_pw
  mariadb_sock -e 'select 1' >/dev/null 2>&1 \
    || die "MariaDB answers, but '$user' cannot log in over TCP with an empty password and root cannot log in through the socket; fix the account by hand"
  has_pw=$(mariadb_sock -e "select count(*) from mysql.global_priv where user='$user' and host='localhost'
    and (priv regexp '\"authentication_string\":\"\\\\*[0-9A-F]{40}\"' or priv like '%ed25519%')")
  [[ $has_pw == 0 ]] || die "'$user'@localhost has a password; goshift's local config expects an empty one (change etc/local.json or the account)"
  say "letting '$user'@localhost log in with an empty password as well as unix_socket"
  mariadb_sock -e "ALTER USER '$user'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket"
  mariadb_tcp "$user" -e 'select 1' >/dev/null 2>&1 && return
  # With skip-name-resolve, a TCP login from 127.0.0.1 never matches '@localhost'.
  [[ $(mariadb_sock -e "select count(*) from mysql.user where user='$user' and host='127.0.0.1'") == 0 ]] \
    || die "'$user'@127.0.0.1 exists but does not accept an empty password over TCP; fix it by hand"
  say "creating '$user'@127.0.0.1 with an empty password (server uses skip-name-resolve)"
  mariadb_sock -e "CREATE USER '$user'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL PRIVILEGES ON *.* TO '$user'@'127.0.0.1' WITH GRANT OPTION"
  mariadb_tcp "$user" -e 'select 1' >/dev/null 2>&1 || die "'$user' still cannot log in over TCP with an empty password"
}

# ensure_mariadb: MariaDB answers on 127.0.0.1:$MARIADB_PORT as root/empty password, local_infile on.
ensure_mariadb() {
  if ! { have mariadb && mariadb_tcp root -e 'select 1' >/dev/null 2>&1; }; then
    [[ -x /usr/sbin/mariadbd ]] && have mariadb || apt_install mariadb-server mariadb-client
    mariadb_alive >/dev/null 2>&1 || mariadb_start
    mariadb_tcp root -e 'select 1' >/dev/null 2>&1 || mariadb_fix_tcp_login root
  fi
  if [[ $(mariadb_tcp root -e 'select @@global.local_infile') != 1 ]]; then
    say "enabling local_infile on MariaDB"
    mariadb_tcp root -e 'SET GLOBAL local_infile=1'
  fi
}

# ---------------------------------------------------------------- Redis: 127.0.0.1:$REDIS_PORT, no auth

# redis_ok: PING answers PONG (bounded: something else on the port may accept and never reply).
redis_ok() { [[ $(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

# redis_start: start a throwaway-persistence redis-server in the background and wait for PONG.
redis_start() {
  local dir="$GOSHIFT_STATE_DIR/redis-$REDIS_PORT"
  ! port_open "$REDIS_PORT" || die "127.0.0.1:$REDIS_PORT is taken by something that does not answer Redis PING"
  mkdir -p "$dir"
  say "starting redis-server on 127.0.0.1:$REDIS_PORT (log: $dir/redis.log)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log" --pidfile "$dir/redis.pid" >/dev/null
  wait_until 15 redis_ok \
    || die "Redis did not answer PING on 127.0.0.1:$REDIS_PORT within 15 s (log: $dir/redis.log; is the port taken?)"
}

# ensure_redis: Redis answers PING on 127.0.0.1:$REDIS_PORT.
ensure_redis() {
  have redis-server && have redis-cli || apt_install redis-server
  redis_ok || redis_start
}

# ---------------------------------------------------------------- main

main() {
  local svc
  [[ ${1:-} != -h && ${1:-} != --help ]] || { echo "usage: $0 [${ALL_SERVICES[*]}]"; return 0; }
  (($#)) || set -- "${ALL_SERVICES[@]}"
  for svc in "$@"; do
    declare -F "ensure_$svc" >/dev/null || die "unknown service '$svc' (known: ${ALL_SERVICES[*]})"
  done
  for svc in "$@"; do "ensure_$svc"; done
}

# Run only when executed (sourcing exposes the functions, e.g. for tests).
[[ ${BASH_SOURCE[0]} != "$0" ]] || main "$@"
