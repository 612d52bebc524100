"""Practice sessions: quiz state, the progress store and scheduling."""
