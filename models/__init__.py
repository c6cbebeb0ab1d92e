"""Voronka's shared domain: entities, rules and operations. Knows nothing of bots, API or scheduler."""
