"""Outside registers: EGRUL by INN."""
