#!/usr/bin/env bash
# Runs the pipeline benchmark (a program, not a test). Usage: benchmarks/run.sh [--quick|--full] [--parts ...] [--help]
# Builds this module and the modules it uses offline with the reactor (nothing needs to be installed), writes its
# classpath, and starts io.rtdw.bench.PipelineBenchmark in a JVM whose java.class.path is the real classpath (the
# streams apps it starts as child JVMs reuse it).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -o -pl benchmarks -am package -DskipTests >/dev/null
# The project's own jars (in */target, or in ~/.m2 for a build against installed modules) are rebuilt while other
# modules are being worked on: a long run uses a private copy taken now, so a jar replaced mid-run cannot break the
# JVMs that have it open.
LIB=benchmarks/target/bench-lib
rm -rf "$LIB" && mkdir -p "$LIB"
CP=""
IFS=: read -r -a JARS < benchmarks/target/classpath.txt || true  # no newline at the end of the file
for jar in "${JARS[@]}"; do
  case "$jar" in
    */io/rtdw/*|*/rtdw-*.jar) cp "$jar" "$LIB/" && jar="$LIB/$(basename "$jar")" ;;
  esac
  CP="$CP:$jar"
done
CP="benchmarks/target/classes$CP"
exec java -Xmx${BENCH_HEAP_MB:-2048}m -Dlog4j2.configurationFile=log4j2-bench.xml -cp "$CP" \
  io.rtdw.bench.PipelineBenchmark "$@"
