"""Advocates' boundaries: /advocate commands and the advocate inbox."""
