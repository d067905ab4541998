"""Feedback SQL: items, votes and status history; the term index; custom tags and learned
models."""
