"""One history for all changes (HIST-1)."""
