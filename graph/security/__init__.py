"""Hardening of the GraphQL API: query limits, error masking and rate limits."""
