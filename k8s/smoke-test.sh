#!/usr/bin/env bash
# Smoke test of a deployed rtdw pipeline: one fresh customer with a flight (PostgreSQL) and a vehicle (MongoDB) must
# reach Pinot and the Parquet lake within a deadline. See k8s/RUNBOOK.md, "Smoke test".
set -uo pipefail

usage() {
  cat <<'EOF'
Usage: k8s/smoke-test.sh [options]

Inserts a fresh customer and one flight in PostgreSQL and one vehicle in MongoDB, then waits until Pinot (broker
SQL) and the Parquet lake (MinIO) both show that customer, live, with its flight and its vehicle. Then deletes the
three source records again. Every step prints how long it took; the first failure names its step and ends the run.

Options:
  -n, --namespace NS     namespace of the deployment (default: rtdw)
  --deadline SECONDS     how long the customer may take to appear in Pinot and in the lake, counted from the
                         source commit (default: 300)
  --customer-id N        id of the test customer, flight and vehicle (default: 2000000000 + epoch seconds mod
                         100000000; must not exist yet)
  --skip-mongodb         insert no vehicle and expect none (a deployment without MongoDB capture)
  --skip-lake            do not check the Parquet lake
  --wait-delete          after the clean-up, also wait (same deadline) until Pinot no longer shows the customer live
  --keep                 leave the test records in the sources
  -h, --help             this text

Exit status: 0 every step passed; 1 a step failed (named on stderr); 2 bad usage.

It reaches every component with `kubectl exec` (no port-forward, no credentials on this machine): psql in
postgres-0, mongosh in mongodb-0, curl in the pinot-broker pod, mc in minio-0 (each image ships its client).
Parquet files are read on this machine with the DuckDB CLI: only the changelog files that appeared after the
insert are copied out (mc cat), into a temporary directory.

Environment (commands and names, overridable; tests use this to run the script against a local stack):
  KUBECTL (kubectl)   DUCKDB (duckdb)   JQ (jq)
  SMOKE_POSTGRES_POD (postgres-0)  SMOKE_MONGODB_POD (mongodb-0)  SMOKE_MINIO_POD (minio-0)
  SMOKE_PINOT_BROKER (deploy/pinot-broker)  SMOKE_BUCKET (rtdw-lake)  SMOKE_PINOT_TABLE (unified_customer)
  SMOKE_POLL_SECONDS (3)
EOF
}

NAMESPACE=rtdw
DEADLINE=300
CUSTOMER_ID=
SKIP_MONGODB=false
SKIP_LAKE=false
WAIT_DELETE=false
KEEP=false
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--namespace) NAMESPACE="${2:?--namespace needs a value}"; shift 2 ;;
    --deadline) DEADLINE="${2:-}"; shift 2 ;;
    --customer-id) CUSTOMER_ID="${2:-}"; shift 2 ;;
    --skip-mongodb) SKIP_MONGODB=true; shift ;;
    --skip-lake) SKIP_LAKE=true; shift ;;
    --wait-delete) WAIT_DELETE=true; shift ;;
    --keep) KEEP=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "smoke-test: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$DEADLINE" =~ ^[0-9]+$ ]] || [ "$DEADLINE" -lt 1 ]; then
  echo "smoke-test: --deadline must be a whole number of seconds >= 1, was '$DEADLINE'" >&2; exit 2
fi
if [ -z "$CUSTOMER_ID" ]; then
  CUSTOMER_ID=$((2000000000 + $(date +%s) % 100000000))
fi
# int4 in PostgreSQL, NumberInt in MongoDB, int in the Avro schemas
if ! [[ "$CUSTOMER_ID" =~ ^[0-9]+$ ]] || [ "$CUSTOMER_ID" -lt 1 ] || [ "$CUSTOMER_ID" -gt 2147483647 ]; then
  echo "smoke-test: --customer-id must be an integer from 1 to 2147483647, was '$CUSTOMER_ID'" >&2; exit 2
fi

KUBECTL="${KUBECTL:-kubectl}"
DUCKDB="${DUCKDB:-duckdb}"
JQ="${JQ:-jq}"
POSTGRES_POD="${SMOKE_POSTGRES_POD:-postgres-0}"
MONGODB_POD="${SMOKE_MONGODB_POD:-mongodb-0}"
MINIO_POD="${SMOKE_MINIO_POD:-minio-0}"
PINOT_BROKER="${SMOKE_PINOT_BROKER:-deploy/pinot-broker}"
BUCKET="${SMOKE_BUCKET:-rtdw-lake}"
PINOT_TABLE="${SMOKE_PINOT_TABLE:-unified_customer}"
POLL="${SMOKE_POLL_SECONDS:-3}"
ID="$CUSTOMER_ID"

# milliseconds: bash 5's EPOCHREALTIME; whole seconds on older shells (macOS' bash 3.2)
now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then local t="${EPOCHREALTIME/[.,]/}"; echo $((t / 1000)); else echo $(($(date +%s) * 1000)); fi
}
secs() { local ms="$1"; printf '%d.%d' $((ms / 1000)) $(((ms % 1000) / 100)); }
RUN_START=$(now_ms)
STEP=
STEP_START=0
begin() { STEP="$1"; STEP_START=$(now_ms); echo "[....] $STEP"; }
pass() { echo "[ ok ] $STEP ($(secs $(($(now_ms) - STEP_START))) s)${1:+: $1}"; }
fail() {
  echo "[FAIL] $STEP ($(secs $(($(now_ms) - STEP_START))) s): $1" >&2
  echo "smoke test FAILED at step '$STEP' after $(secs $(($(now_ms) - RUN_START))) s (customer $ID)" >&2
  exit 1
}

k() { $KUBECTL -n "$NAMESPACE" "$@"; }
# psql inside the PostgreSQL container, SQL on stdin; the database and user are the container's own settings.
pg() { k exec -i "$POSTGRES_POD" -c postgres -- sh -c 'psql -X -q -At -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'; }
mongo() {
  k exec "$MONGODB_POD" -c mongodb -- sh -c 'mongosh --quiet -u "$MONGO_INITDB_ROOT_USERNAME" \
    -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin \
    "mongodb://localhost:27017/rtdw?directConnection=true" --eval "$1"' sh "$1"
}
# As the read-only principal bi, password from the broker container's own environment (Secret rtdw-pinot-auth);
# without that variable (a Pinot without auth, the local stack) no credentials are sent.
pinot_sql() {
  k exec "$PINOT_BROKER" -c broker -- sh -c 'curl -sS --max-time 20 -H "Content-Type: application/json" \
    ${AUTH_BI_PASSWORD:+-u "bi:$AUTH_BI_PASSWORD"} -d "{\"sql\": \"$1\"}" http://localhost:8099/query/sql' sh "$1"
}
# mc inside the MinIO container with the server's own root credentials; config in /tmp (the image's HOME is /).
mc() {
  k exec "$MINIO_POD" -c minio -- sh -c 'export MC_CONFIG_DIR=/tmp/rtdw-smoke-mc
    mc alias set smoke http://localhost:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null && mc "$@"' sh "$@"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtdw-smoke.XXXXXX") || { echo "smoke-test: cannot create a temporary directory" >&2; exit 1; }
INSERTED_PG=false
INSERTED_MONGO=false
cleanup_sources() {
  if [ "$KEEP" = true ]; then
    echo "kept the test records (--keep): customer, flight and vehicle $ID"
    return 0
  fi
  local ok=0
  if [ "$INSERTED_PG" = true ]; then
    printf 'BEGIN;\nDELETE FROM public.flight WHERE id = %s;\nDELETE FROM public.customers WHERE id = %s;\nCOMMIT;\n' \
      "$ID" "$ID" | pg >/dev/null || ok=1
    INSERTED_PG=false
  fi
  if [ "$INSERTED_MONGO" = true ]; then
    mongo "db.vehicle.deleteOne({_id: NumberInt($ID)}).deletedCount" >/dev/null || ok=1
    INSERTED_MONGO=false
  fi
  return $ok
}
on_exit() {
  local code=$?
  if [ "$INSERTED_PG" = true ] || [ "$INSERTED_MONGO" = true ]; then
    cleanup_sources || echo "smoke-test: could not delete every test record of customer $ID; delete it by hand (RUNBOOK.md)" >&2
  fi
  rm -rf "$WORK"
  exit $code
}
trap on_exit EXIT
trap 'exit 1' INT TERM

echo "smoke test of namespace $NAMESPACE: customer $ID, deadline ${DEADLINE} s$([ "$SKIP_MONGODB" = true ] && echo ', no MongoDB')$([ "$SKIP_LAKE" = true ] && echo ', no lake')"
VEHICLES_EXPECTED=1
[ "$SKIP_MONGODB" = true ] && VEHICLES_EXPECTED=0

# Files of the lake before the insert: the customer can only be in files that appear after it.
lake_days() { date -u +%F; }
lake_list() {
  local day
  for day in "$@"; do
    mc find "smoke/$BUCKET/changelog/dt=$day/" --name '*.parquet' 2>/dev/null || true
  done
}
if [ "$SKIP_LAKE" = false ]; then
  begin "list the lake's changelog files"
  command -v "$DUCKDB" >/dev/null 2>&1 || fail "no DuckDB CLI '$DUCKDB' on this machine (set DUCKDB, or --skip-lake)"
  FIRST_DAY=$(lake_days)
  mc ls "smoke/$BUCKET/" >/dev/null 2>"$WORK/mc.err" || fail "cannot list bucket $BUCKET in $MINIO_POD: $(head -c 400 "$WORK/mc.err")"
  lake_list "$FIRST_DAY" | sort -u > "$WORK/before.txt"
  pass "$(wc -l < "$WORK/before.txt") files today"
fi

begin "insert customer $ID and flight $ID in PostgreSQL"
out=$(printf "BEGIN;
INSERT INTO public.customers (id, nome, profissao, dt_update) VALUES (%s, 'rtdw smoke test %s', 'smoke-test', now());
INSERT INTO public.flight (id, customer_id, aeroporto, linha_aerea, cod_iata, dt_update) VALUES (%s, %s, 'SMOKE', 'rtdw smoke test', 'SMK', now());
COMMIT;\n" "$ID" "$ID" "$ID" "$ID" | pg 2>&1) || fail "psql failed: $out"
INSERTED_PG=true
COMMITTED=$(now_ms)
pass

if [ "$SKIP_MONGODB" = false ]; then
  begin "insert vehicle $ID in MongoDB"
  out=$(mongo "db.vehicle.insertOne({_id: NumberInt($ID), customer_id: NumberInt($ID), ano_modelo: '2026', modelo: 'smoke', fabricante: 'rtdw smoke test', ano_veiculo: NumberInt(2026), categoria: 'smoke', dt_update: new Date()}).acknowledged" 2>&1)
  [ "$(printf '%s' "$out" | tail -n1)" = "true" ] || fail "mongosh failed: $out"
  INSERTED_MONGO=true
  COMMITTED=$(now_ms)
  pass
fi
DEADLINE_AT=$((COMMITTED + DEADLINE * 1000))
left() { echo $((DEADLINE_AT - $(now_ms))); }   # milliseconds

# One Pinot row of the customer: "deleted flight_count vehicle_count", or nothing.
pinot_row() {
  local json
  json=$(pinot_sql "SELECT deleted, flight_count, vehicle_count FROM $PINOT_TABLE WHERE customer_id = $ID LIMIT 10") || return 1
  printf '%s' "$json" > "$WORK/pinot.json"
  if [ "$($JQ -r '(.exceptions // []) | length' <<<"$json")" != 0 ]; then
    return 1
  fi
  $JQ -r '.resultTable.rows[]? | map(tostring) | join(" ")' <<<"$json" | tail -n1
}
live() { case "$1" in false|0) return 0 ;; *) return 1 ;; esac; }

begin "customer $ID in Pinot with 1 flight and $VEHICLES_EXPECTED vehicle(s)"
seen=
while :; do
  if row=$(pinot_row); then
    seen="$row"
    read -r deleted flights vehicles <<<"$row"
    if [ -n "$row" ] && live "$deleted" && [ "$flights" = 1 ] && [ "$vehicles" = "$VEHICLES_EXPECTED" ]; then
      break
    fi
  fi
  if [ "$(left)" -le 0 ]; then
    detail="last row (deleted flight_count vehicle_count): '${seen:-none}'"
    [ -s "$WORK/pinot.json" ] && detail="$detail; last answer: $(head -c 400 "$WORK/pinot.json")"
    fail "not there within ${DEADLINE} s of the source commit; $detail"
  fi
  sleep "$POLL"
done
pass "$(secs $(($(now_ms) - COMMITTED))) s after the source commit"

if [ "$SKIP_LAKE" = false ]; then
  begin "customer $ID in the Parquet lake with 1 flight and $VEHICLES_EXPECTED vehicle(s)"
  mkdir -p "$WORK/files"
  : > "$WORK/fetched.txt"
  seen=
  while :; do
    # New files of the insert's day and of today (a run across midnight UTC), each copied out once.
    lake_list "$FIRST_DAY" "$(lake_days)" | sort -u | comm -23 - "$WORK/before.txt" | comm -23 - "$WORK/fetched.txt" \
      > "$WORK/new.txt"
    while IFS= read -r object; do
      [ -n "$object" ] || continue
      local_name="$WORK/files/$(printf '%s' "${object#smoke/}" | tr '/=' '__')"
      if mc cat "$object" > "$local_name.part" 2>"$WORK/mc.err"; then
        mv "$local_name.part" "$local_name"
        echo "$object" >> "$WORK/fetched.txt"
        sort -u -o "$WORK/fetched.txt" "$WORK/fetched.txt"
      else
        rm -f "$local_name.part"
      fi
    done < "$WORK/new.txt"
    if compgen -G "$WORK/files/*.parquet" >/dev/null; then
      row=$($DUCKDB -csv -noheader -c "SELECT deleted, flight_count, vehicle_count FROM read_parquet('$WORK/files/*.parquet') WHERE customer_id = $ID ORDER BY kafka_offset DESC LIMIT 1" 2>"$WORK/duckdb.err") \
        || fail "DuckDB could not read the copied files: $(head -c 400 "$WORK/duckdb.err")"
      row="${row//,/ }"
      seen="$row"
      read -r deleted flights vehicles <<<"$row"
      if [ -n "$row" ] && live "$deleted" && [ "$flights" = 1 ] && [ "$vehicles" = "$VEHICLES_EXPECTED" ]; then
        break
      fi
    fi
    if [ "$(left)" -le 0 ]; then
      fail "not there within ${DEADLINE} s of the source commit; $(wc -l < "$WORK/fetched.txt") new changelog files read, latest row of the customer (deleted flight_count vehicle_count): '${seen:-none}'"
    fi
    sleep "$POLL"
  done
  pass "$(secs $(($(now_ms) - COMMITTED))) s after the source commit, $(wc -l < "$WORK/fetched.txt") new files read"
fi

if [ "$KEEP" = false ]; then
  begin "delete the test records from the sources"
  cleanup_sources || fail "could not delete every test record of customer $ID; delete it by hand (RUNBOOK.md)"
  DELETED=$(now_ms)
  pass
  if [ "$WAIT_DELETE" = true ]; then
    begin "customer $ID no longer live in Pinot"
    DEADLINE_AT=$((DELETED + DEADLINE * 1000))
    while :; do
      if row=$(pinot_row); then
        read -r deleted _ <<<"$row"
        if [ -z "$row" ] || ! live "$deleted"; then
          break
        fi
      fi
      [ "$(left)" -le 0 ] && fail "still live in Pinot ${DEADLINE} s after the delete: '$row'"
      sleep "$POLL"
    done
    pass "$(secs $(($(now_ms) - DELETED))) s after the delete"
  fi
fi

echo "smoke test PASSED in $(secs $(($(now_ms) - RUN_START))) s (customer $ID)"
