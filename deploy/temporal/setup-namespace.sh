#!/bin/sh
# Registers the service's namespace and its custom search attributes on a Temporal server, once it
# answers. Run by docker-compose.yml (the `temporal-namespace` one-shot, in the admin-tools image)
# and by src/temporal/cluster.ts: the same steps everywhere. Idempotent.
#
# Environment: TEMPORAL_CLI (the `temporal` CLI), TEMPORAL_ADDRESS, NAMESPACE, RETENTION (e.g. 720h).
set -eu

cli() {
  "$TEMPORAL_CLI" --address "$TEMPORAL_ADDRESS" "$@"
}

tries=0
until cli operator cluster health >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 120 ]; then
    echo "setup-namespace: Temporal at $TEMPORAL_ADDRESS did not become healthy" >&2
    exit 1
  fi
  sleep 1
done

if ! cli operator namespace describe -n "$NAMESPACE" >/dev/null 2>&1; then
  cli operator namespace create -n "$NAMESPACE" --retention "$RETENTION"
fi
cli operator namespace update -n "$NAMESPACE" --retention "$RETENTION" >/dev/null

# The case search attributes of src/temporal/search-attributes.ts (test/ops/cluster-config.test.ts
# checks that this list and that file agree). No personal data: ids, types, amounts and states.
existing=$(cli operator search-attribute list -n "$NAMESPACE")
attribute() {
  if ! printf '%s\n' "$existing" | grep -qw "$1"; then
    cli operator search-attribute create -n "$NAMESPACE" --name "$1" --type "$2"
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
