"""Announcements' Discord adapter: commands, the delivery jobs and views."""
