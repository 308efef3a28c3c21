"""Word lists and templates for synthetic sites: our own writing about a fictional software company.

Nothing here is taken from real Confluence pages; it only has to read like a team's wiki, vary enough that
titles stay unique in large spaces, and exercise the storage-format constructs a converter must handle.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Ada", "Bruno", "Carla", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ivo", "Jana", "Kofi", "Lena",
    "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sami", "Tomas", "Uma", "Viktor", "Wen", "Xenia",
    "Yusuf", "Zoe", "Anders", "Beatriz", "Chen", "Dalia", "Emeka", "Freya", "Gustavo", "Helga", "Imran",
    "Julia", "Kenji", "Lucia", "Marek", "Noor",
)
LAST_NAMES = (
    "Abara", "Berg", "Costa", "Dahl", "Eriksen", "Fontaine", "Gallo", "Haddad", "Ishikawa", "Jovanovic",
    "Keller", "Lund", "Moreno", "Novak", "Olsen", "Petrov", "Quinn", "Rossi", "Sato", "Tanaka", "Ulrich",
    "Varga", "Weber", "Xu", "Yilmaz", "Zielinski", "Andrade", "Brandt", "Castillo", "Dubois", "Engel",
    "Ferreira", "Grant", "Holm", "Ivanova", "Jensen", "Kowalski", "Lopez", "Mensah", "Nakamura",
)

# (group name, space area) pairs: each team owns spaces in its area.
TEAMS = (
    ("platform-team", "Platform Engineering"), ("payments-team", "Payments"), ("data-team", "Data and Analytics"),
    ("mobile-team", "Mobile Apps"), ("support-team", "Customer Support"), ("security-team", "Security"),
    ("people-team", "People and Culture"), ("finance-team", "Finance"), ("product-team", "Product Management"),
    ("sre-team", "Site Reliability"),
)

TITLE_SUBJECTS = (
    "Billing Service", "Login Flow", "Release Train", "Data Warehouse", "Search Index", "Edge Cache",
    "Mobile App", "Onboarding", "Vendor Contracts", "Payment Retries", "Invoice Export", "Feature Flags",
    "Message Queue", "Event Bus", "Identity Provider", "Audit Log", "Backup Policy", "Disaster Recovery",
    "Cost Dashboard", "Load Balancer", "Service Mesh", "Build Farm", "Test Matrix", "Canary Rollout",
    "Schema Registry", "Metrics Pipeline", "Alert Routing", "Incident Review", "Customer Portal",
    "Support Macros", "Refund Workflow", "Tax Rules", "Expense Policy", "Hiring Loop", "Team Rituals",
    "Quarterly Goals", "API Gateway", "Rate Limiter", "Session Store", "Notification Service",
    "Email Templates", "Push Notifications", "Offline Mode", "Crash Reporting", "Release Checklist",
    "Code Review", "Branching Model", "Dependency Updates", "Secrets Rotation", "Access Reviews",
    "Vulnerability Triage", "Pen Test Findings", "Data Retention", "Privacy Requests", "Churn Model",
    "Pricing Experiments", "Usage Reports", "Partner Integrations", "Webhook Delivery", "Object Storage",
    "Kubernetes Clusters", "Terraform Modules", "CI Runners", "Observability Stack", "Log Shipping",
    "On-call Handbook", "Escalation Matrix", "Capacity Planning", "Performance Budget", "Design System",
    "Accessibility", "Localization", "Search Ranking", "Recommendation Engine", "Fraud Signals",
    "Ledger Reconciliation", "Payroll Calendar", "Benefits Overview", "Office Moves", "Laptop Setup",
)
TITLE_KINDS = (
    "Runbook", "Design Notes", "FAQ", "Retrospective", "Meeting Notes", "How-to", "Architecture",
    "Roadmap", "Troubleshooting", "Checklist", "Decision Log", "Requirements", "Postmortem", "Overview",
    "Migration Plan", "Release Notes", "Glossary", "Playbook", "Proposal", "Status Report", "Guidelines",
    "Known Issues", "Test Plan", "Risk Register", "Handover", "Training", "Metrics", "Policy", "Spike",
    "Open Questions",
)
TITLE_QUALIFIERS = (
    "2024", "2025", "2026", "Q1", "Q2", "Q3", "Q4", "v2", "v3", "EU", "US", "APAC", "Phase 1", "Phase 2",
    "for New Hires", "Draft", "Archive", "Legacy", "Next", "Pilot",
)
BLOG_TOPICS = (
    "Release {n} is out", "What we shipped in {month}", "Lessons from the {subject} migration",
    "Meet the {team}", "Hack week recap: {subject}", "Why we rewrote the {subject}", "{month} incident digest",
    "Welcome to our new joiners ({month})", "A tour of the {subject}", "Retiring the old {subject}",
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")

# Ordered from most to least used; generated sites draw from it with a Zipf-like skew.
LABELS = (
    "how-to", "runbook", "meeting-notes", "architecture", "decision", "faq", "onboarding", "draft",
    "postmortem", "release", "api", "security", "process", "roadmap", "kb-article", "troubleshooting",
    "template", "checklist", "policy", "retro", "design", "q1", "q2", "q3", "q4", "infra", "billing",
    "mobile", "data", "support", "compliance", "gdpr", "oncall", "metrics", "testing", "ci", "kubernetes",
    "terraform", "python", "java", "sql", "frontend", "backend", "legacy", "deprecated", "experiment",
    "hiring", "finance", "benefits", "travel", "vendor", "contract", "incident", "sla", "capacity",
    "performance", "accessibility", "localization", "archive", "needs-review",
)

SUBJECTS = (
    "the deploy pipeline", "each on-call engineer", "our billing service", "the nightly job", "the team lead",
    "every pull request", "the support rota", "the staging cluster", "a failed health check", "the API gateway",
    "the release manager", "this dashboard", "the import script", "the customer success team",
    "the feature flag service", "the weekly report", "our vendor", "the schema migration", "the mobile client",
    "the data warehouse", "a new joiner", "the security review", "the cost report", "the retry worker",
    "the search index", "the audit trail", "each service owner", "the load test", "the finance team",
    "the incident commander",
)
VERBS = (
    "checks", "rebuilds", "publishes", "archives", "rotates", "validates", "summarises", "throttles",
    "reviews", "approves", "monitors", "restarts", "exports", "documents", "replaces", "tags", "signs",
    "schedules", "escalates", "deduplicates", "migrates", "backs up", "announces", "measures", "retries",
)
OBJECTS = (
    "the nightly snapshot", "a signed release", "the access list", "every open ticket", "the error budget",
    "stale branches", "the quarterly forecast", "the runbook links", "expired certificates", "duplicate invoices",
    "the test fixtures", "all pending refunds", "the latency histogram", "the on-call calendar",
    "unused feature flags", "the shared credentials", "each webhook endpoint", "the onboarding checklist",
    "the regional replicas", "the cache keys", "the sprint board", "slow queries", "the partner feed",
    "the config bundle", "open vulnerabilities",
)
TAILS = (
    "", "", "", " before every release", " within two business days", " unless the queue is empty",
    " at the start of each sprint", " once a quarter", " after the change freeze", " during the weekly sync",
    " when the alert fires", " for every region", " without waiting for approval", " as part of the handover",
    " on the first Monday of the month", " if the backlog grows past a hundred items", " before lunch on Fridays",
    " with the help of the platform team", " so that nobody is paged twice", " until the migration is finished",
)
OPENERS = (
    "", "", "", "", "In practice, ", "As a rule, ", "Since the last outage, ", "For now, ", "Usually, ",
    "By default, ", "If in doubt, ", "Going forward, ", "Historically, ",
)
HEADINGS = (
    "Overview", "Background", "Goals", "Non-goals", "Scope", "Steps", "Prerequisites", "How it works",
    "Rollback", "Verification", "Open questions", "Decision", "Alternatives considered", "Timeline",
    "Owners", "Risks", "Dependencies", "Monitoring", "Known issues", "FAQ", "Next steps", "Action items",
    "Summary", "Context", "Configuration", "Troubleshooting", "Related pages", "Glossary", "Costs",
    "Security considerations",
)
TASKS = (
    "Update the runbook links", "Ask finance to confirm the budget", "Rotate the staging credentials",
    "Book the review meeting", "Close the stale tickets", "Write the announcement", "Remove the old flag",
    "Add alerts for the new queue", "Check the backup restore", "Share the slides with the team",
    "Move the dashboard to the shared folder", "Tag the release", "File the follow-up tickets",
    "Confirm the vendor contact", "Archive the pilot pages",
)
STATUSES = (("Green", "DONE"), ("Green", "ACTIVE"), ("Yellow", "IN PROGRESS"), ("Yellow", "DRAFT"),
            ("Red", "BLOCKED"), ("Red", "DEPRECATED"), ("Blue", "PROPOSED"), ("Grey", "ARCHIVED"))
VERSION_MESSAGES = (
    "Fix typos", "Add the rollback section", "Update owners", "Link the new dashboard", "Clarify steps",
    "Refresh screenshots", "Reorganise headings", "Add FAQ entries", "Remove outdated notes", "Minor edits",
)
PANEL_MACROS = ("info", "note", "warning", "tip")
CODE_LANGUAGES = ("python", "bash", "sql", "json", "yaml", "java", "javascript", "text")
CODE_SNIPPETS = {
    "python": ("def {name}(items):\n    \"\"\"Return the {word} items, newest first.\"\"\"\n"
               "    kept = [i for i in items if i.{attr} > {num}]\n    return sorted(kept, key=lambda i: i.created, reverse=True)\n",
               "for record in client.fetch(\"{word}\", limit={num}):\n    if record[\"status\"] != \"ok\":\n"
               "        log.warning(\"skipping %s\", record[\"id\"])\n        continue\n    queue.put(record)\n"),
    "bash": ("set -euo pipefail\n{name} --env staging --dry-run\n{name} --env production --batch {num}\n",
             "kubectl -n {word} rollout status deploy/{name}\nkubectl -n {word} logs deploy/{name} --since=1h | grep -c ERROR\n"),
    "sql": ("SELECT account_id, count(*) AS {word}_count\nFROM {name}\nWHERE created_at > now() - interval '{num} days'\n"
            "GROUP BY account_id\nHAVING count(*) > 1 AND count(*) < 100;\n",),
    "json": ("{{\n  \"name\": \"{name}\",\n  \"enabled\": true,\n  \"limit\": {num},\n  \"tags\": [\"{word}\", \"<internal>\"]\n}}\n",),
    "yaml": ("service: {name}\nreplicas: {num}\nresources:\n  limits:\n    memory: 512Mi\nlabels:\n  team: {word}\n",),
    "java": ("public final class {cls} {{\n    private final int limit = {num};\n\n"
             "    public boolean accepts(String {word}) {{\n        return {word} != null && {word}.length() < limit;\n    }}\n}}\n",),
    "javascript": ("export async function {name}(api) {{\n  const res = await api.get(`/v2/{word}?limit={num}`);\n"
                   "  if (res.status >= 400 && res.status < 500) throw new Error('bad request');\n  return res.data;\n}}\n",),
    "text": ("{cls} {num}\n  -> {word}: ok\n  -> {name}: retry <3 times>\n  -> done & logged\n",),
}
CODE_NAMES = ("sync_accounts", "export-invoices", "rotate_keys", "ledger_entries", "purge-cache", "build_report",
              "replay_events", "check_health")
CODE_WORDS = ("billing", "payments", "search", "audit", "staging", "mobile", "ledger", "alerts")
CODE_CLASSES = ("RetryPolicy", "InvoiceBatch", "RateLimiter", "ReportJob", "TokenCache", "AuditEntry")
UNKNOWN_MACROS = ("acme-roadmap-timeline", "team-calendar-embed", "legacy-metrics-chart", "vendor-widget")
LINK_HOSTS = ("docs.acme-tools.example", "status.synthetic.example", "handbook.synthetic.example",
              "dashboards.synthetic.example")
