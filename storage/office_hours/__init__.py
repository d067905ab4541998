"""Office hours SQL: sessions, settings and figures; the question queue."""
