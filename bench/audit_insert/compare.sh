#!/bin/sh
# Insert cost of one audit event, two schemas side by side (docs/benchmarks.md, "Load: gunicorn
# + wrk, audit on and off", the micro-benchmark). pgbench (PostgreSQL client package) runs
# each script for SECONDS at 4 clients on each database, in alternating order (ABBA) over
# ROUNDS rounds, and prints one line per run: round, script, database, tps, load average.
#
#   bench/audit_insert/compare.sh OLD_DB NEW_DB [ROUNDS] [SECONDS]
#
# list_event.sql: one list-page event naming 51 persons, written as audit/services.py
# `_insert_in_one_statement` does (event and person index in one statement);
# event_only.sql: the same event without its person index. Both databases must be
# migrated OpenDUI databases (e.g. copies of a seeded one, `createdb -T`); rows are added.
set -eu
old=$1
new=$2
rounds=${3:-3}
seconds=${4:-10}
here=$(dirname "$0")
host=${PGHOST:-127.0.0.1}
user=${PGUSER:-postgres}
round=1
while [ "$round" -le "$rounds" ]; do
    if [ $((round % 2)) -eq 1 ]; then order="$old $new"; else order="$new $old"; fi
    for script in list_event event_only; do
        for db in $order; do
            tps=$(pgbench -h "$host" -U "$user" -n -c 4 -j 2 -T "$seconds" \
                -f "$here/$script.sql" "$db" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
            load=$(cut -d' ' -f1 /proc/loadavg)
            echo "$round $script $db $tps $load"
        done
    done
    round=$((round + 1))
done
