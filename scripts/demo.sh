#!/usr/bin/env bash
# make demo / make demo-stop: a throwaway cluster with streamflow and pg_cron
# preloaded, the demo workflow of scripts/demo.sql, and a feeder that ingests
# frames every second.  In a terminal, `make demo` then shows the newest frames
# live until Ctrl-C, which stops everything; elsewhere it returns and leaves the
# demo running until `make demo-stop`.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${STREAMFLOW_DEMO_DIR:-/tmp/streamflow-demo}
port=${STREAMFLOW_DEMO_PORT:-5488}
db=streamflow
psql_cmd="psql -h $dir -p $port -U postgres -d $db"

stop() {
	if [ -f "$dir/feeder.pid" ]; then
		kill "$(cat "$dir/feeder.pid")" 2>/dev/null || true
		rm -f "$dir/feeder.pid"
	fi
	bash scripts/cluster.sh stop "$dir"
}

start() {
	stop
	rm -rf "$dir"
	bash scripts/cluster.sh start "$dir" "$port" "$db"
	trap 'echo; echo "streamflow demo: stopping"; stop; exit 130' INT TERM
	bash scripts/cluster.sh psql "$dir" "$port" "$db" -q -v ON_ERROR_STOP=1 -f scripts/demo.sql >"$dir/setup.log"
	# a token for the demo's HTTP, SSE and WebSocket clients (shown once, stored hashed)
	token=$(bash scripts/cluster.sh psql "$dir" "$port" "$db" -qAt -v ON_ERROR_STOP=1 \
		-c "SELECT streamflow.create_token('demo', NULL, '{read,write}')")
	echo "$token" >"$dir/token"
	http="http://127.0.0.1:$(bash scripts/cluster.sh http-port "$port")"
	ws="ws://127.0.0.1:$(bash scripts/cluster.sh http-port "$port")"

	# the feeder: one tick a second, in the background, logged
	(
		while sleep 1; do
			bash scripts/cluster.sh psql "$dir" "$port" "$db" -q -f scripts/demo_feed.sql >/dev/null 2>>"$dir/feeder.log" || true
		done
	) </dev/null >/dev/null 2>&1 &
	echo $! >"$dir/feeder.pid"
	disown

	cat <<MSG

streamflow demo is running (cluster in $dir, port $port, database $db).
Streams: clickstream, market_data, orders (rows of table demo_orders), crawler_to_ai.
Token (read+write on every stream, also in $dir/token): $token

Live frames, pushed by the worker inside Postgres as they commit:
  SSE (browser or curl -N):  $http/streams/market_data/events?access_token=$token
  WebSocket:                 $ws/streams/clickstream/ws?access_token=$token
                             (e.g. node -e "new (require('ws'))(process.argv[1]).on('message', m => console.log(String(m)))" '<that URL>'
                              from test/, or any WebSocket client; send {"data": {...}} on it to publish)
  Polling:                   curl '$http/streams/orders/poll?since=0&limit=5' -H 'Authorization: Bearer $token'
  Health and metrics:        curl $http/health ; curl $http/metrics

  Look at frames:      $psql_cmd -c "SELECT * FROM streamflow.frames('clickstream', 5)"
  Watch the bus:       $psql_cmd
                         LISTEN "datastreams/market_data";  -- then run any query (e.g. SELECT 1) to see arrivals
  Capture a table:     $psql_cmd -c "INSERT INTO demo_orders (customer, amount) VALUES ('you', 42)"
                       $psql_cmd -c "SELECT payload FROM streamflow.latest_frame('orders')"
  Ingest yourself:     $psql_cmd -c "SELECT * FROM streamflow.ingest('market_data', '{\"price\": 1850.5}')"
  A bad frame:         $psql_cmd -c "SELECT streamflow.ingest('market_data', '[1, 2]')"
  Stop it:             make demo-stop

MSG
	if [ -t 0 ] && [ -t 1 ]; then
		echo "Newest frames of every stream, refreshed every second (Ctrl-C stops the demo):"
		bash scripts/cluster.sh psql "$dir" "$port" "$db" -q <<'SQL' || true
SELECT s.id AS stream, h.frames_received AS frames, f.sequence AS latest, f.status,
       left(f.payload::text, 90) AS payload
  FROM streamflow.streams s
  JOIN streamflow.stream_state h ON h.stream_id = s.id
  LEFT JOIN LATERAL streamflow.latest_frame(s.id) f ON true
 ORDER BY s.id \watch 1
SQL
		echo; echo "streamflow demo: stopping"
		stop
	fi
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) echo "usage: demo.sh start|stop" >&2; exit 2 ;;
esac
