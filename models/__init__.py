"""Voronka's shared domain: entities, rules and operations. Knows no bot, API or scheduler."""
