"""Sales documents: contracts, requests, invoices, payments, acts (CON, REQ, INV)."""
