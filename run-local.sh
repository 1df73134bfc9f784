#!/usr/bin/env bash
# Runs the whole rtdw pipeline on this machine: builds what it needs first, then starts the local stack
# (io.rtdw.local.LocalStack). Options are the launcher's: ./run-local.sh --help
#
#   ./run-local.sh                       # until Ctrl-C
#   ./run-local.sh --duration 5m --rate 50
#   RTDW_SKIP_BUILD=1 ./run-local.sh     # reuse the last build
#
# Environment: MONGODB_URI (capture vehicle from that replica set), RTDW_LAUNCHER_HEAP (default 1g: the launcher
# hosts the 3 Kafka brokers), RTDW_SKIP_BUILD=1, MAVEN_ARGS (extra arguments for mvn, e.g. -U),
# RTDW_PINOT_CLASSPATH_FILE / RTDW_PINOT_PLUGIN_JAR (Pinot's class path and our plugin, default: pinot/target).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")" && pwd)"
cd "$ROOT"

HELP_ONLY=0
for arg in "$@"; do
  if [[ "$arg" == "--help" || "$arg" == "-h" ]]; then HELP_ONLY=1; fi
done

command -v java >/dev/null || { echo "java (17 or newer) is needed on the PATH" >&2; exit 2; }
command -v mvn >/dev/null || { echo "mvn (Maven 3.8 or newer) is needed on the PATH" >&2; exit 2; }

CLASSPATH_FILE="local-stack/target/classpath.txt"
if [[ ! -f "$CLASSPATH_FILE" || ( "${RTDW_SKIP_BUILD:-0}" != "1" && $HELP_ONLY -eq 0 ) ]]; then
  echo "[run-local] building the project (mvn -DskipTests install; the first build downloads dependencies,"
  echo "[run-local] later ones take about a minute) ..."
  started=$(date +%s)
  # Offline first: the usual case after one build; online only if something is missing from ~/.m2.
  # shellcheck disable=SC2086
  if ! mvn -q -B -o -DskipTests ${MAVEN_ARGS:-} install; then
    echo "[run-local] offline build failed; trying again with the network ..."
    # shellcheck disable=SC2086
    mvn -q -B -DskipTests ${MAVEN_ARGS:-} install
  fi
  echo "[run-local] build done in $(( $(date +%s) - started )) s"
fi

CP="local-stack/target/classes:$(cat "$CLASSPATH_FILE")"
JAVA_ARGS=(
  "-Xmx${RTDW_LAUNCHER_HEAP:-1g}" -XX:+UseSerialGC
  "-Drtdw.s3proxy.jar=$ROOT/local-stack/target/tools/s3proxy-4.1.0-jar-with-dependencies.jar"
  "-Drtdw.pinot.classpathFile=${RTDW_PINOT_CLASSPATH_FILE:-$ROOT/pinot/target/pinot-runtime/pinot-classpath.txt}"
  "-Drtdw.pinot.pluginJar=${RTDW_PINOT_PLUGIN_JAR:-$ROOT/pinot/target/rtdw-pinot-0.1.0-SNAPSHOT-plugin.jar}"
  -cp "$CP" io.rtdw.local.LocalStack
)

if [[ $HELP_ONLY -eq 1 ]]; then
  exec java "${JAVA_ARGS[@]}" "$@"
fi

# The launcher runs in its own session so that Ctrl-C reaches only this script, which turns it into one SIGTERM:
# the launcher then stops the components in pipeline order (embedded PostgreSQL would otherwise get the SIGINT
# too and stop before the components that use it).
setsid java "${JAVA_ARGS[@]}" "$@" &
LAUNCHER=$!
trap 'echo; echo "[run-local] Ctrl-C: stopping the stack (this takes up to a minute) ..."; kill -TERM "$LAUNCHER" 2>/dev/null || true' INT TERM
status=0
while true; do
  # wait returns early when the trap runs; the launcher is then still stopping: wait again.
  if wait "$LAUNCHER"; then status=0; else status=$?; fi
  kill -0 "$LAUNCHER" 2>/dev/null || break
done
# A SIGTERM'd JVM reports 143 after a clean shutdown; that is the expected end of a Ctrl-C.
if [[ $status -eq 143 ]]; then status=0; fi
exit "$status"
