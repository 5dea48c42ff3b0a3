#!/bin/sh
# Registers the service's namespace and its custom search attributes on a Temporal server, once it
# answers. Run by docker-compose.yml (the `temporal-namespace` one-shot, in the admin-tools image)
# and by src/devtools/cluster.ts: the same steps everywhere. Idempotent.
#
# Environment: TEMPORAL_CLI (the `temporal` CLI), TEMPORAL_ADDRESS, NAMESPACE, RETENTION (e.g. 720h).
set -eu

cli() {
  "$TEMPORAL_CLI" --address "$TEMPORAL_ADDRESS" "$@"
}

# Retries a command for up to a minute: right after start-up, or after the namespace was just
# created, the frontend may not know it yet (its namespace cache refreshes every few seconds).
retry() {
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
      echo "setup-namespace: gave up on: $*" >&2
      return 1
    fi
    sleep 1
  done
}

retry cli operator cluster health >/dev/null 2>&1

if cli operator namespace describe -n "$NAMESPACE" >/dev/null 2>&1; then
  retry cli operator namespace update -n "$NAMESPACE" --retention "$RETENTION" >/dev/null
else
  retry cli operator namespace create -n "$NAMESPACE" --retention "$RETENTION"
fi

# The case search attributes of src/temporal/search-attributes.ts (test/ops/cluster-config.test.ts
# checks that this list and that file agree). No personal data: ids, types, amounts and states.
attribute() {
  if ! cli operator search-attribute list -n "$NAMESPACE" 2>/dev/null | grep -qw "$1"; then
    retry cli operator search-attribute create -n "$NAMESPACE" --name "$1" --type "$2" >/dev/null
  fi
}
attribute BillingCaseType Keyword
attribute BillingCaseStatus Keyword
attribute DialNexaCallId Keyword
attribute BillingAccountId Keyword
attribute BillingAmountMinor Int
attribute BillingCurrency Keyword
attribute BillingUrgency Keyword
attribute BillingOwner Keyword
attribute BillingWaitingOn KeywordList
echo "setup-namespace: $NAMESPACE ready (retention $RETENTION, search attributes registered)"
