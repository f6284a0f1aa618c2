#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for the demo and the tests, run as the
# postgres OS user (PostgreSQL refuses to run as root).
#
#   cluster.sh start DIR PORT DBNAME   initdb if needed, preload streamflow + pg_cron, start;
#                                      streamflow's worker serves HTTP on port PORT + 3000
#                                      (STREAMFLOW_CLUSTER_CONF: more postgresql.conf lines at initdb)
#   cluster.sh http-port PORT          prints the worker's HTTP port for a cluster on PORT
#   cluster.sh stop DIR                stop (fast) if running
#   cluster.sh psql DIR PORT DB ...    psql as postgres over the cluster's socket
set -euo pipefail

PGBIN=$("${PG_CONFIG:-pg_config}" --bindir)
as_postgres() {
	if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

cmd=${1:?usage: cluster.sh start|stop|psql DIR ...}
if [ "$cmd" = http-port ]; then
	echo $((${2:?port} + 3000))
	exit 0
fi
dir=${2:?cluster directory}

case "$cmd" in
start)
	port=${3:?port}
	db=${4:?database}
	mkdir -p "$dir"
	chown postgres: "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_postgres "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log"
		cat >>"$dir/data/postgresql.conf" <<CONF
# streamflow throwaway cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_preload_libraries = 'streamflow,pg_cron'
cron.database_name = '$db'
cron.use_background_workers = on
streamflow.database = '$db'
streamflow.port = $((port + 3000))
max_worker_processes = 16
fsync = off
synchronous_commit = on
log_min_messages = warning
CONF
		if [ -n "${STREAMFLOW_CLUSTER_CONF:-}" ]; then
			printf '%s\n' "$STREAMFLOW_CLUSTER_CONF" >>"$dir/data/postgresql.conf"
		fi
	fi
	if ! as_postgres "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
	fi
	as_postgres "$PGBIN/psql" -h "$dir" -p "$port" -d postgres -Atqc \
		"SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
		as_postgres "$PGBIN/createdb" -h "$dir" -p "$port" "$db"
	;;
stop)
	if [ -f "$dir/data/PG_VERSION" ] && as_postgres "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	fi
	;;
psql)
	port=${3:?port}
	db=${4:?database}
	shift 4
	"$PGBIN/psql" -X -h "$dir" -p "$port" -U postgres -d "$db" "$@"
	;;
*)
	echo "usage: cluster.sh start|stop|psql DIR ..." >&2
	exit 2
	;;
esac
