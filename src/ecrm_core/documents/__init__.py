"""Documents of clients, contracts, invoices and requests (DOC-1)."""
