#!/bin/sh
# kubeplan recovery drill: rebuild a cluster from git onto an EMPTY cluster, then check that it matches git.
# Run it on a schedule against a scratch cluster, so the day a cluster is lost you know the recovery works and how
# long it takes (the recovery time is in the report).
#
# Usage: recovery-drill.sh CLUSTER [OPTION...]
#   CLUSTER   the named cluster to rebuild (kubeplan.yaml clusters:), or - for the one cluster the kubeconfig or
#             --server names (a config without clusters:)
#   OPTION    given to both `kubeplan recover` and `kubeplan drift`: -c FILE, --kubeconfig FILE, --context NAME,
#             --server URL --token-env NAME, --concurrency N …
# Environment:
#   KUBEPLAN  the kubeplan command (default: kubeplan; e.g. "npx --yes kubeplan")
#   KUBEPLAN_RECOVER_OPTIONS  options for `kubeplan recover` only, e.g. "--timeout 15m" (split on spaces)
# Point the cluster's credentials at an empty cluster made for the drill, never at production: recover refuses a
# cluster that already has inventories of this repository (exit 3) and writes nothing there.
#
# Exit codes: 0 the drill passed (recovered, and drift found nothing); otherwise the failing step's: recover 2 (a
# target failed, bad input) or 3 (the cluster is not empty); drift 1 (the recovered cluster differs from git) or 2.
set -u

if [ $# -lt 1 ] || [ "$1" = "" ]; then
  echo "usage: $0 CLUSTER|- [kubeplan options]" >&2
  exit 2
fi
cluster=$1
shift
kubeplan=${KUBEPLAN:-kubeplan}
if [ "$cluster" != "-" ]; then
  set -- --cluster "$cluster" "$@"
fi

recover_options=${KUBEPLAN_RECOVER_OPTIONS:-}
echo "recovery drill: kubeplan recover $recover_options $*" >&2
# $kubeplan and $recover_options are split on purpose: each may hold several words.
# shellcheck disable=SC2086
$kubeplan recover $recover_options "$@"
status=$?
if [ "$status" -ne 0 ]; then
  echo "recovery drill FAILED: kubeplan recover exited $status" >&2
  exit "$status"
fi

echo "recovery drill: kubeplan drift --exit-code $*" >&2
# shellcheck disable=SC2086
$kubeplan drift --exit-code "$@"
status=$?
if [ "$status" -ne 0 ]; then
  if [ "$status" -eq 1 ]; then
    echo "recovery drill FAILED: the recovered cluster differs from git (kubeplan drift exited 1)" >&2
  else
    echo "recovery drill FAILED: kubeplan drift exited $status" >&2
  fi
  exit "$status"
fi
echo "recovery drill passed: the cluster was rebuilt from git and matches it" >&2
