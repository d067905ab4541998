"""Feedback rules: capture and dedupe, the similar-item index, tags and learning, export."""
