"""Goods and services (PRD-1…PRD-3)."""
