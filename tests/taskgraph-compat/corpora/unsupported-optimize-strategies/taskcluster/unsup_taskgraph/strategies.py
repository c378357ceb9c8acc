"""Experimental optimization strategies named by the optimize_strategies parameter."""

STRATEGIES = {}
