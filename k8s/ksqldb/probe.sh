#!/usr/bin/env bash
# Probes of the ksqlDB server in headless mode, which serves no HTTP (see ksql/README.md, "Probes"). They read two
# files that log4j.properties (beside this script) writes for this JVM only:
#   streams-state.log   Kafka Streams' client state transitions (logger org.apache.kafka.streams.KafkaStreams),
#                       truncated when the JVM starts;
#   stream-threads.log  the stream threads' log (logger ...processor.internals.StreamThread): every thread writes a
#                       summary line every 2 minutes while its loop runs, restoring included.
# Only bash builtins and coreutils (stat, date): the image has no guaranteed grep.
#   probe.sh ready  every persistent query of the queries file has reached RUNNING (restored) since the JVM started
#   probe.sh live   a stream thread wrote since the JVM started, last within RTDW_KSQLDB_LIVE_SECONDS (600)
set -u
dir=${RTDW_KSQLDB_PROBE_DIR:-/var/run/ksqldb-probe}
queries=${RTDW_KSQLDB_QUERIES_FILE:-/queries/queries.sql}

case "${1:-}" in
  ready)
    # One persistent query per line ending in 'EMIT CHANGES;' (KsqlStatementsTest keeps the files so).
    expected=0
    while IFS= read -r line || [[ -n $line ]]; do
      [[ $line == *'EMIT CHANGES;' ]] && expected=$((expected + 1))
    done < "$queries" || exit 1
    declare -A running=()
    while IFS= read -r line || [[ -n $line ]]; do
      if [[ $line == *'State transition from REBALANCING to RUNNING'* && $line =~ (query_[A-Z0-9_]+) ]]; then
        running[${BASH_REMATCH[1]}]=1
      fi
    done < "$dir/streams-state.log" || exit 1
    if (( expected > 0 && ${#running[@]} >= expected )); then
      exit 0
    fi
    echo "queries RUNNING since start: ${#running[@]} of $expected"
    exit 1
    ;;
  live)
    # log4j creates the file empty when the JVM starts: empty means no stream thread has run yet.
    read -r written size < <(stat -c '%Y %s' "$dir/stream-threads.log") || exit 1
    age=$(( $(date +%s) - written ))
    if (( size > 0 && age < ${RTDW_KSQLDB_LIVE_SECONDS:-600} )); then
      exit 0
    fi
    echo "stream threads: ${size} bytes, last written ${age}s ago"
    exit 1
    ;;
  *)
    echo "usage: probe.sh ready|live" >&2
    exit 2
    ;;
esac
