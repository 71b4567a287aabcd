"""Interoperability with the national services: one sub-package per service.

Each sub-package has a `client.py` (the real protocol), a `simulator.py` (a
local server speaking the same protocol on loopback, for the demo and the
tests) and the mapping code.
"""
