"""ECRM core: the pure domain library.

Imports only the standard library, ``attrs`` and small I/O-free helpers. No framework,
database, network or clock access: the outside world comes in through ports
(``typing.Protocol`` classes) that ``ecrm_adapters`` implement.
"""
