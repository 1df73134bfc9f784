#!/usr/bin/env sh
# Refreshes the copies that kustomize needs inside k8s/ (it may not read files outside a kustomization's
# directory on every kubectl version): the ksqlDB statements and, once the pinot module has them, the Pinot
# schema and table config. The tests fail while a copy differs from its original.
set -eu
case "${1:-}" in
  -h|--help)
    echo "usage: k8s/sync-copies.sh   copy ksql/statements/*.sql to k8s/ksqldb/statements and the pinot module's"
    echo "                            schema and production table config to k8s/base/pinot/files"
    exit 0 ;;
  "") ;;
  *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")"
rm -f ksqldb/statements/*.sql
cp ../ksql/statements/*.sql ksqldb/statements/
for f in unified_customer_schema.json unified_customer_realtime_table_config.production.json; do
  if [ -f "../pinot/src/main/resources/pinot/$f" ]; then
    cp "../pinot/src/main/resources/pinot/$f" "base/pinot/files/$f"
  fi
done
echo "copies refreshed; if the ksqlDB file list changed, update ksqldb/kustomization.yaml"
