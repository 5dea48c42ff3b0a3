/**
 * Custom search attributes: how auditors find a case in the Temporal Web UI. None carries PII
 * (no names, emails or phone numbers): ids, types, amounts and states only.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CaseTypeKey = defineSearchAttributeKey('BillingCaseType', SearchAttributeType.KEYWORD);
export const CaseStatusKey = defineSearchAttributeKey('BillingCaseStatus', SearchAttributeType.KEYWORD);
export const CallIdKey = defineSearchAttributeKey('DialNexaCallId', SearchAttributeType.KEYWORD);
export const AccountIdKey = defineSearchAttributeKey('BillingAccountId', SearchAttributeType.KEYWORD);
/** Amount in minor units (cents), so range queries work: `BillingAmountMinor > 50000`. */
export const AmountMinorKey = defineSearchAttributeKey('BillingAmountMinor', SearchAttributeType.INT);
export const CurrencyKey = defineSearchAttributeKey('BillingCurrency', SearchAttributeType.KEYWORD);
export const UrgencyKey = defineSearchAttributeKey('BillingUrgency', SearchAttributeType.KEYWORD);
/** Owner of the next step, as an opaque id (Slack user id / HubSpot owner id), never a name. */
export const OwnerKey = defineSearchAttributeKey('BillingOwner', SearchAttributeType.KEYWORD);
/** Approvers a pending decision waits on (Slack user ids): "cases waiting on me". */
export const WaitingOnKey = defineSearchAttributeKey('BillingWaitingOn', SearchAttributeType.KEYWORD_LIST);

export const ALL_SEARCH_ATTRIBUTES = [
  CaseTypeKey,
  CaseStatusKey,
  CallIdKey,
  AccountIdKey,
  AmountMinorKey,
  CurrencyKey,
  UrgencyKey,
  OwnerKey,
  WaitingOnKey,
] as const;
