"""Domain operations, grouped by area. Each takes an Actor, raises DomainErrors, never commits."""
