"""Office hours' Discord adapter: commands, the session lifecycle jobs, presenters and views."""
