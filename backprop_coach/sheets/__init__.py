"""Cheat sheets whose every derivative is proved by the checker."""
