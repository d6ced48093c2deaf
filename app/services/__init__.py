"""Use cases: the only place with queries and transactions."""
