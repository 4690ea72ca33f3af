"""Tasks and contacts with clients (§6.1): planned and done tasks, reminders, escalations."""
