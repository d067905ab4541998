"""/survey: quick polls and multi-question surveys."""
