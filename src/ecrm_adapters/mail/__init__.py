"""Mail: SMTP out."""
