#!/usr/bin/env bash
# Takes an rtdw deployment down in a safe order. See k8s/RUNBOOK.md, "Teardown".
set -uo pipefail

usage() {
  cat <<'EOF'
Usage: k8s/teardown.sh [--overlay dev|prod | --dir DIR] [options]

Deletes the objects of a kustomize overlay (as `kubectl apply -k` created them) in this order, waiting for each
step's objects and their pods to be gone:
  1. capture       the CDC Deployments (nothing new enters Kafka)
  2. readers       streams app, lake sink, ksqlDB, Kafka bridge, Kafka UI, Pinot (broker, servers, controller,
                   its ZooKeeper) and their Jobs
  3. registry      Apicurio Registry
  4. topics        every KafkaTopic, while the Topic Operator still runs: first annotated
                   strimzi.io/managed=false so that the Kafka topics and their data stay (with --delete-data: not
                   annotated, the Topic Operator deletes the topics)
  5. kafka         the Kafka cluster and its node pools (Strimzi removes brokers and controllers)
  6. stores        PostgreSQL, MongoDB, MinIO and their Jobs
  7. rest          every other object of the overlay (services, policies, config maps, monitoring, and the
                   cluster-scoped ClusterRole and ClusterRoleBinding of Prometheus) but its claims
The namespace, the Secrets created by hand, every PersistentVolumeClaim and so every Kafka topic are kept,
unless --delete-data.

Options:
  --overlay NAME     k8s/overlays/NAME (default: dev)
  --dir DIR          any kustomization directory instead
  --dry-run          print the kubectl commands, run none (the overlay is still built, offline)
  --delete-data      let the Topic Operator delete the topics, and after the objects delete every
                     PersistentVolumeClaim of the namespace: all data of
                     Kafka, PostgreSQL, MongoDB, MinIO, Pinot and the streams app's state. Asks to type the
                     namespace, unless --confirm NAMESPACE is given
  --confirm NS       non-interactive confirmation of --delete-data (must equal the namespace)
  --timeout SECONDS  wait per step (default: 600)
  -h, --help         this text

Exit status: 0 done; 1 a step failed or timed out (the objects of later steps are left); 2 bad usage or not confirmed.
Environment: KUBECTL (default kubectl).
EOF
}

HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="$HERE/overlays/dev"
DRY_RUN=false
DELETE_DATA=false
CONFIRM=
TIMEOUT=600
while [ $# -gt 0 ]; do
  case "$1" in
    --overlay) DIR="$HERE/overlays/${2:?--overlay needs a name}"; shift 2 ;;
    --dir) DIR="${2:?--dir needs a directory}"; shift 2 ;;
    --dry-run) DRY_RUN=true; shift ;;
    --delete-data) DELETE_DATA=true; shift ;;
    --confirm) CONFIRM="${2:?--confirm needs the namespace}"; shift 2 ;;
    --timeout) TIMEOUT="${2:-}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "teardown: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -ge 1 ] || { echo "teardown: --timeout must be seconds >= 1" >&2; exit 2; }
[ -f "$DIR/kustomization.yaml" ] || { echo "teardown: no kustomization.yaml in $DIR" >&2; exit 2; }
KUBECTL="${KUBECTL:-kubectl}"

# kind, name and namespace of every object of the built overlay. kustomize prints documents with top-level keys at
# column 0 and metadata's fields indented by two spaces, so a line scan is enough (no YAML tool needed).
BUILT=$($KUBECTL kustomize "$DIR" 2>/dev/null) || { echo "teardown: kubectl kustomize $DIR failed" >&2; exit 1; }
OBJECTS=$(awk '
  function flush() { if (kind != "" && name != "") print kind, name, (ns == "" ? "-" : ns); kind = ""; name = ""; ns = ""; top = "" }
  /^---/ { flush(); next }
  /^[A-Za-z]/ { top = $1 }
  /^kind: / { kind = $2 }
  top == "metadata:" && /^  name: / { name = $2 }
  top == "metadata:" && /^  namespace: / { ns = $2 }
  END { flush() }' <<<"$BUILT")
NAMESPACE=$(awk '$3 != "-" { print $3 }' <<<"$OBJECTS" | sort -u)
if [ "$(wc -l <<<"$NAMESPACE")" != 1 ] || [ -z "$NAMESPACE" ]; then
  echo "teardown: the overlay's objects are not all in one namespace: $(echo $NAMESPACE)" >&2; exit 1
fi
if [ "$DELETE_DATA" = true ] && [ -n "$CONFIRM" ] && [ "$CONFIRM" != "$NAMESPACE" ]; then
  echo "teardown: --confirm '$CONFIRM' is not the namespace '$NAMESPACE'" >&2; exit 2
fi

# Confirm before anything is deleted: a refusal leaves the deployment as it was.
if [ "$DELETE_DATA" = true ] && [ "$DRY_RUN" = false ] && [ -z "$CONFIRM" ]; then
  if [ ! -t 0 ]; then
    echo "teardown: --delete-data needs a terminal to confirm, or --confirm $NAMESPACE; nothing deleted" >&2; exit 2
  fi
  $KUBECTL -n "$NAMESPACE" get pvc -o name || exit 1
  read -r -p "Type the namespace ($NAMESPACE) to delete the deployment AND all of the claims above with their data: " CONFIRM
  [ "$CONFIRM" = "$NAMESPACE" ] || { echo "teardown: not confirmed; nothing deleted" >&2; exit 2; }
fi

DONE=$'\n'   # refs deleted so far, one a line (no associative arrays: bash 3.2 runs this too)
# "kind/name" of the overlay's objects of one kind whose name matches a regex, not yet deleted.
pick() {
  local kind="$1" regex="$2"
  awk -v k="$kind" -v r="^($regex)\$" '$1 == k && $2 ~ r && $3 != "-" { print tolower($1) "/" $2 }' <<<"$OBJECTS" |
    while read -r ref; do case "$DONE" in *$'\n'"$ref"$'\n'*) ;; *) echo "$ref" ;; esac; done
}
run() {
  echo "$*"
  [ "$DRY_RUN" = true ] && return 0
  "$@"
}
delete_step() {
  local step="$1"; shift
  local refs=()
  local ref
  for ref in "$@"; do [ -n "$ref" ] && refs+=("$ref"); done
  [ ${#refs[@]} -gt 0 ] || return 0
  echo "# $step"
  # foreground: the call returns once the objects and what they own (pods, pod sets) are gone
  if ! run $KUBECTL -n "$NAMESPACE" delete "${refs[@]}" --ignore-not-found --cascade=foreground --wait=true \
      --timeout="${TIMEOUT}s"; then
    echo "teardown: step '$step' failed or timed out; later steps not run" >&2
    exit 1
  fi
  for ref in "${refs[@]}"; do DONE="$DONE$ref"$'\n'; done
}

echo "# tearing down $DIR in namespace $NAMESPACE$([ "$DRY_RUN" = true ] && echo ' (dry run)')"
delete_step capture $(pick Deployment 'cdc-.*')
delete_step readers $(pick StatefulSet 'streams-app|ksqldb|pinot-.*') $(pick Deployment 'lake-sink|kafka-ui|pinot-.*') \
  $(pick KafkaBridge '.*') $(pick Job 'pinot-.*')
delete_step registry $(pick Deployment 'apicurio-registry')
TOPICS=$(pick KafkaTopic '.*')
if [ "$DELETE_DATA" = false ] && [ -n "$TOPICS" ]; then
  # Keep the data: an unmanaged KafkaTopic is deleted without its Kafka topic (the Topic Operator reads the
  # annotation when the resource is deleted); a re-install's KafkaTopics adopt the topics again.
  echo "# topics: unmanaged first, so that deleting the KafkaTopics keeps the Kafka topics and their data"
  run $KUBECTL -n "$NAMESPACE" annotate $TOPICS strimzi.io/managed=false --overwrite || exit 1
fi
delete_step topics $TOPICS
delete_step kafka $(pick Kafka '.*') $(pick KafkaNodePool '.*')
delete_step stores $(pick StatefulSet 'postgres|mongodb|minio') $(pick Job 'mongodb-.*|minio-.*')
rest=()
while read -r kind name ns; do
  [ "$kind" = Namespace ] && continue              # kept
  [ "$kind" = PersistentVolumeClaim ] && continue  # claims of the overlay (Prometheus' history): kept like the others
  ref="$(tr '[:upper:]' '[:lower:]' <<<"$kind")/$name"   # cluster-scoped ones (Prometheus' ClusterRole) too
  case "$DONE" in *$'\n'"$ref"$'\n'*) ;; *) rest+=("$ref") ;; esac
done <<<"$OBJECTS"
delete_step rest "${rest[@]}"

if [ "$DELETE_DATA" = true ]; then
  echo "# data: every PersistentVolumeClaim of namespace $NAMESPACE"
  run $KUBECTL -n "$NAMESPACE" delete pvc --all --wait=true --timeout="${TIMEOUT}s" || exit 1
else
  echo "# kept: every PersistentVolumeClaim, the Secrets, namespace $NAMESPACE (--delete-data deletes the claims)"
fi
echo "# teardown done"
