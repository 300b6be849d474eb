"""A small labelled corpus for grounded search: markdown documents, and questions
labelled with the section (document id, heading) that answers them.

Questions are worded unlike their sections where they can be, the way users ask.
Shared by the search tests (a recall floor) and `make bench` (recall@k and latency).
"""

from __future__ import annotations

DOCUMENTS: dict[str, tuple[str, str]] = {
    # id: (title, markdown)
    "tenancy-guide": (
        "Tenancy Guide",
        """# Tenancy Guide

## Tenant isolation

Tenant isolation ensures that every customer's data stays apart. Each request names its tenant,
and every database query and vector search is scoped by that tenant id, so one customer can never
read, list or delete another customer's records.

## Rate limits

Requests are counted per tenant in a sliding window: by default 100 requests a minute with a
burst of 20. A client over its limit gets HTTP 429 with a retry-after header telling it how many
seconds to wait.

## API keys

An API key names both the tenant and the user. Only a hash of the key and a short prefix are
stored, and keys are compared in constant time.
""",
    ),
    "billing-faq": (
        "Billing FAQ",
        """# Billing FAQ

## Invoices

Invoices are issued on the first day of each month and sent to the billing contact by email.
They can also be downloaded as PDF from the account settings page.

## Refunds

Annual plans can be refunded in full within 30 days of purchase. Monthly plans are not refunded,
but a cancellation takes effect at the end of the paid month.

## Payment methods

We accept credit cards, SEPA direct debit and bank transfers for annual plans.
""",
    ),
    "onboarding": (
        "Employee Onboarding",
        """# Employee Onboarding

## First day

New hires receive their laptop on the first morning, meet their buddy, and set up two-factor
authentication before lunch.

## Vacation policy

Everyone gets 28 days of paid leave a year, plus public holidays. Unused days carry over until
the end of March of the following year.

## Expenses

Travel and equipment expenses are reimbursed within ten working days once the receipt is
uploaded to the expense tool.
""",
    ),
    "deploy-runbook": (
        "Deployment Runbook",
        """# Deployment Runbook

## Rolling back

If a release misbehaves, roll back by redeploying the previous image tag; the database
migrations are written so that the previous release still runs against the new schema.

## Secrets

Secrets are read from the vault at start-up. A deploy fails fast when a required secret is
missing rather than starting half-configured.

## Monitoring

Dashboards show request latency percentiles, error rates and saturation; an alert pages the
on-call engineer when the error rate stays above 2% for five minutes.
""",
    ),
    "garden-notes": (
        "Garden Notes",
        """# Garden Notes

## Tomatoes

Tomatoes need at least six hours of direct sun and deep, infrequent watering. Pinch out the side
shoots of cordon varieties to get larger fruit.

## Composting

A compost heap needs a mix of green waste like grass clippings and brown waste like dry leaves or
cardboard, turned every few weeks to keep it aerobic.
""",
    ),
}

# (question, document id, heading of the section that answers it)
QUESTIONS: tuple[tuple[str, str, str], ...] = (
    ("How do you keep one customer from seeing another customer's data?", "tenancy-guide", "Tenant isolation"),
    ("What happens when a client sends too many requests?", "tenancy-guide", "Rate limits"),
    ("Are API keys stored in plain text?", "tenancy-guide", "API keys"),
    ("When do we get our monthly bill?", "billing-faq", "Invoices"),
    ("Can I get my money back on a yearly subscription?", "billing-faq", "Refunds"),
    ("Which ways can I pay?", "billing-faq", "Payment methods"),
    ("How many holidays do employees have?", "onboarding", "Vacation policy"),
    ("How long until I am paid back for a train ticket?", "onboarding", "Expenses"),
    ("What do newcomers do on their first morning?", "onboarding", "First day"),
    ("How do I undo a bad release?", "deploy-runbook", "Rolling back"),
    ("What if a credential is missing during deployment?", "deploy-runbook", "Secrets"),
    ("When is the on-call person alerted?", "deploy-runbook", "Monitoring"),
    ("How much sunlight do tomato plants need?", "garden-notes", "Tomatoes"),
    ("How should I build a compost pile?", "garden-notes", "Composting"),
)

# Questions the corpus cannot answer: nothing should be retrieved.
UNANSWERABLE: tuple[str, ...] = (
    "What is the boiling point of liquid nitrogen?",
    "Who won the football world cup in 1998?",
    "Translate good morning into Korean",
)


def section_of(document_id: str, heading: str) -> str:
    """The heading path the chunker gives a section of these documents."""
    return f"{DOCUMENTS[document_id][0]} > {heading}"
