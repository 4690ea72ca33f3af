"""System messages: notifications, confirmation requests, reminders (MSG-1, MSG-2)."""
