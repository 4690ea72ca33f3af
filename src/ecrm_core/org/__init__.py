"""Company, departments, projects, employees and their services (ORG-1…ORG-6)."""
