"""The mail app of the hub: a webmail client with folders, labels, a reading pane and compose.

State schema in :mod:`schema` (documented in SCHEMA.md), default mailbox in :mod:`seed`, the
UI in ``static/`` and the hub registration in :mod:`app`.
"""
