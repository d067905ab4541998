"""Advocates' boundaries: working hours, time off and the inbox that respects them."""
