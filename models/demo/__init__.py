"""The demo account behind `voronka demo`: offices, people, clients, deals and their history."""

from models.demo.seed import DemoSummary, seed_demo

__all__ = ["DemoSummary", "seed_demo"]
