"""Helpers shared by the scripts under bench/ and loadtest/ (not the app)."""
