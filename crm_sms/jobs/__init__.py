"""RQ entry points: each takes ids or plain values, calls a service, commits. Safe to run twice."""
