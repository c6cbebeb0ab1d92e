"""Reads for the edges: scoped lists with filters and keyset pages, and cards with relations."""
