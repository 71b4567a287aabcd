"""Client of the Annuaire Santé (ANS national directory of health and social-care
professionals, FHIR R4 API), its pure Bundle parsing, and a loopback simulator.

A low-level package (no models, no views): accounts (RPPS lookup when an administrator
creates an account) and directory (search and nightly refresh of the external
professionals) both import it. See docs/architecture.md.
"""
