"""The client base: catalogs, counterparties, contacts, search, duplicates, curators
(chapter 5 of the manual; CAT-1…CAT-6, CP-1…CP-14)."""
