"""Files: the document store."""
