"""Feedback capture's Discord adapter: commands, forum sync, presenters and views."""
