"""Business rules. Functions here flush but never commit: the request or job that calls them does."""
