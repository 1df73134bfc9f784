#!/usr/bin/env bash
# The whole rtdw pipeline on this machine: the same as `./rtdw up` (options: ./run-local.sh --help).
#
#   ./run-local.sh                       # until Ctrl-C
#   ./run-local.sh --duration 5m --rate 50
#   RTDW_SKIP_BUILD=1 ./run-local.sh     # reuse the last build
exec "$(dirname "$0")/rtdw" up "$@"
