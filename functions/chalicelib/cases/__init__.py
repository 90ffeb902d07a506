"""The life of a report after intake: its statuses, deadlines, and what officers send back.

The case workflow (typed states and transitions, extensions, forwarding, escalation,
follow-up review, retention) belongs here, framework-free, beside ``status`` and
``deadlines``; the officers' front door will drive it.
"""
