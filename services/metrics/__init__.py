"""DevRel metrics: the funnel, retention, responsiveness, loop closure and levels."""
