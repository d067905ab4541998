"""Surveys and quick polls."""
