"""ECRM's web face: the Flask UI and the JSON API under /api/v1."""
