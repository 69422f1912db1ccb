"""Concord's domain: canonical business objects, money, identifiers, messages. Pure Python, no I/O."""
