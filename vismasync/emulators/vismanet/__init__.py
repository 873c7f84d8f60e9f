"""Offline emulator of the Visma.net ERP service API (``api.finance.visma.net``).

Imports point one way. ``server`` assembles the app from ``gateway`` (token, company, budget)
and ``routes`` (one handler per operation), which read requests and write responses through
``http_io`` and ``wire``. Below HTTP, ``service`` is the installation (companies, ``auth``
tokens, ``ratelimit`` budget, ``seed``); ``backend`` is one company and the rules of each area
(``customers``, ``inventory``, ``salesorders``, ``receivables``, ``reference``) over ``state``.
``errors`` renders the service's error bodies. A test in tests/emulators/vismanet keeps the
import graph acyclic.
"""
